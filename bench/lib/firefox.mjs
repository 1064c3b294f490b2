/**
 * any on Firefox against any on Chromium, in alternating rounds of their own (bench/lib/rounds.mjs),
 * on the benchmark's page and method code. Contenders:
 *
 *   - any on Chromium: the TypeScript client's `call()` the caller passes in (the benchmark's own,
 *     through its `any serve` and managed headless Chromium);
 *   - any on Firefox: the same client through an `any serve` process of its own, to a managed
 *     headless Firefox (ESR: release Firefox refuses unsigned extensions) started here for these
 *     rounds only and closed after them, so that it weighs on no other measure;
 *   - Playwright `page.evaluate` on Chromium, the caller's: the baseline. Playwright drives only its
 *     own patched Firefox builds (Juggler), not a stock Firefox, so there is no Playwright contender
 *     on the Firefox the any contender runs on.
 *
 * Measures: warm `echo` and `readTable` latency (sequential calls) and throughput at one level of calls in flight.
 */
import { execFileSync } from 'node:child_process';
import { call, launch, stopServer } from '../../dist/index.js';
import { findFirefox } from '../../dist/launcher/firefox.js';
import { assertAgree, freePort } from './checks.mjs';
import { BENCH_USERSCRIPTS, startServerProcess } from './contenders.mjs';
import { BASELINE, latencyInRounds, ratiosTo, throughputInRounds, timed } from './rounds.mjs';
import { round } from './stats.mjs';

/** The contenders' names in the results; the report reads them from `results.firefox.names`. */
export const NAMES = {
  chromium: 'any on Chromium (TypeScript client)',
  firefox: 'any on Firefox (TypeScript client)',
  playwright: BASELINE,
};

/** The Firefox the launcher would pick (`browser: 'firefox'`), or undefined with why not. */
export function installedFirefox() {
  try {
    const executable = findFirefox();
    return { executable, version: execFileSync(executable, ['--version']).toString().trim() };
  } catch (error) {
    return { missing: String(error.message ?? error) };
  }
}

/**
 * Measures `echo` ({ text: 64 × "x" }) and `readTable` ({}) latency, `calls.echo` and
 * `calls.readTable` sequential calls per contender per round, and throughput of `calls.throughput`
 * echo calls a round, `inFlight` at a time, after `warmup` calls of each method per contender.
 * `chromium` and `playwright` are callers (method, params) → result on `page`; `firefox` is
 * installedFirefox()'s answer.
 */
export async function firefoxInRounds({ rounds, calls, inFlight, warmup, page, chromium, playwright, firefox, log = () => {} }) {
  const began = performance.now();
  const port = await freePort();
  let server;
  let browser;
  try {
    server = await startServerProcess(port);
    browser = await launch({ port, headless: true, userscripts: BENCH_USERSCRIPTS, browser: 'firefox' });
    await call(page, 'echo', {}, { port, timeout: 60_000 }); // the extension's hello (Firefox starts slower), and the tab

    const callers = {
      [NAMES.chromium]: chromium,
      [NAMES.firefox]: (method, params) => call(page, method, params, { port }),
      [NAMES.playwright]: playwright,
    };
    const methods = { echo: { text: 'x'.repeat(64) }, readTable: {} };
    log(`  warming up: ${warmup} calls of each method per contender…`);
    for (const [method, params] of Object.entries(methods)) await assertAgree(callers, method, params);
    for (let i = 0; i < warmup; i++) {
      for (const callIt of Object.values(callers)) for (const [method, params] of Object.entries(methods)) await callIt(method, params);
    }

    const contenders = Object.fromEntries(Object.entries(callers).map(([name, callIt]) => [name, timed(callIt)]));
    const result = { browser: firefox.version, rounds, names: NAMES, inFlight, methods: {} };
    const metrics = ['p50', 'p90', 'p99'];
    for (const [method, params] of Object.entries(methods)) {
      log(`  ${method}: ${rounds} rounds of ${calls[method]} calls per contender…`);
      const latency = await latencyInRounds(contenders, { rounds, calls: calls[method], method, params });
      // Firefox's figure ÷ Chromium's from the same round (median of the rounds, range).
      result.methods[method] = { params, latency, firefoxOverChromium: ratiosTo(latency, NAMES.chromium, [NAMES.firefox], metrics)[NAMES.firefox] };
    }
    log(`  throughput: ${rounds} rounds of ${calls.throughput} echo calls per contender, ${inFlight} in flight…`);
    const throughput = await throughputInRounds(callers, { rounds, calls: calls.throughput, inFlight });
    result.throughput = { calls: calls.throughput, byContender: throughput, firefoxOverChromium: ratiosTo(throughput, NAMES.chromium, [NAMES.firefox], ['callsPerSecond'])[NAMES.firefox] };
    result.seconds = round((performance.now() - began) / 1000, 1);
    return result;
  } finally {
    server?.kill();
    await stopServer(port).catch(() => {});
    await browser?.close();
  }
}
