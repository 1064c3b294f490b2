/**
 * The TypeScript client's WebSocket (src/client/server-connection.ts) against fake servers: a
 * `ws` WebSocketServer on 127.0.0.1 that speaks the /client protocol — or, on purpose, speaks it
 * badly. No any server and no browser here.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, describe, test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { call, methods, stream } from '../../src/client/call.js';
import { InternalError } from '../../src/client/errors.js';
import { ConnectFailure, ServerConnection, type ConnectionRequest, type Progress } from '../../src/client/server-connection.js';

interface Incoming {
  v: number;
  type: 'call' | 'list' | 'cancel';
  id: string;
  page?: string;
  method?: string;
  params?: Record<string, unknown>;
  browser?: string;
}

interface FakeServer {
  port: number;
  /** Every message received, in order. */
  received: Incoming[];
  /** Sockets the client opened, open or closed. */
  sockets: WebSocket[];
  close(): Promise<void>;
}

/**
 * A fake server on `port` (0: a free one). `answer` gets every call and its socket and sends
 * what it likes; by default it answers each call with its params, as a correct server would.
 */
async function fakeServer(answer: (message: Incoming, socket: WebSocket) => void = echo, port = 0): Promise<FakeServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port, path: '/client' });
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const received: Incoming[] = [];
  const sockets: WebSocket[] = [];
  server.on('connection', (socket) => {
    sockets.push(socket);
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Incoming | Incoming[];
      for (const message of Array.isArray(frame) ? frame : [frame]) {
        received.push(message);
        if (message.type !== 'cancel') answer(message, socket);
      }
    });
  });
  return {
    port: (server.address() as { port: number }).port,
    received,
    sockets,
    close: () => {
      for (const socket of sockets) socket.terminate();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function echo(message: Incoming, socket: WebSocket): void {
  socket.send(JSON.stringify({ v: 1, type: 'result', id: message.id, result: message.params ?? null }));
}

/** A port nobody listens on (for now). */
async function unusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const servers: FakeServer[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});
async function started(answer?: (message: Incoming, socket: WebSocket) => void, port?: number): Promise<FakeServer> {
  const server = await fakeServer(answer, port);
  servers.push(server);
  return server;
}

describe('an answer the client cannot read fails its call at once, saying what was wrong', () => {
  test('a well-formed answer is the result (the fake server speaks the protocol)', async () => {
    const server = await started();
    assert.deepEqual(await call('https://example.com/', 'echo', { a: 1 }, { port: server.port }), { a: 1 });
  });

  test('an answer that fails validation fails the call it names with INTERNAL; the others on the socket go on', async () => {
    const server = await started((message, socket) => {
      if (message.params?.bad) socket.send(JSON.stringify({ v: 2, type: 'result', id: message.id, result: 'from a newer server' }));
      else echo(message, socket);
    });
    const startedAt = Date.now();
    const [bad, good] = await Promise.allSettled([
      call('https://example.com/', 'echo', { bad: true }, { port: server.port }),
      call('https://example.com/', 'echo', { good: true }, { port: server.port }),
    ]);
    assert.ok(Date.now() - startedAt < 2_000, `took ${Date.now() - startedAt} ms (the call's deadline is 35 s)`);
    assert.equal(bad.status, 'rejected');
    const error = (bad as PromiseRejectedResult).reason as InternalError;
    assert.ok(error instanceof InternalError);
    assert.equal(error.code, 'INTERNAL');
    assert.equal(error.name, 'InternalError');
    assert.match(error.message, /answered __any__\.echo on https:\/\/example\.com\/ with a message this client cannot read \(v must be 1 \(the protocol version\)\)\. /);
    assert.match(error.message, /same version of any: update any, then restart the server/);
    assert.match(error.message, new RegExp(`npx any stop --port ${server.port}`));
    assert.deepEqual(good, { status: 'fulfilled', value: { good: true } });
    assert.equal(server.sockets.length, 1, 'the socket stays open for the calls it can read');
  });

  test('in a frame of several answers, only the call whose answer is malformed fails', async () => {
    let batch: Incoming[] = [];
    const server = await started((message, socket) => {
      batch.push(message);
      if (batch.length < 3) return;
      const [first, second, third] = batch as [Incoming, Incoming, Incoming];
      batch = [];
      socket.send(JSON.stringify([
        { v: 1, type: 'result', id: first.id, result: 1 },
        { v: 1, type: 'result', id: second.id, result: 2, error: { name: 'X', message: 'both', code: 'INTERNAL' } },
        { v: 1, type: 'result', id: third.id, result: 3 },
      ]));
    });
    const outcomes = await Promise.allSettled([1, 2, 3].map((n) => call('https://example.com/', 'echo', { n }, { port: server.port })));
    assert.deepEqual(outcomes[0], { status: 'fulfilled', value: 1 });
    assert.deepEqual(outcomes[2], { status: 'fulfilled', value: 3 });
    assert.equal(outcomes[1]!.status, 'rejected');
    assert.match(((outcomes[1] as PromiseRejectedResult).reason as Error).message, /cannot read \(a result carries exactly one of "result" and "error"\)/);
  });

  test('a frame that is not JSON fails every call on its socket and closes it; the next call connects afresh', async () => {
    let sabotage = true;
    const server = await started((message, socket) => {
      if (!sabotage) return echo(message, socket);
      if (message.params?.n === 2) socket.send(`{"v":1,"type":"result","id":"${message.id}","result":`);
    });
    const connection = new ServerConnection(server.port);
    const request = (n: number): ConnectionRequest => ({
      message: { type: 'call', page: 'https://example.com/', method: 'echo', params: { n } },
      deadlineMs: 10_000,
      autoStart: false,
      label: `call ${n}`,
    });
    const startedAt = Date.now();
    const outcomes = await Promise.allSettled([1, 2].map((n) => connection.request(request(n))));
    assert.ok(Date.now() - startedAt < 2_000, `took ${Date.now() - startedAt} ms`);
    for (const [index, outcome] of outcomes.entries()) {
      assert.equal(outcome.status, 'rejected');
      const error = (outcome as PromiseRejectedResult).reason as InternalError;
      assert.equal(error.code, 'INTERNAL');
      assert.match(error.message, new RegExp(`sent a frame that is not JSON \\(.+\\), so the answer to call ${index + 1} cannot be read\\. `));
      assert.match(error.message, /update any, then restart the server/);
    }
    const first = server.sockets[0]!;
    if (first.readyState !== WebSocket.CLOSED) await new Promise((resolve) => first.once('close', resolve));
    sabotage = false;
    assert.deepEqual(await connection.request(request(3)), { n: 3 });
    assert.equal(server.sockets.length, 2, 'a new socket for the next call');
  });

  test('a binary frame is treated as a frame that is not JSON', async () => {
    const server = await started((message, socket) => socket.send(Buffer.from(JSON.stringify({ v: 1, type: 'result', id: message.id, result: 1 }))));
    await assert.rejects(call('https://example.com/', 'echo', {}, { port: server.port }), { code: 'INTERNAL', message: /a binary frame/ });
  });

  test('an unreadable message that names no call: the call still times out, and its TIMEOUT says what came instead', async () => {
    const server = await started((_message, socket) => socket.send(JSON.stringify({ v: 1, kind: 'answer' })));
    const connection = new ServerConnection(server.port);
    await assert.rejects(connection.request({
      message: { type: 'call', page: 'https://example.com/', method: 'echo' },
      deadlineMs: 300,
      autoStart: false,
      label: 'the call',
    }), { code: 'TIMEOUT', message: /did not answer the call in time\. It did send a message this client cannot read \(.+\): .*restart the server/ });
  });

  test('answers for calls the client gave up on are ignored, as before', async () => {
    const server = await started((message, socket) => setTimeout(() => echo(message, socket), 200));
    const connection = new ServerConnection(server.port);
    const controller = new AbortController();
    const request = (signal?: AbortSignal): ConnectionRequest => ({
      message: { type: 'call', page: 'https://example.com/', method: 'echo', params: {} },
      deadlineMs: 5_000,
      autoStart: false,
      label: 'the call',
      ...(signal ? { signal } : {}),
    });
    const cancelled = connection.request(request(controller.signal));
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(cancelled, { code: 'CANCELLED' });
    assert.deepEqual(await connection.request(request()), {});
    assert.ok(server.received.some((message) => message.type === 'cancel'));
  });
});

describe('calls that share one connection attempt each keep their own autoStart and onStage', () => {
  /**
   * A connection to a port nobody listens on, whose "server start" brings up a fake server there
   * after `delayMs` (or fails), instead of spawning `any serve`.
   */
  async function withoutServer(options: { delayMs?: number; fail?: string } = {}) {
    const port = await unusedPort();
    const starts: number[] = [];
    const connection = new ServerConnection(port, async (startPort) => {
      starts.push(startPort);
      await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 50));
      if (options.fail) throw new Error(options.fail);
      await started(undefined, startPort);
    });
    const progress = new Map<string, Progress[]>();
    const request = (name: string, autoStart: boolean, extra: Partial<ConnectionRequest> = {}) => {
      progress.set(name, []);
      return connection.request({
        message: { type: 'call', page: 'https://example.com/', method: 'echo', params: { name } },
        deadlineMs: 5_000,
        autoStart,
        onStage: (stage) => progress.get(name)!.push(stage),
        label: name,
        ...extra,
      });
    };
    return { port, starts, progress, request };
  }

  test('alone, a call with autoStart: false fails (NO_SERVER in call()) and starts nothing', async () => {
    const { starts, progress, request } = await withoutServer();
    await assert.rejects(request('b', false), (error) => error instanceof ConnectFailure && error.reason === 'nobody-listens');
    assert.deepEqual(starts, []);
    assert.deepEqual(progress.get('b'), []);
  });

  test('several calls with autoStart: false at once: all fail, nothing is started', async () => {
    const { starts, request } = await withoutServer();
    const outcomes = await Promise.allSettled([request('b1', false), request('b2', false), request('b3', false)]);
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ['rejected', 'rejected', 'rejected']);
    assert.deepEqual(starts, []);
  });

  for (const order of [['autoStart: true', 'autoStart: false'], ['autoStart: false', 'autoStart: true']]) {
    test(`${order.join(' and ')}, made at the same moment: one server is started, both wait for it, both are told`, async () => {
      const { port, starts, progress, request } = await withoutServer();
      const calls = order.map((which) => (which === 'autoStart: true' ? request('a', true) : request('b', false)));
      assert.deepEqual(await Promise.all(calls), order.map((which) => ({ name: which === 'autoStart: true' ? 'a' : 'b' })));
      assert.deepEqual(starts, [port], 'one start, by the call that allowed it');
      assert.deepEqual(progress.get('a'), ['starting-server', 'sent']);
      assert.deepEqual(progress.get('b'), ['starting-server', 'sent']);
    });
  }

  test('a call that comes while a server is being started waits for it and is told so, whatever its autoStart', async () => {
    const { starts, progress, request } = await withoutServer({ delayMs: 300 });
    const first = request('a', true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(progress.get('a'), ['starting-server']);
    const late = request('b', false);
    assert.deepEqual(progress.get('b'), ['starting-server'], 'told at once');
    assert.deepEqual(await Promise.all([first, late]), [{ name: 'a' }, { name: 'b' }]);
    assert.equal(starts.length, 1);
  });

  test('a call with autoStart: true that gives up before the port refuses does not start a server for the others', async () => {
    const { starts, request } = await withoutServer();
    const controller = new AbortController();
    const a = request('a', true, { signal: controller.signal });
    const b = request('b', false);
    controller.abort(); // before the refusal comes back from the port
    await assert.rejects(a, { code: 'CANCELLED' });
    await assert.rejects(b, (error) => error instanceof ConnectFailure && error.reason === 'nobody-listens');
    assert.deepEqual(starts, []);
  });

  test('the caller that asked for the start giving up during it does not fail the others waiting', async () => {
    const { starts, request } = await withoutServer({ delayMs: 200 });
    const controller = new AbortController();
    const a = request('a', true, { signal: controller.signal });
    const b = request('b', false);
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(a, { code: 'CANCELLED' });
    assert.deepEqual(await b, { name: 'b' });
    assert.equal(starts.length, 1);
  });

  test('a start that fails fails every call waiting for it, with the reason', async () => {
    const { request } = await withoutServer({ fail: 'port taken by a test' });
    const outcomes = await Promise.allSettled([request('a', true), request('b', false)]);
    for (const outcome of outcomes) {
      assert.equal(outcome.status, 'rejected');
      const error = (outcome as PromiseRejectedResult).reason;
      assert.ok(error instanceof ConnectFailure && error.reason === 'start-failed', String(error));
      assert.match(error.message, /port taken by a test/);
    }
  });

  test('an onStage that throws fails its own call with what it threw, and no other', async () => {
    const { request } = await withoutServer();
    const thrown = new Error('display broke');
    const outcomes = await Promise.allSettled([
      request('a', true, { onStage: (stage) => { if (stage === 'starting-server') throw thrown; } }),
      request('b', true),
    ]);
    assert.deepEqual(outcomes, [{ status: 'rejected', reason: thrown }, { status: 'fulfilled', value: { name: 'b' } }]);
  });
});

describe('the browser a call names travels in its message', () => {
  test('call(), stream() and methods() send `browser` when given, and no field when not', async () => {
    const server = await started((message, socket) => {
      const result = message.type === 'list' ? [] : message.params ?? null;
      socket.send(JSON.stringify({ v: 1, type: 'result', id: message.id, result }));
    });
    const port = server.port;
    await call('https://example.com/', 'echo', {}, { port, browser: 'work' });
    await stream('https://example.com/', 'echo', {}, { port, browser: 'chrome-2' }).result;
    await methods('https://example.com/', { port, browser: 'b.x_y' });
    await call('https://example.com/', 'echo', {}, { port });
    assert.deepEqual(server.received.map((message) => [message.type, message.browser]),
      [['call', 'work'], ['call', 'chrome-2'], ['list', 'b.x_y'], ['call', undefined]]);
    assert.ok(!('browser' in server.received[3]!));
  });

  test('a malformed name fails with BAD_REQUEST and sends nothing', async () => {
    const server = await started();
    await assert.rejects(call('https://example.com/', 'echo', {}, { port: server.port, browser: 'not a name' }), { code: 'BAD_REQUEST', message: /browser must be a name/ });
    await assert.rejects(methods('https://example.com/', { port: server.port, browser: 'x'.repeat(64) }), { code: 'BAD_REQUEST', message: /browser must be a name/ });
    assert.deepEqual(server.received, []);
    assert.equal(server.sockets.length, 0, 'no connection was made');
  });
});
