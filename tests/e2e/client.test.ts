/**
 * The TypeScript client starting its own server, with a real browser waiting for one.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { call, serverHealth, stopServer } from '../../src/client/call.js';
import { BadRequestError } from '../../src/client/errors.js';
import { launchBrowser, type ManagedBrowser } from '../../src/launcher/launch.js';
import { freePort, startPageServer, TEST_USERSCRIPTS, waitFor, type PageServer } from './harness.js';

/** PIDs of `any serve` processes on `port`. */
function serverProcesses(port: number): number[] {
  try {
    return execFileSync('pgrep', ['-f', `cli/main.js serve --port ${port} `]).toString().trim().split('\n').map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('call() with no server running', () => {
  let pages: PageServer;
  let browser: ManagedBrowser;
  let port: number;

  before(async () => {
    pages = await startPageServer();
    port = await freePort();
    // The browser first: its extension retries every second until a server appears.
    browser = await launchBrowser({ port, headless: true, userscripts: TEST_USERSCRIPTS });
  });
  after(async () => {
    await stopServer(port).catch(() => {});
    await browser?.close();
    await pages?.close();
  });

  test('two callers at once start one server between them, and both get their answer', async () => {
    assert.equal(await serverHealth(port), undefined, 'no server before the calls');
    const [a, b] = await Promise.all([
      call(pages.url('/auto'), 'echo', { caller: 'a' }, { port }),
      call(pages.url('/auto'), 'echo', { caller: 'b' }, { port }),
    ]);
    assert.deepEqual([a, b], [{ caller: 'a' }, { caller: 'b' }]);

    const health = await serverHealth(port);
    assert.ok(health?.extension);
    // The loser of the race printed "already running" and exited.
    await waitFor(() => serverProcesses(port).length === 1, 5_000, () => `server processes: ${serverProcesses(port)}`);
    assert.deepEqual(serverProcesses(port), [health.pid]);
  });

  test('the started server outlives the caller and is reused; stop ends it', async () => {
    const pid = (await serverHealth(port))?.pid;
    assert.deepEqual(await call(pages.url('/auto'), 'add', { a: 1, b: 2 }, { port }), 3);
    assert.equal((await serverHealth(port))?.pid, pid);
    assert.equal(await stopServer(port), true);
    await waitFor(() => serverProcesses(port).length === 0, 5_000, () => 'the server did not exit');
  });

  test('bad arguments throw BadRequestError before any request is made', async () => {
    const unused = await freePort();
    await assert.rejects(call('not a url', 'echo', {}, { port: unused }), BadRequestError);
    await assert.rejects(call('https://example.com/', 'echo', [] as unknown as Record<string, unknown>, { port: unused }), /params must be a JSON object/);
    assert.equal(await serverHealth(unused), undefined, 'no server was started');
  });

  test('with autoStart: false and no server, the call fails at once instead of starting one', async () => {
    const unused = await freePort();
    await assert.rejects(call(pages.url('/'), 'echo', {}, { port: unused, autoStart: false }), { code: 'NO_SERVER', name: 'NoServerError', message: /No any server is running/ });
    assert.equal(await serverHealth(unused), undefined);
  });
});
