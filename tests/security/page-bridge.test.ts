/**
 * The page bridge and the tabs it lives in, against pages that misbehave: scripts that spy on or
 * forge the bridge's messages, pollute Object.prototype, throw odd values, redirect, or fail to
 * load. In each real browser (Chromium and Firefox ESR), with the page's scripts played by
 * userscripts in the page's world.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, methods } from '../../src/client/call.js';
import type { MethodNotFoundError } from '../../src/client/errors.js';
import { BROWSERS, startStack, TEST_CONTROL_EXTENSION, waitFor, type Stack } from '../e2e/harness.js';

for (const { label, browser } of BROWSERS) describe(`the page bridge with hostile and sloppy pages: ${label}`, () => {
  let stack: Stack;
  const run = <T = unknown>(path: string, method: string, params: Record<string, unknown> = {}) =>
    call<T>(stack.pages.url(path), method, params, { port: stack.port, timeout: 15_000 });
  const countTabs = () => run<number>('/', 'countTabs');

  before(async () => {
    stack = await startStack({ browser, extensions: [TEST_CONTROL_EXTENSION] });
  });
  after(async () => {
    await stack?.close();
  });

  test('page scripts that patch dispatchEvent, addEventListener and JSON and pollute Object.prototype neither see nor break calls', async () => {
    assert.deepEqual(await run('/hostile/patched/a', 'hostileEcho', { x: 1, nested: { y: [2] } }), { x: 1, nested: { y: [2] } });
    assert.deepEqual(await run('/hostile/patched/a', 'echo', { z: 3 }), { z: 3 });
    await assert.rejects(run('/hostile/patched/a', 'missing'), { code: 'METHOD_NOT_FOUND' });
    await assert.rejects(run('/hostile/patched/a', 'throwTypeError', { message: 'still structured' }), { name: 'TypeError', message: 'still structured' });
    assert.deepEqual(await run('/hostile/patched/a', 'spied'), []);
  });

  test('a page script that answers the bridge\'s hello hears none: the channel was agreed before it ran', async () => {
    assert.deepEqual(await run('/hostile/listening/a', 'hostileEcho', { ok: true }), { ok: true });
    assert.deepEqual(await run('/hostile/listening/a', 'spied'), []);
  });

  // Firefox's management.setEnabled works only for themes: no tab can be opened before any there.
  if (browser === undefined) test('in a tab that was open before the extension, nothing is broadcast for a listening page script to answer', async () => {
    const before = stack.server.dispatcher.browsers[0]?.workerId;
    await run('/', 'control', { action: 'open-tab-while-any-disabled', url: stack.pages.url('/hostile/listening/late'), delay: 100 });
    await waitFor(() => (stack.server.dispatcher.browsers[0]?.workerId ?? before) !== before, 10_000, () => 'the extension did not come back');
    assert.deepEqual(await run('/hostile/listening/late', 'hostileEcho', { late: true }), { late: true });
    assert.deepEqual(await run('/hostile/listening/late', 'spied'), []);
  });

  /** Opens `path` in a tab while the any extension is off, so its scripts ran before any's bridge. */
  const openBeforeTheExtension = async (path: string) => {
    const worker = stack.server.dispatcher.browsers[0]?.workerId;
    await run('/', 'control', { action: 'open-tab-while-any-disabled', url: stack.pages.url(path), delay: 100 });
    await waitFor(() => (stack.server.dispatcher.browsers[0]?.workerId ?? worker) !== worker, 10_000, () => 'the extension did not come back');
  };

  // Firefox's management.setEnabled works only for themes: no tab can be opened before any there.
  if (browser === undefined) test('a tab open before the extension that forges answers spoils only its own calls: calls to other tabs all succeed', async () => {
    await openBeforeTheExtension('/tampered/forger/late');
    const tabs = await countTabs();
    await Promise.all([run('/others/a', 'echo'), run('/others/b', 'echo')]);
    for (let round = 0; round < 8; round++) {
      const forged = Array.from({ length: 3 }, (_, i) => run('/tampered/forger/late', 'forgedEcho', { round, i }));
      const others = Array.from({ length: 20 }, (_, i) => run(i % 2 ? '/others/a' : '/others/b', 'echo', { round, i }));
      const outcomes = await Promise.allSettled([...forged, ...others]);
      outcomes.slice(3).forEach((outcome, i) => {
        assert.equal(outcome.status, 'fulfilled', `round ${round}, call ${i} to another tab: ${outcome.status === 'rejected' ? outcome.reason : ''}`);
        assert.deepEqual((outcome as PromiseFulfilledResult<unknown>).value, { round, i });
      });
      for (const outcome of outcomes.slice(0, 3)) {
        assert.equal(outcome.status, 'rejected');
        assert.equal((outcome as PromiseRejectedResult).reason.code, 'BAD_RESULT', 'the forged answer came first, and was refused as malformed');
        assert.match((outcome as PromiseRejectedResult).reason.message, /not JSON/);
      }
    }
    assert.equal(await run('/tampered/forger/late', 'forgeries'), 24, 'every forged call ran in the tab that was open before the extension');
    assert.equal(await countTabs(), tabs + 2, 'only the two other pages got tabs');
  });

  // Firefox's management.setEnabled works only for themes: no tab can be opened before any there.
  if (browser === undefined) test('a tab open before the extension whose scripts replaced JSON and Array.prototype methods still gets exact answers', async () => {
    await openBeforeTheExtension('/tampered/prepatched/late');
    const tabs = await countTabs();
    const page = stack.pages.url('/tampered/prepatched/late');
    assert.deepEqual(await run('/tampered/prepatched/late', 'prepatchedEcho', { x: [1, 2], y: 'z' }), { x: [1, 2], y: 'z' });
    const listed = await methods(page, { port: stack.port, timeout: 15_000 });
    assert.deepEqual(listed.find((method) => method.name === 'prepatchedEcho'),
      { name: 'prepatchedEcho', source: 'userscript', description: 'Echoes its params', inputSchema: { type: 'object', properties: { x: { type: 'array' } } } });
    await assert.rejects(run('/tampered/prepatched/late', 'missing'), (error: MethodNotFoundError) => {
      assert.equal(error.code, 'METHOD_NOT_FOUND');
      assert.ok(error.methods?.includes('prepatchedEcho'));
      assert.match(error.message, /Methods here: .*prepatchedEcho/);
      return true;
    });
    assert.equal(await countTabs(), tabs, 'the calls ran in the tab that was open, not in a new one');
  });

  test('a method that throws a value without a prototype still gets a structured error', async () => {
    await assert.rejects(run('/', 'throwNullPrototype'), { code: 'METHOD_THREW', name: 'Error', message: '[object Object]' });
  });

  test('a page that redirects keeps using the tab opened for it', async () => {
    const tabs = await countTabs();
    const token = await run('/go', 'documentToken');
    assert.equal(await run('/go', 'documentToken'), token);
    assert.equal(await run('/go', 'pageTitle'), 'Test page /landed');
    assert.equal(await countTabs(), tabs + 1);
  });

  test('a page that cannot load fails with TAB_FAILED and leaves no tab behind', async () => {
    const tabs = await countTabs();
    for (let attempt = 0; attempt < 2; attempt++) {
      await assert.rejects(call('http://127.0.0.1:9/', 'echo', {}, { port: stack.port, timeout: 15_000 }), { code: 'TAB_FAILED' });
    }
    assert.equal(await countTabs(), tabs);
  });
});
