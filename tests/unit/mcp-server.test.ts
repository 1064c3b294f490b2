/**
 * The SDK binding (src/mcp/mcp-server.ts) in process: createMcpServer over an AgentTools with a
 * fake PageAccess, connected to the SDK's own v2 client through the SDK's InMemoryTransport. The
 * tools themselves are tried in mcp-tools.test.ts; here, what the protocol makes of them: the
 * listing, results and tool errors, bad arguments as JSON-RPC errors, cancels into the page's signal.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { Client, ProtocolError } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { AgentTools, CALL_PAGE_METHOD, LIST_BROWSERS, LIST_PAGE_METHODS } from '../../src/mcp/agent-tools.js';
import { allowList } from '../../src/mcp/allow-list.js';
import { createMcpServer } from '../../src/mcp/mcp-server.js';
import type { PageAccess, PageCallOptions } from '../../src/mcp/page-access.js';
import { CallFailure, type MethodInfo } from '../../src/protocol/index.js';
import { VERSION } from '../../src/version.js';

const PAGE = 'https://chatgpt.com/';
const ASK: MethodInfo = {
  name: 'ask',
  source: 'userscript',
  description: 'Asks ChatGPT a question.',
  inputSchema: { type: 'object', properties: { prompt: { type: 'string' } }, required: ['prompt'] },
};

interface Recorded {
  what: 'call' | 'methods';
  page: string;
  method?: string;
  params?: Record<string, unknown>;
  options: PageCallOptions & { openTab?: boolean };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A client of the SDK connected in memory to createMcpServer over a fake page with `ask`. */
async function connect(answer: (recorded: Recorded) => Promise<unknown> = async (recorded) => ({ echoed: recorded.params })) {
  const recorded: Recorded[] = [];
  const access: PageAccess = {
    call: (page, method, params, options) => {
      const call: Recorded = { what: 'call', page, method, params, options };
      recorded.push(call);
      return answer(call);
    },
    methods: async (page, options) => {
      recorded.push({ what: 'methods', page, options });
      return [ASK];
    },
    browsers: async () => [{
      name: 'chromium', kind: 'managed', brand: 'Chromium', version: '142.0.7444.59', installId: 'i', workerId: 'w',
      extensionVersion: '0.1.0', userAgent: 'Mozilla/5.0', connectedAt: '2026-12-02T07:00:00.000Z', openTabs: 1, callsInFlight: 0,
    }],
  };
  const tools = new AgentTools({ access, pages: [PAGE], allow: allowList() });
  const server = createMcpServer(tools);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: 'mcp-server-test', version: '1.0.0' });
  await client.connect(clientTransport);
  closers.push(async () => {
    await client.close();
    await server.close();
  });
  return { client, server, recorded };
}

async function rejectsWith(promise: Promise<unknown>, code: number, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ProtocolError, `a JSON-RPC error, not ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

describe('the MCP server (SDK binding)', () => {
  test('introduces itself: any, its version, tools that change, instructions', async () => {
    const { client, recorded } = await connect();
    assert.deepEqual(client.getServerVersion(), { name: 'any', version: VERSION });
    assert.deepEqual(client.getServerCapabilities()?.tools, { listChanged: true });
    assert.match(client.getInstructions() ?? '', /untrusted content/);
    assert.deepEqual(recorded, [], 'connecting touches no page');
  });

  test('tools/list: the generic tools and the page\'s, with their schemas and annotations', async () => {
    const { client, recorded } = await connect();
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name), [LIST_PAGE_METHODS, CALL_PAGE_METHOD, LIST_BROWSERS, 'ask']);
    const ask = tools[3]!;
    assert.deepEqual(ask.inputSchema, ASK.inputSchema);
    assert.match(ask.description ?? '', /^Asks ChatGPT a question\./);
    assert.deepEqual(ask.annotations, { readOnlyHint: false, openWorldHint: true });
    assert.equal(tools[0]!.annotations?.readOnlyHint, true);
    assert.deepEqual(recorded.map((r) => [r.what, r.page, r.options.openTab]), [['methods', PAGE, true]]);
  });

  test('tools/call: a page tool\'s result as structuredContent and text', async () => {
    const { client, recorded } = await connect();
    await client.listTools();
    const result = await client.callTool({ name: 'ask', arguments: { prompt: 'hi' } });
    assert.deepEqual(result.structuredContent, { result: { echoed: { prompt: 'hi' } } });
    assert.deepEqual(result.content, [{ type: 'text', text: JSON.stringify({ echoed: { prompt: 'hi' } }, null, 2) }]);
    assert.ok(!result.isError);
    const generic = await client.callTool({ name: CALL_PAGE_METHOD, arguments: { page: PAGE, method: 'ask', params: { prompt: 'yo' }, timeout: 500 } });
    assert.deepEqual(generic.structuredContent, { result: { echoed: { prompt: 'yo' } } });
    const calls = recorded.filter((r) => r.what === 'call');
    assert.deepEqual(calls.map((r) => [r.page, r.method, r.params, r.options.timeout]), [[PAGE, 'ask', { prompt: 'hi' }, undefined], [PAGE, 'ask', { prompt: 'yo' }, 500]]);
    assert.ok(calls.every((r) => r.options.signal instanceof AbortSignal), 'each call has the request\'s signal');
  });

  test('tools/call: list_browsers, and a call in the browser the agent names', async () => {
    const { client, recorded } = await connect();
    const listed = await client.callTool({ name: LIST_BROWSERS, arguments: {} });
    assert.deepEqual(listed.structuredContent, { result: [{ name: 'chromium', kind: 'managed', brand: 'Chromium', version: '142.0.7444.59', openTabs: 1, callsInFlight: 0, default: true }] });
    await client.callTool({ name: CALL_PAGE_METHOD, arguments: { page: PAGE, method: 'ask', browser: 'chromium' } });
    assert.equal(recorded.find((r) => r.what === 'call')!.options.browser, 'chromium');
  });

  test('a call that fails is a tool result with isError, not a JSON-RPC error', async () => {
    const { client } = await connect(async () => {
      throw CallFailure.of('TAB_FAILED', 'The page did not load.');
    });
    const result = await client.callTool({ name: CALL_PAGE_METHOD, arguments: { page: PAGE, method: 'ask' } });
    assert.equal(result.isError, true);
    assert.deepEqual(result.content, [{ type: 'text', text: 'TabFailedError (TAB_FAILED): The page did not load.' }]);
  });

  test('bad arguments and unknown tools are JSON-RPC errors (-32602 invalid params), and nothing runs', async () => {
    const { client, recorded } = await connect();
    await client.listTools();
    await rejectsWith(client.callTool({ name: CALL_PAGE_METHOD, arguments: { page: 'javascript:alert(1)', method: 'x' } }), -32602, /Bad arguments for call_page_method: .*http/);
    await rejectsWith(client.callTool({ name: CALL_PAGE_METHOD, arguments: { page: PAGE, method: 'ask', code: 'alert(1)' } }), -32602, /unknown field "code"/);
    await rejectsWith(client.callTool({ name: LIST_PAGE_METHODS, arguments: {} }), -32602, /missing field "page"/);
    await rejectsWith(client.callTool({ name: CALL_PAGE_METHOD, arguments: { page: PAGE, method: 'ask', browser: 'my browser' } }), -32602, /browser must be a name such as/);
    await rejectsWith(client.callTool({ name: LIST_BROWSERS, arguments: { page: PAGE } }), -32602, /list_browsers: it takes none/);
    await rejectsWith(client.callTool({ name: 'evaluate', arguments: { code: '1' } }), -32602, /no tool "evaluate"/);
    assert.deepEqual(recorded.filter((r) => r.what === 'call'), []);
  });

  test('a client that cancels its call aborts the signal the page gets', async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const { client, recorded } = await connect((call) => new Promise((_, reject) => {
      started();
      call.options.signal!.addEventListener('abort', () => reject(CallFailure.of('CANCELLED', 'cancelled')), { once: true });
    }));
    const controller = new AbortController();
    const answer = client.callTool({ name: CALL_PAGE_METHOD, arguments: { page: PAGE, method: 'ask' } }, { signal: controller.signal });
    await running;
    controller.abort();
    await assert.rejects(answer);
    const signal = recorded.find((r) => r.what === 'call')!.options.signal!;
    for (let waited = 0; !signal.aborted && waited < 2_000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(signal.aborted, true, 'the page\'s signal aborted');
  });

  test('sendToolListChanged reaches the client as notifications/tools/list_changed', async () => {
    const { client, server } = await connect();
    const changed = new Promise<void>((resolve) => client.setNotificationHandler('notifications/tools/list_changed', () => resolve()));
    await server.sendToolListChanged();
    await changed;
  });
});
