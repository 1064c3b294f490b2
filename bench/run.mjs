// The benchmark: any against Playwright's page.evaluate, same Chromium, same page, same method,
// same run; and, in a section of its own (bench/lib/firefox.mjs), any on Firefox ESR against any on
// Chromium, Playwright on Chromium still the baseline (it drives only its own patched Firefox builds).
// Every comparison runs in alternating rounds (bench/lib/rounds.mjs) and reports the median of the
// per-round ratios. Writes BENCHMARKS.md, bench/results.json and bench/plot.png, and
// prints the ratios.
//
//   npm run bench                  the full run (a few minutes)
//   node bench/run.mjs --quick     fewer rounds and calls, for a quick look; writes its report,
//                                  results.json and plot.png to a temporary directory
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { call, serverHealth, stopServer } from '../dist/index.js';
import { freePort } from './lib/checks.mjs';
import { startAny, startAnyInProcess, startMcpHttp, startMcpStdio, startPlaywright, startPython } from './lib/contenders.mjs';
import { firefoxInRounds, installedFirefox } from './lib/firefox.mjs';
import { throughput } from './lib/measure.mjs';
import { renderPlot } from './lib/plot.mjs';
import { browserProcesses, cpuSeconds, rssKiB } from './lib/processes.mjs';
import { BASELINE, latencyInRounds, ratiosTo, throughputInRounds, timed } from './lib/rounds.mjs';
import { median, round } from './lib/stats.mjs';
import { renderFirefox, renderMcpOverhead, renderRatios, renderScale, renderStreaming, renderTargets, renderWebmcp, writeReport } from './lib/report.mjs';
import { streamingInRounds } from './lib/streaming.mjs';
import { openManyTabs, startFleet } from './lib/scale.mjs';
import { webmcpInRounds } from './lib/webmcp.mjs';

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const ROUNDS = flags.quick ? 4 : 10; // even, so that each order runs as often as the other
const scale = flags.quick ? 0.1 : 1;
const n = (count) => Math.max(20, Math.round(count * scale));
// An MCP tool call takes two to three plain calls' time: its latency rounds make an eighth of the
// calls (the tables give each path's count), and its throughput is measured at one level only.
const MCP_SHARE = 1 / 8;
const MCP_IN_FLIGHT = 16;
const FIREFOX_IN_FLIGHT = 16; // the Firefox section's one throughput level
const TS = 'any (TypeScript client)';
const MCP_STDIO = 'any (MCP tool call, stdio)';
const MCP_HTTP = 'any (MCP tool call, HTTP)';
// Streaming (progress values), measured last: a few rounds, each a burst and a run of stamped values per caller.
const STREAM_ROUNDS = Math.min(ROUNDS, 6);
const STREAM = { burst: flags.quick ? 1000 : 3000, stamped: 50, gapMs: 4 };
/** Calls per contender per round, `total` per contender split over the rounds. */
const perRound = (total) => Math.max(1, Math.round((total * scale) / ROUNDS));
const log = (line) => process.stderr.write(`${line}\n`);
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const out = flags.quick ? mkdtempSync(join(tmpdir(), 'any-bench-quick-')) : undefined;
const outputs = out
  ? { report: join(out, 'BENCHMARKS.md'), results: join(out, 'results.json'), plot: join(out, 'plot.png') }
  : { report: here('../BENCHMARKS.md'), results: here('./results.json'), plot: here('./plot.png') };

// ── the page both contenders call into ─────────────────────────────────────────
const table = Array.from({ length: 100 }, (_, row) => `<tr>${Array.from({ length: 5 }, (_, cell) => `<td>r${row}c${cell}</td>`).join('')}</tr>`).join('');
const pages = createServer((request, response) => {
  response.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': "default-src 'none'; script-src 'none'" });
  response.end(`<!doctype html><title>bench</title><table id="data">${table}</table>`);
});
await new Promise((resolve) => pages.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${pages.address().port}`;
const port = await freePort();

log('starting any (server process + managed headless Chromium) and Playwright (same binary)…');
const any = await startAny({ port, page: `${origin}/bench` });
const anyInProcess = await startAnyInProcess({ page: `${origin}/bench` });
const playwright = await startPlaywright({ page: `${origin}/bench` });
const python = await startPython({ port, page: `${origin}/bench` });
if (!python) log('(no Python client found: skipping it)');
const mcpStdio = await startMcpStdio({ port, page: `${origin}/bench` });
const mcpHttp = await startMcpHttp({ port, page: `${origin}/bench` });
const closeMcp = () => Promise.all([mcpStdio.close(), mcpHttp.close()]);

const results = { date: new Date().toISOString(), quick: flags.quick, rounds: ROUNDS, machine: machine(), latency: {}, realistic: {}, throughput: {}, payload: {}, cold: {}, memory: {}, idleCpu: {}, mcp: {}, streaming: {}, webmcp: {}, firefox: {} };
try {
  log('warming up…');
  for (let i = 0; i < n(300); i++) {
    await any.call('echo', { i });
    await any.rawHttp('echo', { i });
    await anyInProcess.call('echo', { i });
    await playwright.call('echo', { i });
  }
  for (let i = 0; i < n(50); i++) {
    await mcpStdio.call('echo', { i });
    await mcpHttp.call('echo', { i });
  }

  // Listed any first, Playwright last: odd rounds run in this order, even rounds in reverse.
  const callers = {
    [TS]: any.call,
    'any (raw HTTP)': any.rawHttp,
    'any (server in the same process)': anyInProcess.call,
    [BASELINE]: playwright.call,
  };
  const mcpCallers = { [MCP_STDIO]: mcpStdio.call, [MCP_HTTP]: mcpHttp.call };
  const latencyContenders = {
    [TS]: timed(any.call),
    [MCP_STDIO]: timed(mcpStdio.call, MCP_SHARE),
    [MCP_HTTP]: timed(mcpHttp.call, MCP_SHARE),
    'any (raw HTTP)': timed(any.rawHttp),
    'any (server in the same process)': timed(anyInProcess.call),
    ...(python && { 'any (Python client)': python.times }),
    [BASELINE]: timed(playwright.call),
  };
  const pair = { [TS]: timed(any.call), [BASELINE]: timed(playwright.call) };

  log(`warm latency: ${ROUNDS} rounds of ${perRound(2000)} sequential echo calls per contender, an eighth of them over MCP…`);
  results.latency = await latencyInRounds(latencyContenders, { rounds: ROUNDS, calls: perRound(2000), method: 'echo', params: { text: 'x'.repeat(64) } });

  log(`realistic method (reads a 100-row table from the DOM): ${ROUNDS} rounds of ${perRound(500)} calls…`);
  results.realistic = await latencyInRounds(pair, { rounds: ROUNDS, calls: perRound(500), method: 'readTable', params: {} });

  for (const inFlight of [1, 16, 64, 256]) {
    const calls = Math.max(perRound(2000), inFlight * 4); // at least four waves a round, to reach a steady state
    log(`throughput: ${ROUNDS} rounds of ${calls} calls per contender, ${inFlight} in flight…`);
    results.throughput[inFlight] = await throughputInRounds(callers, { rounds: ROUNDS, calls, inFlight });
  }

  const mcpCalls = MCP_IN_FLIGHT * 4;
  log(`throughput over MCP: ${ROUNDS} rounds of ${mcpCalls} calls per contender, ${MCP_IN_FLIGHT} in flight…`);
  const mcpThroughput = await throughputInRounds({ [TS]: any.call, ...mcpCallers, [BASELINE]: playwright.call }, { rounds: ROUNDS, calls: mcpCalls, inFlight: MCP_IN_FLIGHT });
  results.mcp = {
    inFlight: MCP_IN_FLIGHT,
    throughput: mcpThroughput,
    overPlainCall: {
      latency: ratiosTo(results.latency, TS, Object.keys(mcpCallers), ['p50', 'p90', 'p99']),
      throughput: ratiosTo(mcpThroughput, TS, Object.keys(mcpCallers), ['callsPerSecond']),
    },
  };
  await closeMcp(); // no session left on the server that memory, idle CPU and cold start measure

  for (const [label, size, total] of [['100 B', 100, 500], ['100 KiB', 100 * 1024, 200], ['10 MiB', 10 * 1024 * 1024, 10]]) {
    log(`payload ${label}: ${ROUNDS} rounds of ${perRound(total)} echo calls per contender…`);
    results.payload[label] = await latencyInRounds(pair, { rounds: ROUNDS, calls: perRound(total), method: 'echo', params: { data: 'x'.repeat(size) } });
  }

  const memoryCalls = n(100_000);
  log(`memory: ${memoryCalls} calls, 64 in flight, sampling RSS every tenth…`);
  results.memory = await memoryOver(memoryCalls);

  const idleMs = flags.quick ? 2_000 : 10_000;
  log(`idle CPU: ${idleMs / 1000} s with everything connected and nothing to do…`);
  results.idleCpu = await idleCpu(idleMs);

  log('cold start: no server running and no tab open, three times…');
  results.cold = await coldStarts(3);

  // After every plain-call measure, so that none of them runs in its wake; through the server the
  // last cold start's call started (the bench's own was stopped there), on the same browser.
  log(`streaming: ${STREAM_ROUNDS} rounds of a ${STREAM.burst}-value burst and ${STREAM.stamped} stamped values ${STREAM.gapMs} ms apart per caller…`);
  const streamers = { 'any (TypeScript client, stream())': any.stream, 'any (HTTP NDJSON)': any.rawNdjson };
  try {
    await any.call('echo', {});
    for (const streamIt of Object.values(streamers)) for (let i = 0; i < 3; i++) await streamIt('burst', { n: STREAM.burst }, () => {});
    results.streaming = await streamingInRounds(streamers, { rounds: STREAM_ROUNDS, ...STREAM });
  } catch (error) {
    log(`streaming failed, the rest of the results stand: ${error.stack ?? error}`);
    results.streaming = { error: String(error.message ?? error) };
  }

  // WebMCP tools (bench/lib/webmcp.mjs): a browser and a Playwright of their own with WebMCP on, and a
  // page whose tools do the userscript methods' work; the control is the plain call on that page
  // through the server the last cold start started, in the first browser (no WebMCP there).
  log(`WebMCP tools: ${ROUNDS} rounds of ${perRound(1000)} echo and ${perRound(500)} readTable calls per contender…`);
  try {
    results.webmcp = await webmcpInRounds({ rounds: ROUNDS, calls: { echo: perRound(1000), readTable: perRound(500) }, warmup: n(100), table, withoutWebmcpPort: port, log });
  } catch (error) {
    log(`WebMCP tools failed, the rest of the results stand: ${error.stack ?? error}`);
    results.webmcp = { error: String(error.message ?? error) };
  }

  // any on Firefox (bench/lib/firefox.mjs): a server and a managed Firefox of their own, started for
  // these rounds only, against the benchmark's own any on Chromium and Playwright on Chromium.
  const firefox = installedFirefox();
  if (firefox.missing) {
    log(`(no Firefox found: skipping the Firefox section) ${firefox.missing}`);
    results.firefox = { skipped: 'no Firefox installed' };
  } else {
    const firefoxCalls = { echo: perRound(1000), readTable: perRound(500), throughput: Math.max(perRound(2000), FIREFOX_IN_FLIGHT * 4) };
    log(`Firefox (${firefox.version}): ${ROUNDS} rounds of ${firefoxCalls.echo} echo and ${firefoxCalls.readTable} readTable calls, and ${firefoxCalls.throughput} calls ${FIREFOX_IN_FLIGHT} in flight, per contender…`);
    try {
      results.firefox = await firefoxInRounds({ rounds: ROUNDS, calls: firefoxCalls, inFlight: FIREFOX_IN_FLIGHT, warmup: n(100), page: `${origin}/bench`, chromium: any.call, playwright: playwright.call, firefox, log });
    } catch (error) {
      log(`Firefox failed, the rest of the results stand: ${error.stack ?? error}`);
      results.firefox = { error: String(error.message ?? error) };
    }
  }

  // Last of all: eight more browsers, one of them with 50 more tabs, would weigh on every other measure.
  log('several browsers: fleets of 1, 2 and 4 managed browsers on a server each, and one browser with 50 more tabs…');
  try {
    results.scale = await scaleInRounds();
  } catch (error) {
    log(`several browsers failed, the rest of the results stand: ${error.stack ?? error}`);
    results.scale = { error: String(error.message ?? error) };
  }
} finally {
  await closeMcp();
  python?.close();
  await playwright.close();
  await anyInProcess.close();
  await any.close();
  await stopServer(port).catch(() => {});
  pages.close();
}

await renderPlot(results, outputs.plot);
writeFileSync(outputs.results, `${JSON.stringify(results, null, 2)}\n`);
writeReport(results, outputs.report, outputs.plot);
process.stdout.write(`${renderTargets(results)}\n\n${renderRatios(results)}\n\nMCP overhead: tool call ÷ plain call (median of the per-round ratios, range)\n${renderMcpOverhead(results)}\n\nStreaming: progress values from the page (any's absolute figures; Playwright has no equivalent)\n${renderStreaming(results)}\n\nWebMCP tools: a page's own tools, called as methods\n${renderWebmcp(results)}\n\nany on Firefox: against any on Chromium, Playwright (Chromium) the baseline\n${renderFirefox(results)}\n\nSeveral browsers\n${renderScale(results)}\n`);
if (out) log(`quick run: report, results.json and plot.png in ${out}`);

// ── measurements ───────────────────────────────────────────────────────────────

/** The fleets (bench/lib/scale.mjs) in alternating rounds with Playwright, and the 50 tabs' memory. */
async function scaleInRounds() {
  const page = `${origin}/bench`;
  const fleets = {};
  try {
    for (const count of [1, 2, 4]) fleets[count] = await startFleet({ port: await freePort(), page, count });
    fleets.tabs = await startFleet({ port: await freePort(), page, count: 1 });
    const tabs = await openManyTabs(fleets.tabs, origin);
    for (let i = 0; i < n(200); i++) for (const fleet of Object.values(fleets)) await fleet.routed('echo', { i });
    const one = '1 browser';
    const latency = await latencyInRounds({
      [one]: timed(fleets[1].routed),
      '2 browsers': timed(fleets[2].routed),
      '4 browsers': timed(fleets[4].routed),
      [`1 browser, ${tabs.openTabs} tabs on the origin`]: timed(fleets.tabs.routed),
      [BASELINE]: timed(playwright.call),
    }, { rounds: ROUNDS, calls: perRound(2000), method: 'echo', params: { text: 'x'.repeat(64) } });
    const spreadCalls = Math.max(perRound(4000), 256);
    const throughputs = await throughputInRounds({
      [one]: fleets[1].spread,
      '2 browsers': fleets[2].spread,
      '4 browsers': fleets[4].spread,
      [BASELINE]: playwright.call,
    }, { rounds: ROUNDS, calls: spreadCalls, inFlight: 64 });
    const others = (result) => Object.keys(result).filter((name) => name !== one && name !== BASELINE);
    return {
      latency,
      throughput: throughputs,
      overOneBrowser: {
        latency: ratiosTo(latency, one, others(latency), ['p50', 'p99']),
        throughput: ratiosTo(throughputs, one, others(throughputs), ['callsPerSecond']),
      },
      tabs,
    };
  } finally {
    await Promise.all(Object.values(fleets).map((fleet) => fleet.close()));
  }
}

async function memoryOver(total) {
  const browserPids = browserProcesses(any.browser.pid).filter((p) => p.role === 'extension' || p.role === 'renderer');
  const sample = () => ({
    serverMiB: round(rssKiB(any.server.pid) / 1024, 1),
    browserExtensionAndTabMiB: round(browserPids.reduce((sum, p) => sum + rssKiB(p.pid), 0) / 1024, 1),
  });
  const samples = [{ calls: 0, ...sample() }];
  const step = total / 10;
  for (let done = 0; done < total; done += step) {
    await throughput(any.call, 64, step);
    samples.push({ calls: done + step, ...sample() });
  }
  const settled = samples.slice(2); // after warm-up and the first allocations
  const growth = (key) => round(((settled.at(-1)[key] - settled[0][key]) / settled[0][key]) * 100, 1);
  return { samples, serverGrowthPercent: growth('serverMiB'), browserGrowthPercent: growth('browserExtensionAndTabMiB') };
}

async function idleCpu(ms) {
  const pids = [any.server.pid, ...browserProcesses(any.browser.pid).map((p) => p.pid)];
  const before = pids.map(cpuSeconds);
  await new Promise((resolve) => setTimeout(resolve, ms));
  const used = pids.map((pid, i) => cpuSeconds(pid) - before[i]);
  return {
    seconds: ms / 1000,
    serverPercentOfOneCore: round((used[0] / (ms / 1000)) * 100, 2),
    browserPercentOfOneCore: round((used.slice(1).reduce((a, b) => a + b, 0) / (ms / 1000)) * 100, 2),
  };
}

/**
 * The first call with no server and no tab: the client starts the server, the extension's next
 * one-second retry connects, the worker opens the tab, the page loads, the method runs.
 */
async function coldStarts(times) {
  const runs = [];
  for (let run = 0; run < times; run++) {
    any.server.kill();
    await stopServer(port).catch(() => {});
    while (await serverHealth(port)) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 500 + run * 300)); // vary where in its retry second the extension is

    const page = `${origin}/cold-${run}-${Date.now()}`;
    const marks = { start: performance.now() };
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const health = await serverHealth(port);
        if (health && marks.serverUp === undefined) marks.serverUp = performance.now();
        if (health?.extension && marks.browserConnected === undefined) marks.browserConnected = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await call(page, 'echo', {}, { port, onStage: (stage) => { if (stage === 'sent' && marks.sent === undefined) marks.sent = performance.now(); } });
    marks.end = performance.now();
    watching = false;
    await watch;
    const { loadEventEndMs } = await call(page, 'loadTiming', {}, { port });
    runs.push({
      totalMs: round(marks.end - marks.start, 0),
      serverStartMs: round(marks.serverUp - marks.start, 0),
      browserConnectMs: round(marks.browserConnected - marks.serverUp, 0),
      tabAndMethodMs: round(marks.end - marks.browserConnected, 0),
      pageLoadMs: round(loadEventEndMs, 0),
    });
  }
  return { runs, median: Object.fromEntries(Object.keys(runs[0]).map((key) => [key, median(runs.map((r) => r[key]))])) };
}

function machine() {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    chromium: execFileSync('/usr/bin/chromium', ['--version']).toString().trim(),
    playwright: JSON.parse(execFileSync(process.execPath, ['-p', 'JSON.stringify(require("playwright-core/package.json").version)'], { cwd: fileURLToPath(new URL('..', import.meta.url)) }).toString()),
  };
}
