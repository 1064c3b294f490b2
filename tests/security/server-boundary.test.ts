/**
 * The server's doors, tried with everything a web page, a rebound host name, another local user
 * or a malformed client can send. After each attempt the server still serves, and no call ever
 * reached the browser.
 *
 * The tables run in-process, through the HTTP handler and the admission decisions themselves
 * (no port, no timing); a sample of each runs again over a real socket to a running server, whose
 * fake extension records every message it gets, to show that real connections are refused the
 * same way. The promises tested here are listed in docs/security.md.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { PINNED_EXTENSION_ID } from '../../src/extension-identity.js';
import { createMcpHttpDoor, type McpHttpDoor } from '../../src/mcp/http-door.js';
import type { PageAccess } from '../../src/mcp/page-access.js';
import type { ServerToExtension } from '../../src/protocol/index.js';
import { admitRequest, admitUpgrade } from '../../src/server/admission.js';
import { CallDispatcher } from '../../src/server/dispatcher.js';
import { createHttpApi, type HttpApi } from '../../src/server/http-api.js';
import { CAN_IDENTIFY_PEERS } from '../../src/server/peer-user.js';
import { DEFAULT_MAX_BODY_BYTES, startServer, type AnyServer } from '../../src/server/server.js';
import { connectFakeExtension, http, type FakeExtension, type RawResponse } from '../helpers/fake-extension.js';

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 5_000) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const validCall = JSON.stringify({ page: 'https://example.com/', method: 'count', params: {} });
const EXTENSION_ORIGIN = `chrome-extension://${PINNED_EXTENSION_ID}`;

/** A way in: the HTTP handler called in-process, or a real socket to a running server. */
interface Door {
  /** The port the server behind this door answers to. */
  port(): number;
  /** A request with `Host` 127.0.0.1:port and a JSON content type unless `headers` say otherwise. */
  send(method: string, path: string, body?: string, headers?: Record<string, string>): Promise<RawResponse>;
  /** After a hostile request: the server still answers, and the browser was never asked to run anything. */
  assertNothingRan(): Promise<void>;
}

/**
 * The HTTP API with no server around it: a dispatcher whose one browser records what it is sent,
 * and `request()` called directly. The port is only the one the API answers to: nothing listens.
 */
function inProcessDoor(): Door & { api: HttpApi } {
  const port = 8765;
  const sent: ServerToExtension[] = [];
  const dispatcher = new CallDispatcher({ browserWaitMs: 100, reconnectGraceMs: 100, port });
  dispatcher.attach({
    hello: { v: 1, type: 'hello', id: 'hello', workerId: 'recording', extensionVersion: '0.0.0', userAgent: 'none' },
    connectedAt: new Date(0).toISOString(),
    send: (message) => sent.push(message),
    inspect: async () => undefined,
  });
  const api = createHttpApi({
    dispatcher,
    port: () => port,
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    extensionOrigins: new Set([EXTENSION_ORIGIN]),
    serverVersion: '0.0.0',
    requestShutdown: () => assert.fail('asked to shut down'),
    log: () => {},
  });
  const send: Door['send'] = async (method, path, body, headers = {}) => {
    const response = await api.request({ method, path, body, headers: { host: `127.0.0.1:${port}`, 'content-type': 'application/json', ...headers } });
    return { status: response.status, body: JSON.parse(response.body as string) };
  };
  return {
    api,
    port: () => port,
    send,
    async assertNothingRan() {
      assert.equal((await send('GET', '/health')).status, 200);
      assert.deepEqual(sent.filter((message) => message.type === 'call'), []);
    },
  };
}

function assertRefused(response: RawResponse, status: number, code: string, message?: RegExp): void {
  assert.equal(response.status, status);
  assert.equal(response.body.v, 1);
  assert.equal(response.body.error.code, code);
  if (message) assert.match(response.body.error.message, message);
  assert.equal(response.body.error.stack, undefined, 'no server internals');
}

describe('the server\'s boundary', () => {
  let server: AnyServer;
  let extension: FakeExtension;
  const inProcess = inProcessDoor();
  const overSocket: Door = {
    port: () => server.port,
    send: (method, path, body, headers) => http(server.port, method, path, body, headers),
    async assertNothingRan() {
      assert.equal((await http(server.port, 'GET', '/health')).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(extension.received.filter((message) => message.type === 'call'), []);
    },
  };
  const assertNothingRan = () => overSocket.assertNothingRan();

  before(async () => {
    server = await startServer({ port: 0, browserWaitMs: 100 });
    extension = await connectFakeExtension(server.port);
  });
  after(async () => {
    extension.socket.close();
    await server.close();
  });

  describe('Host header (DNS rebinding)', () => {
    const table: [string, (port: number) => string, boolean][] = [
      ['127.0.0.1 with the port', (port) => `127.0.0.1:${port}`, true],
      ['localhost with the port', (port) => `localhost:${port}`, true],
      ['LOCALHOST in capitals', (port) => `LOCALHOST:${port}`, true],
      ['[::1] with the port', (port) => `[::1]:${port}`, true],
      ['a foreign name with our port', (port) => `evil.example:${port}`, false],
      ['a name that rebinds to 127.0.0.1', (port) => `127.0.0.1.nip.io:${port}`, false],
      ['localhost as a subdomain', (port) => `localhost.evil.example:${port}`, false],
      ['localhost without a port', () => 'localhost', false],
      ['127.0.0.1 with another port', (port) => `127.0.0.1:${port + 1}`, false],
      ['0.0.0.0', (port) => `0.0.0.0:${port}`, false],
    ];
    const tryHost = async (door: Door, host: (port: number) => string, allowed: boolean) => {
      const headers = { host: host(door.port()) };
      const health = await door.send('GET', '/health', undefined, headers);
      if (allowed) return assert.equal(health.status, 200);
      assertRefused(health, 403, 'FORBIDDEN', /Host .* is refused/);
      assertRefused(await door.send('POST', '/call', validCall, headers), 403, 'FORBIDDEN');
      await door.assertNothingRan();
    };
    for (const [what, host, allowed] of table) {
      test(`${allowed ? 'accepts' : 'refuses'} ${what}`, () => tryHost(inProcess, host, allowed));
    }

    test('a real socket is refused the same way', async () => {
      for (const [, host, allowed] of table.filter(([what]) => /localhost|foreign|rebinds/.test(what))) await tryHost(overSocket, host, allowed);
    });

    test('refuses an empty or a missing Host (over a real socket: Node itself answers the missing one)', async () => {
      const statusLine = (request: string) => new Promise<string>((resolve) => {
        const socket = connect(server.port, '127.0.0.1', () => socket.end(request));
        let answer = '';
        socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk)).on('close', () => resolve(answer.split('\r\n')[0]!));
      });
      assert.match(await statusLine('GET /health HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n'), / 403 /);
      assert.match(await statusLine('GET /health HTTP/1.1\r\nConnection: close\r\n\r\n'), / 400 /);
      await assertNothingRan();
    });
  });

  describe('requests from web pages (Origin), whatever their content type', () => {
    const origins = ['https://evil.example', 'http://127.0.0.1:1234', 'http://localhost', 'null', 'file://', `chrome-extension://${'a'.repeat(32)}`];
    const contentTypes = ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'];
    const tryOrigin = async (door: Door, origin: string) => {
      for (const contentType of contentTypes) {
        assertRefused(await door.send('POST', '/call', validCall, { origin, 'content-type': contentType }), 403, 'FORBIDDEN', /web pages are refused/);
      }
      assertRefused(await door.send('GET', '/health', undefined, { origin }), 403, 'FORBIDDEN');
      assertRefused(await door.send('GET', '/status', undefined, { origin }), 403, 'FORBIDDEN');
      assertRefused(await door.send('POST', '/shutdown', '{}', { origin }), 403, 'FORBIDDEN');
      assertRefused(await door.send('POST', '/launch', JSON.stringify({ v: 1, launch: 'l', state: 'failed', problem: 'a page says the launch failed' }), { origin }), 403, 'FORBIDDEN');
      await door.assertNothingRan();
    };
    for (const origin of origins) {
      test(`refuses Origin ${origin} on every route and content type`, () => tryOrigin(inProcess, origin));
    }

    const tryExtensionOrigin = async (door: Door) => {
      const origin = EXTENSION_ORIGIN;
      assert.equal((await door.send('GET', '/health', undefined, { origin })).status, 200);
      assertRefused(await door.send('POST', '/call', validCall, { origin }), 403, 'FORBIDDEN');
      assertRefused(await door.send('POST', '/shutdown', '{}', { origin }), 403, 'FORBIDDEN');
      assertRefused(await door.send('POST', '/launch', JSON.stringify({ v: 1, launch: 'l', state: 'failed', problem: 'a page says the launch failed' }), { origin }), 403, 'FORBIDDEN');
      await door.assertNothingRan();
    };
    test('the extension\'s own origin may knock on GET /health, and on nothing else', () => tryExtensionOrigin(inProcess));

    const trySecFetchSite = async (door: Door) => {
      for (const site of ['cross-site', 'same-site', 'same-origin']) {
        assertRefused(await door.send('GET', '/health', undefined, { 'sec-fetch-site': site }), 403, 'FORBIDDEN');
      }
      assert.equal((await door.send('GET', '/health', undefined, { 'sec-fetch-site': 'none' })).status, 200, 'typed into the address bar');
    };
    test('refuses browser requests that carry no Origin but a cross-site Sec-Fetch-Site (a no-cors GET)', () => trySecFetchSite(inProcess));

    test('Firefox\'s knock (GET /health, no Origin, Sec-Fetch-Site: same-origin) is refused like a page of this origin, and not logged', () => {
      const policy = { port: 4242, extensionOrigins: new Set([EXTENSION_ORIGIN]) };
      const knock = (method: string, path: string, site = 'same-origin') =>
        admitRequest({ method, path, headers: { host: '127.0.0.1:4242', 'sec-fetch-site': site }, sameUser: true }, policy);
      const routine = knock('GET', '/health');
      assert.equal(routine.admitted, false);
      assert.equal(!routine.admitted && routine.logLine, undefined, 'it comes each time Firefox starts the event page');
      // The same page asking anything else, or a cross-site one, is still logged.
      for (const refused of [knock('GET', '/status'), knock('POST', '/call'), knock('GET', '/health', 'cross-site')]) {
        assert.match(!refused.admitted ? refused.logLine ?? '' : '', /^refused /);
      }
    });

    const tryContentTypes = async (door: Door) => {
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']) {
        assertRefused(await door.send('POST', '/call', validCall, { 'content-type': contentType }), 415, 'BAD_REQUEST', /application\/json/);
      }
      await door.assertNothingRan();
    };
    test('accepts JSON only, even without an Origin', () => tryContentTypes(inProcess));

    test('a real socket is refused the same way', async () => {
      await tryOrigin(overSocket, 'https://evil.example');
      await tryOrigin(overSocket, 'null');
      await tryExtensionOrigin(overSocket);
      await trySecFetchSite(overSocket);
      await tryContentTypes(overSocket);
    });
  });

  describe('bad input', () => {
    const bodies: [string, string, RegExp][] = [
      ['malformed JSON', '{"page": "https://a.b/", ', /not valid JSON/],
      ['a JSON array', '[1, 2]', /missing field "page"|expected a JSON object/],
      ['a JSON string', '"call"', /expected a JSON object/],
      ['a missing method', '{"page": "https://a.b/"}', /missing field "method"/],
      ['a number for page', '{"page": 1, "method": "m"}', /page must be a string/],
      ['params as an array', '{"page": "https://a.b/", "method": "m", "params": []}', /params must be a JSON object/],
      ['params as null', '{"page": "https://a.b/", "method": "m", "params": null}', /params must be a JSON object/],
      ['params as a string', '{"page": "https://a.b/", "method": "m", "params": "{}"}', /params must be a JSON object/],
      ['an unknown field (code)', '{"page": "https://a.b/", "method": "m", "code": "alert(1)"}', /unknown field "code"/],
      ['an unknown field (__proto__)', '{"page": "https://a.b/", "method": "m", "__proto__": {"x": 1}}', /unknown field "__proto__"/],
      ['a javascript: page', '{"page": "javascript:alert(1)", "method": "m"}', /absolute http: or https: URL/],
      ['a file: page', '{"page": "file:///etc/passwd", "method": "m"}', /absolute http: or https: URL/],
      ['a chrome: page', '{"page": "chrome://settings/", "method": "m"}', /absolute http: or https: URL/],
      ['a data: page', '{"page": "data:text/html,<p>x", "method": "m"}', /absolute http: or https: URL/],
      ['a relative page', '{"page": "/call", "method": "m"}', /absolute http: or https: URL/],
      ['an empty method', '{"page": "https://a.b/", "method": ""}', /method must not be empty/],
      ['a huge method name', `{"page": "https://a.b/", "method": "${'m'.repeat(300)}"}`, /longer than 256/],
      ['a timeout of 0', '{"page": "https://a.b/", "method": "m", "timeout": 0}', /at least 1 ms/],
      ['a timeout as a string', '{"page": "https://a.b/", "method": "m", "timeout": "5"}', /timeout must be a number/],
    ];
    for (const [what, body, problem] of bodies) {
      test(`refuses ${what} with 400 naming the problem`, async () => {
        assertRefused(await inProcess.send('POST', '/call', body), 400, 'BAD_REQUEST', problem);
        await inProcess.assertNothingRan();
      });
    }

    test('a real socket is refused the same way', async () => {
      for (const [, body, problem] of bodies.filter(([what]) => /malformed|unknown field \(code\)|javascript/.test(what))) {
        assertRefused(await overSocket.send('POST', '/call', body), 400, 'BAD_REQUEST', problem);
      }
      await assertNothingRan();
    });

    test('refuses a body over the default 16 MiB with 413, and still serves', async () => {
      const body = JSON.stringify({ page: 'https://a.b/', method: 'm', params: { blob: 'x'.repeat(16 * 1024 * 1024) } });
      assertRefused(await inProcess.send('POST', '/call', body), 413, 'TOO_LARGE', /larger than 16777216 bytes/);
      const own = await startServer({ port: 0 });
      try {
        assertRefused(await http(own.port, 'POST', '/call', body), 413, 'TOO_LARGE', /larger than 16777216 bytes/);
        assert.equal((await http(own.port, 'GET', '/health')).status, 200);
      } finally {
        await own.close();
      }
    });
  });

  describe('the WebSocket', () => {
    test('in-process: /ws takes the extension\'s Origin only, /client no Origin at all, both under our Host only', () => {
      const policy = { port: 8765, extensionOrigins: new Set([EXTENSION_ORIGIN]) };
      const ours = '127.0.0.1:8765';
      const table: [path: string, origin: string | undefined, host: string, opens: 'extension' | 'client' | undefined][] = [
        ['/ws', EXTENSION_ORIGIN, ours, 'extension'],
        ['/ws', EXTENSION_ORIGIN, 'localhost:8765', 'extension'],
        ['/client', undefined, ours, 'client'],
        ['/client', undefined, '[::1]:8765', 'client'],
        ['/ws', undefined, ours, undefined],
        ['/ws', 'https://evil.example', ours, undefined],
        ['/ws', 'null', ours, undefined],
        ['/ws', `chrome-extension://${'b'.repeat(32)}`, ours, undefined],
        ['/client', EXTENSION_ORIGIN, ours, undefined],
        ['/client', 'https://evil.example', ours, undefined],
        ['/client', 'http://127.0.0.1', ours, undefined],
        ['/other', EXTENSION_ORIGIN, ours, undefined],
        ['/ws/', EXTENSION_ORIGIN, ours, undefined],
        ['/', undefined, ours, undefined],
        ['/ws', EXTENSION_ORIGIN, 'evil.example', undefined],
        ['/client', undefined, 'evil.example:8765', undefined],
        ['/client', undefined, '127.0.0.1:8766', undefined],
      ];
      for (const [path, origin, host, opens] of table) {
        const what = `${path} from origin ${origin ?? 'none'} with Host ${host}`;
        const admission = admitUpgrade({ path, headers: { host, origin }, sameUser: true }, policy);
        if (opens) {
          assert.deepEqual(admission, { admitted: true, socket: opens }, what);
        } else {
          assert.equal(admission.admitted, false, what);
          if (admission.admitted) continue;
          assert.equal(admission.reason.code, 'FORBIDDEN', what);
          assert.equal(admission.logLine, `refused a WebSocket from origin "${origin ?? ''}" to ${path} (host "${host}")`);
        }
      }
      const anotherUser = admitUpgrade({ path: '/ws', headers: { host: ours, origin: EXTENSION_ORIGIN }, sameUser: false }, policy);
      assert.equal(anotherUser.admitted, false);
      assert.match(anotherUser.admitted ? '' : anotherUser.reason.message, /another user of this machine/);
    });

    async function outcomeOf(url: string, options: WebSocket.ClientOptions): Promise<string> {
      const socket = new WebSocket(url, options);
      const outcome = await new Promise<string>((resolve) => {
        socket.once('open', () => resolve('open'));
        socket.once('unexpected-response', (_request, response) => resolve(String(response.statusCode)));
        socket.once('error', (error) => resolve(`error ${error.message}`));
      });
      socket.terminate();
      return outcome;
    }

    test('accepts the any extension\'s origin only', async () => {
      const url = `ws://127.0.0.1:${server.port}/ws`;
      assert.equal(await outcomeOf(url, { origin: `chrome-extension://${PINNED_EXTENSION_ID}` }), 'open');
      for (const origin of ['https://evil.example', 'http://127.0.0.1', 'null', `chrome-extension://${'b'.repeat(32)}`]) {
        assert.equal(await outcomeOf(url, { origin }), '403', origin);
      }
      assert.equal(await outcomeOf(url, {}), '403', 'no Origin');
      assert.equal(await outcomeOf(`ws://127.0.0.1:${server.port}/other`, { origin: `chrome-extension://${PINNED_EXTENSION_ID}` }), '403', 'another path');
      assert.equal(await outcomeOf(url, { origin: `chrome-extension://${PINNED_EXTENSION_ID}`, headers: { host: 'evil.example' } }), '403', 'a foreign Host');
    });

    test('/client takes local programs only: any Origin (every web page sends one) or a foreign Host is refused', async () => {
      const url = `ws://127.0.0.1:${server.port}/client`;
      assert.equal(await outcomeOf(url, {}), 'open');
      for (const origin of ['https://evil.example', 'http://127.0.0.1', 'null', `chrome-extension://${PINNED_EXTENSION_ID}`]) {
        assert.equal(await outcomeOf(url, { origin }), '403', origin);
      }
      assert.equal(await outcomeOf(url, { headers: { host: 'evil.example' } }), '403', 'a foreign Host');
      await assertNothingRan();
    });

    test('a client\'s malformed messages are answered with errors, and nothing runs', async () => {
      const client = new WebSocket(`ws://127.0.0.1:${server.port}/client`);
      await new Promise((resolve) => client.once('open', resolve));
      const answers: unknown[] = [];
      client.on('message', (data) => answers.push(...[JSON.parse(data.toString())].flat()));
      client.send(JSON.stringify([
        { v: 1, type: 'call', id: 'a', page: 'javascript:alert(1)', method: 'm' },
        { v: 1, type: 'call', id: 'b', page: 'https://a.b/', method: 'm', code: 'alert(1)' },
        { v: 1, type: 'call', id: 'c', page: 'https://a.b/', method: 'm', params: [1] },
        { v: 2, type: 'call', id: 'd', page: 'https://a.b/', method: 'm' },
      ]));
      await waitUntil(() => answers.length === 4);
      for (const answer of answers as { error: { code: string } }[]) assert.equal(answer.error.code, 'BAD_REQUEST');
      client.send('not json');
      assert.equal(await new Promise((resolve) => client.once('close', resolve)), 1007);
      await assertNothingRan();
    });

    test('another extension ID is accepted only when allowed (any serve --allow-extension)', async () => {
      const other = 'c'.repeat(32);
      const own = await startServer({ port: 0, extensionIds: [PINNED_EXTENSION_ID, other] });
      try {
        assert.equal(await outcomeOf(`ws://127.0.0.1:${own.port}/ws`, { origin: `chrome-extension://${other}` }), 'open');
      } finally {
        await own.close();
      }
    });

    test('a socket that never says hello cannot answer calls, and is closed', async () => {
      const answer = http(server.port, 'POST', '/call', validCall);
      const call = await extension.nextCall();
      const rogue = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { origin: `chrome-extension://${PINNED_EXTENSION_ID}` });
      await new Promise((resolve) => rogue.once('open', resolve));
      const closed = new Promise<number>((resolve) => rogue.once('close', resolve));
      rogue.send(JSON.stringify({ v: 1, type: 'result', id: call.id, result: 'forged' }));
      await new Promise((resolve) => setTimeout(resolve, 200));
      extension.send({ v: 1, type: 'result', id: call.id, result: 'real' });
      assert.equal((await answer).body.result, 'real');
      assert.equal(await closed, 4000, 'closed for not saying hello (after 5 s)');
      extension.received.splice(0); // the call above was legitimate
    });

    test('/client takes calls no larger than --max-body: a larger one gets TOO_LARGE, and the connection lives on', async () => {
      const own = await startServer({ port: 0, maxBodyBytes: 64 * 1024, browserWaitMs: 100 });
      try {
        const client = new WebSocket(`ws://127.0.0.1:${own.port}/client`);
        await new Promise((resolve) => client.once('open', resolve));
        const answers: { id: string; error?: { code: string } }[] = [];
        client.on('message', (data) => answers.push(...[JSON.parse(data.toString())].flat()));
        client.send(JSON.stringify({ v: 1, type: 'call', id: 'big', page: 'https://a.b/', method: 'm', params: { blob: 'x'.repeat(100 * 1024) } }));
        client.send(JSON.stringify({ v: 1, type: 'call', id: 'small', page: 'https://a.b/', method: 'm', params: {} }));
        await waitUntil(() => answers.length === 2);
        assert.equal(answers.find((a) => a.id === 'big')?.error?.code, 'TOO_LARGE');
        assert.equal(answers.find((a) => a.id === 'small')?.error?.code, 'NO_BROWSER', 'the small call went on, to find no browser');
        assert.equal(client.readyState, WebSocket.OPEN);
        client.close();
      } finally {
        await own.close();
      }
    });

    test('a message larger than the limit closes that socket only', async () => {
      const socket = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { origin: `chrome-extension://${PINNED_EXTENSION_ID}` });
      await new Promise((resolve) => socket.once('open', resolve));
      const closed = new Promise<number>((resolve) => socket.once('close', resolve));
      socket.send('x'.repeat(50 * 1024 * 1024 + 2 * 1024 * 1024));
      assert.equal(await closed, 1009, 'message too big');
      assert.equal(server.dispatcher.browsers.length, 1);
      await assertNothingRan();
    });
  });

  describe('/mcp (MCP over Streamable HTTP, for agents)', () => {
    const ACCEPT = 'application/json, text/event-stream';
    const initialize = (protocolVersion = '2025-06-18', padding = '') => JSON.stringify({
      jsonrpc: '2.0', id: 1, method: 'initialize',
      params: { protocolVersion, capabilities: {}, clientInfo: { name: `boundary-test${padding}`, version: '1.0.0' } },
    });
    const toolsList = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });

    interface McpAnswer {
      status: number;
      headers: Record<string, string | undefined>;
      text: string;
    }
    /** The JSON-RPC messages of an answer: its JSON body, or the data of its server-sent events. */
    const messagesOf = (answer: McpAnswer): any[] => (answer.headers['content-type'] ?? '').startsWith('text/event-stream')
      ? answer.text.split('\n').filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice(6)))
      : [JSON.parse(answer.text)];
    /** A refusal by the any server itself ({v, id, error}), which the SDK never saw. */
    const assertRefusedMcp = (answer: McpAnswer, status: number, code: string, message?: RegExp) =>
      assertRefused({ status: answer.status, body: JSON.parse(answer.text) }, status, code, message);
    const assertJsonRpcError = (answer: McpAnswer, code: number) => {
      assert.ok(answer.status >= 400 && answer.status < 500, `a 4xx, not ${answer.status}`);
      const [message] = messagesOf(answer);
      assert.equal(message.jsonrpc, '2.0');
      assert.equal(message.error.code, code, answer.text);
      assert.equal(message.result, undefined);
    };

    /**
     * The HTTP API with a real /mcp door over a fake PageAccess that records whatever reaches a page,
     * and a record of every request the door (that is, the SDK) is handed.
     */
    function inProcessMcp(maxBodyBytes = DEFAULT_MAX_BODY_BYTES) {
      const port = 8765;
      const reached: string[] = [];
      const access: PageAccess = {
        call: async (page, method) => {
          reached.push(`call ${method} on ${page}`);
          return null;
        },
        methods: async (page) => {
          reached.push(`methods of ${page}`);
          return [];
        },
        browsers: async () => {
          reached.push('browsers');
          return [];
        },
      };
      const door = createMcpHttpDoor(access, () => {});
      const handed: string[] = [];
      const mcp: McpHttpDoor = {
        handle: (request) => {
          handed.push(`${request.method} ${request.url}`);
          return door.handle(request);
        },
        get sessions() {
          return door.sessions;
        },
        close: () => door.close(),
      };
      const api = createHttpApi({
        mcp,
        dispatcher: new CallDispatcher({ browserWaitMs: 100, reconnectGraceMs: 100, port }),
        port: () => port,
        maxBodyBytes,
        extensionOrigins: new Set([EXTENSION_ORIGIN]),
        serverVersion: '0.0.0',
        requestShutdown: () => assert.fail('asked to shut down'),
        log: () => {},
      });
      const send = async (method: string, path: string, body?: string | (() => Promise<undefined>), headers: Record<string, string> = {}, sameUser = true) => {
        const response = await api.request({
          method, path, body, sameUser,
          headers: { host: `127.0.0.1:${port}`, 'content-type': 'application/json', accept: ACCEPT, ...headers },
        });
        const text = typeof response.body === 'string' ? response.body : await new Response(response.body).text();
        return { status: response.status, headers: response.headers, text } satisfies McpAnswer;
      };
      /** Nothing reached a page; and, unless `handedToSdk` says how many did, no request reached the SDK. */
      const assertNothingReached = (handedToSdk = 0) => {
        assert.deepEqual(reached, [], 'nothing reached a page');
        assert.equal(handed.length, handedToSdk, `requests handed to the SDK: ${handed.join(', ')}`);
      };
      return { door, send, reached, handed, assertNothingReached };
    }

    /** A raw request to a real server's /mcp, every header under the test's control. */
    function overSocketMcp(port: number, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<McpAnswer> {
      return new Promise((resolve, reject) => {
        const outgoing = httpRequest({ host: '127.0.0.1', port, method, path, headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers } }, (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('end', () => resolve({
            status: incoming.statusCode!,
            headers: Object.fromEntries(Object.entries(incoming.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value])),
            text: Buffer.concat(chunks).toString(),
          }));
        });
        outgoing.on('error', reject);
        outgoing.end(body);
      });
    }

    /** The three verbs of Streamable HTTP, as a client would send them with `headers` added. */
    const verbs = (sessionId = 'no-such-session'): [string, string | undefined, Record<string, string>][] => [
      ['POST', initialize(), {}],
      ['GET', undefined, { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' }],
      ['DELETE', undefined, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' }],
    ];

    test('refuses any Origin, and cross-site browser requests, on POST, GET and DELETE before the SDK sees them', async () => {
      const mcp = inProcessMcp();
      try {
        const origins = ['https://evil.example', 'null', 'http://127.0.0.1:8765', 'http://localhost:8765', EXTENSION_ORIGIN, `chrome-extension://${'a'.repeat(32)}`];
        for (const [method, body, headers] of verbs()) {
          for (const origin of origins) {
            assertRefusedMcp(await mcp.send(method, '/mcp', body, { ...headers, origin }), 403, 'FORBIDDEN', /web pages are refused/);
            assertRefusedMcp(await mcp.send(method, '/mcp?page=https://chatgpt.com/', body, { ...headers, origin, 'content-type': 'text/plain' }), 403, 'FORBIDDEN');
          }
          for (const site of ['cross-site', 'same-site', 'same-origin']) {
            assertRefusedMcp(await mcp.send(method, '/mcp', body, { ...headers, 'sec-fetch-site': site }), 403, 'FORBIDDEN', /Sec-Fetch-Site/);
          }
        }
        mcp.assertNothingReached();
      } finally {
        await mcp.door.close();
      }
    });

    test('refuses a foreign Host (DNS rebinding) and another user of this machine, before the SDK sees them', async () => {
      const mcp = inProcessMcp();
      try {
        for (const [method, body, headers] of verbs()) {
          for (const host of ['evil.example:8765', '127.0.0.1.nip.io:8765', 'localhost.evil.example:8765', 'localhost', '127.0.0.1:8766']) {
            assertRefusedMcp(await mcp.send(method, '/mcp', body, { ...headers, host }), 403, 'FORBIDDEN', /Host .* is refused/);
          }
          const anotherUser = await mcp.send(method, '/mcp', body, headers, false);
          assertRefusedMcp(anotherUser, 403, 'FORBIDDEN', /another user of this machine/);
          assert.equal(anotherUser.headers.connection, 'close');
        }
        mcp.assertNothingReached();
      } finally {
        await mcp.door.close();
      }
    });

    test('a POST must be JSON (415) within --max-body (413), before the SDK sees it', async () => {
      const mcp = inProcessMcp(1024);
      try {
        for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/event-stream', '']) {
          assertRefusedMcp(await mcp.send('POST', '/mcp', initialize(), { 'content-type': contentType }), 415, 'BAD_REQUEST', /application\/json/);
        }
        const large = initialize('2025-06-18', 'x'.repeat(2048));
        assertRefusedMcp(await mcp.send('POST', '/mcp', large), 413, 'TOO_LARGE', /larger than 1024 bytes/);
        // As http-node.ts reads a body: it gives up (undefined) as soon as the body is too large.
        assertRefusedMcp(await mcp.send('POST', '/mcp', async () => undefined), 413, 'TOO_LARGE');
        mcp.assertNothingReached();
        assert.equal((await mcp.send('POST', '/mcp', initialize())).status, 200, 'a small one passes');
      } finally {
        await mcp.door.close();
      }
    });

    test('a body that is not JSON, or not JSON-RPC, gets the SDK\'s JSON-RPC error, and nothing runs', async () => {
      const mcp = inProcessMcp();
      try {
        assertJsonRpcError(await mcp.send('POST', '/mcp', '{"jsonrpc": "2.0", "id": 1, "method": '), -32700);
        assertJsonRpcError(await mcp.send('POST', '/mcp', 'not json at all'), -32700);
        for (const body of ['[1, 2]', '"tools/call"', '{"id": 1, "method": "tools/call"}', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'call_page_method', arguments: { page: 'https://chatgpt.com/', method: 'ask' } } })]) {
          const answer = await mcp.send('POST', '/mcp', body);
          assert.ok(answer.status >= 400 && answer.status < 500, `${body}: ${answer.status} ${answer.text}`);
          assert.ok(messagesOf(answer)[0].error, `${body}: ${answer.text}`);
        }
        assertJsonRpcError(await mcp.send('POST', '/mcp?page=javascript:alert(1)', initialize()), -32602);
        assertJsonRpcError(await mcp.send('POST', '/mcp?page=file:///etc/passwd', initialize()), -32602);
        assert.deepEqual(mcp.reached, [], 'nothing reached a page');
        assert.equal(mcp.door.sessions, 0, 'no session opened');
      } finally {
        await mcp.door.close();
      }
    });

    for (const protocolVersion of ['2025-06-18', '2025-11-25']) {
      test(`a valid initialize (${protocolVersion}) with no Origin and our Host opens a session, which admission still guards`, async () => {
        const mcp = inProcessMcp();
        try {
          const answer = await mcp.send('POST', '/mcp', initialize(protocolVersion));
          assert.equal(answer.status, 200, answer.text);
          const sessionId = answer.headers['mcp-session-id'];
          assert.match(sessionId ?? '', /^[0-9a-f-]{36}$/, 'a session id');
          const [message] = messagesOf(answer);
          assert.equal(message.id, 1);
          assert.equal(message.result.protocolVersion, protocolVersion);
          assert.equal(message.result.serverInfo.name, 'any');
          assert.equal(mcp.door.sessions, 1);
          const inSession = { 'mcp-session-id': sessionId!, 'mcp-protocol-version': protocolVersion };
          const handed = mcp.handed.length;

          // Knowing the session id lets no web page, rebound name or other user in.
          for (const [method, body, headers] of verbs(sessionId).map(([m, b, h]) => [m, m === 'POST' ? toolsList : b, h] as const)) {
            assertRefusedMcp(await mcp.send(method, '/mcp', body, { ...headers, origin: 'https://evil.example' }), 403, 'FORBIDDEN');
            assertRefusedMcp(await mcp.send(method, '/mcp', body, { ...headers, ...inSession, host: 'evil.example:8765' }), 403, 'FORBIDDEN');
            assertRefusedMcp(await mcp.send(method, '/mcp', body, { ...headers, ...inSession }, false), 403, 'FORBIDDEN');
          }
          assert.equal(mcp.handed.length, handed, 'none of them reached the SDK');
          assert.equal(mcp.door.sessions, 1, 'the session is still there');

          assert.equal((await mcp.send('DELETE', '/mcp', undefined, inSession)).status, 200);
          assert.equal(mcp.door.sessions, 0);
          assertJsonRpcError(await mcp.send('POST', '/mcp', toolsList, inSession), -32001);
          assert.deepEqual(mcp.reached, [], 'nothing reached a page');
        } finally {
          await mcp.door.close();
        }
      });
    }

    test('a real socket is refused the same way, and a valid initialize opens a session', async () => {
      const port = server.port;
      for (const [method, body, headers] of verbs()) {
        assertRefusedMcp(await overSocketMcp(port, method, '/mcp', body, { ...headers, origin: 'https://evil.example' }), 403, 'FORBIDDEN', /web pages are refused/);
        assertRefusedMcp(await overSocketMcp(port, method, '/mcp', body, { ...headers, origin: EXTENSION_ORIGIN }), 403, 'FORBIDDEN');
        assertRefusedMcp(await overSocketMcp(port, method, '/mcp', body, { ...headers, host: `evil.example:${port}` }), 403, 'FORBIDDEN', /Host .* is refused/);
      }
      assertRefusedMcp(await overSocketMcp(port, 'POST', '/mcp', initialize(), { 'content-type': 'text/plain' }), 415, 'BAD_REQUEST');
      assertJsonRpcError(await overSocketMcp(port, 'POST', '/mcp', '{"jsonrpc": '), -32700);

      const answer = await overSocketMcp(port, 'POST', '/mcp', initialize());
      assert.equal(answer.status, 200, answer.text);
      const sessionId = answer.headers['mcp-session-id'];
      assert.ok(sessionId, 'a session id');
      assert.equal(messagesOf(answer)[0].result.protocolVersion, '2025-06-18');
      const inSession = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' };
      assertRefusedMcp(await overSocketMcp(port, 'POST', '/mcp', toolsList, { ...inSession, origin: 'https://evil.example' }), 403, 'FORBIDDEN');
      assert.equal((await overSocketMcp(port, 'DELETE', '/mcp', undefined, inSession)).status, 200);

      const own = await startServer({ port: 0, maxBodyBytes: 64 * 1024 });
      try {
        assertRefusedMcp(await overSocketMcp(own.port, 'POST', '/mcp', initialize('2025-06-18', 'x'.repeat(100 * 1024))), 413, 'TOO_LARGE', /larger than 65536 bytes/);
        assert.equal((await http(own.port, 'GET', '/health')).status, 200);
      } finally {
        await own.close();
      }
      await assertNothingRan();
      assert.deepEqual(extension.received.filter((message) => message.type === 'list'), [], 'no page was listed either');
    });
  });

  test('in-process: another user of this machine is refused every route, before anything else, and its connection closed', async () => {
    for (const [method, path, headers] of [['GET', '/health', {}], ['POST', '/call', {}], ['POST', '/shutdown', {}], ['GET', '/health', { origin: EXTENSION_ORIGIN }]] as const) {
      const response = await inProcess.api.request({ method, path, body: validCall, headers: { host: '127.0.0.1:8765', 'content-type': 'application/json', ...headers }, sameUser: false });
      assertRefused({ status: response.status, body: JSON.parse(response.body as string) }, 403, 'FORBIDDEN', /another user of this machine/);
      assert.equal(response.headers.connection, 'close', `${method} ${path}`);
    }
    await inProcess.assertNothingRan();
  });

  test('another user of this machine is refused every request and WebSocket', { skip: !CAN_IDENTIFY_PEERS || process.getuid?.() !== 0 ? 'needs Linux and root, to act as the user nobody' : false }, async () => {
    const curlAsNobody = (url: string, ...args: string[]) => new Promise<string>((resolve) => {
      execFile('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'curl', '-s', '-w', ' %{http_code}', ...args, url], (_error, stdout) => resolve(stdout));
    });
    const health = await curlAsNobody(`http://127.0.0.1:${server.port}/health`);
    assert.match(health, /another user of this machine.*"code":"FORBIDDEN".* 403$/);
    const call = await curlAsNobody(`http://127.0.0.1:${server.port}/call`, '-H', 'content-type: application/json', '-d', validCall);
    assert.match(call, / 403$/);
    const upgrade = await curlAsNobody(`http://127.0.0.1:${server.port}/ws`, '-H', 'connection: upgrade', '-H', 'upgrade: websocket',
      '-H', 'sec-websocket-version: 13', '-H', 'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==', '-H', `origin: chrome-extension://${PINNED_EXTENSION_ID}`);
    assert.match(upgrade, / 403$/);
    await assertNothingRan();
  });
});
