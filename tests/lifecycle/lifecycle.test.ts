/**
 * The long waits of the extension's lifecycle (`npm run test:lifecycle`), on Chromium (an MV3
 * service worker; also with its extensions loaded over the DevTools pipe) and Firefox (an MV3
 * event page), each spawned directly: a DevTools session would
 * keep the worker alive and hide exactly the failures these tests look for (docs/chromium-facts.md).
 * The tests of a browser run side by side to keep CI short.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { call } from '../../src/client/call.js';
import type { ExtensionLoading } from '../../src/launcher/chromium.js';
import { launchBrowser, type ManagedBrowser } from '../../src/launcher/launch.js';
import { startServer, type AnyServer } from '../../src/server/server.js';
import { BROWSERS, extensionProcessesOf, freePort, startPageServer, TEST_USERSCRIPTS, waitFor } from '../e2e/harness.js';

const LONG_IDLE_MS = 70_000;
/** Connections closer together than this are one knock (countKnocks). */
const KNOCK_BURST_MS = 300;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Samples the server's browsers every second for `ms`; returns each distinct connection seen. */
async function watchConnections(server: AnyServer, ms: number): Promise<{ connections: Set<string>; maxSimultaneous: number; gaps: number }> {
  const connections = new Set<string>();
  let maxSimultaneous = 0;
  let gaps = 0;
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const browsers = server.dispatcher.browsers;
    for (const browser of browsers) connections.add(`${browser.workerId}@${browser.connectedAt}`);
    maxSimultaneous = Math.max(maxSimultaneous, browsers.length);
    if (!browsers.length) gaps++;
    await sleep(1_000);
  }
  return { connections, maxSimultaneous, gaps };
}

/**
 * Each browser, and Chromium once more with its extensions loaded over the DevTools pipe, as for
 * branded Google Chrome: that pipe stays open, idle, and must change nothing here.
 */
const RUNS: { label: string; browser: string | undefined; extensionLoading?: ExtensionLoading }[] = [
  ...BROWSERS,
  { label: 'Chromium, its extensions loaded over the DevTools pipe (then idle)', browser: undefined, extensionLoading: 'pipe' },
];

for (const { label, browser: engine, extensionLoading } of RUNS) describe(`the extension's background over time: ${label}, with no DevTools session`, { concurrency: true }, () => {
  const launch = (port: number) => launchBrowser({ port, headless: true, userscripts: TEST_USERSCRIPTS, browser: engine, extensionLoading });

  test(`connected and idle for ${LONG_IDLE_MS / 1000} s: still the same one connection, and a call works`, async (t) => {
    const pages = await startPageServer();
    const server = await startServer({ port: 0 });
    const browser = await launch(server.port);
    try {
      await waitFor(() => server.dispatcher.browsers.length === 1, 15_000, () => 'no browser');
      // Idle with no tab open: nothing but the keep-alive may happen. Two 30 s alarms fire meanwhile.
      // Firefox suspends an event page 30 s after its last extension activity, socket or not: the
      // keep-alive's API call is what holds it here (without it, the page was gone at 30 s).
      const watched = await watchConnections(server, LONG_IDLE_MS);
      t.diagnostic(`connections seen over ${LONG_IDLE_MS / 1000} s: ${watched.connections.size}, most at once: ${watched.maxSimultaneous}, seconds with none: ${watched.gaps}`);
      assert.equal(watched.connections.size, 1, 'the worker never dropped and remade its connection');
      assert.equal(watched.maxSimultaneous, 1, 'never two sockets from one extension');
      assert.equal(watched.gaps, 0);
      assert.deepEqual(await call(pages.url('/after-idle'), 'echo', { idle: true }, { port: server.port }), { idle: true });
    } finally {
      await browser.close();
      await server.close();
      await pages.close();
    }
  });

  test(`server down for ${LONG_IDLE_MS / 1000} s, then back: the browser reconnects within 2.5 s and a call works`, async (t) => {
    const pages = await startPageServer();
    const port = await freePort();
    let server = await startServer({ port });
    const browser = await launch(port);
    try {
      await waitFor(() => server.dispatcher.browsers.length === 1, 15_000, () => 'no browser');
      await server.close();
      await sleep(LONG_IDLE_MS);
      server = await startServer({ port });
      const restartedAt = Date.now();
      await waitFor(() => server.dispatcher.browsers.length === 1, 40_000, () => 'the browser did not reconnect');
      const reconnectMs = Date.now() - restartedAt;
      t.diagnostic(`reconnected ${reconnectMs} ms after the server came back`);
      assert.ok(reconnectMs < 2_500, `reconnected after ${reconnectMs} ms`);
      assert.equal(await call(pages.url('/after-outage'), 'add', { a: 3, b: 4 }, { port }), 7);
    } finally {
      await browser.close();
      await server.close();
      await pages.close();
    }
  });

  test('browser first, server later: connected within about a second of the server starting', async (t) => {
    const port = await freePort();
    const browser = await launch(port);
    let server: AnyServer | undefined;
    try {
      // Until the server exists, count the extension's knocks on the port: once it has knocked
      // a few times it is up and retrying, and the server's start can be timed against that.
      const knocks = await countKnocks(port, 5, 30_000);
      t.diagnostic(`the extension knocked ${knocks.count} times, a median ${knocks.intervalMs} ms apart`);
      server = await startServer({ port });
      const startedAt = Date.now();
      await waitFor(() => server!.dispatcher.browsers.length === 1, 10_000, () => 'no connection');
      const connectMs = Date.now() - startedAt;
      t.diagnostic(`connected ${connectMs} ms after the server started`);
      assert.ok(connectMs < 2_000, `took ${connectMs} ms`);
      // A fixed one-second retry, plus the timer lateness of a machine starting five browsers at
      // once; a backoff would double each time (2 s, 4 s, …) instead.
      assert.ok(knocks.intervalMs > 700 && knocks.intervalMs < 2_000, `retries every second (median ${knocks.intervalMs} ms)`);
    } finally {
      await browser.close();
      await server?.close();
    }
  });

  test('server first, browser after: connected as soon as the browser is up', async (t) => {
    const server = await startServer({ port: 0 });
    let browser: ManagedBrowser | undefined;
    try {
      const startedAt = Date.now();
      browser = await launch(server.port);
      await waitFor(() => server.dispatcher.browsers.length === 1, 15_000, () => 'no connection');
      t.diagnostic(`connected ${Date.now() - startedAt} ms after the browser was launched`);
    } finally {
      await browser?.close();
      await server.close();
    }
  });

  // Firefox runs every extension's background in one content process, `WebExtensions`; killing
  // it is the same crash.
  test('the worker killed with no tab to wake it: the alarm backstop reconnects within 40 s', async (t) => {
    const server = await startServer({ port: 0 });
    const browser = await launch(server.port);
    try {
      await waitFor(() => server.dispatcher.browsers.length === 1, 15_000, () => 'no browser');
      const before = server.dispatcher.browsers[0]!.workerId;
      const killedAt = Date.now();
      const pids = extensionProcessesOf(browser.pid, engine);
      assert.ok(pids.length > 0, 'found the process of the extension\'s background');
      for (const pid of pids) process.kill(pid, 'SIGKILL');
      await waitFor(() => server.dispatcher.browsers[0]?.workerId !== undefined && server.dispatcher.browsers[0]?.workerId !== before,
        45_000, () => 'no new worker connected');
      const reconnectMs = Date.now() - killedAt;
      t.diagnostic(`a new worker connected ${reconnectMs} ms after the old one was killed`);
      // The alarm's period is 30 s (Chrome's shortest); the rest is slack for a busy machine.
      assert.ok(reconnectMs < 40_000, `reconnected after ${reconnectMs} ms`);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});

/**
 * Listens on `port` and closes every connection at once, until `count` knocks have come; reports
 * their median spacing. A knock is a burst of connections: Firefox's fetch tries again at once on
 * a fresh connection when one is reset before it answers, so one attempt may be several.
 */
async function countKnocks(port: number, count: number, timeoutMs: number): Promise<{ count: number; intervalMs: number }> {
  const knocks: number[] = [];
  let lastConnection = -Infinity;
  const listener = createServer((socket) => {
    const now = Date.now();
    if (now - lastConnection > KNOCK_BURST_MS) knocks.push(now);
    lastConnection = now;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(port, '127.0.0.1', resolve));
  try {
    await waitFor(() => knocks.length >= count, timeoutMs, () => `only ${knocks.length} knocks`);
  } finally {
    await new Promise((resolve) => listener.close(resolve));
  }
  const intervals = knocks.slice(1).map((time, index) => time - knocks[index]!).sort((a, b) => a - b);
  return { count: knocks.length, intervalMs: intervals[Math.floor(intervals.length / 2)]! };
}
