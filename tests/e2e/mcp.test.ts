/**
 * Agents over MCP, end to end: the official SDKs' own clients (v1 `@modelcontextprotocol/sdk`,
 * which speaks 2025-11-25, and v2 `@modelcontextprotocol/client`, also on 2026-07-28) against
 * `any mcp` over stdio and `/mcp` over Streamable HTTP, with the real server, extension,
 * userscripts and headless Chromium.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client as V2Client, StreamableHTTPClientTransport as V2HttpTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport as V2StdioTransport } from '@modelcontextprotocol/client/stdio';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1StdioTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as V1HttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { call, stream } from '../../src/client/call.js';
import { CLI_ENTRY } from '../../src/paths.js';
import { EXAMPLE_USERSCRIPTS, startStack, waitFor, type Stack } from './harness.js';

interface ToolResult {
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** One agent session, whichever SDK and door: what the tests need of it. */
interface Agent {
  label: string;
  listTools(): Promise<{ name: string; description?: string; inputSchema: Record<string, unknown>; annotations?: Record<string, unknown> }[]>;
  callTool(name: string, args: Record<string, unknown>, signal?: AbortSignal, onprogress?: (progress: { progress: number; message?: string }) => void): Promise<ToolResult>;
  /** Resolves at the next notifications/tools/list_changed. */
  nextListChange(): Promise<void>;
  close(): Promise<void>;
}

type Door = 'stdio' | 'http';
type Sdk = 'v1' | 'v2' | 'v2-2026';

async function connectAgent(stack: Stack, door: Door, sdk: Sdk, pages: string[] = []): Promise<Agent> {
  const label = `${sdk} over ${door}`;
  let changed: () => void = () => {};
  const onChange = () => changed();
  const stdioArgs = [CLI_ENTRY, 'mcp', '--port', String(stack.port), ...pages.flatMap((page) => ['--page', page])];
  const url = new URL(`http://127.0.0.1:${stack.port}/mcp`);
  for (const page of pages) url.searchParams.append('page', page);

  if (sdk === 'v1') {
    const client = new V1Client({ name: 'any-test-v1', version: '1.0.0' });
    client.setNotificationHandler(ToolListChangedNotificationSchema, onChange);
    await client.connect(door === 'stdio'
      ? new V1StdioTransport({ command: process.execPath, args: stdioArgs, stderr: 'pipe' })
      : new V1HttpTransport(url));
    return {
      label,
      listTools: async () => (await client.listTools()).tools as Awaited<ReturnType<Agent['listTools']>>,
      callTool: async (name, args, signal, onprogress) => (await client.callTool({ name, arguments: args }, undefined, { ...(signal ? { signal } : {}), ...(onprogress ? { onprogress } : {}) })) as ToolResult,
      nextListChange: () => new Promise((resolve) => (changed = resolve)),
      close: () => client.close(),
    };
  }
  const client = new V2Client({ name: 'any-test-v2', version: '1.0.0' }, sdk === 'v2-2026' ? { versionNegotiation: { mode: 'auto' } } : {});
  client.setNotificationHandler('notifications/tools/list_changed', onChange);
  await client.connect(door === 'stdio'
    ? new V2StdioTransport({ command: process.execPath, args: stdioArgs, stderr: 'pipe' })
    : new V2HttpTransport(url));
  // On 2026-07-28 notifications flow only on a subscription the client opens.
  const subscription = client.getProtocolEra?.() === 'modern' ? await client.listen({ toolsListChanged: true }) : undefined;
  return {
    label: `${label} (${client.getNegotiatedProtocolVersion()})`,
    listTools: async () => (await client.listTools()).tools as Awaited<ReturnType<Agent['listTools']>>,
    callTool: async (name, args, signal, onprogress) => (await client.callTool({ name, arguments: args }, { ...(signal ? { signal } : {}), ...(onprogress ? { onprogress } : {}) })) as ToolResult,
    nextListChange: () => new Promise((resolve) => (changed = resolve)),
    close: async () => {
      await subscription?.close();
      await client.close();
    },
  };
}

const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms))]);

describe('agents over MCP', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.close();
  });

  const doors: [Door, Sdk][] = [['stdio', 'v1'], ['stdio', 'v2'], ['http', 'v1'], ['http', 'v2'], ['http', 'v2-2026']];
  for (const [door, sdk] of doors) {
    test(`${sdk} client over ${door}: lists the tools with their schemas and calls page and generic tools`, async () => {
      const page = stack.pages.url(`/mcp/${door}-${sdk}`);
      const agent = await connectAgent(stack, door, sdk, [page]);
      try {
        const tools = await agent.listTools();
        const byName = new Map(tools.map((tool) => [tool.name, tool]));
        assert.ok(byName.has('list_page_methods') && byName.has('call_page_method'), `${agent.label}: ${[...byName.keys()]}`);
        const add = byName.get('add');
        assert.ok(add, `${agent.label}: the page's add method is a tool: ${[...byName.keys()]}`);
        assert.match(add.description ?? '', /Adds two numbers/);
        assert.deepEqual(add.inputSchema, { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] });
        assert.equal(add.annotations?.openWorldHint, true);
        assert.ok(!byName.has('hiddenMethod') && !byName.has('notAFunction'));

        const sum = await agent.callTool('add', { a: 2, b: 3 });
        assert.equal(sum.isError, undefined);
        assert.deepEqual(sum.structuredContent, { result: 5 });
        assert.equal(sum.content[0]?.text, '5');

        const echoed = await agent.callTool('call_page_method', { page, method: 'echo', params: { text: 'hi', list: [1, 2] } });
        assert.deepEqual(echoed.structuredContent, { result: { text: 'hi', list: [1, 2] } });

        const listed = await agent.callTool('list_page_methods', { page });
        const names = ((listed.structuredContent?.result ?? []) as { name: string }[]).map((method) => method.name);
        assert.ok(names.includes('echo') && names.includes('add'), names.join(','));
      } finally {
        await agent.close();
      }
    });
  }

  test('a client on protocol 2025-06-18 gets that version, a session, and the tools', async () => {
    const url = `http://127.0.0.1:${stack.port}/mcp`;
    const post = async (body: unknown, session?: string) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' } : {}) },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      // The answer comes as JSON, or as server-sent events whose data lines carry it.
      const json = text.startsWith('{') ? text : text.split('\n').find((line) => line.startsWith('data: '))?.slice(6);
      return { response, message: json ? JSON.parse(json) as { result?: Record<string, unknown> } : undefined };
    };
    const init = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw-2025-06-18', version: '1' } } });
    assert.equal(init.response.status, 200);
    assert.equal(init.message?.result?.protocolVersion, '2025-06-18');
    const session = init.response.headers.get('mcp-session-id');
    assert.ok(session, 'a session id');
    await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, session);
    const listed = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }, session);
    const names = ((listed.message?.result?.tools ?? []) as { name: string }[]).map((tool) => tool.name);
    assert.deepEqual(names, ['list_page_methods', 'call_page_method']);
    const closed = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' } });
    assert.equal(closed.status, 200);
  });

  test('a method that throws and a method that is not there are tool errors the agent can read', async () => {
    const page = stack.pages.url('/mcp/errors');
    for (const [door, sdk] of [['stdio', 'v1'], ['http', 'v2']] as const) {
      const agent = await connectAgent(stack, door, sdk);
      try {
        const thrown = await agent.callTool('call_page_method', { page, method: 'throwTypeError', params: { message: 'bad input' } });
        assert.equal(thrown.isError, true);
        assert.match(thrown.content[0]?.text ?? '', /^TypeError \(METHOD_THREW\): bad input/);
        const missing = await agent.callTool('call_page_method', { page, method: 'noSuchMethod' });
        assert.equal(missing.isError, true);
        assert.match(missing.content[0]?.text ?? '', /MethodNotFoundError \(METHOD_NOT_FOUND\).*noSuchMethod/s);
        assert.match(missing.content[0]?.text ?? '', /Methods on the page: .*echo/);
        await assert.rejects(agent.callTool('call_page_method', { page: 'javascript:alert(1)', method: 'echo' }), /page must be an absolute http/);
      } finally {
        await agent.close();
      }
    }
  });

  for (const [door, sdk] of [['stdio', 'v1'], ['http', 'v1'], ['http', 'v2-2026']] as const) {
    test(`a cancelled tool call (${sdk} over ${door}) reaches the method's AbortSignal in the page`, async () => {
      const page = stack.pages.url(`/mcp/cancel-${door}-${sdk}`);
      const agent = await connectAgent(stack, door, sdk);
      try {
        const cancel = new AbortController();
        const pending = agent.callTool('call_page_method', { page, method: 'waitForAbort' }, cancel.signal);
        await waitFor(async () => ((await call<{ started?: boolean } | undefined>(page, 'lastAbort', {}, { port: stack.port }))?.started ?? false), 15_000, () => 'the method did not start');
        cancel.abort();
        await assert.rejects(pending);
        await waitFor(async () => ((await call<{ aborted?: boolean }>(page, 'lastAbort', {}, { port: stack.port })).aborted ?? false), 5_000, () => 'the page never saw the abort');
        const seen = await call<{ reason: string }>(page, 'lastAbort', {}, { port: stack.port });
        assert.match(seen.reason, /cancelled/);
      } finally {
        await agent.close();
      }
    });
  }

  for (const [door, sdk] of [['stdio', 'v2'], ['http', 'v1']] as const) {
    test(`the page tools follow the page (${sdk} over ${door}): a late userscript's method appears, and the list changes`, async () => {
      const page = stack.pages.url(`/late/mcp-${door}`);
      const agent = await connectAgent(stack, door, sdk, [page]);
      try {
        const first = (await agent.listTools()).map((tool) => tool.name);
        assert.ok(first.includes('echo'), first.join(','));
        // The first listing answers once the page has loaded; the late method comes a second later.
        assert.ok(!first.includes('lateMethod'), first.join(','));
        await within(agent.nextListChange(), 10_000, 'list_changed after the late method registered');
        const later = (await agent.listTools()).map((tool) => tool.name);
        assert.ok(later.includes('lateMethod'), later.join(','));
        const result = await agent.callTool('lateMethod', {});
        assert.deepEqual(result.structuredContent, { result: 'registered late' });
      } finally {
        await agent.close();
      }
    });
  }

  for (const [door, sdk] of [['stdio', 'v1'], ['http', 'v1'], ['http', 'v2-2026']] as const) {
    test(`a tool call with a progress token hears the method's progress values (${sdk} over ${door})`, async () => {
      const page = stack.pages.url(`/mcp/progress-${door}-${sdk}`);
      const agent = await connectAgent(stack, door, sdk);
      try {
        const heard: { progress: number; message?: string }[] = [];
        const result = await agent.callTool('call_page_method', { page, method: 'countUp', params: { n: 5, delay: 10 } }, undefined, (progress) => heard.push(progress));
        assert.deepEqual(result.structuredContent, { result: { counted: 5 } });
        // Every notification leaves before the result, but an SDK client may settle the call before
        // it has handled the last one (seen with both SDKs): in order, and at most the last missing.
        const expected = [[1, '1'], [2, '2'], [3, '3'], [4, '4'], [5, '5']];
        assert.ok(heard.length >= 4, `heard ${JSON.stringify(heard)}`);
        assert.deepEqual(heard.map((progress) => [progress.progress, progress.message]), expected.slice(0, heard.length));
      } finally {
        await agent.close();
      }
    });
  }

  test('two agent sessions and a script at once: each gets its own answers, and closing one cancels only its own calls', async () => {
    const page = stack.pages.url('/mcp/together');
    const [stdioAgent, httpAgent] = await Promise.all([connectAgent(stack, 'stdio', 'v1'), connectAgent(stack, 'http', 'v2')]);
    try {
      const rounds = await Promise.all(Array.from({ length: 5 }, async (_, i) => {
        const [a, b, c] = await Promise.all([
          stdioAgent.callTool('call_page_method', { page, method: 'echo', params: { from: 'stdio', i } }),
          httpAgent.callTool('call_page_method', { page, method: 'echo', params: { from: 'http', i } }),
          call(page, 'echo', { from: 'script', i }, { port: stack.port }),
        ]);
        return [a.structuredContent, b.structuredContent, c];
      }));
      rounds.forEach(([a, b, c], i) => {
        assert.deepEqual(a, { result: { from: 'stdio', i } });
        assert.deepEqual(b, { result: { from: 'http', i } });
        assert.deepEqual(c, { from: 'script', i });
      });
      // The stdio agent goes away mid-call; the HTTP agent and the script carry on.
      void stdioAgent.callTool('call_page_method', { page, method: 'sleep', params: { ms: 3_000 } }).catch(() => {});
      await stdioAgent.close();
      const [b, c] = await Promise.all([
        httpAgent.callTool('call_page_method', { page, method: 'add', params: { a: 1, b: 1 } }),
        call(page, 'add', { a: 2, b: 2 }, { port: stack.port }),
      ]);
      assert.deepEqual(b.structuredContent, { result: 2 });
      assert.equal(c, 4);
    } finally {
      await httpAgent.close();
    }
  });
});

describe('an agent configured as the README says, with the example userscript', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ userscripts: EXAMPLE_USERSCRIPTS });
  });
  after(async () => {
    await stack?.close();
  });

  test('`any mcp --page <url>` lists pageInfo with its description and calls it in the managed browser', async () => {
    const page = stack.pages.url('/readme-agent');
    const agent = await connectAgent(stack, 'stdio', 'v1', [page]);
    try {
      const pageInfo = (await agent.listTools()).find((tool) => tool.name === 'pageInfo');
      assert.ok(pageInfo, 'pageInfo is a tool');
      assert.match(pageInfo.description ?? '', /returns the page title, URL and ready state/);
      const result = await agent.callTool('pageInfo', { delay: 10 });
      assert.deepEqual(result.structuredContent, { result: { title: 'Test page /readme-agent', url: page, readyState: 'complete' } });
      // The example's streaming methods, both forms.
      const counted: number[] = [];
      const countdown = await agent.callTool('countdown', { from: 3, delay: 10 }, undefined, (progress) => counted.push(Number(progress.message)));
      assert.deepEqual(countdown.structuredContent, { result: 'liftoff' });
      assert.deepEqual(counted.slice(0, 2), [3, 2]);
      const headings = stream(page, 'headings', {}, { port: stack.port });
      const parts: unknown[] = [];
      for await (const part of headings) parts.push(part);
      assert.deepEqual(parts, ['Heading of /readme-agent']);
      assert.equal(await headings.result, 1);
    } finally {
      await agent.close();
    }
  });
});
