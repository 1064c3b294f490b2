/**
 * The server's call table, driven with a fake browser link: every call ends exactly once.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ServerToExtension } from '../../src/protocol/index.js';
import { CallFailure } from '../../src/protocol/index.js';
import { CallDispatcher, type BrowserLink } from '../../src/server/dispatcher.js';

function fakeBrowser(workerId = 'worker-1') {
  const sent: ServerToExtension[] = [];
  let open = true;
  const link: BrowserLink & { sent: ServerToExtension[]; close(): void } = {
    info: { workerId, extensionVersion: '0.1.0', userAgent: 'test', connectedAt: new Date().toISOString() },
    sent,
    send(message) {
      if (!open) throw new Error('closed');
      sent.push(message);
    },
    close() {
      open = false;
    },
  };
  return link;
}

const dispatcher = (options: Partial<ConstructorParameters<typeof CallDispatcher>[0]> = {}) =>
  new CallDispatcher({ browserWaitMs: 200, reconnectGraceMs: 100, port: 8765, ...options });

let nextId = 0;
const aCall = (timeout = 1_000) => ({ id: `call-${++nextId}`, page: 'https://example.com/', method: 'echo', params: { a: 1 }, timeout });

async function failureOf(promise: Promise<unknown>): Promise<CallFailure['shape']> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CallFailure, `expected a CallFailure, got ${error}`);
    return error.shape;
  }
  assert.fail('the call succeeded');
}

describe('CallDispatcher', () => {
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

  test('ignores results for unknown calls and from another browser', async () => {
    const calls = dispatcher();
    const browser = fakeBrowser('worker-1');
    const stranger = fakeBrowser('worker-2');
    calls.attach(browser);
    calls.attach(stranger);
    const call = aCall(300);
    const pending = calls.dispatch(call); // goes to the newest browser: worker-2
    calls.receive(browser, { v: 1, type: 'result', id: call.id, result: 'forged' });
    calls.receive(stranger, { v: 1, type: 'result', id: 'no-such-call', result: 1 });
    calls.receive(stranger, { v: 1, type: 'result', id: call.id, result: 'real' });
    assert.equal(await pending, 'real');
  });

  test('a call with no browser waits for one to connect', async () => {
    const calls = dispatcher({ browserWaitMs: 1_000 });
    const call = aCall();
    const pending = calls.dispatch(call);
    const browser = fakeBrowser();
    setTimeout(() => calls.attach(browser), 50);
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(browser.sent[0]?.id, call.id);
    calls.receive(browser, { v: 1, type: 'result', id: call.id, result: 7 });
    assert.equal(await pending, 7);
  });

  test('a call with no browser fails with NO_BROWSER, saying how to get one', async () => {
    const started = Date.now();
    const shape = await failureOf(dispatcher({ browserWaitMs: 100 }).dispatch(aCall()));
    assert.equal(shape.code, 'NO_BROWSER');
    assert.equal(shape.name, 'NoBrowserError');
    assert.match(shape.message, /npx any launch/);
    assert.match(shape.message, /npx any extension/);
    assert.ok(Date.now() - started < 500);
  });

  test('the deadline fails the call with TIMEOUT and tells the browser to cancel it', async () => {
    const calls = dispatcher();
    const browser = fakeBrowser();
    calls.attach(browser);
    const call = aCall(50);
    const shape = await failureOf(calls.dispatch(call));
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
    const started = Date.now();
    browser.close();
    calls.detach(browser);
    const shape = await failureOf(pending);
    assert.equal(shape.code, 'DISCONNECTED');
    assert.ok(Date.now() - started < 1_000, 'reported at the grace, not at the call\'s deadline');
    assert.equal(calls.browsers.length, 0);
  });

  test('the same worker reconnecting within the grace still delivers its result', async () => {
    const calls = dispatcher({ reconnectGraceMs: 500 });
    const first = fakeBrowser('worker-1');
    calls.attach(first);
    const call = aCall(5_000);
    const pending = calls.dispatch(call);
    calls.detach(first);
    const again = fakeBrowser('worker-1');
    calls.attach(again);
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
