/**
 * A page's WebMCP tools as methods, end to end: `any launch --webmcp` (Chromium's WebMCP on, the
 * WebMCP mirror userscript on every page), local pages that register tools imperatively
 * (fixtures/webmcp/tools.js, under a CSP that lets only that script run) and userscripts that
 * meet them (fixtures/userscripts-webmcp). Listings and calls through HTTP, the TypeScript
 * client, the CLI and MCP (the official SDK's client); a tool that throws, one cancelled, one
 * late, one unregistered, a page whose tool tries to pass as a userscript method; a browser
 * without WebMCP, and a page where the mirror is not installed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call, methods } from '../../src/client/call.js';
import { WEBMCP_FEATURE_FLAG, type ManagedBrowser } from '../../src/launcher/launch.js';
import { webmcpMirrorFile } from '../../src/paths.js';
import type { MethodInfo } from '../../src/protocol/index.js';
import { withMatches } from '../../src/userscripts/webmcp-metadata.js';
import { connectAgent, within } from './agents.js';
import { launchConnected, postJson, runCli, startStack, USERSCRIPTS_WEBMCP, waitFor, type Stack } from './harness.js';

const byName = (list: MethodInfo[]) => new Map(list.map((method) => [method.name, method]));

describe('WebMCP tools as methods', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ webmcp: true, userscripts: USERSCRIPTS_WEBMCP });
  });
  after(async () => {
    await stack?.close();
  });

  const callHttp = (path: string, method: string, params: Record<string, unknown> = {}, timeout?: number) =>
    postJson(stack.port, '/call', { page: stack.pages.url(path), method, params, ...(timeout ? { timeout } : {}) });

  test('a listing at load has the page\'s tools next to the userscript\'s methods, each saying where it comes from', async () => {
    const { status, body } = await postJson(stack.port, '/methods', { page: stack.pages.url('/webmcp/list') });
    assert.equal(status, 200, JSON.stringify(body));
    const listed = byName(body.result as MethodInfo[]);
    assert.deepEqual(listed.get('webmcp:add'), {
      name: 'webmcp:add',
      source: 'webmcp',
      title: 'Add two numbers',
      description: 'Adds a and b.',
      inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
      annotations: { readOnlyHint: true, untrustedContentHint: true },
    });
    assert.deepEqual(listed.get('multiply'), {
      name: 'multiply',
      source: 'userscript',
      title: 'Multiply two numbers',
      description: 'Multiplies a and b.',
      inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
      outputSchema: { type: 'object', properties: { product: { type: 'number' } }, required: ['product'] },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    }, 'a userscript method described as a WebMCP tool is; hints that are not booleans or not hints are left out');
    for (const tool of ['greet', 'nothing', 'fail', 'wait', 'abortedCount', 'dropTemporary', 'temporary', 'echo']) {
      assert.equal(listed.get(`webmcp:${tool}`)?.source, 'webmcp', `webmcp:${tool} is listed`);
    }
    // The hostile page's tool named like a userscript method keeps its prefix, whatever it says of itself.
    assert.equal(listed.get('echo')?.source, 'userscript');
    assert.deepEqual([listed.get('webmcp:echo')?.source, listed.get('webmcp:echo')?.title], ['webmcp', 'echo (userscript)']);
    assert.equal([...listed.keys()].filter((name) => name === 'echo').length, 1);
  });

  test('calls over HTTP: results parsed from the tool\'s JSON text, a string stays a string, nothing is null', async () => {
    assert.deepEqual((await callHttp('/webmcp/', 'webmcp:add', { a: 2, b: 3 })).body.result, { sum: 5 });
    assert.equal((await callHttp('/webmcp/', 'webmcp:greet', { name: 'Ada' })).body.result, 'Hello, Ada!');
    assert.equal((await callHttp('/webmcp/', 'webmcp:nothing')).body.result, null);
  });

  test('the names are separate: a page tool never shadows a userscript method, nor a userscript the page\'s tool', async () => {
    assert.deepEqual((await callHttp('/webmcp/', 'echo', { x: 1 })).body.result, { userscript: true, params: { x: 1 } });
    assert.equal((await callHttp('/webmcp/', 'webmcp:echo')).body.result, 'the page\'s echo');
    // described.user.js set __any__['webmcp:greet'] first; the page's tool has the name.
    assert.equal((await callHttp('/webmcp/', 'webmcp:greet', { name: 'Bo' })).body.result, 'Hello, Bo!');
  });

  test('a tool that throws is METHOD_THREW, naming the tool', async () => {
    const { status, body } = await callHttp('/webmcp/', 'webmcp:fail');
    assert.equal(status, 500);
    assert.equal(body.error.code, 'METHOD_THREW');
    assert.match(body.error.message, /The page's WebMCP tool "fail" failed/);
  });

  test('a timeout and a cancel end the call at once, and abort the tool\'s signal where the browser gives it one', async (t) => {
    const path = '/webmcp/abort';
    const timedOut = await callHttp(path, 'webmcp:wait', {}, 500);
    assert.equal(timedOut.body.error?.code, 'TIMEOUT', JSON.stringify(timedOut.body));
    // Chromium 156 gives a tool a signal; Chromium 150 gives none, so there the tool cannot be told.
    const signalled = (await callHttp(path, 'webmcp:unsignalledCount')).body.result === 0;
    if (!signalled) t.diagnostic('this Chromium calls WebMCP tools without a signal: only the calls\' ends are checked');
    const aborted = (count: number, by: string) => signalled
      ? waitFor(async () => (await callHttp(path, 'webmcp:abortedCount')).body.result === count, 5_000, () => `the tool's signal was not aborted by the ${by}`)
      : waitFor(async () => (await callHttp(path, 'webmcp:unsignalledCount')).body.result === count, 5_000, () => `the ${by}'s call did not reach the tool`);
    await aborted(1, 'timeout');

    const cancel = new AbortController();
    const cancelled = call(stack.pages.url(path), 'webmcp:wait', {}, { port: stack.port, signal: cancel.signal });
    setTimeout(() => cancel.abort(), 300);
    await assert.rejects(cancelled, { code: 'CANCELLED' });
    await aborted(2, 'cancel');
  });

  test('a tool registered after load is found within the late-method grace', async () => {
    // A fresh tab: the call opens it, and the tool appears 800 ms after its load.
    assert.equal((await callHttp('/webmcp/late', 'webmcp:late')).body.result, 'late tool');
  });

  test('an unregistered tool disappears from listings, and calling it is METHOD_NOT_FOUND naming the tools there', async () => {
    const path = '/webmcp/unregister';
    assert.equal((await callHttp(path, 'webmcp:temporary')).body.result, 'still here');
    assert.equal((await callHttp(path, 'webmcp:dropTemporary')).body.result, 'dropped');
    await waitFor(async () => {
      const { body } = await postJson(stack.port, '/methods', { page: stack.pages.url(path) });
      return !(body.result as MethodInfo[]).some((method) => method.name === 'webmcp:temporary');
    }, 5_000, () => 'webmcp:temporary is still listed');
    const { status, body } = await callHttp(path, 'webmcp:temporary');
    assert.equal(status, 404);
    assert.equal(body.error.code, 'METHOD_NOT_FOUND');
    assert.match(body.error.message, /no WebMCP tool "temporary".*The WebMCP tools here: .*webmcp:add/);
  });

  test('the TypeScript client lists and calls them', async () => {
    const page = stack.pages.url('/webmcp/');
    const listed = byName(await methods(page, { port: stack.port }));
    assert.equal(listed.get('webmcp:add')?.title, 'Add two numbers');
    assert.deepEqual(await call(page, 'webmcp:add', { a: 20, b: 22 }, { port: stack.port }), { sum: 42 });
    await assert.rejects(call(page, 'webmcp:fail', {}, { port: stack.port }), { code: 'METHOD_THREW' });
  });

  test('the CLI lists and calls them', async () => {
    const page = stack.pages.url('/webmcp/');
    const listing = await runCli(['methods', page, '--port', String(stack.port)]);
    assert.equal(listing.code, 0, listing.stderr);
    assert.match(listing.stdout, /webmcp:add/);
    const called = await runCli(['call', page, 'webmcp:add', '{"a":1,"b":2}', '--port', String(stack.port)]);
    assert.equal(called.code, 0, called.stderr);
    assert.deepEqual(JSON.parse(called.stdout), { sum: 3 });
  });

  test('MCP: with --page each tool of the page is a tool of its own, and the generic tool calls them too', async () => {
    const page = stack.pages.url('/webmcp/mcp');
    const agent = await connectAgent(stack, 'stdio', 'v2', [page]);
    try {
      const tools = new Map((await agent.listTools()).map((tool) => [tool.name, tool]));
      const add = tools.get('webmcp_add');
      assert.ok(add, `webmcp_add among ${[...tools.keys()].join(', ')}`);
      assert.equal(add.title, 'Add two numbers');
      assert.deepEqual(add.annotations, { readOnlyHint: true, openWorldHint: true });
      assert.match(add.description ?? '', /Runs the page's own WebMCP tool add .*marks its output as untrusted content/);
      assert.deepEqual(tools.get('multiply')?.outputSchema,
        { type: 'object', properties: { result: { type: 'object', properties: { product: { type: 'number' } }, required: ['product'] } }, required: ['result'] });

      assert.deepEqual((await agent.callTool('webmcp_add', { a: 4, b: 5 })).structuredContent, { result: { sum: 9 } });
      // The SDK's client checks the result against the tool's outputSchema.
      assert.deepEqual((await agent.callTool('multiply', { a: 4, b: 5 })).structuredContent, { result: { product: 20 } });
      const generic = await agent.callTool('call_page_method', { page, method: 'webmcp:greet', params: { name: 'Cy' } });
      assert.deepEqual(generic.structuredContent, { result: 'Hello, Cy!' });
      const failed = await agent.callTool('webmcp_fail', {});
      assert.equal(failed.isError, true);
      assert.match(failed.content[0]?.text ?? '', /METHOD_THREW/);

      // The page unregisters a tool: its toolchange reaches the agent as a changed tool list.
      const changed = within(agent.nextListChange(), 10_000, 'notifications/tools/list_changed');
      assert.deepEqual((await agent.callTool('webmcp_dropTemporary', {})).structuredContent, { result: 'dropped' });
      await changed;
      assert.equal((await agent.listTools()).some((tool) => tool.name === 'webmcp_temporary'), false);
    } finally {
      await agent.close();
    }
  });

  describe('where WebMCP or the mirror is missing', () => {
    let mirrorDir: string;
    let noWebmcp: ManagedBrowser | undefined;
    let unmirrored: ManagedBrowser | undefined;
    before(async () => {
      // The mirror as a user installs it: for the sites they chose, here the test pages under /webmcp/.
      mirrorDir = mkdtempSync(join(tmpdir(), 'any-webmcp-mirror-'));
      writeFileSync(join(mirrorDir, 'webmcp.user.js'), withMatches(readFileSync(webmcpMirrorFile(), 'utf8'), ['http://127.0.0.1/webmcp/*']));
      ({ browser: noWebmcp } = await launchConnected(stack.server, { name: 'no-webmcp', userscripts: mirrorDir }));
      ({ browser: unmirrored } = await launchConnected(stack.server, { name: 'everyday-like', userscripts: mirrorDir, browserArgs: [WEBMCP_FEATURE_FLAG] }));
    });
    after(async () => {
      await noWebmcp?.close();
      await unmirrored?.close();
      rmSync(mirrorDir, { recursive: true, force: true });
    });

    test('a browser without WebMCP: no webmcp: entries, and a call says document.modelContext is missing', async () => {
      const page = stack.pages.url('/webmcp/');
      const listing = await postJson(stack.port, '/methods', { page, browser: 'no-webmcp' });
      assert.deepEqual(listing.body.result, [], 'the mirror runs there, and publishes nothing');
      const { status, body } = await postJson(stack.port, '/call', { page, method: 'webmcp:add', params: { a: 1, b: 2 }, browser: 'no-webmcp' });
      assert.equal(status, 404);
      assert.equal(body.error.code, 'METHOD_NOT_FOUND');
      assert.match(body.error.message, /no WebMCP tool "add".*This browser has no WebMCP on this page \(document\.modelContext is missing\)/);
    });

    test('a browser with WebMCP and the mirror installed for chosen sites: mirrored there, and nowhere else', async () => {
      const mirrored = await postJson(stack.port, '/call', { page: stack.pages.url('/webmcp/chosen'), method: 'webmcp:add', params: { a: 1, b: 2 }, browser: 'everyday-like' });
      assert.deepEqual(mirrored.body.result, { sum: 3 }, JSON.stringify(mirrored.body));
      const { status, body } = await postJson(stack.port, '/call',
        { page: stack.pages.url('/webmcp-elsewhere/'), method: 'webmcp:add', params: { a: 1, b: 2 }, browser: 'everyday-like' });
      assert.equal(status, 404);
      assert.match(body.error.message, /No WebMCP tools are mirrored here: .*the WebMCP mirror userscript is not installed for this page/);
    });
  });
});
