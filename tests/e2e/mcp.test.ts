/**
 * Agents over MCP, end to end: the official SDKs' own clients (v1 `@modelcontextprotocol/sdk`,
 * which speaks 2025-11-25, and v2 `@modelcontextprotocol/client`, also on 2026-07-28) against
 * `any mcp` over stdio and `/mcp` over Streamable HTTP, with the real server, extension,
 * userscripts and headless Chromium (and Firefox, for the single-browser agents); with a second browser connected, the tools' `browser`
 * argument, `list_browsers` and `any mcp --browser` (`/mcp?browser=`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1StdioTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { call, stream } from '../../src/client/call.js';
import { serverHealth } from '../../src/client/server-control.js';
import type { ManagedBrowser } from '../../src/launcher/launch.js';
import { CLI_ENTRY } from '../../src/paths.js';
import { connectAgent, within, type Door, type Sdk, type ToolResult } from './agents.js';
import { BROWSERS, EXAMPLE_USERSCRIPTS, freePort, launchConnected, runCli, startStack, waitFor, type Stack } from './harness.js';

/** Browser "b"'s only userscript: `onlyInB`, which the stack's browser does not have. */
const B_USERSCRIPTS = fileURLToPath(new URL('../fixtures/userscripts-mcp-b/', import.meta.url));

for (const { label, browser } of BROWSERS) describe(`agents over MCP: ${label}`, () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ browser });
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
    assert.deepEqual(names, ['list_page_methods', 'call_page_method', 'list_browsers']);
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

describe('agents and several browsers', () => {
  let stack: Stack;
  let b: ManagedBrowser | undefined;
  /** The stack's browser's name: the default, connected first. */
  let first: string;
  before(async () => {
    // A short first browser-wait: by the time "b" is up, a name not connected fails at once.
    stack = await startStack({ browserWaitMs: 2_000 });
    b = (await launchConnected(stack.server, { name: 'b', userscripts: B_USERSCRIPTS })).browser;
    first = stack.server.dispatcher.browsers[0]!.name;
  });
  after(async () => {
    await b?.close();
    await stack?.close();
  });

  const methodNames = (result: ToolResult) => ((result.structuredContent?.result ?? []) as { name: string }[]).map((method) => method.name);

  for (const [door, sdk] of [['stdio', 'v1'], ['http', 'v2']] as const) {
    test(`call_page_method and list_page_methods run in the browser named (${sdk} over ${door})`, async () => {
      const page = stack.pages.url(`/browsers/named-${door}`);
      const agent = await connectAgent(stack, door, sdk);
      try {
        const inB = await agent.callTool('call_page_method', { page, method: 'onlyInB', browser: 'b' });
        assert.deepEqual(inB.structuredContent, { result: 'ran in b' }, JSON.stringify(inB));
        assert.deepEqual(methodNames(await agent.callTool('list_page_methods', { page, browser: 'b' })), ['onlyInB']);
        // The same page named in the other browser: its own methods, and no onlyInB.
        const inFirst = await agent.callTool('call_page_method', { page, method: 'onlyInB', browser: first });
        assert.equal(inFirst.isError, true);
        assert.match(inFirst.content[0]?.text ?? '', /METHOD_NOT_FOUND/);
        assert.ok(methodNames(await agent.callTool('list_page_methods', { page, browser: first })).includes('echo'));
      } finally {
        await agent.close();
      }
    });

    test(`a browser not connected is a NO_BROWSER tool error naming the connected ones; a bad name, a protocol error (${sdk} over ${door})`, async () => {
      const page = stack.pages.url(`/browsers/unknown-${door}`);
      const agent = await connectAgent(stack, door, sdk);
      try {
        for (const result of [
          await agent.callTool('call_page_method', { page, method: 'echo', browser: 'nope' }),
          await agent.callTool('list_page_methods', { page, browser: 'nope' }),
        ]) {
          assert.equal(result.isError, true, JSON.stringify(result));
          assert.match(result.content[0]?.text ?? '', new RegExp(`^NoBrowserError \\(NO_BROWSER\\): No browser named "nope" .*Connected: "${first}" .*"b" `));
        }
        await assert.rejects(agent.callTool('call_page_method', { page, method: 'echo', browser: 'no such' }), /browser must be a name/);
      } finally {
        await agent.close();
      }
    });

    test(`list_browsers lists both, the default first (${sdk} over ${door})`, async () => {
      const agent = await connectAgent(stack, door, sdk);
      try {
        const listed = (await agent.callTool('list_browsers', {})).structuredContent?.result as Record<string, unknown>[];
        assert.deepEqual(listed.map(({ name, kind, default: isDefault }) => [name, kind, isDefault]), [[first, 'managed', true], ['b', 'managed', false]]);
        for (const browser of listed) {
          assert.deepEqual(Object.keys(browser), ['name', 'kind', 'brand', 'version', 'openTabs', 'callsInFlight', 'default']);
          assert.ok(typeof browser.brand === 'string' && browser.brand && typeof browser.version === 'string' && browser.version, JSON.stringify(browser));
          assert.ok(typeof browser.openTabs === 'number' && typeof browser.callsInFlight === 'number', JSON.stringify(browser));
        }
      } finally {
        await agent.close();
      }
    });
  }

  for (const [door, sdk, how] of [['stdio', 'v2', 'any mcp --browser b'], ['http', 'v1', '/mcp?browser=b']] as const) {
    test(`${how}: the page tools, their watch and calls that name no browser go to b; naming another is FORBIDDEN`, async () => {
      const page = stack.pages.url(`/browsers/pinned-${door}`);
      const agent = await connectAgent(stack, door, sdk, [page], 'b');
      try {
        // Unpinned, the first listing would open the page in the default browser, with echo and no onlyInB.
        const tools = (await agent.listTools()).map((tool) => tool.name);
        assert.ok(tools.includes('onlyInB') && !tools.includes('echo'), tools.join(','));
        assert.deepEqual((await agent.callTool('onlyInB', {})).structuredContent, { result: 'ran in b' });
        const elsewhere = stack.pages.url(`/browsers/pinned-${door}-generic`);
        assert.deepEqual((await agent.callTool('call_page_method', { page: elsewhere, method: 'onlyInB' })).structuredContent, { result: 'ran in b' });
        assert.deepEqual((await agent.callTool('call_page_method', { page: elsewhere, method: 'onlyInB', browser: 'b' })).structuredContent, { result: 'ran in b' });
        const refused = await agent.callTool('call_page_method', { page: elsewhere, method: 'echo', browser: first });
        assert.equal(refused.isError, true);
        assert.match(refused.content[0]?.text ?? '', /^ForbiddenError \(FORBIDDEN\): This MCP server may use only the browser "b" \(its --browser flag\)/);
        const listed = (await agent.callTool('list_browsers', {})).structuredContent?.result as { name: string; default: boolean }[];
        assert.deepEqual(listed.map(({ name, default: isDefault }) => [name, isDefault]), [['b', true]]);

        // The page open in the default browser too: unpinned, the watch's look (which goes to the
        // browser holding a tab, the first connected among equals) would swap b's tools for its.
        await stack.server.call(page, 'echo', {}, { browser: first });
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        const later = (await agent.listTools()).map((tool) => tool.name);
        assert.ok(later.includes('onlyInB') && !later.includes('echo'), later.join(','));
      } finally {
        await agent.close();
      }
    });
  }

  test('a --browser or browser= that is not a name is refused: a usage error (exit 2), a 400', async () => {
    const cli = await runCli(['mcp', '--port', String(stack.port), '--browser', 'no such'], { timeoutMs: 10_000 });
    assert.equal(cli.code, 2, cli.stderr);
    assert.match(cli.stderr, /--browser must be a name such as/);
    const response = await fetch(`http://127.0.0.1:${stack.port}/mcp?browser=no%20such`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });
    assert.equal(response.status, 400);
    assert.match(((await response.json()) as { error: { message: string } }).error.message, /^Bad \/mcp URL: browser= must be a name such as/);
  });
});

test('list_browsers over stdio with no server running: a NO_SERVER tool error that says how one starts, and none is started', async () => {
  const port = await freePort();
  const client = new V1Client({ name: 'any-test-v1', version: '1.0.0' });
  await client.connect(new V1StdioTransport({ command: process.execPath, args: [CLI_ENTRY, 'mcp', '--port', String(port)], stderr: 'pipe' }));
  try {
    const result = await client.callTool({ name: 'list_browsers', arguments: {} }) as ToolResult;
    assert.equal(result.isError, true);
    assert.match(result.content[0]?.text ?? '', new RegExp(`^NoServerError \\(NO_SERVER\\): No any server is running on port ${port}.*starts one`));
    assert.equal(await serverHealth(port), undefined, 'no server was started');
  } finally {
    await client.close();
  }
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
