/**
 * The whole call path in each real headless browser (Chromium and Firefox ESR): client → server →
 * extension worker → content script → page bridge → userscript method, on pages whose CSP blocks
 * every page script.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call } from '../../src/client/call.js';
import { AnyError, MethodNotFoundError, MethodThrewError } from '../../src/client/errors.js';
import { BROWSERS, startStack, type Stack } from './harness.js';

for (const { label, browser } of BROWSERS) describe(`a call in a real browser: ${label}`, () => {
  let stack: Stack;
  const run = <T = unknown>(path: string, method: string, params: Record<string, unknown> = {}, timeout?: number) =>
    call<T>(stack.pages.url(path), method, params, { port: stack.port, timeout });

  before(async () => {
    stack = await startStack({ browser });
  });
  after(async () => {
    await stack?.close();
  });

  test('returns a method\'s result, on a page whose strict CSP blocked its own inline script', async () => {
    assert.deepEqual(await run('/', 'echo', { text: 'hello', list: [1, 2, { deep: true }], none: null }),
      { text: 'hello', list: [1, 2, { deep: true }], none: null });
    assert.equal(await run('/', 'add', { a: 2, b: 3 }), 5);
    assert.equal(await run('/', 'pageTitle'), 'Test page /', 'the page\'s inline script must not have run');
  });

  test('awaits a method that returns a promise', async () => {
    assert.deepEqual(await run('/', 'sleep', { ms: 50 }), { slept: 50 });
  });

  test('a method that throws keeps its own error name, message and stack', async () => {
    await assert.rejects(run('/', 'throwTypeError', { message: 'x' }), (error: AnyError) => {
      assert.ok(error instanceof MethodThrewError);
      assert.equal(error.name, 'TypeError');
      assert.equal(error.message, 'x');
      assert.equal(error.code, 'METHOD_THREW');
      assert.match(error.stack ?? '', /throwTypeError|test-methods/);
      return true;
    });
  });

  test('a method that rejects with a non-Error still gives a structured error', async () => {
    await assert.rejects(run('/', 'rejectWithString'), { name: 'Error', message: 'plain string', code: 'METHOD_THREW' });
  });

  test('an unknown method fails with the list of methods the page has', async () => {
    await assert.rejects(run('/', 'noSuchMethod'), (error: AnyError) => {
      assert.ok(error instanceof MethodNotFoundError);
      assert.equal(error.code, 'METHOD_NOT_FOUND');
      assert.match(error.message, /noSuchMethod/);
      assert.match(error.message, /echo/);
      assert.ok(error.methods?.includes('echo') && error.methods.includes('sleep'));
      return true;
    });
  });

  test('inherited names are not methods', async () => {
    for (const name of ['toString', 'constructor', 'hasOwnProperty', '__proto__', 'valueOf']) {
      await assert.rejects(run('/', name), { code: 'METHOD_NOT_FOUND' }, name);
    }
  });

  test('@match and @exclude decide which pages get a userscript', async () => {
    assert.equal(await run('/only/here', 'onlyHere'), '/only/here');
    await assert.rejects(run('/elsewhere', 'onlyHere'), (error: AnyError) => {
      assert.equal(error.code, 'METHOD_NOT_FOUND');
      assert.ok(!error.methods?.includes('onlyHere'));
      assert.ok(error.methods?.includes('echo'), 'the @match *://127.0.0.1/* script still ran');
      return true;
    });
    await assert.rejects(run('/only/excluded-page', 'onlyHere'), { code: 'METHOD_NOT_FOUND' });
  });

  test('@include (regular expression and glob) and @run-at document-end are honoured', async () => {
    assert.deepEqual(await run('/inc/regex', 'included'), { path: '/inc/regex', readyStateWhenRun: 'interactive' });
    assert.equal((await run<{ path: string }>('/inc/glob-page', 'included')).path, '/inc/glob-page');
    await assert.rejects(run('/inc/other', 'included'), { code: 'METHOD_NOT_FOUND' });
  });

  test('methods read the page\'s DOM', async () => {
    assert.deepEqual(await run('/dom', 'readDom', { selector: '#heading' }), { text: 'Heading of /dom', tag: 'h1' });
    assert.equal(await run('/dom', 'readDom', { selector: '#missing' }), null);
  });

  test('the same page reuses its tab between calls, and page state survives', async () => {
    const token = await run('/reuse', 'documentToken');
    assert.equal(await run('/reuse', 'count'), 1);
    assert.equal(await run('/reuse', 'count'), 2);
    assert.equal(await run('/reuse#fragment', 'documentToken'), token, 'a fragment does not open a new tab');
    assert.equal(await run('/reuse', 'count'), 3);
  });

  test('two pages get two tabs, each keeping its own state', async () => {
    const a = await run('/two/a', 'documentToken');
    const b = await run('/two/b', 'documentToken');
    assert.notEqual(a, b);
    assert.equal(await run('/two/a', 'count'), 1);
    assert.equal(await run('/two/b', 'count'), 1);
    assert.equal(await run('/two/a', 'count'), 2, 'the tab of /two/a was not navigated to /two/b');
    assert.equal(await run('/two/a', 'documentToken'), a);
  });

  test('a parent path reuses an open tab below it', async () => {
    const token = await run('/parent/child/page', 'documentToken');
    assert.equal(await run('/parent/', 'documentToken'), token);
    assert.notEqual(await run('/parentless', 'documentToken'), token, '/parent must not match /parentless');
  });

  test('calls to one tab run concurrently', async () => {
    await run('/concurrent', 'echo'); // open the tab first: this test is about the calls
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 20 }, () => run('/concurrent', 'sleep', { ms: 300 })));
    const elapsed = Date.now() - started;
    assert.equal(results.length, 20);
    assert.ok(elapsed < 2_000, `20 concurrent 300 ms calls took ${elapsed} ms; one after another would take 6000 ms`);
  });

  test('concurrent first calls to a new page share one new tab', async () => {
    const tokens = await Promise.all(Array.from({ length: 5 }, () => run('/opened-once', 'documentToken')));
    assert.equal(new Set(tokens).size, 1);
  });

  test('results JSON cannot carry fail clearly; undefined becomes null', async () => {
    assert.equal(await run('/', 'returnsNothing'), null);
    await assert.rejects(run('/', 'returnsElement'), { code: 'BAD_RESULT', message: /DOM node/ });
    await assert.rejects(run('/', 'returnsCycle'), { code: 'BAD_RESULT' });
  });

  test('a method slower than the timeout fails with TIMEOUT on time', async () => {
    const started = Date.now();
    await assert.rejects(run('/', 'sleep', { ms: 5_000 }, 300), { name: 'TimeoutError', code: 'TIMEOUT' });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 300 && elapsed < 1_500, `took ${elapsed} ms`);
    assert.equal(stack.server.dispatcher.callsInFlight, 0);
  });

  test('a page that does not load fails with TAB_FAILED', async () => {
    await assert.rejects(
      call('http://127.0.0.1:9/', 'echo', {}, { port: stack.port, timeout: 15_000 }),
      { code: 'TAB_FAILED', message: /did not start/ });
  });
});
