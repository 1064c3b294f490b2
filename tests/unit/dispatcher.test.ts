/**
 * The server's call table, driven with a fake browser link: every call ends exactly once.
 *
 * Time is fake (node:test's mock timers, for setTimeout and Date): a test moves the clock with
 * `mock.timers.tick(ms)`, so deadlines, waits and graces are checked to the millisecond and
 * nothing depends on how fast the machine is.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import type { ServerToExtension } from '../../src/protocol/index.js';
import { CallFailure, DEFAULT_CALL_TIMEOUT_MS } from '../../src/protocol/index.js';
import { CallDispatcher, toDispatchedCall, type BrowserLink, type DispatchedCall } from '../../src/server/dispatcher.js';

function fakeBrowser(workerId = 'worker-1', hello: Partial<BrowserLink['hello']> = {}) {
  const sent: ServerToExtension[] = [];
  let open = true;
  const link: BrowserLink & { sent: ServerToExtension[]; close(): void } = {
    hello: { v: 1, type: 'hello', id: `hello-${workerId}`, workerId, extensionVersion: '0.1.0', userAgent: 'test', installId: `install-${workerId}`, ...hello },
    connectedAt: new Date().toISOString(),
    sent,
    send(message) {
      if (!open) throw new Error('closed');
      sent.push(message);
    },
    inspect: async () => undefined,
    close() {
      open = false;
    },
  };
  return link;
}

const dispatcher = (options: Partial<ConstructorParameters<typeof CallDispatcher>[0]> = {}) =>
  new CallDispatcher({ browserWaitMs: 200, reconnectGraceMs: 100, port: 8765, ...options });

let nextId = 0;
const aCall = (timeout = 1_000): DispatchedCall & { type: 'call' } =>
  ({ type: 'call', id: `call-${++nextId}`, page: 'https://example.com/', method: 'echo', params: { a: 1 }, timeout });

async function failureOf(promise: Promise<unknown>): Promise<CallFailure['shape']> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CallFailure, `expected a CallFailure, got ${error}`);
    return error.shape;
  }
  assert.fail('the call succeeded');
}

/** Lets every promise callback that is due run (setImmediate is not faked). */
const flush = () => new Promise((resolve) => setImmediate(resolve));

/** Whether `promise` has settled by now, with the fake clock where it is. */
async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => (settled = true), () => (settled = true));
  await flush();
  return settled;
}

describe('toDispatchedCall', () => {
  test('a request that names a method is a call, with the defaults filled in', () => {
    assert.deepEqual(toDispatchedCall({ page: 'https://example.com/', method: 'echo' }, 'id-1'),
      { type: 'call', id: 'id-1', page: 'https://example.com/', method: 'echo', params: {}, timeout: DEFAULT_CALL_TIMEOUT_MS });
    assert.deepEqual(toDispatchedCall({ page: 'https://example.com/', method: 'echo', params: { a: 1 }, timeout: 5 }, 'id-2'),
      { type: 'call', id: 'id-2', page: 'https://example.com/', method: 'echo', params: { a: 1 }, timeout: 5 });
  });

  test('a request without a method is a listing, which carries no params', () => {
    assert.deepEqual(toDispatchedCall({ page: 'https://example.com/' }, 'id-3'),
      { type: 'list', id: 'id-3', page: 'https://example.com/', timeout: DEFAULT_CALL_TIMEOUT_MS });
  });

  test('each call gets a fresh id of the server\'s own', () => {
    const { id: first } = toDispatchedCall({ page: 'https://example.com/' });
    const { id: second } = toDispatchedCall({ page: 'https://example.com/' });
    assert.match(first, /^[0-9a-f-]{36}$/);
    assert.notEqual(first, second);
  });
});

describe('CallDispatcher', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'] }));
  afterEach(() => mock.timers.reset());

  test('sends the call to the browser and resolves with its result', async () => {
    const calls = dispatcher();
    const browser = fakeBrowser();
    calls.attach(browser);
    const call = aCall();
    const pending = calls.dispatch(call);
    assert.deepEqual(browser.sent[0], { v: 1, type: 'call', id: call.id, page: call.page, method: 'echo', params: { a: 1 }, timeout: call.timeout });
    calls.receive(browser, { v: 1, type: 'result', id: call.id, result: { ok: 1 } });
    assert.deepEqual(await pending, { ok: 1 });
    assert.equal(calls.callsInFlight, 0);
  });

  test('sends a listing as a list message, without method or params', async () => {
    const calls = dispatcher();
    const browser = fakeBrowser();
    calls.attach(browser);
    const pending = calls.dispatch({ type: 'list', id: 'list-1', page: 'https://example.com/', timeout: 1_000 });
    assert.deepEqual(browser.sent[0], { v: 1, type: 'list', id: 'list-1', page: 'https://example.com/', timeout: 1_000 });
    calls.receive(browser, { v: 1, type: 'result', id: 'list-1', result: [{ name: 'echo' }] });
    assert.deepEqual(await pending, [{ name: 'echo' }]);
  });

  test('passes the page\'s structured error through unchanged', async () => {
    const calls = dispatcher();
    const browser = fakeBrowser();
    calls.attach(browser);
    const call = aCall();
    const pending = calls.dispatch(call);
    const error = { name: 'TypeError', message: 'x', code: 'METHOD_THREW' as const, stack: 'TypeError: x\n    at page.js:1' };
    calls.receive(browser, { v: 1, type: 'result', id: call.id, error });
    assert.deepEqual(await failureOf(pending), error);
  });

  test('tells the caller each progress value, in order, until the result; none from another browser or after the end', async () => {
    const calls = dispatcher();
    const browser = fakeBrowser('worker-1');
    calls.attach(browser);
    const call = aCall();
    const heard: unknown[] = [];
    const pending = calls.dispatch(call, undefined, (value) => heard.push(value));
    calls.receiveProgress(browser, { v: 1, type: 'progress', id: call.id, progress: 1 });
    calls.receiveProgress(fakeBrowser('worker-2'), { v: 1, type: 'progress', id: call.id, progress: 'forged' });
    calls.receiveProgress(browser, { v: 1, type: 'progress', id: call.id, progress: { two: 2 } });
    calls.receive(browser, { v: 1, type: 'result', id: call.id, result: 'done' });
    calls.receiveProgress(browser, { v: 1, type: 'progress', id: call.id, progress: 'late' });
    assert.equal(await pending, 'done');
    assert.deepEqual(heard, [1, { two: 2 }]);
  });

  test('a cancel whose reason is a CallFailure gives the caller that error', async () => {
    const calls = dispatcher();
    const browser = fakeBrowser();
    calls.attach(browser);
    const cancel = new AbortController();
    const pending = calls.dispatch(aCall(), cancel.signal);
    cancel.abort(CallFailure.of('CANCELLED', 'The caller did not read the progress of its call fast enough.'));
    assert.match((await failureOf(pending)).message, /did not read the progress/);
    assert.equal(browser.sent.at(-1)?.type, 'cancel');
  });

  test('ignores results for unknown calls and from another browser', async () => {
    const calls = dispatcher();
    const stranger = fakeBrowser('worker-2');
    const browser = fakeBrowser('worker-1');
    calls.attach(stranger);
    calls.attach(browser);
    const call = aCall(300);
    const pending = calls.dispatch(call); // goes to the default, the first connected: worker-2
    assert.equal(stranger.sent[0]?.id, call.id);
    assert.equal(browser.sent.length, 0);
    calls.receive(browser, { v: 1, type: 'result', id: call.id, result: 'forged' });
    calls.receive(stranger, { v: 1, type: 'result', id: 'no-such-call', result: 1 });
    assert.equal(await hasSettled(pending), false, 'neither the forged nor the unknown result ended the call');
    calls.receive(stranger, { v: 1, type: 'result', id: call.id, result: 'real' });
    assert.equal(await pending, 'real');
  });

  test('a call with no browser waits for one to connect, and the browser gets what is left of its time', async () => {
    const calls = dispatcher({ browserWaitMs: 1_000 });
    const call = aCall(1_000);
    const pending = calls.dispatch(call);
    mock.timers.tick(500);
    assert.equal(await hasSettled(pending), false, 'still waiting for a browser');
    const browser = fakeBrowser();
    calls.attach(browser);
    await flush();
    assert.equal(browser.sent[0]?.id, call.id);
    assert.equal((browser.sent[0] as { timeout: number }).timeout, 500);
    calls.receive(browser, { v: 1, type: 'result', id: call.id, result: 7 });
    assert.equal(await pending, 7);
  });

  test('GET /status sees each call waiting for a browser, then in the browser, with its elapsed time', async () => {
    const calls = dispatcher({ browserWaitMs: 1_000 });
    const call = aCall(5_000);
    const pending = calls.dispatch(call);
    mock.timers.tick(300);
    assert.deepEqual(calls.calls, [{ id: call.id, page: call.page, method: 'echo', phase: 'waiting-for-browser', route: 'default', elapsedMs: 300 }]);
    const browser = fakeBrowser();
    calls.attach(browser);
    await flush();
    mock.timers.tick(200);
    assert.deepEqual(calls.calls, [{ id: call.id, page: call.page, method: 'echo', phase: 'in-browser', browser: 'browser', route: 'default', elapsedMs: 500 }]);
    calls.receive(browser, { v: 1, type: 'result', id: call.id, result: null });
    await pending;
    assert.deepEqual(calls.calls, []);
  });

  test('a call with no browser fails with NO_BROWSER after the browser wait, saying how to get one', async () => {
    const pending = dispatcher({ browserWaitMs: 100 }).dispatch(aCall(1_000));
    mock.timers.tick(99);
    assert.equal(await hasSettled(pending), false, 'not before the browser wait is over');
    mock.timers.tick(1);
    assert.equal(await hasSettled(pending), true, 'at the browser wait, not at the call\'s 1 s deadline');
    const shape = await failureOf(pending);
    assert.equal(shape.code, 'NO_BROWSER');
    assert.equal(shape.name, 'NoBrowserError');
    assert.match(shape.message, /waited 100 ms/);
    assert.match(shape.message, /npx any launch/);
    assert.match(shape.message, /npx any extension/);
  });

  test('the deadline fails the call with TIMEOUT and tells the browser to cancel it', async () => {
    const calls = dispatcher();
    const browser = fakeBrowser();
    calls.attach(browser);
    const call = aCall(50);
    const pending = calls.dispatch(call);
    mock.timers.tick(49);
    assert.equal(await hasSettled(pending), false, 'not before the deadline');
    assert.equal(browser.sent.length, 1, 'no cancel yet');
    mock.timers.tick(1);
    const shape = await failureOf(pending);
    assert.equal(shape.code, 'TIMEOUT');
    assert.match(shape.message, /50 ms/);
    assert.deepEqual(browser.sent[1], { v: 1, type: 'cancel', id: call.id, reason: 'TIMEOUT' });
    assert.equal(calls.callsInFlight, 0);
  });

  test('an aborted signal cancels the call in the browser', async () => {
    const calls = dispatcher();
    const browser = fakeBrowser();
    calls.attach(browser);
    const abort = new AbortController();
    const call = aCall();
    const pending = calls.dispatch(call, abort.signal);
    abort.abort();
    assert.equal((await failureOf(pending)).code, 'CANCELLED');
    assert.deepEqual(browser.sent[1], { v: 1, type: 'cancel', id: call.id, reason: 'CANCELLED' });
  });

  test('a browser that disconnects and does not return fails its calls with DISCONNECTED after the grace', async () => {
    const calls = dispatcher({ reconnectGraceMs: 100 });
    const browser = fakeBrowser();
    calls.attach(browser);
    const pending = calls.dispatch(aCall(5_000));
    browser.close();
    calls.detach(browser);
    mock.timers.tick(99);
    assert.equal(await hasSettled(pending), false, 'not before the grace is over');
    mock.timers.tick(1);
    assert.equal(await hasSettled(pending), true, 'reported at the grace, not at the call\'s deadline');
    const shape = await failureOf(pending);
    assert.equal(shape.code, 'DISCONNECTED');
    assert.match(shape.message, /within 100 ms/);
    assert.equal(calls.browsers.length, 0);
  });

  test('the same worker reconnecting within the grace still delivers its result', async () => {
    const calls = dispatcher({ reconnectGraceMs: 500 });
    const first = fakeBrowser('worker-1');
    calls.attach(first);
    const call = aCall(5_000);
    const pending = calls.dispatch(call);
    calls.detach(first);
    mock.timers.tick(400);
    const again = fakeBrowser('worker-1');
    calls.attach(again);
    mock.timers.tick(1_000);
    assert.equal(await hasSettled(pending), false, 'the grace ended when the worker came back');
    calls.receive(again, { v: 1, type: 'result', id: call.id, result: 'delivered' });
    assert.equal(await pending, 'delivered');
  });

  test('a malformed result fails its call instead of leaving it hanging', async () => {
    const calls = dispatcher();
    const browser = fakeBrowser();
    calls.attach(browser);
    const call = aCall();
    const pending = calls.dispatch(call);
    calls.receiveInvalid(browser, call.id, 'error.code: Invalid type');
    const shape = await failureOf(pending);
    assert.equal(shape.code, 'INTERNAL');
    assert.match(shape.message, /malformed/);
  });

  test('close() ends every call and every wait', async () => {
    const calls = dispatcher({ browserWaitMs: 10_000 });
    const waiting = calls.dispatch(aCall());
    const browser = fakeBrowser();
    const other = new CallDispatcher({ browserWaitMs: 10, reconnectGraceMs: 10, port: 1 });
    other.attach(browser);
    const running = other.dispatch(aCall());
    calls.close();
    other.close();
    assert.equal((await failureOf(waiting)).code, 'DISCONNECTED');
    assert.equal((await failureOf(running)).code, 'DISCONNECTED');
    assert.equal((await failureOf(calls.dispatch(aCall()))).code, 'DISCONNECTED');
  });
});
