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

describe('CallDispatcher: several browsers', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'] }));
  afterEach(() => mock.timers.reset());

  const named = (workerId: string, name?: string, hello: Partial<BrowserLink['hello']> = {}) =>
    fakeBrowser(workerId, { brand: 'Chrome', browserVersion: '142.0.1', kind: 'everyday', ...(name ? { name } : {}), ...hello });
  const callFor = (page: string, browser?: string): DispatchedCall & { type: 'call' } =>
    ({ ...aCall(), page, ...(browser ? { browser } : {}) });
  const tabs = (link: BrowserLink, ...urls: string[]) =>
    ({ v: 1 as const, type: 'tabs' as const, id: `tabs-${link.hello.workerId}`, tabs: urls.map((url, index) => ({ tabId: index + 1, url })) });
  /** Past the server's first browser wait, when an unknown name no longer waits. */
  const settled = (options: Parameters<typeof dispatcher>[0] = {}) => {
    const calls = dispatcher(options);
    mock.timers.tick(options.browserWaitMs ?? 200);
    return calls;
  };

  test('names: the one asked for, else the brand; a taken name gets -2, -3', () => {
    const calls = settled();
    assert.equal(calls.attach(named('w1')), 'chrome');
    assert.equal(calls.attach(named('w2')), 'chrome-2');
    assert.equal(calls.attach(named('w3', 'chrome-2')), 'chrome-3');
    assert.equal(calls.attach(named('w4', 'work')), 'work');
    assert.equal(calls.attach(fakeBrowser('w5', { brand: 'Microsoft Edge' })), 'edge');
    assert.equal(calls.attach(fakeBrowser('w6', { userAgent: 'Mozilla/5.0 … HeadlessChrome/156.0.0.0 Safari/537.36' })), 'chromium', 'an old extension: brand from the user agent');
    assert.deepEqual(calls.browsers.map((info) => info.name), ['chrome', 'chrome-2', 'chrome-3', 'work', 'edge', 'chromium']);
  });

  test('a browser keeps its name when its worker reconnects (a new worker of the same install)', () => {
    const calls = settled();
    const first = named('w1', undefined, { installId: 'profile-1' });
    assert.equal(calls.attach(first), 'chrome');
    calls.detach(first);
    assert.equal(calls.attach(named('w2')), 'chrome-2', 'the name is held for the reconnect grace');
    assert.equal(calls.attach(named('w3', undefined, { installId: 'profile-1' })), 'chrome');
  });

  test('a name is free again once its browser has been gone for the grace', () => {
    const calls = settled({ reconnectGraceMs: 100 });
    const gone = named('w1', 'work');
    calls.attach(gone);
    calls.detach(gone);
    mock.timers.tick(100);
    assert.equal(calls.attach(named('w2', 'work')), 'work');
  });

  test('rule 1: a call naming a browser runs there, even when another holds a tab for the page', async () => {
    const calls = settled();
    const a = named('a', 'a');
    const b = named('b', 'b');
    calls.attach(a);
    calls.attach(b);
    calls.receiveTabs(a, tabs(a, 'https://chat.example/'));
    const pending = calls.dispatch(callFor('https://chat.example/', 'b'));
    assert.equal(b.sent.length, 1);
    assert.equal(a.sent.length, 0);
    assert.deepEqual(calls.calls.map(({ browser, route }) => ({ browser, route })), [{ browser: 'b', route: 'named' }]);
    calls.receive(b, { v: 1, type: 'result', id: b.sent[0]!.id, result: 'from b' });
    assert.equal(await pending, 'from b');
  });

  test('rule 2: the browser holding a tab for the page wins over the default; an exact tab over a prefix one', () => {
    const calls = settled();
    const a = named('a', 'a');
    const b = named('b', 'b');
    const c = named('c', 'c');
    for (const link of [a, b, c]) calls.attach(link);
    calls.receiveTabs(b, tabs(b, 'https://chat.example/c/123'));
    calls.receiveTabs(c, tabs(c, 'https://chat.example/c/123', 'https://other.example/'));
    void calls.dispatch(callFor('https://chat.example/'));
    assert.equal(b.sent.length, 1, 'b and c both hold a prefix match: the earlier connected, b');
    calls.receiveTabs(c, tabs(c, 'https://chat.example/'));
    void calls.dispatch(callFor('https://chat.example/'));
    assert.equal(c.sent.length, 1, 'c now holds the exact page');
    void calls.dispatch(callFor('https://nobody.example/'));
    assert.equal(a.sent.length, 1, 'rule 3: nobody holds it, so the default, the first connected');
    assert.deepEqual(calls.calls.map(({ browser, route }) => `${browser} ${route}`), ['b open-tab', 'c open-tab', 'a default']);
    assert.deepEqual(calls.browsers.map(({ name, openTabs, callsInFlight }) => ({ name, openTabs, callsInFlight })), [
      { name: 'a', openTabs: 0, callsInFlight: 1 },
      { name: 'b', openTabs: 1, callsInFlight: 1 },
      { name: 'c', openTabs: 1, callsInFlight: 1 },
    ]);
  });

  test('rule 2 counts a tab opened for the page that redirected elsewhere on its origin', () => {
    const calls = settled();
    const a = named('a', 'a');
    const b = named('b', 'b');
    calls.attach(a);
    calls.attach(b);
    calls.receiveTabs(b, { v: 1, type: 'tabs', id: 't', tabs: [{ tabId: 7, url: 'https://app.example/landed?x=1', openedFor: 'https://app.example/go' }] });
    void calls.dispatch(callFor('https://app.example/go'));
    assert.equal(b.sent.length, 1);
  });

  test('a browser that goes away takes its tabs out of routing; its calls alone wait for it', async () => {
    const calls = settled({ reconnectGraceMs: 100 });
    const a = named('a', 'a');
    const b = named('b', 'b');
    calls.attach(a);
    calls.attach(b);
    calls.receiveTabs(b, tabs(b, 'https://chat.example/'));
    const onB = calls.dispatch(callFor('https://chat.example/'));
    const onA = calls.dispatch(callFor('https://a.example/'));
    calls.detach(b);
    void calls.dispatch(callFor('https://chat.example/'));
    assert.equal(a.sent.length, 2, 'with b gone, its page goes to the default');
    mock.timers.tick(100);
    const shape = await failureOf(onB);
    assert.equal(shape.code, 'DISCONNECTED');
    assert.match(shape.message, /"b" disconnected/);
    assert.equal(await hasSettled(onA), false, 'a\'s call is untouched');
    calls.receive(a, { v: 1, type: 'result', id: a.sent[0]!.id, result: 'a' });
    assert.equal(await onA, 'a');
  });

  test('an unknown name fails at once, listing the connected browsers', async () => {
    const calls = settled();
    calls.attach(named('a', 'a'));
    calls.attach(fakeBrowser('b', { name: 'b', kind: 'managed', brand: 'Chromium', browserVersion: '156.0.1' }));
    const pending = calls.dispatch(callFor('https://x.example/', 'nope'));
    assert.equal(await hasSettled(pending), true, 'no wait');
    const shape = await failureOf(pending);
    assert.equal(shape.code, 'NO_BROWSER');
    assert.match(shape.message, /No browser named "nope"/);
    assert.match(shape.message, /"a" \(everyday Chrome 142\.0\.1\), "b" \(managed Chromium 156\.0\.1\)/);
  });

  test('in the server\'s first browser wait, a call naming a browser waits for it to connect', async () => {
    const calls = dispatcher({ browserWaitMs: 1_000 });
    calls.attach(named('a', 'a'));
    const pending = calls.dispatch(callFor('https://x.example/', 'late'));
    mock.timers.tick(600);
    assert.equal(await hasSettled(pending), false);
    assert.deepEqual(calls.calls.map(({ phase, browser, route }) => ({ phase, browser, route })), [{ phase: 'waiting-for-browser', browser: 'late', route: 'named' }]);
    const late = named('l', 'late');
    calls.attach(late);
    await flush();
    assert.equal(late.sent.length, 1);
    assert.equal((late.sent[0] as { timeout: number }).timeout, 1_000 - 600);
    const never = calls.dispatch(callFor('https://x.example/', 'never'));
    mock.timers.tick(400);
    const shape = await failureOf(never);
    assert.equal(shape.code, 'NO_BROWSER');
    assert.match(shape.message, /No browser named "never" .* \(waited 400 ms\)\. Connected: "a" .*"late"/);
  });

  test('a call naming a browser that is reconnecting waits for it, within the grace', async () => {
    const calls = settled({ reconnectGraceMs: 100 });
    const first = named('w1', 'work', { installId: 'p' });
    calls.attach(first);
    calls.detach(first);
    mock.timers.tick(30);
    const pending = calls.dispatch(callFor('https://x.example/', 'work'));
    assert.equal(await hasSettled(pending), false);
    const back = named('w2', 'work', { installId: 'p' });
    assert.equal(calls.attach(back), 'work');
    await flush();
    assert.equal(back.sent.length, 1);
    calls.detach(back);
    const late = calls.dispatch(callFor('https://x.example/', 'work'));
    mock.timers.tick(100);
    assert.equal((await failureOf(late)).code, 'NO_BROWSER', 'gone for the whole grace');
  });

  test('the default is the first connected, and keeps its place across a reconnect', () => {
    const calls = settled();
    const a1 = named('a1', 'a', { installId: 'pa' });
    const b = named('b', 'b');
    calls.attach(a1);
    calls.attach(b);
    calls.detach(a1);
    const a2 = named('a2', 'a', { installId: 'pa' });
    calls.attach(a2);
    void calls.dispatch(callFor('https://x.example/'));
    assert.equal(a2.sent.length, 1);
    assert.equal(b.sent.length, 0);
    assert.deepEqual(calls.browsers.map((info) => info.name), ['a', 'b']);
  });
});

describe('CallDispatcher: launches (POST /launch)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'] }));
  afterEach(() => mock.timers.reset());

  const callFor = (browser?: string, timeout = 60_000): DispatchedCall & { type: 'call' } =>
    ({ ...aCall(timeout), ...(browser ? { browser } : {}) });
  const starting = (launch: string, installId: string, connectWithinMs: number, name?: string) =>
    ({ v: 1 as const, launch, state: 'starting' as const, installId, browser: 'Google Chrome 140.0.1 (/opt/google/chrome/chrome), pid 42', connectWithinMs, ...(name ? { name } : {}) });
  const failed = (launch: string, problem: string, name?: string) =>
    ({ v: 1 as const, launch, state: 'failed' as const, problem, ...(name ? { name } : {}) });

  test('a launch closing its managed browser has that browser, and only that one, close its windows', () => {
    const calls = dispatcher();
    const managed = fakeBrowser('m', { kind: 'managed' });
    const everyday = fakeBrowser('e', { kind: 'everyday' });
    calls.attach(managed);
    calls.attach(everyday);
    assert.equal(calls.closeManagedBrowser('install-e'), false, 'an everyday browser is its user\'s to close');
    assert.equal(calls.closeManagedBrowser('install-unknown'), false);
    assert.deepEqual(everyday.sent.filter((message) => message.type === 'close'), []);
    assert.equal(calls.closeManagedBrowser('install-m'), true);
    assert.deepEqual(managed.sent.filter((message) => message.type === 'close').map(({ v, type }) => ({ v, type })), [{ v: 1, type: 'close' }]);
    managed.close();
    assert.equal(calls.closeManagedBrowser('install-m'), false, 'a socket that cannot send: the launch closes it the other way');
  });

  test('a waiting call waits past the browser wait for a launch still starting, and runs once its browser connects', async () => {
    const calls = dispatcher({ browserWaitMs: 100 });
    calls.reportLaunch(starting('L', 'install-w1', 5_000));
    const pending = calls.dispatch(callFor());
    mock.timers.tick(4_000);
    assert.equal(await hasSettled(pending), false, 'the launch has 5 s to connect its browser');
    const browser = fakeBrowser('w1');
    calls.attach(browser);
    await flush();
    assert.equal(browser.sent.length, 1);
    calls.receive(browser, { v: 1, type: 'result', id: browser.sent[0]!.id, result: 'ok' });
    assert.equal(await pending, 'ok');
  });

  test('a launch that gives up ends the calls waiting for it at once, with its explanation', async () => {
    const calls = dispatcher({ browserWaitMs: 100 });
    calls.reportLaunch(starting('L', 'install-w1', 15_000, 'ci'));
    const any = calls.dispatch(callFor());
    const named = calls.dispatch(callFor('ci'));
    const other = calls.dispatch(callFor('other'));
    mock.timers.tick(100);
    assert.equal(await hasSettled(other), true, '"other" is not being launched: it waited only the browser wait');
    mock.timers.tick(2_900);
    assert.equal(await hasSettled(any), false);
    assert.equal(await hasSettled(named), false);
    calls.reportLaunch(failed('L', 'Google Chrome 140 ignores --load-extension; try --extension-loading pipe.', 'ci'));
    assert.equal(await hasSettled(any), true, 'at once, not at the launch\'s deadline');
    for (const shape of [await failureOf(any), await failureOf(named)]) {
      assert.equal(shape.code, 'NO_BROWSER');
      assert.match(shape.message, /\(waited 3000 ms\)/);
      assert.match(shape.message, /`any launch` gave up on the browser it started: Google Chrome 140 ignores --load-extension; try --extension-loading pipe\.$/);
    }
    assert.doesNotMatch((await failureOf(other)).message, /gave up/, 'another name\'s failure is not this one\'s');
  });

  test('a later call hears the failed launch\'s explanation after its own wait', async () => {
    const calls = dispatcher({ browserWaitMs: 100 });
    calls.reportLaunch(starting('L', 'install-w1', 1_000));
    calls.reportLaunch(failed('L', 'The browser said nothing.'));
    const pending = calls.dispatch(callFor());
    mock.timers.tick(99);
    assert.equal(await hasSettled(pending), false, 'it still waits: another browser may connect');
    mock.timers.tick(1);
    assert.match((await failureOf(pending)).message, /\(waited 100 ms\)\. `any launch` gave up on the browser it started: The browser said nothing\.$/);
  });

  test('a call naming a launching browser waits for it after the server\'s first browser wait, and is told it is still connecting at its own timeout', async () => {
    const calls = dispatcher({ browserWaitMs: 100 });
    mock.timers.tick(100);
    calls.reportLaunch(starting('L', 'install-w1', 30_000, 'ci'));
    const pending = calls.dispatch(callFor('ci', 2_000));
    mock.timers.tick(1_999);
    assert.equal(await hasSettled(pending), false);
    mock.timers.tick(1);
    const shape = await failureOf(pending);
    assert.equal(shape.code, 'NO_BROWSER');
    assert.match(shape.message, /`any launch` has started Google Chrome 140\.0\.1 .*pid 42, whose extension has not connected yet \(it gives up in 28 s and then says why\)\./);
  });

  test('a retry replaces its launch\'s report; a closed launch is no longer waited for', async () => {
    const calls = dispatcher({ browserWaitMs: 100 });
    calls.reportLaunch(starting('L', 'install-w1', 1_000));
    const pending = calls.dispatch(callFor());
    mock.timers.tick(900);
    calls.reportLaunch(starting('L', 'install-w2', 5_000)); // over the pipe this time
    mock.timers.tick(4_000);
    assert.equal(await hasSettled(pending), false, 'waiting for the retry');
    calls.reportLaunch({ v: 1, launch: 'L', state: 'closed' });
    assert.equal(await hasSettled(pending), true, 'closed: the call\'s own browser wait is long over');
    assert.doesNotMatch((await failureOf(pending)).message, /any launch` (gave up|has started)/);
  });

  test('a starting launch is waited for only until its deadline and the report margin, even if it never reports again', async () => {
    const calls = dispatcher({ browserWaitMs: 100 });
    calls.reportLaunch(starting('L', 'install-w1', 1_000));
    const pending = calls.dispatch(callFor());
    mock.timers.tick(2_999); // 1 s to connect, and 2 s for the launch to say why not
    assert.equal(await hasSettled(pending), false);
    mock.timers.tick(1);
    assert.equal((await failureOf(pending)).code, 'NO_BROWSER');
  });
});
