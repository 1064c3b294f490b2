/**
 * Many browsers on one server. Each "fleet" is an `any serve` process of its own with 1, 2 or 4
 * managed headless browsers connected (named b1, b2, …), so that the fleets are measured side by
 * side in the same alternating rounds as Playwright, on the same page and method:
 *
 *   - latency: sequential calls that name no browser, so that each is routed by the server's rules
 *     (the page's tab is open in b1: rule 2, the open tab) — the per-call cost of routing among
 *     1, 2 or 4 browsers;
 *   - throughput: 64 calls in flight spread over the fleet's browsers by name, each with its tab;
 *   - tabs: a fleet of one browser with 50 more tabs open on the page's origin (every one of them a
 *     candidate the server matches the page against), its latency beside the one-tab fleet's, and
 *     the memory of the server and the browser before and after the 50 tabs.
 */
import { call, launch, serverHealth, stopServer } from '../../dist/index.js';
import { startServerProcess, BENCH_USERSCRIPTS } from './contenders.mjs';
import { browserProcesses, rssKiB } from './processes.mjs';
import { round } from './stats.mjs';

export const EXTRA_TABS = 50;

/** An `any serve` on `port` with `count` managed browsers, each having opened `page` once. */
export async function startFleet({ port, page, count }) {
  const server = await startServerProcess(port);
  const names = Array.from({ length: count }, (_, i) => `b${i + 1}`);
  const browsers = [];
  try {
    for (const name of names) {
      browsers.push(await launch({ port, headless: true, userscripts: BENCH_USERSCRIPTS, name }));
      await call(page, 'echo', {}, { port, browser: name, timeout: 30_000 }); // its hello, and its tab
    }
    await untilHealth(port, (health) => health.browsers.length === count && health.browsers.every((b) => b.openTabs >= 1));
  } catch (error) {
    server.kill();
    await Promise.all(browsers.map((browser) => browser.close()));
    throw error;
  }
  let next = 0;
  return {
    port,
    server,
    browsers,
    /** Named no browser: the server routes it (to b1, which holds the page's first tab). */
    routed: (method, params) => call(page, method, params, { port }),
    /** Each call to the next browser in turn, by name. */
    spread: (method, params) => call(page, method, params, { port, browser: names[next++ % names.length] }),
    async close() {
      server.kill();
      await stopServer(port).catch(() => {});
      await Promise.all(browsers.map((browser) => browser.close()));
    },
  };
}

/** Opens EXTRA_TABS more tabs in the fleet's first browser, on the page's origin; memory before and after. */
export async function openManyTabs(fleet, origin) {
  const before = memoryOf(fleet);
  for (let i = 0; i < EXTRA_TABS; i++) await call(`${origin}/tab-${i}`, 'echo', {}, { port: fleet.port, browser: 'b1', timeout: 30_000 });
  await untilHealth(fleet.port, (health) => health.browsers[0].openTabs >= EXTRA_TABS + 1);
  await new Promise((resolve) => setTimeout(resolve, 2_000)); // let the new renderers settle
  return { before, after: memoryOf(fleet), openTabs: (await serverHealth(fleet.port)).browsers[0].openTabs };
}

function memoryOf(fleet) {
  const browser = fleet.browsers[0];
  const processes = browserProcesses(browser.pid);
  return {
    serverMiB: round(rssKiB(fleet.server.pid) / 1024, 1),
    browserAllProcessesMiB: round(processes.reduce((sum, p) => sum + rssKiB(p.pid), 0) / 1024, 1),
    browserProcesses: processes.length,
  };
}

async function untilHealth(port, ready, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const health = await serverHealth(port);
    if (health && ready(health)) return health;
    if (Date.now() > deadline) throw new Error(`the fleet on port ${port} was not ready: ${JSON.stringify(health?.browsers)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
