/**
 * The server over real HTTP on a free port, with a fake extension: a `ws` client that speaks
 * the protocol. No browser here; the e2e suite runs the same contract against real Chromium.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { PINNED_EXTENSION_ID } from '../../src/extension-identity.js';
import { startServer, type AnyServer } from '../../src/server/server.js';
import { connectFakeExtension, http, type FakeExtension, type RawResponse } from '../helpers/fake-extension.js';

const callBody = (extra: Record<string, unknown> = {}) => JSON.stringify({ page: 'https://example.com/', method: 'echo', params: { a: 1 }, ...extra });

describe('the any server', () => {
  let server: AnyServer;
  let shutdownRequests = 0;

  before(async () => {
    server = await startServer({ port: 0, browserWaitMs: 200, maxBodyBytes: 64 * 1024, onShutdownRequest: () => shutdownRequests++ });
  });
  after(async () => {
    await server.close();
  });

  /** Closes the fake extension and waits until the server has let go of it. */
  async function disconnect(extension: FakeExtension): Promise<void> {
    extension.socket.close();
    while (server.dispatcher.browsers.length) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  test('listens on loopback only', async () => {
    assert.ok(server.addresses.length >= 1);
    for (const address of server.addresses) assert.ok(['127.0.0.1', '::1'].includes(address), address);
    // Where the machine has another address, the port is closed there.
    const external = Object.values(networkInterfaces()).flat().find((address) => address && !address.internal && address.family === 'IPv4');
    if (external) await assert.rejects(fetch(`http://${external.address}:${server.port}/health`));
  });

  test('a frame on a closing socket does not bring the server down', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { origin: `chrome-extension://${PINNED_EXTENSION_ID}` });
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(Buffer.from([1, 2, 3]), { binary: true }); // the server closes on binary frames...
    socket.send(JSON.stringify({ v: 1, type: 'ping', id: 'p1' })); // ...and must not throw answering this
    await new Promise((resolve) => socket.once('close', resolve));
    assert.equal((await http(server.port, 'GET', '/health')).status, 200);
  });

  test('a frame that is not JSON closes that browser\'s socket (1007), and its calls fail with DISCONNECTED after the reconnect grace', { timeout: 5_000 }, async () => {
    const own = await startServer({ port: 0, reconnectGraceMs: 100 });
    try {
      const extension = await connectFakeExtension(own.port);
      const answer = http(own.port, 'POST', '/call', callBody());
      const call = await extension.nextCall();
      const closed = new Promise<number>((resolve) => extension.socket.once('close', resolve));
      // It names the call, but a frame that is not JSON is not believed: the socket goes, not the call alone.
      extension.socket.send(`{"v":1,"type":"result","id":"${call.id}","result":1}{`);
      assert.equal(await closed, 1007);
      const response = await answer;
      assert.equal(response.status, 502);
      assert.equal(response.body.error.code, 'DISCONNECTED');
      assert.match(response.body.error.message, /did not come back within 100 ms/);
      assert.equal((await http(own.port, 'GET', '/health')).status, 200, 'still serving');
    } finally {
      await own.close();
    }
  });

  test('a browser that reconnects before its old socket closes keeps its calls past the grace', async () => {
    const own = await startServer({ port: 0, reconnectGraceMs: 100 });
    try {
      const first = await connectFakeExtension(own.port, 'same-worker');
      const answer = http(own.port, 'POST', '/call', callBody());
      const call = await first.nextCall();
      const second = await connectFakeExtension(own.port, 'same-worker');
      first.socket.close();
      await new Promise((resolve) => setTimeout(resolve, 400)); // well past the 100 ms grace
      second.send({ v: 1, type: 'result', id: call.id, result: 'via the new socket' });
      assert.deepEqual((await answer).body.result, 'via the new socket');
      second.socket.close();
    } finally {
      await own.close();
    }
  });

  test('shutting down answers the calls in flight with DISCONNECTED instead of cutting them off', async () => {
    const own = await startServer({ port: 0 });
    const extension = await connectFakeExtension(own.port);
    const answer = http(own.port, 'POST', '/call', callBody());
    await extension.nextCall();
    await own.close();
    const response = await answer;
    assert.equal(response.status, 502);
    assert.equal(response.body.error.code, 'DISCONNECTED');
    assert.match(response.body.error.message, /shut down/);
  });

  test('shutting down does not wait for a WebSocket peer that never answers the close handshake (a frozen browser)', async () => {
    const own = await startServer({ port: 0 });
    const peer = connect(own.port, '127.0.0.1');
    await new Promise((resolve) => peer.once('connect', resolve));
    peer.write(`GET /client HTTP/1.1\r\nHost: 127.0.0.1:${own.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    const [handshake] = await Promise.all([new Promise<Buffer>((resolve) => peer.once('data', resolve))]);
    assert.match(handshake.toString(), /^HTTP\/1\.1 101/);
    peer.pause(); // from now on it reads nothing and answers nothing
    const started = Date.now();
    await own.close();
    const took = Date.now() - started;
    peer.destroy();
    assert.ok(took < 5_000, `close() took ${took} ms; ws waits 30 s for a close handshake`);
  });

  test('GET /health says whether a browser is connected', async () => {
    const before = await http(server.port, 'GET', '/health');
    assert.equal(before.status, 200);
    assert.equal(before.body.ok, true);
    assert.equal(before.body.v, 1);
    assert.equal(before.body.extension, false);
    const extension = await connectFakeExtension(server.port);
    const during = await http(server.port, 'GET', '/health');
    assert.equal(during.body.extension, true);
    assert.equal(during.body.browsers[0].workerId, 'fake-worker');
    await disconnect(extension);
  });

  test('POST /call answers 200 {v, id, result} with the browser\'s result', async () => {
    const extension = await connectFakeExtension(server.port);
    const answer = http(server.port, 'POST', '/call', callBody());
    const call = await extension.nextCall();
    assert.deepEqual({ ...call, id: 'x', timeout: 0 }, { v: 1, type: 'call', id: 'x', page: 'https://example.com/', method: 'echo', params: { a: 1 }, timeout: 0 });
    extension.send({ v: 1, type: 'result', id: call.id, result: { echoed: true } });
    assert.deepEqual(await answer, { status: 200, body: { v: 1, id: call.id, result: { echoed: true } } });
    await disconnect(extension);
  });

  test('a method that threw answers 500 with the page\'s own error name and message', async () => {
    const extension = await connectFakeExtension(server.port);
    const answer = http(server.port, 'POST', '/call', callBody());
    const call = await extension.nextCall();
    const error = { name: 'TypeError', message: 'x', code: 'METHOD_THREW', stack: 'TypeError: x\n    at echo (page.js:1:1)' };
    extension.send({ v: 1, type: 'result', id: call.id, error });
    assert.deepEqual(await answer, { status: 500, body: { v: 1, id: call.id, error } });
    await disconnect(extension);
  });

  test('no browser: 503 NO_BROWSER after the browser wait, saying how to get one', async () => {
    const answer = await http(server.port, 'POST', '/call', callBody());
    assert.equal(answer.status, 503);
    assert.equal(answer.body.error.code, 'NO_BROWSER');
    assert.match(answer.body.error.message, /npx any launch/);
    assert.equal(typeof answer.body.id, 'string');
  });

  test('a caller that hangs up cancels its call in the browser', async () => {
    const extension = await connectFakeExtension(server.port);
    const outgoing = request({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/call', headers: { 'content-type': 'application/json' } });
    outgoing.on('error', () => {});
    outgoing.end(callBody());
    const call = await extension.nextCall();
    outgoing.destroy();
    const cancel = await extension.nextMessage('cancel');
    assert.deepEqual(cancel, { v: 1, type: 'cancel', id: call.id, reason: 'CANCELLED' });
    assert.equal(server.dispatcher.callsInFlight, 0);
    await disconnect(extension);
  });

  test('POST /launch: a waiting call hears why the browser `any launch` started did not connect', async () => {
    const own = await startServer({ port: 0, browserWaitMs: 100 });
    try {
      const report = { v: 1, launch: 'launch-1', installId: 'install-1', browser: 'Google Chrome 140 (/opt/google/chrome/chrome), pid 42' };
      assert.deepEqual(await http(own.port, 'POST', '/launch', JSON.stringify({ ...report, state: 'starting', connectWithinMs: 10_000 })),
        { status: 200, body: { ok: true, v: 1 } });
      const answer = http(own.port, 'POST', '/call', callBody());
      await new Promise((resolve) => setTimeout(resolve, 300)); // past the 100 ms browser wait: it waits for the launch
      assert.equal(own.dispatcher.calls.length, 1);
      await http(own.port, 'POST', '/launch', JSON.stringify({ v: 1, launch: 'launch-1', state: 'failed', problem: 'Google Chrome 140 ignores --load-extension.' }));
      const { status, body } = await answer;
      assert.equal(status, 503);
      assert.equal(body.error.code, 'NO_BROWSER');
      assert.match(body.error.message, /`any launch` gave up on the browser it started: Google Chrome 140 ignores --load-extension\.$/);
    } finally {
      await own.close();
    }
  });

  test('POST /launch closing: answers whether a managed browser with that install id was told to close', async () => {
    assert.deepEqual(await http(server.port, 'POST', '/launch', JSON.stringify({ v: 1, state: 'closing', installId: 'install-nobody' })),
      { status: 200, body: { ok: true, v: 1, closing: false } });
  });

  const badRequests: [string, () => Promise<RawResponse>, number, string, RegExp][] = [
    ['malformed JSON', () => http(server.port, 'POST', '/call', '{"page":'), 400, 'BAD_REQUEST', /not valid JSON/],
    ['a missing field', () => http(server.port, 'POST', '/call', '{"page":"https://a.b/"}'), 400, 'BAD_REQUEST', /missing field "method"/],
    ['params that is not an object', () => http(server.port, 'POST', '/call', callBody({ params: [1] })), 400, 'BAD_REQUEST', /params must be a JSON object/],
    ['an unknown field', () => http(server.port, 'POST', '/call', callBody({ code: 'alert(1)' })), 400, 'BAD_REQUEST', /unknown field "code"/],
    ['a javascript: page', () => http(server.port, 'POST', '/call', callBody({ page: 'javascript:alert(1)' })), 400, 'BAD_REQUEST', /http: or https:/],
    ['a body that is not JSON-typed', () => http(server.port, 'POST', '/call', callBody(), { 'content-type': 'text/plain' }), 415, 'BAD_REQUEST', /application\/json/],
    ['an oversized body', () => http(server.port, 'POST', '/call', Buffer.alloc(100 * 1024, 32)), 413, 'TOO_LARGE', /larger than 65536 bytes/],
    ['an unknown route', () => http(server.port, 'GET', '/nope'), 404, 'NOT_FOUND', /no \/nope/],
    ['the wrong HTTP method', () => http(server.port, 'GET', '/call'), 405, 'BAD_REQUEST', /GET is not allowed/],
    ['a foreign Host (DNS rebinding)', () => http(server.port, 'GET', '/health', undefined, { host: 'evil.example:80' }), 403, 'FORBIDDEN', /Host "evil.example:80" is refused/],
    ['a web page\'s Origin', () => http(server.port, 'POST', '/call', callBody(), { origin: 'https://evil.example' }), 403, 'FORBIDDEN', /web pages are refused/],
    ['a launch report in another state', () => http(server.port, 'POST', '/launch', JSON.stringify({ v: 1, launch: 'l', state: 'running' })), 400, 'BAD_REQUEST', /Bad launch report: .*state must be "starting", "failed", "closing" or "closed"/],
    ['a closing report without the browser\'s install id', () => http(server.port, 'POST', '/launch', JSON.stringify({ v: 1, state: 'closing' })), 400, 'BAD_REQUEST', /Bad launch report: .*installId/],
    ['a launch report without its install id', () => http(server.port, 'POST', '/launch', JSON.stringify({ v: 1, launch: 'l', state: 'starting', browser: 'x', connectWithinMs: 1 })), 400, 'BAD_REQUEST', /Bad launch report: .*installId/],
    ['a launch report from a web page', () => http(server.port, 'POST', '/launch', JSON.stringify({ v: 1, launch: 'l', state: 'closed' }), { origin: 'https://evil.example' }), 403, 'FORBIDDEN', /web pages are refused/],
    ['a cross-site browser request', () => http(server.port, 'GET', '/health', undefined, { 'sec-fetch-site': 'cross-site' }), 403, 'FORBIDDEN', /web pages are refused/],
  ];
  for (const [what, send, status, code, message] of badRequests) {
    test(`refuses ${what} with ${status} ${code}`, async () => {
      const answer = await send();
      assert.equal(answer.status, status);
      assert.equal(answer.body.v, 1);
      assert.equal(answer.body.error.code, code);
      assert.match(answer.body.error.message, message);
      assert.equal(answer.body.error.stack, undefined, 'no server internals');
      assert.equal((await http(server.port, 'GET', '/health')).status, 200, 'still serving');
    });
  }

  test('the WebSocket accepts only the any extension\'s origin', async () => {
    for (const origin of ['https://evil.example', 'chrome-extension://someotherextensionidaaaaaaaaaaaa', '']) {
      const socket = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, origin ? { origin } : {});
      const outcome = await new Promise<string>((resolve) => {
        socket.once('open', () => resolve('open'));
        socket.once('unexpected-response', (_request, response) => resolve(String(response.statusCode)));
        socket.once('error', () => resolve('error'));
      });
      assert.notEqual(outcome, 'open', origin);
      socket.terminate();
    }
  });

  test('POST /shutdown answers, then asks the host process to stop', async () => {
    const answer = await http(server.port, 'POST', '/shutdown', '{}');
    assert.equal(answer.status, 200);
    assert.equal(shutdownRequests, 1);
  });
});

describe('frames from the extension', () => {
  test('a frame of several results answers each call, and a bad message in it fails only its own call', async () => {
    const server = await startServer({ port: 0 });
    try {
      const extension = await connectFakeExtension(server.port);
      const answers = [1, 2, 3].map(() => http(server.port, 'POST', '/call', callBody()));
      const calls = [await extension.nextCall(), await extension.nextCall(), await extension.nextCall()];
      extension.socket.send(JSON.stringify([
        { v: 1, type: 'result', id: calls[0]!.id, result: 'first' },
        { v: 1, type: 'result', id: calls[1]!.id, result: 'x', error: { name: 'E', message: 'both', code: 'INTERNAL' } },
        { v: 1, type: 'result', id: calls[2]!.id, result: 'third' },
      ]));
      const [first, second, third] = await Promise.all(answers);
      assert.equal(first!.body.result, 'first');
      assert.equal(second!.body.error.code, 'INTERNAL');
      assert.match(second!.body.error.message, /exactly one of "result" and "error"/);
      assert.equal(third!.body.result, 'third');
      extension.socket.close();
    } finally {
      await server.close();
    }
  });
});
