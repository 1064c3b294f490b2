// Where a call's time goes (npm run bench:breakdown): the round trip of each stretch of the path
// measured on its own, and each process's CPU per call under load. Its output is what
// BENCHMARKS.md's analysis quotes.
//
//   client ──▶ server ──▶ network service ──▶ extension worker ──▶ browser ──▶ tab (content + bridge)
import { createServer, get, Agent } from 'node:http';
import { call, launch, startServer } from '../dist/index.js';
import { startServerProcess, startPlaywright, BENCH_USERSCRIPTS } from './lib/contenders.mjs';
import { browserProcesses, cpuSeconds } from './lib/processes.mjs';
import { round, summarize } from './lib/stats.mjs';

const pages = createServer((request, response) => {
  response.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': "default-src 'none'; script-src 'none'" });
  response.end('<!doctype html><title>breakdown</title>');
});
await new Promise((resolve) => pages.listen(0, '127.0.0.1', resolve));
const page = `http://127.0.0.1:${pages.address().port}/breakdown`;

async function sequential(run, count = 1500) {
  for (let i = 0; i < 200; i++) await run(i);
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await run(i);
    times.push(performance.now() - started);
  }
  return summarize(times);
}

const rows = [];
const row = (stretch, stats) => rows.push(`| ${stretch} | ${round(stats.p50, 3)} | ${round(stats.p90, 3)} |`);

// 1. Stretches, with the server in this process so that each can be timed alone.
{
  const server = await startServer({ port: 0 });
  const browser = await launch({ port: server.port, headless: true, userscripts: BENCH_USERSCRIPTS });
  await call(page, 'echo', {}, { port: server.port });
  const agent = new Agent({ keepAlive: true });
  row('HTTP round trip, program ⇄ server (`GET /health`, kept-alive connection)', await sequential(() => new Promise((resolve) => {
    get({ host: '127.0.0.1', port: server.port, path: '/health', agent }, (response) => response.resume().on('end', resolve));
  })));
  row('WebSocket round trip, server ⇄ extension worker (`inspect` → `state`)', await sequential(() => server.dispatcher.inspectBrowsers(1_000)));
  let n = 0;
  row('server ⇄ worker ⇄ tab ⇄ page method (`echo`, from the server)', await sequential(() =>
    server.dispatcher.dispatch({ id: `b${n++}`, page, method: 'echo', params: { n }, timeout: 10_000 })));
  await browser.close();
  await server.close();
}

// 2. The whole call as users make it, with the server as its own process; and Playwright.
const port = 47000 + Math.floor(Math.random() * 1000);
const serverProcess = await startServerProcess(port);
const browser = await launch({ port, headless: true, userscripts: BENCH_USERSCRIPTS });
await call(page, 'echo', {}, { port });
row('**whole call**: TypeScript client ⇄ server process ⇄ … ⇄ page method', await sequential((i) => call(page, 'echo', { i }, { port })));
const playwright = await startPlaywright({ page });
row('**Playwright** `page.evaluate` ⇄ page method', await sequential((i) => playwright.call('echo', { i })));

// 3. CPU per call, by process, with 64 calls in flight.
const processes = [
  { pid: process.pid, role: 'client (this process)' },
  { pid: serverProcess.pid, role: 'any server' },
  ...browserProcesses(browser.pid),
];
const total = 20_000;
const before = processes.map((p) => cpuSeconds(p.pid));
let started = 0;
const began = performance.now();
await Promise.all(Array.from({ length: 64 }, async () => {
  while (started < total) {
    started++;
    await call(page, 'echo', { started }, { port });
  }
}));
const seconds = (performance.now() - began) / 1000;
const cpu = processes.map((p, i) => ({ role: p.role, microseconds: ((cpuSeconds(p.pid) - before[i]) * 1e6) / total })).filter((p) => p.microseconds >= 1);

process.stdout.write(`Round trips, ms (sequential calls, after warm-up):

| stretch | p50 | p90 |
| --- | --- | --- |
${rows.join('\n')}

CPU per call with 64 in flight (${round(total / seconds, 0)} calls/s), µs:

| process | CPU per call |
| --- | --- |
${cpu.map((p) => `| ${p.role} | ${round(p.microseconds, 0)} |`).join('\n')}
| **total** | ${round(cpu.reduce((sum, p) => sum + p.microseconds, 0), 0)} |
`);

await playwright.close();
await browser.close();
serverProcess.kill();
pages.close();
