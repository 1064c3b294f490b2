/**
 * The TypeScript client starting its own server, with a real browser waiting for one.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { call, methods, stream } from '../../src/client/call.js';
import { page } from '../../src/client/page.js';
import { serverHealth, stopServer } from '../../src/client/server-control.js';
import { BadRequestError, MethodNotFoundError, TimeoutError } from '../../src/client/errors.js';
import { launchBrowser, type ManagedBrowser } from '../../src/launcher/launch.js';
import { createServer as createNetServer } from 'node:net';
import { BROWSERS, freePort, runCli, startPageServer, startStack, startTwoBrowserStack, TEST_USERSCRIPTS, waitFor, type PageServer, type Stack, type TwoBrowserStack } from './harness.js';

/** Loaded only into the browser named "b": its whoAmI answers 'b'. */

/** PIDs of `any serve` processes on `port`. */
function serverProcesses(port: number): number[] {
  try {
    return execFileSync('pgrep', ['-f', `dist/cli.js serve --port ${port} `]).toString().trim().split('\n').map(Number);
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

  test('two programs calling at once start one server between them, and both get their answer', async () => {
    assert.equal(await serverHealth(port), undefined, 'no server before the calls');
    // Two processes, so that each starts a server of its own and one loses the race for the port.
    const [a, b] = await Promise.all([
      runCli(['call', pages.url('/auto'), 'echo', '{"caller": "a"}', '--port', String(port)]),
      runCli(['call', pages.url('/auto'), 'echo', '{"caller": "b"}', '--port', String(port)]),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual([JSON.parse(a.stdout), JSON.parse(b.stdout)], [{ caller: 'a' }, { caller: 'b' }]);

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

  test('a port that accepts connections but never answers: the timeout and the signal still hold', async () => {
    const silent = createNetServer(() => {}); // accepts, says nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as { port: number }).port;
    try {
      let started = Date.now();
      await assert.rejects(call(pages.url('/'), 'echo', {}, { port: silentPort, timeout: 1_000 }), { code: 'NO_SERVER' });
      assert.ok(Date.now() - started < 8_000, `took ${Date.now() - started} ms`);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      started = Date.now();
      await assert.rejects(call(pages.url('/'), 'echo', {}, { port: silentPort, signal: controller.signal }), { code: 'CANCELLED' });
      assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
    } finally {
      silent.close();
    }
  });

  test('params JSON cannot carry are a BAD_REQUEST, before anything is sent', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const params of [{ n: 1n }, cyclic]) {
      await assert.rejects(call(pages.url('/'), 'echo', params as Record<string, unknown>, { port }), { code: 'BAD_REQUEST', message: /cannot be sent as JSON/ });
    }
  });

  test('with autoStart: false and no server, the call fails at once instead of starting one', async () => {
    const unused = await freePort();
    await assert.rejects(call(pages.url('/'), 'echo', {}, { port: unused, autoStart: false }), { code: 'NO_SERVER', name: 'NoServerError', message: /No any server is running/ });
    assert.equal(await serverHealth(unused), undefined);
  });

  test('calls made together share one start: a call with autoStart: false waits for the server another call starts', async () => {
    assert.equal(await serverHealth(port), undefined, 'no server before the calls (the test before stopped it)');
    const stages: Record<string, string[]> = { a: [], b: [] };
    const [b, a] = await Promise.all([
      call(pages.url('/auto'), 'echo', { caller: 'b' }, { port, autoStart: false, onStage: (stage) => stages.b!.push(stage) }),
      call(pages.url('/auto'), 'echo', { caller: 'a' }, { port, onStage: (stage) => stages.a!.push(stage) }),
    ]);
    assert.deepEqual([a, b], [{ caller: 'a' }, { caller: 'b' }]);
    assert.deepEqual(stages, { a: ['starting-server', 'sent'], b: ['starting-server', 'sent'] });
    assert.equal(serverProcesses(port).length, 1);
  });
});

for (const { label, browser } of BROWSERS) describe(`page() and methods() with a browser connected: ${label}`, () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ browser });
  });
  after(async () => {
    await stack?.close();
  });

  interface TestMethods {
    add(params: { a: number; b: number }): number;
    echo(params: { text: string }): { text: string };
    pageTitle(): string;
  }

  test('a typed handle calls the page\'s methods like local functions', async () => {
    const app = page<TestMethods>(stack.pages.url('/typed'), { port: stack.port });
    assert.equal(await app.add({ a: 2, b: 40 }), 42);
    assert.deepEqual(await app.echo({ text: 'hi' }), { text: 'hi' });
    assert.equal(await app.pageTitle(), 'Test page /typed');
    assert.equal(app.url, stack.pages.url('/typed'));
  });

  test('a handle is not a thenable, so it can be awaited and returned from async functions', async () => {
    const handle = await Promise.resolve(page(stack.pages.url('/typed'), { port: stack.port }));
    assert.equal(typeof handle.methods, 'function');
  });

  test('a handle\'s per-call options apply, and its errors are the usual classes', async () => {
    const app = page(stack.pages.url('/typed'), { port: stack.port });
    await assert.rejects(app.sleep!({ ms: 5_000 }, { timeout: 200 }), TimeoutError);
    await assert.rejects(app.noSuchMethod!(), MethodNotFoundError);
  });

  test('methods() lists the page\'s methods, with the description and input schema a userscript gave', async () => {
    const list = await methods(stack.pages.url('/listed'), { port: stack.port });
    const names = list.map((method) => method.name);
    for (const name of ['echo', 'add', 'sleep', 'count', 'throwTypeError']) assert.ok(names.includes(name), name);
    for (const hidden of ['hiddenMethod', 'notAFunction']) assert.ok(!names.includes(hidden), hidden);
    assert.deepEqual(list.find((method) => method.name === 'add'), {
      name: 'add',
      source: 'userscript',
      description: 'Adds two numbers.',
      inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
    });
    assert.deepEqual(list.find((method) => method.name === 'echo'), { name: 'echo', source: 'userscript' });
    assert.deepEqual(await page(stack.pages.url('/listed'), { port: stack.port }).methods(), list);
  });

  test('methods() on a page with none registered is an empty list, once the page has loaded', async () => {
    assert.deepEqual(await methods('http://localhost:' + new URL(stack.pages.origin).port + '/unmatched', { port: stack.port }), []);
  });
});

for (const { label, browser } of BROWSERS) describe(`server.call(): a program that runs its own server calls through it directly: ${label}`, () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ browser });
  });
  after(async () => {
    await stack?.close();
  });

  test('results, errors and timeouts are those of call()', async () => {
    assert.equal(await stack.server.call(stack.pages.url('/in-process'), 'add', { a: 1, b: 2 }), 3);
    await assert.rejects(stack.server.call(stack.pages.url('/in-process'), 'throwTypeError', { message: 'x' }), { name: 'TypeError', message: 'x', code: 'METHOD_THREW' });
    await assert.rejects(stack.server.call(stack.pages.url('/in-process'), 'sleep', { ms: 5_000 }, { timeout: 200 }), TimeoutError);
    await assert.rejects(stack.server.call('javascript:alert(1)', 'add'), BadRequestError);
    await assert.rejects(stack.server.call(stack.pages.url('/in-process'), 'echo', { n: 1n } as Record<string, unknown>), { code: 'BAD_REQUEST', message: /cannot be sent as JSON/ });
    const names = (await stack.server.methods(stack.pages.url('/in-process'))).map((method) => method.name);
    assert.ok(names.includes('add'));
  });

  test('an AbortSignal cancels it', async () => {
    const controller = new AbortController();
    const pending = stack.server.call(stack.pages.url('/in-process'), 'waitForAbort', {}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(pending, { code: 'CANCELLED' });
  });
});

describe('the browser option: two browsers on one server', () => {
  let stack: TwoBrowserStack;
  let a: string;
  before(async () => {
    stack = await startTwoBrowserStack();
    a = stack.a;
  });
  after(() => stack?.close());

  test('call(), stream() and a page handle naming b run in b; naming a runs in a, though b holds the tab', async () => {
    const url = stack.pages.url('/named');
    const port = stack.port;
    assert.equal(await call(url, 'whoAmI', {}, { port, browser: 'b' }), 'b');
    assert.equal(await stream(url, 'whoAmI', {}, { port, browser: 'b' }).result, 'b');
    assert.equal(await page(url, { port, browser: 'b' }).whoAmI!(), 'b');
    await assert.rejects(call(url, 'whoAmI', {}, { port, browser: a }), (error: MethodNotFoundError) =>
      error instanceof MethodNotFoundError && error.methods!.includes('echo') && !error.methods!.includes('whoAmI'));
    assert.equal(await call(url, 'add', { a: 1, b: 2 }, { port, browser: a }), 3);
  });

  test('methods() naming b lists b\'s methods', async () => {
    const url = stack.pages.url('/named-methods');
    assert.deepEqual(await methods(url, { port: stack.port, browser: 'b' }), [{ name: 'whoAmI', source: 'userscript' }]);
    assert.ok((await methods(url, { port: stack.port, browser: a })).some((method) => method.name === 'echo'));
  });

  test('a name no connected browser has fails at once with NO_BROWSER, listing the connected ones', async () => {
    for (const attempt of [
      () => call(stack.pages.url('/named'), 'echo', {}, { port: stack.port, browser: 'nope' }),
      () => methods(stack.pages.url('/named'), { port: stack.port, browser: 'nope' }),
    ]) {
      const started = Date.now();
      await assert.rejects(attempt(), {
        code: 'NO_BROWSER',
        name: 'NoBrowserError',
        message: new RegExp(`No browser named "nope" .*Connected: "${a}" \\(managed .*\\), "b" \\(managed `),
      });
      assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
    }
  });

  test('a malformed name is a BAD_REQUEST, before anything is sent', async () => {
    const unused = await freePort();
    for (const browser of ['two words', '', '-b', 'b'.repeat(64)]) {
      await assert.rejects(call(stack.pages.url('/named'), 'echo', {}, { port: unused, browser }), { code: 'BAD_REQUEST', message: /^Bad call: browser must be a name/ });
      await assert.rejects(methods(stack.pages.url('/named'), { port: unused, browser }), { code: 'BAD_REQUEST', message: /^Bad request: browser must be a name/ });
      await assert.rejects(stream(stack.pages.url('/named'), 'echo', {}, { port: unused, browser }).result, { code: 'BAD_REQUEST' });
    }
    assert.equal(await serverHealth(unused), undefined, 'no server was started');
  });
});
