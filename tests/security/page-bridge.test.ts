/**
 * The page bridge and the tabs it lives in, against pages that misbehave: scripts that spy on or
 * forge the bridge's messages, pollute Object.prototype, throw odd values, redirect, or fail to
 * load. In real Chromium, with the page's scripts played by userscripts in the page's world.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call } from '../../src/client/call.js';
import { startStack, TEST_CONTROL_EXTENSION, waitFor, type Stack } from '../e2e/harness.js';

describe('the page bridge with hostile and sloppy pages', () => {
  let stack: Stack;
  const run = <T = unknown>(path: string, method: string, params: Record<string, unknown> = {}) =>
    call<T>(stack.pages.url(path), method, params, { port: stack.port, timeout: 15_000 });
  const countTabs = () => run<number>('/', 'countTabs');

  before(async () => {
    stack = await startStack({ extensions: [TEST_CONTROL_EXTENSION] });
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

  test('in a tab that was open before the extension, nothing is broadcast for a listening page script to answer', async () => {
    const before = stack.server.dispatcher.browsers[0]?.workerId;
    await run('/', 'control', { action: 'open-tab-while-any-disabled', url: stack.pages.url('/hostile/listening/late'), delay: 100 });
    await waitFor(() => (stack.server.dispatcher.browsers[0]?.workerId ?? before) !== before, 10_000, () => 'the extension did not come back');
    assert.deepEqual(await run('/hostile/listening/late', 'hostileEcho', { late: true }), { late: true });
    assert.deepEqual(await run('/hostile/listening/late', 'spied'), []);
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
