/**
 * The background worker's core, driven without a browser: a fake server socket, fake tabs and
 * content-script ports, and a clock that moves only when the test says. Each test is one
 * behaviour users rely on; the end-to-end suite shows the same in real Chromium.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEADLINE_BACKSTOP_MS } from '../../src/extension/background/calls.js';
import { CONNECT_TIMEOUT_MS, KEEP_ALIVE_INTERVAL_MS, OUTBOX_LIMIT, RETRY_INTERVAL_MS } from '../../src/extension/background/connection.js';
import { OPEN_TIMEOUT_MS, READY_AFTER_LOAD_MS } from '../../src/extension/background/tab-opening.js';
import { REPORT_DELAY_MS } from '../../src/extension/background/tab-report.js';
import { browserBrand } from '../../src/protocol/browser-identity.js';
import { FakePort, settle, startFakeWorker } from '../helpers/fake-worker-world.js';

const PAGE = 'https://example.com/app';
let nextId = 0;
const aCall = (fields: Record<string, unknown> = {}) =>
  ({ v: 1, type: 'call', id: `call-${++nextId}`, page: PAGE, method: 'echo', params: { a: 1 }, timeout: 5_000, ...fields });

/** A worker connected to its server, with one tab already linked at PAGE. */
async function connectedWorker() {
  const world = startFakeWorker();
  world.worker.ensureConnected();
  await settle();
  const tabId = world.tabs.userTab(PAGE);
  const port = world.linkTab(tabId);
  await world.clock.advance(REPORT_DELAY_MS); // the first report of the open tabs is out
  return { ...world, tabId, port };
}

describe('worker: the connection', () => {
  test('probes the server, opens one socket and says hello with its worker id first', async () => {
    const { worker, server } = startFakeWorker();
    worker.ensureConnected();
    worker.ensureConnected(); // every trigger may call it: still one attempt
    await settle();
    worker.ensureConnected();
    await settle();
    assert.equal(server.probes, 1);
    assert.equal(server.sockets.length, 1);
    const [hello] = server.socket.sent as Record<string, unknown>[];
    assert.deepEqual({ ...hello, id: undefined }, {
      v: 1, type: 'hello', id: undefined, workerId: worker.workerId, extensionVersion: '0.1.0', userAgent: 'FakeBrowser/1',
      installId: 'install-1', kind: 'everyday', brand: 'Fake', browserVersion: '1.0',
    });
  });

  test('retries every second, without backoff, and keeps the worker awake each time', async () => {
    const { worker, server, clock } = startFakeWorker();
    server.up = false;
    worker.ensureConnected();
    await settle();
    assert.equal(server.probes, 1);
    for (let second = 1; second <= 10; second++) {
      await clock.advance(RETRY_INTERVAL_MS);
      assert.equal(server.probes, 1 + second, `probe count after ${second} s`);
    }
    assert.equal(server.keptAwake, 10);
    assert.equal(server.sockets.length, 0, 'no WebSocket is tried while the server does not answer');
    server.up = true;
    await clock.advance(RETRY_INTERVAL_MS);
    assert.equal(server.sockets.length, 1);
    assert.equal(server.socket.readyState, 1);
  });

  test('gives up on a socket that stays CONNECTING and tries again', async () => {
    const { worker, server, clock } = startFakeWorker();
    server.autoOpen = false;
    worker.ensureConnected();
    await settle();
    const stuck = server.socket;
    await clock.advance(CONNECT_TIMEOUT_MS);
    assert.equal(stuck.readyState, 3, 'the stuck socket was closed');
    server.autoOpen = true;
    await clock.advance(RETRY_INTERVAL_MS);
    assert.equal(server.sockets.length, 2);
    assert.equal(server.socket.readyState, 1);
  });

  test('every 20 s while connected, sends a message and makes an extension API call, so MV3 keeps the worker running', async () => {
    const { worker, server, clock } = startFakeWorker();
    worker.ensureConnected();
    await settle();
    const keptAwakeBefore = server.keptAwake;
    await clock.advance(3 * KEEP_ALIVE_INTERVAL_MS);
    // Chromium counts the message; Firefox's event page only the API call.
    assert.equal(server.socket.messages('ping').length, 3);
    assert.equal(server.keptAwake - keptAwakeBefore, 3);
  });

  test('reconnects when the socket drops, and pings only on the live socket', async () => {
    const { worker, server, clock } = startFakeWorker();
    worker.ensureConnected();
    await settle();
    const first = server.socket;
    first.drop();
    await clock.advance(RETRY_INTERVAL_MS);
    assert.equal(server.sockets.length, 2);
    await clock.advance(KEEP_ALIVE_INTERVAL_MS);
    assert.equal(first.messages('ping').length, 0);
    assert.equal(server.socket.messages('ping').length, 1);
  });

  test('a result that finishes while disconnected is sent after the next hello', async () => {
    const { server, clock, port } = await connectedWorker();
    const call = aCall();
    server.socket.receive(call);
    await settle();
    server.socket.drop();
    server.up = false;
    port.say({ type: 'result', id: call.id, json: '{"late":true}' });
    await clock.advance(5 * RETRY_INTERVAL_MS);
    server.up = true;
    await clock.advance(RETRY_INTERVAL_MS);
    const fresh = server.socket;
    assert.equal(server.sockets.length, 2);
    assert.deepEqual((fresh.sent as Record<string, unknown>[]).map((message) => message.type).filter((type) => type !== 'tabs'), ['hello', 'result']);
    assert.deepEqual(fresh.messages('result')[0], { v: 1, type: 'result', id: call.id, result: { late: true } });
  });

  test('the outbox keeps the newest messages up to its limit', async () => {
    const { server, clock, port } = await connectedWorker();
    const calls = Array.from({ length: OUTBOX_LIMIT + 5 }, () => aCall());
    for (let start = 0; start < calls.length; start += 500) server.socket.receive(calls.slice(start, start + 500));
    await settle();
    server.socket.drop();
    server.up = false;
    for (const call of calls) port.say({ type: 'result', id: call.id, json: '1' });
    await settle();
    server.up = true;
    await clock.advance(RETRY_INTERVAL_MS);
    const results = server.socket.messages('result');
    assert.equal(results.length, OUTBOX_LIMIT);
    assert.equal(results.at(-1)!.id, calls.at(-1)!.id);
  });

  test('ignores frames from the server that are not JSON or break the protocol, and names why', async () => {
    const { server, logged, port } = await connectedWorker();
    server.socket.receive('{not json');
    server.socket.receive({ v: 1, type: 'call', id: 'x', page: 'javascript:alert(1)', method: 'm', params: {}, timeout: 10 });
    await settle();
    assert.equal(port.posted.length, 0);
    assert.match(logged.join('\n'), /not JSON/);
    assert.match(logged.join('\n'), /page must be an absolute http/);
  });
});

describe('worker: calls', () => {
  test('hands a call to its tab and splices the page\'s JSON into one result', async () => {
    const { server, port } = await connectedWorker();
    const call = aCall();
    server.socket.receive(call);
    await settle();
    assert.deepEqual(port.messages('call'), [{ type: 'call', id: call.id, method: 'echo', params: { a: 1 } }]);
    port.say({ type: 'result', id: call.id, json: '{"a":1,"text":"\\u2603"}' });
    await settle();
    assert.deepEqual(server.socket.messages('result'), [{ v: 1, type: 'result', id: call.id, result: { a: 1, text: '☃' } }]);
  });

  test('a call ends exactly once: a second answer, a late cancel and the deadline add nothing', async () => {
    const { server, port, clock } = await connectedWorker();
    const call = aCall();
    server.socket.receive(call);
    await settle();
    port.say({ type: 'result', id: call.id, json: '1' });
    port.say({ type: 'result', id: call.id, json: '2' });
    server.socket.receive({ v: 1, type: 'cancel', id: call.id, reason: 'CANCELLED' });
    await clock.advance(call.timeout + DEADLINE_BACKSTOP_MS + 1);
    assert.deepEqual(server.socket.messages('result').map((message) => message.result), [1]);
    assert.equal(port.messages('cancel').length, 0);
    assert.equal(clock.pendingTimers, 1, 'only the keep-alive timer is left');
  });

  test('progress values go on to the server in order, spliced, until the call ends', async () => {
    const { server, port } = await connectedWorker();
    const call = aCall();
    server.socket.receive(call);
    await settle();
    port.say([{ type: 'progress', id: call.id, json: '1' }, { type: 'progress', id: call.id, json: '{"words":"two"}' }]);
    port.say({ type: 'result', id: call.id, json: '"done"' });
    port.say({ type: 'progress', id: call.id, json: '"after the end"' });
    await settle();
    assert.deepEqual(server.socket.sent.filter((message) => (message as { id?: string }).id === call.id), [
      { v: 1, type: 'progress', id: call.id, progress: 1 },
      { v: 1, type: 'progress', id: call.id, progress: { words: 'two' } },
      { v: 1, type: 'result', id: call.id, result: 'done' },
    ]);
  });

  test('only the tab that holds a call may send its progress', async () => {
    const { server, tabs, linkTab } = await connectedWorker();
    const other = linkTab(tabs.userTab('https://other.example/'));
    const call = aCall();
    server.socket.receive(call);
    await settle();
    other.say({ type: 'progress', id: call.id, json: '"forged"' });
    await settle();
    assert.equal(server.socket.messages('progress').length, 0);
  });

  test('the server\'s cancel reaches the page and answers the call at once', async () => {
    const { server, port } = await connectedWorker();
    const call = aCall();
    server.socket.receive(call);
    await settle();
    server.socket.receive({ v: 1, type: 'cancel', id: call.id, reason: 'TIMEOUT' });
    await settle();
    assert.deepEqual(port.messages('cancel'), [{ type: 'cancel', id: call.id, reason: 'TIMEOUT' }]);
    const [result] = server.socket.messages('result');
    assert.equal((result!.error as { code: string }).code, 'TIMEOUT');
    port.say({ type: 'result', id: call.id, json: '"too late"' });
    await settle();
    assert.equal(server.socket.messages('result').length, 1);
  });

  test('the deadline backstop ends a call whose cancel was lost, and tells the page', async () => {
    const { server, port, clock } = await connectedWorker();
    const call = aCall({ timeout: 2_000 });
    server.socket.receive(call);
    await clock.advance(2_000 + DEADLINE_BACKSTOP_MS - 1);
    assert.equal(server.socket.messages('result').length, 0);
    await clock.advance(1);
    const [result] = server.socket.messages('result');
    assert.equal((result!.error as { code: string }).code, 'TIMEOUT');
    assert.match((result!.error as { message: string }).message, /did not answer within 2000 ms/);
    assert.deepEqual(port.messages('cancel'), [{ type: 'cancel', id: call.id, reason: 'TIMEOUT' }]);
  });

  test('only the tab that holds a call may answer it', async () => {
    const { server, port, tabs, linkTab } = await connectedWorker();
    const other = linkTab(tabs.userTab('https://other.example/'));
    const call = aCall();
    server.socket.receive(call);
    await settle();
    other.say({ type: 'result', id: call.id, json: '"forged"' });
    await settle();
    assert.equal(server.socket.messages('result').length, 0);
    port.say({ type: 'result', id: call.id, json: '"real"' });
    await settle();
    assert.deepEqual(server.socket.messages('result').map((message) => message.result), ['real']);
  });

  test('a page error passes through as it came', async () => {
    const { server, port } = await connectedWorker();
    const call = aCall();
    server.socket.receive(call);
    await settle();
    const error = { name: 'TypeError', message: 'x is not a function', code: 'METHOD_THREW', stack: 'TypeError: x\n    at page' };
    port.say({ type: 'result', id: call.id, error });
    await settle();
    assert.deepEqual(server.socket.messages('result')[0]!.error, error);
  });

  test('a listing goes to the tab as a list message', async () => {
    const { server, port } = await connectedWorker();
    server.socket.receive({ v: 1, type: 'list', id: 'list-1', page: PAGE, timeout: 1_000 });
    await settle();
    assert.deepEqual(port.messages('list'), [{ type: 'list', id: 'list-1' }]);
  });

  test('calls that arrive together leave for the tab in one port message', async () => {
    const { server, port } = await connectedWorker();
    const posts: unknown[] = [];
    const post = port.post.bind(port);
    port.post = (message) => {
      posts.push(message);
      post(message);
    };
    server.socket.receive([aCall(), aCall(), aCall()]);
    await settle();
    assert.equal(posts.length, 1);
    assert.equal((posts[0] as unknown[]).length, 3);
  });

  test('a port that refuses the call fails it as TAB_CLOSED', async () => {
    const { server, port } = await connectedWorker();
    port.refuseWith = 'Attempting to use a disconnected port object';
    const call = aCall();
    server.socket.receive(call);
    await settle();
    assert.equal((server.socket.messages('result')[0]!.error as { code: string }).code, 'TAB_CLOSED');
  });

  test('a port that refuses a message for its size fails it as TOO_LARGE', async () => {
    const { server, port } = await connectedWorker();
    port.refuseWith = 'Message length exceeded maximum allowed length.';
    server.socket.receive(aCall());
    await settle();
    assert.equal((server.socket.messages('result')[0]!.error as { code: string }).code, 'TOO_LARGE');
  });

  test('reports its calls and tabs when the server inspects it', async () => {
    const { server, tabId } = await connectedWorker();
    const call = aCall();
    server.socket.receive(call);
    server.socket.receive({ v: 1, type: 'inspect', id: 'inspect-1' });
    await settle();
    const [state] = server.socket.messages('state');
    assert.deepEqual(state, {
      v: 1, type: 'state', id: 'inspect-1', callsInFlight: 1,
      calls: [{ id: call.id, page: PAGE, method: 'echo', phase: 'running' }],
      tabs: [{ tabId, url: PAGE, callsInFlight: 1 }],
    });
  });
});

describe('worker: tabs', () => {
  test('opens one background tab for concurrent calls to a page with none, and runs them there', async () => {
    const { worker, server, tabs, linkTab } = startFakeWorker();
    worker.ensureConnected();
    await settle();
    const calls = [aCall(), aCall(), aCall()];
    server.socket.receive(calls);
    await settle();
    assert.deepEqual(tabs.created, [PAGE]);
    const [tabId] = tabs.open.keys();
    server.socket.receive({ v: 1, type: 'inspect', id: 'i' });
    await settle();
    assert.deepEqual((server.socket.messages('state')[0]!.calls as { phase: string }[]).map((call) => call.phase), ['opening-tab', 'opening-tab', 'opening-tab']);
    const port = linkTab(tabId!);
    await settle();
    assert.deepEqual(port.messages('call').map((message) => message.id), calls.map((call) => call.id));
  });

  test('a listing with openTab false answers an empty list when no tab is open, and opens none', async () => {
    const { worker, server, tabs } = startFakeWorker();
    worker.ensureConnected();
    await settle();
    server.socket.receive({ v: 1, type: 'list', id: 'watch-1', page: PAGE, timeout: 1_000, openTab: false });
    await settle();
    assert.deepEqual(server.socket.messages('result'), [{ v: 1, type: 'result', id: 'watch-1', result: [] }]);
    assert.deepEqual(tabs.created, []);
  });

  test('a listing with openTab false uses the user\'s open tab, injecting the scripts into it', async () => {
    const { worker, server, tabs, linkTab } = startFakeWorker();
    worker.ensureConnected();
    await settle();
    tabs.userTab(PAGE);
    let port: ReturnType<typeof linkTab> | undefined;
    tabs.onInjected = (tabId) => {
      port = linkTab(tabId);
    };
    server.socket.receive({ v: 1, type: 'list', id: 'watch-2', page: PAGE, timeout: 1_000, openTab: false });
    await settle();
    assert.deepEqual(port!.messages('list'), [{ type: 'list', id: 'watch-2' }]);
    assert.deepEqual(tabs.created, []);
  });

  test('a call cancelled while its tab opens is answered once, and never reaches the tab', async () => {
    const { worker, server, tabs, linkTab } = startFakeWorker();
    worker.ensureConnected();
    await settle();
    const call = aCall();
    server.socket.receive(call);
    await settle();
    server.socket.receive({ v: 1, type: 'cancel', id: call.id, reason: 'CANCELLED' });
    await settle();
    assert.equal((server.socket.messages('result')[0]!.error as { code: string }).code, 'CANCELLED');
    const port = linkTab([...tabs.open.keys()][0]!);
    await settle();
    assert.equal(port.posted.length, 0);
    assert.equal(server.socket.messages('result').length, 1);
    // The tab it opened serves the next call.
    const next = aCall();
    server.socket.receive(next);
    await settle();
    assert.deepEqual(port.messages('call').map((message) => message.id), [next.id]);
    assert.equal(tabs.created.length, 1);
  });

  test('a tab opened for a page keeps serving it after the page redirects', async () => {
    const { worker, server, tabs, linkTab } = startFakeWorker();
    worker.ensureConnected();
    await settle();
    const page = 'https://example.com/go';
    server.socket.receive(aCall({ page }));
    await settle();
    const [tabId] = tabs.open.keys();
    const port = linkTab(tabId!, 'https://example.com/landed?from=go');
    await settle();
    const again = aCall({ page });
    server.socket.receive(again);
    await settle();
    assert.deepEqual(port.messages('call').length, 2);
    assert.equal(tabs.created.length, 1, 'no second tab for the redirected page');
  });

  test('a redirect to another origin does not keep the tab for the page', async () => {
    const { worker, server, tabs, linkTab } = startFakeWorker();
    worker.ensureConnected();
    await settle();
    const page = 'https://example.com/login';
    server.socket.receive(aCall({ page }));
    await settle();
    linkTab([...tabs.open.keys()][0]!, 'https://accounts.example.org/sso');
    await settle();
    server.socket.receive(aCall({ page }));
    await settle();
    assert.equal(tabs.created.length, 2);
  });

  /** A call in a tab the worker opened: the tab's id and port, once the call has reached it. */
  const callInOpenedTab = async () => {
    const world = startFakeWorker();
    world.worker.ensureConnected();
    await settle();
    const call = aCall();
    world.server.socket.receive(call);
    await settle();
    const [tabId] = world.tabs.open.keys();
    const port = world.linkTab(tabId!);
    await settle();
    return { ...world, call, tabId: tabId!, port };
  };
  const noMethods = (id: string) => ({ type: 'result', id, error: { name: 'MethodNotFoundError', message: '__any__.echo is not a method: no methods are registered on this page.', code: 'METHOD_NOT_FOUND', methods: [] } });

  test('a page it opened that has no methods at all is reloaded once, and the call runs again there (a userscript manager that came late)', async () => {
    const { server, tabs, linkTab, call, tabId, port } = await callInOpenedTab();
    port.say(noMethods(call.id));
    await settle();
    assert.deepEqual(tabs.reloaded, [tabId]);
    assert.deepEqual(server.socket.messages('result'), [], 'not answered yet');
    const again = aCall();
    server.socket.receive(again); // a call for the page meanwhile waits for the reloaded tab, not the old document
    await settle();
    assert.equal(port.messages('call').length, 1);
    const reloaded = linkTab(tabId);
    await settle();
    assert.deepEqual(reloaded.messages('call').map((message) => message.id), [call.id, again.id]);
    reloaded.say({ type: 'result', id: call.id, json: '"late but there"' });
    await settle();
    assert.deepEqual(server.socket.messages('result'), [{ v: 1, type: 'result', id: call.id, result: 'late but there' }]);
  });

  test('the reload happens once: a page still without methods answers METHOD_NOT_FOUND', async () => {
    const { server, tabs, linkTab, call, tabId, port } = await callInOpenedTab();
    port.say(noMethods(call.id));
    await settle();
    const reloaded = linkTab(tabId);
    await settle();
    reloaded.say(noMethods(call.id));
    await settle();
    assert.equal((server.socket.messages('result')[0]!.error as { code: string }).code, 'METHOD_NOT_FOUND');
    const later = aCall();
    server.socket.receive(later);
    await settle();
    reloaded.say(noMethods(later.id));
    await settle();
    assert.deepEqual(tabs.reloaded, [tabId], 'never twice');
    assert.equal(server.socket.messages('result').length, 2);
  });

  test('an empty listing in a tab it opened reloads it too; a method missing among others does not', async () => {
    const { server, tabs, linkTab, call, tabId, port } = await callInOpenedTab();
    port.say({ type: 'result', id: call.id, json: '1' }); // (a page that had a method then, and none now)
    const listing = { v: 1, type: 'list', id: 'list-1', page: PAGE, timeout: 5_000 };
    server.socket.receive(listing);
    await settle();
    port.say({ type: 'result', id: 'list-1', json: '[]' });
    await settle();
    assert.deepEqual(tabs.reloaded, [tabId]);
    const reloaded = linkTab(tabId);
    await settle();
    assert.deepEqual(reloaded.messages('list'), [{ type: 'list', id: 'list-1' }]);
    const other = await callInOpenedTab();
    other.port.say({ type: 'result', id: other.call.id, error: { name: 'MethodNotFoundError', message: 'no echo; Methods here: ask.', code: 'METHOD_NOT_FOUND', methods: ['ask'] } });
    await settle();
    assert.deepEqual(other.tabs.reloaded, []);
    assert.equal(other.server.socket.messages('result').length, 1);
  });

  test('the user\'s own tab is never reloaded, nor one running other calls', async () => {
    const { server, tabs, port } = await connectedWorker(); // PAGE is open in a tab of the user's
    const call = aCall();
    server.socket.receive(call);
    await settle();
    port.say(noMethods(call.id));
    await settle();
    assert.deepEqual(tabs.reloaded, []);
    assert.equal((server.socket.messages('result')[0]!.error as { code: string }).code, 'METHOD_NOT_FOUND');
    const busy = await callInOpenedTab();
    const second = aCall();
    busy.server.socket.receive(second);
    await settle();
    busy.port.say(noMethods(busy.call.id));
    await settle();
    assert.deepEqual(busy.tabs.reloaded, [], 'a reload would end the other call');
  });

  test('a reload that the browser refuses leaves the first answer standing', async () => {
    const { server, tabs, call, tabId, port } = await callInOpenedTab();
    tabs.open.delete(tabId); // gone from under the worker: reload throws
    port.say(noMethods(call.id));
    await settle();
    assert.equal((server.socket.messages('result')[0]!.error as { code: string }).code, 'METHOD_NOT_FOUND');
  });

  test('prefers the user\'s open tab, injecting the scripts on a channel of its own', async () => {
    const { worker, server, tabs, linkTab } = startFakeWorker();
    worker.ensureConnected();
    await settle();
    const tabId = tabs.userTab(`${PAGE}/c/123`);
    let port: ReturnType<typeof linkTab> | undefined;
    tabs.onInjected = (injectedId) => {
      port = linkTab(injectedId);
    };
    server.socket.receive(aCall());
    await settle();
    assert.equal(tabs.injected.length, 1);
    assert.equal(tabs.injected[0]!.tabId, tabId);
    assert.match(tabs.injected[0]!.channel, /^[0-9a-f]{32}$/);
    assert.equal(tabs.created.length, 0);
    assert.equal(port!.messages('call').length, 1);
  });

  test('opens a new tab when the browser refuses to script the open one', async () => {
    const { worker, server, tabs } = startFakeWorker();
    worker.ensureConnected();
    await settle();
    tabs.userTab(PAGE);
    tabs.refuseInjection = true;
    server.socket.receive(aCall());
    await settle();
    assert.deepEqual(tabs.created, [PAGE]);
  });

  test('a tab that loads without the content script fails as TAB_FAILED and is closed', async () => {
    const { worker, server, tabs, clock } = startFakeWorker();
    worker.ensureConnected();
    await settle();
    server.socket.receive(aCall());
    await settle();
    const [tabId] = tabs.open.keys();
    tabs.update(tabId!, { status: 'complete' });
    await clock.advance(READY_AFTER_LOAD_MS);
    const error = server.socket.messages('result')[0]!.error as { code: string; message: string };
    assert.equal(error.code, 'TAB_FAILED');
    assert.match(error.message, /did not start in it/);
    assert.deepEqual(tabs.removed, [tabId]);
  });

  test('a page that never starts loading fails after the open timeout', async () => {
    const { worker, server, clock } = startFakeWorker();
    worker.ensureConnected();
    await settle();
    server.socket.receive(aCall({ timeout: 120_000 }));
    await clock.advance(OPEN_TIMEOUT_MS);
    assert.equal((server.socket.messages('result')[0]!.error as { code: string }).code, 'TAB_FAILED');
  });

  test('a tab closed before its page was ready fails the call as TAB_CLOSED', async () => {
    const { worker, server, tabs } = startFakeWorker();
    worker.ensureConnected();
    await settle();
    server.socket.receive(aCall());
    await settle();
    tabs.close([...tabs.open.keys()][0]!);
    await settle();
    assert.equal((server.socket.messages('result')[0]!.error as { code: string }).code, 'TAB_CLOSED');
  });

  test('a tab that reloads or navigates while its method runs fails the call as navigated', async () => {
    const { server, tabId, linkTab } = await connectedWorker();
    server.socket.receive(aCall());
    await settle();
    linkTab(tabId); // a new document in the same tab said ready: the old one is gone
    await settle();
    const error = server.socket.messages('result')[0]!.error as { code: string; message: string };
    assert.equal(error.code, 'TAB_CLOSED');
    assert.match(error.message, /navigated away or reloaded/);
  });

  test('a tab closed while its method runs fails the call as closed', async () => {
    const { server, port, tabs, tabId } = await connectedWorker();
    server.socket.receive(aCall());
    await settle();
    tabs.close(tabId);
    port.handlers!.disconnected();
    await settle();
    const error = server.socket.messages('result')[0]!.error as { code: string; message: string };
    assert.equal(error.code, 'TAB_CLOSED');
    assert.match(error.message, /was closed before the method answered/);
  });

  test('takes only top frames that the tab shows', async () => {
    const { worker, tabs } = startFakeWorker();
    const tabId = tabs.userTab(PAGE);
    const subframe = new FakePort();
    assert.equal(worker.contentConnected(subframe, { tabId, frameId: 3, documentLifecycle: 'active' }), undefined);
    const prerendered = new FakePort();
    assert.equal(worker.contentConnected(prerendered, { tabId, frameId: 0, documentLifecycle: 'prerender' }), undefined);
    assert.equal(prerendered.disconnectedByWorker, true);
    assert.notEqual(worker.contentConnected(new FakePort(), { tabId, frameId: 0, documentLifecycle: 'active' }), undefined);
  });

  test('follows a tab\'s same-document navigation for matching', async () => {
    const { server, tabs, tabId, port } = await connectedWorker();
    tabs.update(tabId, { url: 'https://example.com/elsewhere' });
    server.socket.receive(aCall());
    await settle();
    assert.equal(port.messages('call').length, 0);
    assert.deepEqual(tabs.created, [PAGE]);
  });
});

describe('worker: who it is, and the tabs it tells the server about', () => {
  test('keeps the name the server welcomes it with (an everyday browser asks for it next time)', async () => {
    const { worker, server } = startFakeWorker();
    worker.ensureConnected();
    await settle();
    server.socket.receive({ v: 1, type: 'welcome', id: 'w', serverVersion: '0.1.0', name: 'chrome-2' });
    server.socket.receive({ v: 1, type: 'welcome', id: 'w2', serverVersion: '0.1.0' }); // an older server names none
    assert.deepEqual(server.names, ['chrome-2']);
  });

  test('a managed browser closes its windows when its launch closes it; an everyday one never does', async () => {
    for (const kind of ['managed', 'everyday'] as const) {
      const { worker, server, windows, logged } = startFakeWorker();
      server.kind = kind;
      worker.ensureConnected();
      await settle();
      server.socket.receive({ v: 1, type: 'close', id: 'c1' });
      await settle();
      assert.equal(windows.closedAll, kind === 'managed' ? 1 : 0, kind);
      if (kind === 'everyday') assert.ok(logged.some((line) => /asked this everyday browser to close its windows; ignored/.test(line)), logged.join('\n'));
    }
  });

  test('reports its http(s) tabs after each hello and when they change, and only then', async () => {
    const { worker, server, clock, tabs } = startFakeWorker();
    const userTab = tabs.userTab('https://chat.example/c/1');
    tabs.userTab('chrome://settings/');
    worker.ensureConnected();
    await settle();
    await clock.advance(REPORT_DELAY_MS);
    assert.deepEqual(server.socket.messages('tabs').map((message) => message.tabs), [[{ tabId: userTab, url: 'https://chat.example/c/1' }]]);
    tabs.update(userTab, { status: 'loading' });
    tabs.update(userTab, { title: 'x' } as never);
    await clock.advance(REPORT_DELAY_MS);
    assert.equal(server.socket.messages('tabs').length, 1, 'nothing that moves a page: no report');
    tabs.update(userTab, { url: 'https://chat.example/c/2' });
    tabs.update(userTab, { status: 'complete' });
    await clock.advance(REPORT_DELAY_MS);
    assert.deepEqual(server.socket.messages('tabs').at(-1)!.tabs, [{ tabId: userTab, url: 'https://chat.example/c/2' }], 'one report for both changes');
    assert.equal(server.socket.messages('tabs').length, 2);
    tabs.update(userTab, { discarded: true });
    await clock.advance(REPORT_DELAY_MS);
    assert.deepEqual(server.socket.messages('tabs').at(-1)!.tabs, [], 'a discarded tab cannot take calls');
    server.socket.drop();
    await clock.advance(RETRY_INTERVAL_MS + REPORT_DELAY_MS);
    assert.deepEqual(server.socket.messages('tabs').map((message) => message.tabs), [[]], 'a new connection hears the list again, unchanged as it is');
  });

  test('a tab it opened for a page that redirected is reported with the page it was opened for', async () => {
    const { server, clock, tabs, linkTab } = await connectedWorker();
    server.socket.receive(aCall({ page: 'https://example.com/go' }));
    await settle();
    const opened = [...tabs.open.values()].find((tab) => tab.url === 'https://example.com/go')!;
    linkTab(opened.id, 'https://example.com/landed?from=go');
    tabs.update(opened.id, { url: 'https://example.com/landed?from=go' });
    await clock.advance(REPORT_DELAY_MS);
    const reported = server.socket.messages('tabs').at(-1)!.tabs as Record<string, unknown>[];
    assert.deepEqual(reported.find((tab) => tab.tabId === opened.id), { tabId: opened.id, url: 'https://example.com/landed?from=go', openedFor: 'https://example.com/go' });
  });
});

describe('browserBrand', () => {
  test('the browser\'s own brand, not Chromium nor the GREASE entry, in the short form any shows', () => {
    const grease = { brand: 'Not)A;Brand', version: '24.0.0.0' };
    assert.deepEqual(browserBrand([grease, { brand: 'Chromium', version: '142.0.1' }, { brand: 'Google Chrome', version: '142.0.1' }], ''), { brand: 'Chrome', version: '142.0.1' });
    assert.deepEqual(browserBrand([{ brand: 'Microsoft Edge', version: '141.0.2' }, { brand: 'Chromium', version: '141.0.2' }, grease], ''), { brand: 'Edge', version: '141.0.2' });
    assert.deepEqual(browserBrand([{ brand: 'Chromium', version: '156.0.3' }, grease], ''), { brand: 'Chromium', version: '156.0.3' });
    assert.deepEqual(browserBrand([{ brand: 'Brave', version: '1.80' }, { brand: 'Chromium', version: '140.0' }], ''), { brand: 'Brave', version: '1.80' });
  });

  test('without userAgentData, from the user agent', () => {
    assert.deepEqual(browserBrand(undefined, 'Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/156.0.0.0 Safari/537.36'), { brand: 'Chromium', version: '156.0.0.0' });
    assert.deepEqual(browserBrand(undefined, 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0'), { brand: 'Firefox', version: '140.0' });
  });
});
