/**
 * Faults, each made for real: tabs closed, reloaded and navigated under a running method, the
 * extension disabled and re-enabled, the browser and the server killed mid-call, timeouts and
 * cancels that must reach the page and leave nothing behind. In each real headless browser
 * (Chromium and Firefox ESR), spawned directly, without DevTools.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { call } from '../../src/client/call.js';
import { serverHealth, stopServer } from '../../src/client/server-control.js';
import { launchBrowser } from '../../src/launcher/launch.js';
import { startServer } from '../../src/server/server.js';
import {
  BROWSERS,
  CLI,
  extensionProcessesOf,
  freePort,
  startPageServer,
  startStack,
  TEST_CONTROL_EXTENSION,
  TEST_USERSCRIPTS,
  waitFor,
  type Stack,
} from './harness.js';

for (const { label, browser } of BROWSERS) describe(`faults in the page and the extension: ${label}`, () => {
  let stack: Stack;
  const run = <T = unknown>(path: string, method: string, params: Record<string, unknown> = {}, options: { timeout?: number; signal?: AbortSignal } = {}) =>
    call<T>(stack.pages.url(path), method, params, { port: stack.port, ...options });
  const workerState = async () => (await stack.server.dispatcher.inspectBrowsers(2_000))[0]?.state;
  const workerId = () => stack.server.dispatcher.browsers[0]?.workerId;

  before(async () => {
    stack = await startStack({ browser, extensions: [TEST_CONTROL_EXTENSION] });
  });
  after(async () => {
    await stack?.close();
  });

  test('the tab closed while a method runs: TAB_CLOSED, promptly', async () => {
    await run('/closing', 'echo');
    const slow = run('/closing', 'sleep', { ms: 20_000 });
    const started = Date.now();
    await run('/closing', 'control', { action: 'close-tab', delay: 100 });
    await assert.rejects(slow, { code: 'TAB_CLOSED', message: /was closed/ });
    assert.ok(Date.now() - started < 3_000);
  });

  test('the tab reloaded while a method runs: TAB_CLOSED, promptly', async () => {
    await run('/reloading', 'echo');
    const slow = run('/reloading', 'sleep', { ms: 20_000 });
    const started = Date.now();
    await run('/reloading', 'reloadSoon', { delay: 100 });
    await assert.rejects(slow, { code: 'TAB_CLOSED', message: /navigated away or reloaded/ });
    assert.ok(Date.now() - started < 3_000);
  });

  test('the tab navigated away while a method runs: TAB_CLOSED, promptly', async () => {
    await run('/navigating', 'echo');
    const slow = run('/navigating', 'sleep', { ms: 20_000 });
    const started = Date.now();
    await run('/navigating', 'navigateSoon', { delay: 100, url: stack.pages.url('/elsewhere-after-navigation') });
    await assert.rejects(slow, { code: 'TAB_CLOSED', message: /navigated away/ });
    assert.ok(Date.now() - started < 3_000);
  });

  test('the user closes the tab between calls: the next call opens a new one', async () => {
    const first = await run('/closed-between', 'documentToken');
    await run('/closed-between', 'control', { action: 'close-tab' });
    await waitFor(async () => !(await workerState())?.tabs.some((tab) => tab.url.endsWith('/closed-between')), 5_000, () => 'the tab stayed');
    const second = await run('/closed-between', 'documentToken');
    assert.notEqual(second, first);
  });

  // Firefox's management.setEnabled works only for themes: nothing can disable and re-enable any there.
  if (browser === undefined) test('after the extension is disabled and enabled again (as an update does), open tabs get its scripts on their next call', async () => {
    const token = await run('/survives-restart', 'documentToken');
    const before = workerId();
    await run('/survives-restart', 'control', { action: 'restart-any', delay: 100 });
    await waitFor(() => workerId() !== undefined && workerId() !== before, 10_000, () => 'the extension did not come back');
    assert.equal(await run('/survives-restart', 'documentToken'), token, 'the same document, not a new tab or a reload');
    assert.equal(await run('/survives-restart', 'count'), 1);
  });

  // Firefox's management.setEnabled works only for themes: nothing can disable and re-enable any there.
  if (browser === undefined) test('a tab opened while the extension was disabled gets its scripts on the first call', async () => {
    const before = workerId();
    const askedAt = Date.now();
    await run('/', 'control', { action: 'open-tab-while-any-disabled', url: stack.pages.url('/opened-while-disabled'), delay: 100 });
    await waitFor(() => workerId() !== undefined && workerId() !== before, 10_000, () => 'the extension did not come back');
    const timeOrigin = await run<number>('/opened-while-disabled', 'timeOrigin');
    const calledAt = Date.now();
    assert.ok(timeOrigin > askedAt - 1_000 && timeOrigin < calledAt - 50, 'the call ran in the tab opened before it, not in a new one');
  });

  test('a method a userscript registers 1 s after load is found', async () => {
    assert.equal(await run('/late/page', 'lateMethod'), 'registered late');
  });

  test('a method that never appears fails fast once the page has loaded, listing the ones that exist', async () => {
    const fresh = run('/late/fresh', 'neverThere');
    await assert.rejects(fresh, { code: 'METHOD_NOT_FOUND' });
    const started = Date.now();
    await assert.rejects(run('/late/page', 'neverThere'));
    assert.ok(Date.now() - started < 500, 'a page loaded long ago answers at once');
    await assert.rejects(run('/late/page', 'neverThere'), (error: { methods: string[] }) => error.methods.includes('lateMethod'));
  });

  test('a timeout reaches the page as an abort, and leaves no call behind in the server or the worker', async () => {
    await assert.rejects(run('/abort', 'waitForAbort', {}, { timeout: 300 }), { code: 'TIMEOUT' });
    await waitFor(async () => (await run<{ aborted: boolean }>('/abort', 'lastAbort'))?.aborted, 2_000, () => 'the page never saw the abort');
    assert.match((await run<{ reason: string }>('/abort', 'lastAbort')).reason, /timed out/);
    assert.equal(stack.server.dispatcher.callsInFlight, 0);
    const state = await workerState();
    assert.equal(state?.callsInFlight, 0);
    assert.ok(state?.tabs.every((tab) => tab.callsInFlight === 0));
  });

  test('an AbortSignal cancels the call: CancelledError, and the page sees its signal abort', async () => {
    await run('/abort-signal', 'echo');
    const controller = new AbortController();
    const pending = run('/abort-signal', 'waitForAbort', {}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    await assert.rejects(pending, { name: 'CancelledError', code: 'CANCELLED' });
    await waitFor(async () => (await run<{ aborted: boolean }>('/abort-signal', 'lastAbort'))?.aborted, 2_000, () => 'the page never saw the cancel');
    assert.match((await run<{ reason: string }>('/abort-signal', 'lastAbort')).reason, /cancelled/);
    assert.equal((await workerState())?.callsInFlight, 0);
  });

  test('an HTTP caller that hangs up cancels the call in the page', async () => {
    await run('/hang-up', 'echo');
    const outgoing = request({ host: '127.0.0.1', port: stack.port, method: 'POST', path: '/call', headers: { 'content-type': 'application/json' } });
    outgoing.on('error', () => {});
    outgoing.end(JSON.stringify({ page: stack.pages.url('/hang-up'), method: 'waitForAbort', params: {} }));
    await waitFor(async () => (await run<{ started: boolean }>('/hang-up', 'lastAbort'))?.started, 5_000, () => 'the method did not start');
    outgoing.destroy();
    await waitFor(async () => (await run<{ aborted: boolean }>('/hang-up', 'lastAbort'))?.aborted, 2_000, () => 'the page never saw the hang-up');
  });

  test('the worker\'s process killed with a tab open: the tab\'s content script wakes a new worker at once', async (t) => {
    await run('/wakes-worker', 'echo');
    const before = workerId();
    const killedAt = Date.now();
    const pids = extensionProcessesOf(stack.browser.pid, browser);
    assert.ok(pids.length, 'no extension process found');
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await waitFor(() => workerId() !== undefined && workerId() !== before, 10_000, () => 'no new worker connected');
    const reconnectMs = Date.now() - killedAt;
    t.diagnostic(`a new worker connected ${reconnectMs} ms after the old one was killed`);
    assert.ok(reconnectMs < 5_000, `reconnected after ${reconnectMs} ms`);
    assert.deepEqual(await run('/wakes-worker', 'echo', { after: 'restart' }), { after: 'restart' });
  });
});

for (const { label, browser } of BROWSERS) describe(`the browser or the server dying mid-call: ${label}`, () => {
  test('the browser killed mid-call: an error within 3 s, /health says no browser, a new browser works', async () => {
    const pages = await startPageServer();
    const server = await startServer({ port: 0 });
    const first = await launchBrowser({ port: server.port, headless: true, userscripts: TEST_USERSCRIPTS, browser });
    let second: Awaited<ReturnType<typeof launchBrowser>> | undefined;
    try {
      await waitFor(() => server.dispatcher.browsers.length === 1, 15_000, () => 'no browser');
      await call(pages.url('/'), 'echo', {}, { port: server.port });
      const slow = call(pages.url('/'), 'sleep', { ms: 20_000 }, { port: server.port });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const killedAt = Date.now();
      process.kill(-first.pid, 'SIGKILL');
      await assert.rejects(slow, { code: 'DISCONNECTED' });
      const reportedMs = Date.now() - killedAt;
      assert.ok(reportedMs < 3_000, `took ${reportedMs} ms`);
      assert.equal((await serverHealth(server.port))?.extension, false);

      second = await launchBrowser({ port: server.port, headless: true, userscripts: TEST_USERSCRIPTS, browser });
      await waitFor(() => server.dispatcher.browsers.length === 1, 15_000, () => 'the new browser did not connect');
      assert.equal(await call(pages.url('/'), 'add', { a: 1, b: 1 }, { port: server.port }), 2);
    } finally {
      await first.close();
      await second?.close();
      await server.close();
      await pages.close();
    }
  });

  test('the server killed mid-call: the caller gets DISCONNECTED at once; a new server gets the browser back', async (t) => {
    const pages = await startPageServer();
    const port = await freePort();
    const managed = await launchBrowser({ port, headless: true, userscripts: TEST_USERSCRIPTS, browser });
    let server = await startServerProcess(port);
    try {
      await call(pages.url('/'), 'echo', {}, { port, autoStart: false });
      const slow = call(pages.url('/'), 'sleep', { ms: 20_000 }, { port, autoStart: false });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const killedAt = Date.now();
      server.kill('SIGKILL');
      await assert.rejects(slow, { name: 'DisconnectedError', code: 'DISCONNECTED' });
      assert.ok(Date.now() - killedAt < 1_000);

      server = await startServerProcess(port);
      const restartedAt = Date.now();
      await waitFor(async () => (await serverHealth(port))?.extension === true, 5_000, () => 'the browser did not reconnect');
      const reconnectMs = Date.now() - restartedAt;
      t.diagnostic(`the browser reconnected ${reconnectMs} ms after the server restarted`);
      assert.ok(reconnectMs < 2_500, `reconnected after ${reconnectMs} ms`);
      assert.equal(await call(pages.url('/'), 'add', { a: 2, b: 2 }, { port, autoStart: false }), 4);
    } finally {
      server.kill('SIGKILL');
      await managed.close();
      await pages.close();
    }
  });
});

describe('the server process', () => {
  test('a port held by another program: the client says so, naming the port and how to choose another', async () => {
    const squatter = createServer((socket) => socket.end('HTTP/1.1 404 Not Found\r\ncontent-type: text/html\r\ncontent-length: 9\r\n\r\nnot here.'));
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as { port: number }).port;
    try {
      await assert.rejects(call('https://example.com/', 'echo', {}, { port }), {
        name: 'NoServerError',
        code: 'NO_SERVER',
        message: new RegExp(`Port ${port} is used by another program.*--port`),
      });
    } finally {
      squatter.close();
    }
  });

  test('--idle-exit: with no browser and no calls the server exits by itself, and a later call starts one again', async () => {
    const port = await freePort();
    const server = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--idle-exit', '1000'], { stdio: 'ignore' });
    const startedAt = Date.now();
    const code = await new Promise((resolve) => server.on('exit', resolve));
    assert.equal(code, 0);
    assert.ok(Date.now() - startedAt < 5_000);
    assert.equal(await serverHealth(port), undefined);

    // No browser on this port: the call starts a server, waits for a browser, and says there is none.
    const started = call('https://example.com/', 'echo', {}, { port, timeout: 300 });
    await assert.rejects(started, { code: 'NO_BROWSER' });
    assert.ok(await serverHealth(port), 'the call started a server');
    await stopServer(port);
  });
});

function startServerProcess(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`any serve exited with ${code}`)));
  });
}
