// The benchmark: any against Playwright's page.evaluate, same Chromium, same page, same method,
// same run. Writes BENCHMARKS.md, bench/results.json and bench/plot.png, and prints the ratios.
//
//   npm run bench              the full run (a few minutes)
//   npm run bench -- --quick   fewer calls, for a quick look (not for BENCHMARKS.md)
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { call, serverHealth, stopServer } from '../dist/index.js';
import { startAny, startAnyInProcess, startPlaywright } from './lib/contenders.mjs';
import { renderPlot } from './lib/plot.mjs';
import { browserProcesses, cpuSeconds, rssKiB } from './lib/processes.mjs';
import { round, summarize } from './lib/stats.mjs';
import { writeReport } from './lib/report.mjs';

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const scale = flags.quick ? 0.1 : 1;
const n = (count) => Math.max(20, Math.round(count * scale));
const log = (line) => process.stderr.write(`${line}\n`);

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
const python = pythonCaller(port, `${origin}/bench`);

const results = { date: new Date().toISOString(), quick: flags.quick, machine: machine(), latency: {}, realistic: {}, throughput: {}, payload: {}, cold: {}, memory: {}, idleCpu: {} };
try {
  log('warming up…');
  for (let i = 0; i < n(300); i++) {
    await any.call('echo', { i });
    await any.rawHttp('echo', { i });
    await anyInProcess.call('echo', { i });
    await playwright.call('echo', { i });
  }

  log(`warm latency: ${n(2000)} sequential echo calls each, interleaved in blocks…`);
  const contenders = {
    'any (TypeScript client)': any.call,
    'any (raw HTTP)': any.rawHttp,
    'any (server in the same process)': anyInProcess.call,
    'Playwright page.evaluate': playwright.call,
  };
  const samples = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  for (let block = 0; block < 8; block++) {
    for (const [name, callIt] of Object.entries(contenders)) samples[name].push(...(await sequential(callIt, 'echo', { text: 'x'.repeat(64) }, n(250))));
  }
  for (const [name, list] of Object.entries(samples)) results.latency[name] = summarize(list);
  if (python) results.latency['any (Python client)'] = await python(n(2000));

  log('realistic method (reads a 100-row table from the DOM)…');
  results.realistic['any (TypeScript client)'] = summarize(await sequential(any.call, 'readTable', {}, n(500)));
  results.realistic['Playwright page.evaluate'] = summarize(await sequential(playwright.call, 'readTable', {}, n(500)));

  for (const inFlight of [1, 16, 64, 256]) {
    const total = n(Math.max(2000, inFlight * 20));
    log(`throughput: ${total} calls, ${inFlight} in flight…`);
    results.throughput[inFlight] = {
      'any (TypeScript client)': await throughput(any.call, inFlight, total),
      'any (raw HTTP)': await throughput(any.rawHttp, inFlight, total),
      'any (server in the same process)': await throughput(anyInProcess.call, inFlight, total),
      'Playwright page.evaluate': await throughput(playwright.call, inFlight, total),
    };
  }

  for (const [label, size, count] of [['100 B', 100, n(500)], ['100 KiB', 100 * 1024, n(200)], ['10 MiB', 10 * 1024 * 1024, Math.max(5, n(10))]]) {
    log(`payload ${label}: ${count} echo calls each…`);
    const params = { data: 'x'.repeat(size) };
    results.payload[label] = {
      'any (TypeScript client)': summarize(await sequential(any.call, 'echo', params, count)),
      'Playwright page.evaluate': summarize(await sequential(playwright.call, 'echo', params, count)),
    };
  }

  const memoryCalls = n(100_000);
  log(`memory: ${memoryCalls} calls, 64 in flight, sampling RSS every tenth…`);
  results.memory = await memoryOver(memoryCalls);

  log('idle CPU: 10 s with everything connected and nothing to do…');
  results.idleCpu = await idleCpu(10_000);

  log('cold start: no server running and no tab open, three times…');
  results.cold = await coldStarts(3);
} finally {
  await playwright.close();
  await anyInProcess.close();
  await any.close();
  await stopServer(port).catch(() => {});
  pages.close();
}

const plot = await renderPlot(results, fileURLToPath(new URL('./plot.png', import.meta.url)));
if (!flags.quick) {
  writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
  writeReport(results, fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url)), plot);
}
printRatios(results);

// ── measurements ───────────────────────────────────────────────────────────────

async function sequential(callIt, method, params, count) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await callIt(method, params);
    times.push(performance.now() - started);
  }
  return times;
}

async function throughput(callIt, inFlight, total) {
  let started = 0;
  const began = performance.now();
  const worker = async () => {
    while (started < total) {
      started++;
      await callIt('echo', { n: started });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return round(total / ((performance.now() - began) / 1000), 0);
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
    await call(page, 'echo', {}, { port, onProgress: (stage) => { if (stage === 'sent' && marks.sent === undefined) marks.sent = performance.now(); } });
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
  const median = (key) => runs.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
  return { runs, median: Object.fromEntries(Object.keys(runs[0]).map((key) => [key, median(key)])) };
}

function pythonCaller(port, page) {
  const script = fileURLToPath(new URL('./python_client_bench.py', import.meta.url));
  try {
    execFileSync('python3', ['-S', '-c', 'import sys; sys.path.insert(0, "python"); import any_client'], { cwd: fileURLToPath(new URL('..', import.meta.url)) });
  } catch {
    log('(no Python client found: skipping it)');
    return undefined;
  }
  return (count) => new Promise((resolve, reject) => {
    const child = spawn('python3', ['-S', script, '--port', String(port), '--page', page, '--calls', String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) => (code === 0 ? resolve(summarize(JSON.parse(out))) : reject(new Error(`Python benchmark exited ${code}`))));
  });
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

function printRatios(results) {
  const pw = 'Playwright page.evaluate';
  const ts = 'any (TypeScript client)';
  const lines = [
    `warm p50: any ${round(results.latency[ts].p50)} ms, Playwright ${round(results.latency[pw].p50)} ms → ratio ${round(results.latency[ts].p50 / results.latency[pw].p50)} (target ≤ 1.2)`,
    `warm p50, server in the same process (server.call): ${round(results.latency['any (server in the same process)'].p50)} ms → ratio ${round(results.latency['any (server in the same process)'].p50 / results.latency[pw].p50)}`,
    `warm p99: any ${round(results.latency[ts].p99)} ms, Playwright ${round(results.latency[pw].p99)} ms → ratio ${round(results.latency[ts].p99 / results.latency[pw].p99)} (target ≤ 1.5)`,
    `throughput at 64 in flight: any ${results.throughput[64][ts]}/s, Playwright ${results.throughput[64][pw]}/s → ratio ${round(results.throughput[64][ts] / results.throughput[64][pw])} (target ≥ 1.2)`,
    ...Object.entries(results.payload).map(([label, byContender]) => `payload ${label} p50 ratio: ${round(byContender[ts].p50 / byContender[pw].p50)} (target ≤ 2)`),
    `cold first call (median): ${results.cold.median.totalMs} ms, of which page load ${results.cold.median.pageLoadMs} ms (target ≤ 1500 ms + page load)`,
    `memory over ${results.memory.samples.at(-1).calls} calls: server ${results.memory.serverGrowthPercent} %, browser ${results.memory.browserGrowthPercent} % after warm-up`,
    `idle CPU: server ${results.idleCpu.serverPercentOfOneCore} %, browser ${results.idleCpu.browserPercentOfOneCore} % of one core`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port: free } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return free;
}
