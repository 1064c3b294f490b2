/**
 * The MCP core without a transport or a browser: the allow-list, the page tools' names, tool
 * results and errors, and AgentTools driven through a fake PageAccess that records every listing
 * and call it is asked for. The SDK binding is in mcp-server.test.ts; /mcp's door in
 * tests/security/server-boundary.test.ts; real agents on real Chromium in tests/e2e/mcp.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AgentTools, CALL_PAGE_METHOD, LIST_BROWSERS, LIST_PAGE_METHODS, pageToolOf, ToolRequestError, type AgentToolsOptions, type Tool } from '../../src/mcp/agent-tools.js';
import { allowList } from '../../src/mcp/allow-list.js';
import type { PageAccess, PageCallOptions } from '../../src/mcp/page-access.js';
import { MAX_TOOL_NAME, nameTools, pageLabel, toolNameOf } from '../../src/mcp/tool-names.js';
import { toolError, toolResult } from '../../src/mcp/tool-results.js';
import { toAnyError } from '../../src/protocol/error-classes.js';
import { CallFailure, errorShape, type BrowserInfo, type MethodInfo } from '../../src/protocol/index.js';

const VALID_TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

describe('allowList', () => {
  test('no entry: every page and every method', () => {
    const allow = allowList();
    assert.deepEqual(allow.entries, []);
    assert.equal(allow.allowsPage('https://anything.example/'), true);
    assert.equal(allow.allows('https://anything.example/', 'anyMethod'), true);
    assert.equal(allowList([]).allows('http://127.0.0.1:8080/x', 'x'), true);
  });

  test('page patterns only: matching pages, with every method on them', () => {
    const allow = allowList(['https://chatgpt.com/*', 'http://127.0.0.1:8080/app/*']);
    for (const page of ['https://chatgpt.com/', 'https://chatgpt.com/c/123?model=x#end', 'https://chatgpt.com', 'http://127.0.0.1:8080/app/']) {
      assert.equal(allow.allowsPage(page), true, page);
      assert.equal(allow.allows(page, 'whatever'), true, page);
    }
    for (const page of ['https://example.com/', 'http://chatgpt.com/', 'https://chatgpt.com.evil.example/', 'https://evil.example/https://chatgpt.com/',
      'http://127.0.0.1:8081/app/', 'http://127.0.0.1:8080/other', 'not a url']) {
      assert.equal(allow.allowsPage(page), false, page);
      assert.equal(allow.allows(page, 'whatever'), false, page);
    }
  });

  test('method patterns only: every page, matching methods only', () => {
    const allow = allowList(['ask', 'read*']);
    assert.equal(allow.allowsPage('https://example.com/'), true);
    for (const method of ['ask', 'read', 'readAll', 'reader']) assert.equal(allow.allows('https://example.com/', method), true, method);
    for (const method of ['asks', 'Ask', 'task', 'xread', 'write', '']) assert.equal(allow.allows('https://example.com/', method), false, method);
  });

  test('both kinds together: a matching method on a matching page', () => {
    const allow = allowList(['https://chatgpt.com/*', 'ask']);
    assert.equal(allow.allows('https://chatgpt.com/', 'ask'), true);
    assert.equal(allow.allows('https://chatgpt.com/', 'other'), false, 'a method not allowed, on an allowed page');
    assert.equal(allow.allows('https://example.com/', 'ask'), false, 'an allowed method, on a page not allowed');
    assert.equal(allow.allowsPage('https://example.com/'), false);
    assert.deepEqual(allow.entries, ['https://chatgpt.com/*', 'ask']);
  });

  test('globs: * is any run of characters, everything else is literal', () => {
    const allow = allowList(['a.b', 'get(*)', 'x*y*z', '[re]', '^$']);
    const ok = (method: string) => allow.allows('https://a.example/', method);
    assert.equal(ok('a.b'), true);
    assert.equal(ok('axb'), false, 'a dot is a dot');
    assert.equal(ok('get()'), true);
    assert.equal(ok('get(id)'), true);
    assert.equal(ok('getid'), false);
    assert.equal(ok('xyz'), true);
    assert.equal(ok('x-1-y-2-z'), true);
    assert.equal(ok('x-1-z'), false);
    assert.equal(ok('[re]'), true);
    assert.equal(ok('r'), false, 'brackets are not a character class');
    assert.equal(ok('^$'), true);
    assert.equal(ok(''), false);
  });

  test('what is a page pattern: an entry with a scheme', () => {
    // `*://*/*` and `chrome-extension://…` have one; `ask:me` and `a/b` do not.
    assert.equal(allowList(['*://*/*']).allowsPage('http://a.example/x'), true);
    assert.equal(allowList(['*://*/*']).allows('http://a.example/x', 'm'), true);
    assert.equal(allowList(['ask:me']).allowsPage('https://a.example/'), true, 'a method pattern narrows no page');
    assert.equal(allowList(['ask:me']).allows('https://a.example/', 'ask:me'), true);
    assert.equal(allowList(['ask:me']).allows('https://a.example/', 'ask'), false);
  });

  test('a * in a page pattern\'s host stays in the host: it cannot run on into the path, query or fragment', () => {
    const allow = allowList(['https://*.example.com/*']);
    for (const page of ['https://a.example.com/', 'https://a.b.example.com/x?y#z']) assert.equal(allow.allowsPage(page), true, page);
    for (const page of ['https://evil.com/x.example.com/', 'https://evil.com/?.example.com/', 'https://evil.com?.example.com/',
      'https://evil.com#.example.com/', 'https://evil.com\\.example.com/', 'https://example.com.evil.com/', 'http://a.example.com/']) {
      assert.equal(allow.allowsPage(page), false, page);
    }
  });

  test('a page pattern matches the page the browser will load: dot segments resolved, host in any case', () => {
    const allow = allowList(['https://example.com/app/*']);
    assert.equal(allow.allowsPage('https://example.com/app/../admin'), false, 'loads /admin');
    assert.equal(allow.allowsPage('https://example.com/app/%2e%2e/admin'), false, 'loads /admin too');
    assert.equal(allow.allowsPage('https://EXAMPLE.com/app/x'), true);
    assert.equal(allow.allowsPage('https://user:secret@example.com/app/x'), true, 'the host is example.com');
    assert.equal(allow.allowsPage('https://example.com@evil.example/app/x'), false, 'the host is evil.example');
    assert.equal(allowList(['https://example.com']).allowsPage('https://example.com/'), true, 'no path: the root');
    assert.equal(allowList(['https://example.com']).allowsPage('https://example.com/x'), false);
    assert.equal(allowList(['http://localhost:*/*']).allowsPage('http://localhost:3000/x'), true);
  });
});

describe('tool names', () => {
  test('toolNameOf: a valid MCP tool name, other characters made _, at most 128 characters', () => {
    assert.equal(toolNameOf('ask'), 'ask');
    assert.equal(toolNameOf('get-item.v2_x'), 'get-item.v2_x');
    assert.equal(toolNameOf('say hello/now'), 'say_hello_now');
    assert.equal(toolNameOf('été'), '_t_');
    assert.equal(toolNameOf('$'), '_');
    assert.equal(toolNameOf(''), '_', 'never empty');
    assert.equal(toolNameOf('m'.repeat(300)), 'm'.repeat(MAX_TOOL_NAME));
    assert.equal(MAX_TOOL_NAME, 128);
    for (const text of ['a b', '🙂', '\u0000', 'x'.repeat(200), '']) assert.match(toolNameOf(text), VALID_TOOL_NAME, JSON.stringify(text));
  });

  test('pageLabel: the page\'s host, and its port when it has one', () => {
    assert.equal(pageLabel('https://chatgpt.com/c/1?x=2'), 'chatgpt.com');
    assert.equal(pageLabel('http://127.0.0.1:8080/'), '127.0.0.1_8080');
    assert.equal(pageLabel('https://example.com:443/'), 'example.com', 'the default port is no port');
    assert.match(pageLabel('http://[::1]:3000/'), VALID_TOOL_NAME);
    assert.match(pageLabel('https://bücher.example/'), VALID_TOOL_NAME);
  });

  test('nameTools: methods keep their names when nothing collides', () => {
    const taken = new Set<string>();
    const names = nameTools('https://chatgpt.com/', ['ask', 'read-all', 'say hi'], taken);
    assert.deepEqual([...names], [['ask', 'ask'], ['read-all', 'read-all'], ['say hi', 'say_hi']]);
    assert.deepEqual([...taken], ['ask', 'read-all', 'say_hi'], 'taken is extended');
  });

  test('nameTools: a name taken by a generic tool gets the page\'s host in front', () => {
    const taken = new Set([LIST_PAGE_METHODS, CALL_PAGE_METHOD]);
    const names = nameTools('https://chatgpt.com/', [LIST_PAGE_METHODS, CALL_PAGE_METHOD, 'ask'], taken);
    assert.equal(names.get(LIST_PAGE_METHODS), `chatgpt.com.${LIST_PAGE_METHODS}`);
    assert.equal(names.get(CALL_PAGE_METHOD), `chatgpt.com.${CALL_PAGE_METHOD}`);
    assert.equal(names.get('ask'), 'ask');
  });

  test('nameTools: the same method on several pages, and methods that clean up to one name, all get names of their own', () => {
    const taken = new Set([LIST_PAGE_METHODS, CALL_PAGE_METHOD]);
    const first = nameTools('https://chatgpt.com/', ['ask'], taken);
    const second = nameTools('https://example.com/a', ['ask', 'a b', 'a_b', 'a?b'], taken);
    const third = nameTools('https://example.com/b', ['ask'], taken);
    const fourth = nameTools('https://example.com/c', ['ask'], taken);
    assert.equal(first.get('ask'), 'ask');
    assert.equal(second.get('ask'), 'example.com.ask');
    assert.equal(second.get('a b'), 'a_b');
    assert.equal(second.get('a_b'), 'example.com.a_b');
    assert.equal(second.get('a?b'), 'example.com.a_b_2');
    assert.equal(third.get('ask'), 'example.com.ask_2', 'the same host again: a number');
    assert.equal(fourth.get('ask'), 'example.com.ask_3');
    const all = [first, second, third, fourth].flatMap((names) => [...names.values()]);
    assert.equal(new Set(all).size, all.length, 'no two tools share a name');
    assert.equal(taken.size, 2 + all.length);
  });

  test('nameTools: long names stay within 128 characters and unique, numbers included', () => {
    const taken = new Set<string>();
    const long = 'm'.repeat(200);
    const methods = [long, `${long}x`, `${long}y`, `${long}z`];
    const names = [...nameTools('https://a-rather-long-host-name.example/', methods, taken).values()];
    for (const name of names) assert.match(name, VALID_TOOL_NAME, name);
    assert.equal(new Set(names).size, methods.length);
    assert.match(names[2]!, /_2$/);
    assert.match(names[3]!, /_3$/);
    assert.equal(names[3]!.length, MAX_TOOL_NAME);
  });

  test('nameTools: deterministic for the same pages and methods in the same order', () => {
    const run = () => {
      const taken = new Set([LIST_PAGE_METHODS, CALL_PAGE_METHOD]);
      return ['https://a.example/', 'https://b.example/', 'https://a.example/other'].map((page) =>
        [...nameTools(page, ['ask', LIST_PAGE_METHODS, 'ask me', 'ask_me'], taken)]);
    };
    assert.deepEqual(run(), run());
  });
});

describe('tool results', () => {
  test('toolResult: the value as structuredContent {result} and as JSON text', () => {
    for (const value of [{ a: [1, 'two'] }, [1, 2], 'text', 42, true, null]) {
      const result = toolResult(value);
      assert.deepEqual(result.structuredContent, { result: value });
      assert.deepEqual(result.content, [{ type: 'text', text: JSON.stringify(value, null, 2) }]);
      assert.equal(result.isError, undefined);
    }
  });

  test('toolResult: undefined (a method that returned nothing) is null', () => {
    assert.deepEqual(toolResult(undefined), { content: [{ type: 'text', text: 'null' }], structuredContent: { result: null } });
  });

  test('toolError: a failed call names the error, its code and its message, with isError', () => {
    const result = toolError(CallFailure.of('TIMEOUT', 'No answer within 30000 ms.'));
    assert.equal(result.isError, true);
    assert.deepEqual(result.content, [{ type: 'text', text: 'TimeoutError (TIMEOUT): No answer within 30000 ms.' }]);
    assert.deepEqual(result.structuredContent, { error: { name: 'TimeoutError', code: 'TIMEOUT', message: 'No answer within 30000 ms.' } });
  });

  test('toolError: METHOD_NOT_FOUND lists the methods there are, or says there are none', () => {
    const result = toolError(CallFailure.of('METHOD_NOT_FOUND', '__any__.x is not a method here.', { methods: ['ask', 'read'] }));
    assert.equal(result.isError, true);
    assert.equal(result.content[0]!.text, 'MethodNotFoundError (METHOD_NOT_FOUND): __any__.x is not a method here.\nMethods on the page: ask, read.');
    assert.deepEqual(result.structuredContent, { error: { name: 'MethodNotFoundError', code: 'METHOD_NOT_FOUND', message: '__any__.x is not a method here.', methods: ['ask', 'read'] } });
    const none = toolError(CallFailure.of('METHOD_NOT_FOUND', 'Nothing here.', { methods: [] }));
    assert.match(none.content[0]!.text, /Methods on the page: \(none\)\.$/);
  });

  test('toolError: the client\'s AnyError (stdio) reads the same as the server\'s CallFailure (/mcp)', () => {
    const shape = errorShape('METHOD_THREW', 'boom', { name: 'TypeError', stack: 'TypeError: boom\n    at page.js:1:1' });
    const fromClient = toolError(toAnyError(shape));
    assert.deepEqual(fromClient, toolError(new CallFailure(shape)));
    assert.deepEqual(fromClient.content, [{ type: 'text', text: 'TypeError (METHOD_THREW): boom' }]);
    assert.doesNotMatch(JSON.stringify(fromClient), /page\.js/, 'no stack');
    const missing = toolError(toAnyError(errorShape('METHOD_NOT_FOUND', 'no x', { methods: ['a'] })));
    assert.match(missing.content[0]!.text, /Methods on the page: a\.$/);
  });

  test('toolError: anything else is an INTERNAL error that says what happened', () => {
    const result = toolError(new Error('socket hang up'));
    assert.equal(result.isError, true);
    assert.match(result.content[0]!.text, /^InternalError \(INTERNAL\): .*socket hang up/);
    assert.match(toolError('a string').content[0]!.text, /a string/);
  });
});

// ── AgentTools ─────────────────────────────────────────────────────────────────

interface Listing {
  page: string;
  options: PageCallOptions & { openTab?: boolean };
}
interface Call {
  page: string;
  method: string;
  params: Record<string, unknown>;
  options: PageCallOptions;
}

const PAGE = 'https://chatgpt.com/';
const OTHER = 'https://example.com/';

const ASK: MethodInfo = {
  name: 'ask',
  source: 'userscript',
  description: 'Asks ChatGPT a question and returns the answer.',
  inputSchema: { type: 'object', properties: { prompt: { type: 'string' } }, required: ['prompt'], additionalProperties: false },
};

/** A connected browser as the server's health lists it. */
function browserInfo(name: string, kind: BrowserInfo['kind'] = 'managed', openTabs = 0): BrowserInfo {
  return {
    name, kind, brand: 'Chromium', version: '142.0.7444.59', installId: `install-${name}`, workerId: `worker-${name}`,
    extensionVersion: '0.1.0', userAgent: 'Mozilla/5.0', connectedAt: '2026-12-02T07:00:00.000Z', openTabs, callsInFlight: 0,
  };
}

/**
 * AgentTools over a fake PageAccess that records every listing and call. A page's entry in
 * `pages` is its methods, or an Error its listing throws; a listing opens the page's tab unless
 * openTab is false, and a page whose tab is not open has no methods, as with the real server.
 * `browsers` is what the server says is connected, or an Error asking it throws.
 */
function agentTools(methods: Record<string, MethodInfo[]>, options: Partial<AgentToolsOptions> = {}) {
  const pages: Record<string, MethodInfo[] | Error> = { ...methods };
  const open = new Set<string>();
  const listings: Listing[] = [];
  const calls: Call[] = [];
  const state = {
    pages,
    open,
    listings,
    calls,
    answer: (call: Call): unknown => ({ ran: call.method, params: call.params }),
    browsers: [browserInfo('chromium')] as BrowserInfo[] | Error,
  };
  const access: PageAccess = {
    async call(page, method, params, callOptions) {
      const call = { page, method, params, options: callOptions };
      calls.push(call);
      return state.answer(call);
    },
    async methods(page, listOptions) {
      listings.push({ page, options: listOptions });
      const found = pages[page] ?? [];
      if (found instanceof Error) throw found;
      if (listOptions.openTab !== false) open.add(page);
      return open.has(page) ? found : [];
    },
    async browsers() {
      if (state.browsers instanceof Error) throw state.browsers;
      return state.browsers;
    },
  };
  const tools = new AgentTools({ access, pages: [], allow: allowList(), ...options });
  return Object.assign(state, { tools });
}

const names = (tools: Tool[]) => tools.map((tool) => tool.name);
const GENERIC = [LIST_PAGE_METHODS, CALL_PAGE_METHOD, LIST_BROWSERS];

async function waitUntil(condition: () => boolean, what = 'the condition'): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 3_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('AgentTools', () => {
  test('lists the three generic tools, with object schemas and annotations, and touches no page without --page', async () => {
    const { tools, listings, calls } = agentTools({});
    const listed = await tools.list();
    assert.deepEqual(names(listed), GENERIC);
    for (const tool of listed) {
      assert.equal(tool.inputSchema.type, 'object', tool.name);
      assert.equal(tool.inputSchema.additionalProperties, false, tool.name);
      assert.ok(tool.description.length > 0 && tool.title, tool.name);
    }
    const [list, call, browsers] = listed as [Tool, Tool, Tool];
    for (const pageTool of [list, call]) {
      assert.match(pageTool.description, /untrusted content/);
      assert.equal(pageTool.annotations.openWorldHint, true, pageTool.name);
      assert.match((pageTool.inputSchema.properties as { browser: { description: string } }).browser.description,
        /omit to let any route: the browser holding a tab for the page, else the default/);
    }
    assert.deepEqual(list.inputSchema.required, ['page']);
    assert.deepEqual(Object.keys(list.inputSchema.properties as object), ['page', 'browser']);
    assert.equal(list.annotations.readOnlyHint, true);
    assert.deepEqual(call.inputSchema.required, ['page', 'method']);
    assert.deepEqual(Object.keys(call.inputSchema.properties as object), ['page', 'method', 'params', 'timeout', 'browser']);
    assert.equal(call.annotations.readOnlyHint, false);
    assert.deepEqual(browsers.inputSchema, { type: 'object', properties: {}, additionalProperties: false });
    assert.deepEqual(browsers.annotations, { readOnlyHint: true, openWorldHint: false });
    assert.ok(listed.every((tool) => tool.description.length < 400), 'descriptions stay short: agents pay for every word');
    assert.deepEqual([listings, calls], [[], []]);
  });

  test('--page: one tool per method, named after it, with the userscript\'s description and inputSchema', async () => {
    const { tools } = agentTools({
      [PAGE]: [ASK, { name: 'count', source: 'userscript' }, { name: 'odd', source: 'userscript', inputSchema: { type: 'string', properties: { x: { type: 'number' } } } }, { name: 'loose', source: 'userscript', inputSchema: { properties: {} } }],
    }, { pages: [PAGE] });
    const listed = await tools.list();
    assert.deepEqual(names(listed), [...GENERIC, 'ask', 'count', 'odd', 'loose']);
    const byName = new Map(listed.map((tool) => [tool.name, tool]));
    const ask = byName.get('ask')!;
    assert.deepEqual(ask.inputSchema, ASK.inputSchema);
    assert.ok(ask.description.startsWith(ASK.description!), ask.description);
    assert.match(ask.description, /untrusted content/);
    assert.match(ask.title ?? '', /ask on https:\/\/chatgpt\.com\//);
    assert.deepEqual(ask.annotations, { readOnlyHint: false, openWorldHint: true });
    const count = byName.get('count')!;
    assert.deepEqual(count.inputSchema, { type: 'object' }, 'no schema: any object');
    assert.match(count.description, /^Calls __any__\.count on https:\/\/chatgpt\.com\//);
    assert.deepEqual(byName.get('odd')!.inputSchema, { type: 'object', properties: { x: { type: 'number' } } }, 'the root is always an object');
    assert.deepEqual(byName.get('loose')!.inputSchema, { type: 'object', properties: {} });
  });

  test('--page: tools of several pages, a method on two pages and one named like a generic tool, all distinct', async () => {
    const { tools } = agentTools({
      [PAGE]: [ASK, { name: CALL_PAGE_METHOD, source: 'userscript' }],
      [OTHER]: [{ name: 'ask', source: 'userscript' }],
    }, { pages: [PAGE, OTHER] });
    assert.deepEqual(names(await tools.list()), [...GENERIC, 'ask', `chatgpt.com.${CALL_PAGE_METHOD}`, 'example.com.ask']);
  });

  test('the first listing opens the page\'s tab; later ones only look at an open tab', async () => {
    const { tools, listings, open } = agentTools({ [PAGE]: [ASK] }, { pages: [PAGE] });
    await tools.list();
    assert.deepEqual(listings, [{ page: PAGE, options: { openTab: true, timeout: 5_000 } }]);
    await tools.list();
    await tools.list();
    assert.deepEqual(listings.slice(1).map((listing) => listing.options), [{ openTab: false, timeout: 5_000 }, { openTab: false, timeout: 5_000 }]);
    open.delete(PAGE); // the user closed the tab
    assert.deepEqual(names(await tools.list()), GENERIC, 'its tools go');
    assert.equal(listings.at(-1)!.options.openTab, false, 'and it is not opened again');
  });

  test('a first listing that fails (no browser yet) is tried again with openTab; a page that fails later keeps its tools', async () => {
    const { tools, listings, pages } = agentTools({ [PAGE]: new CallFailure(errorShape('NO_BROWSER', 'none')) as unknown as MethodInfo[] }, { pages: [PAGE] });
    assert.deepEqual(names(await tools.list()), GENERIC, 'listing does not fail');
    pages[PAGE] = [ASK];
    assert.deepEqual(names(await tools.list()), [...GENERIC, 'ask']);
    assert.deepEqual(listings.map((listing) => listing.options.openTab), [true, true]);
    pages[PAGE] = new Error('slow page') as unknown as MethodInfo[];
    assert.deepEqual(names(await tools.list()), [...GENERIC, 'ask'], 'kept');
    assert.equal(listings.at(-1)!.options.openTab, false);
  });

  test('watch: calls onChange when methods appear or go, and not otherwise; stopping stops it', async () => {
    const { tools, listings, pages, open } = agentTools({ [PAGE]: [] }, { pages: [PAGE], watchIntervalMs: 10 });
    await tools.list();
    let changes = 0;
    const stop = tools.watch(() => changes++);
    try {
      const looked = listings.length;
      await waitUntil(() => listings.length >= looked + 3, 'three looks');
      assert.equal(changes, 0, 'nothing changed');
      assert.ok(listings.slice(1).every((listing) => listing.options.openTab === false), 'the watch opens no tab once listed');

      pages[PAGE] = [ASK]; // a userscript registered late
      await waitUntil(() => changes === 1, 'a method appearing');
      assert.deepEqual(names(await tools.list()), [...GENERIC, 'ask']);

      pages[PAGE] = [{ ...ASK, description: 'Asks, differently.' }];
      await waitUntil(() => changes === 2, 'a description changing');

      const before = listings.length;
      await waitUntil(() => listings.length >= before + 3);
      assert.equal(changes, 2, 'the same methods again are no change');

      open.delete(PAGE);
      await waitUntil(() => changes === 3, 'the tab closing');
      assert.deepEqual(names(await tools.list()), GENERIC);
    } finally {
      stop();
    }
    const stopped = listings.length;
    await sleep(60);
    assert.ok(listings.length <= stopped + 1, 'no more looks after stop (one may have been under way)');
  });

  test('watch: without --page it does nothing', async () => {
    const { tools, listings } = agentTools({ [PAGE]: [ASK] }, { watchIntervalMs: 5 });
    const stop = tools.watch(() => assert.fail('no change without pages'));
    await sleep(40);
    stop();
    assert.deepEqual(listings, []);
  });

  describe('calls', () => {
    test('list_page_methods lists the page, passing the signal, and validates its arguments', async () => {
      const { tools, listings } = agentTools({ [OTHER]: [ASK] });
      const signal = new AbortController().signal;
      const result = await tools.call(LIST_PAGE_METHODS, { page: OTHER }, signal);
      assert.deepEqual(result.structuredContent, { result: [ASK] });
      assert.equal(listings.length, 1);
      assert.equal(listings[0]!.page, OTHER);
      assert.equal(listings[0]!.options.signal, signal);
      assert.equal(listings[0]!.options.openTab, undefined, 'an agent\'s listing opens a tab like any listing');
      for (const bad of [undefined, {}, { page: 'javascript:alert(1)' }, { page: 'file:///etc/passwd' }, { page: 1 }, { page: OTHER, code: 'x' }, [OTHER], 'page']) {
        await assert.rejects(tools.call(LIST_PAGE_METHODS, bad), ToolRequestError, JSON.stringify(bad));
      }
      assert.equal(listings.length, 1, 'nothing ran for bad arguments');
    });

    test('call_page_method calls the method with params, timeout and signal, and validates its arguments', async () => {
      const { tools, calls } = agentTools({});
      const controller = new AbortController();
      const result = await tools.call(CALL_PAGE_METHOD, { page: OTHER, method: 'echo', params: { text: 'hi' }, timeout: 1234 }, controller.signal);
      assert.deepEqual(result, toolResult({ ran: 'echo', params: { text: 'hi' } }));
      assert.deepEqual(calls.map(({ options, ...rest }) => ({ ...rest, timeout: options.timeout })), [{ page: OTHER, method: 'echo', params: { text: 'hi' }, timeout: 1234 }]);
      assert.equal(calls[0]!.options.signal, controller.signal, 'the very signal');
      await tools.call(CALL_PAGE_METHOD, { page: OTHER, method: 'echo' });
      assert.deepEqual(calls[1]!.params, {}, 'params default to {}');
      assert.equal(calls[1]!.options.timeout, undefined, 'the server\'s default timeout');
      const bad: unknown[] = [
        undefined, {}, { page: OTHER }, { method: 'echo' }, { page: OTHER, method: '' }, { page: 'chrome://settings/', method: 'x' },
        { page: OTHER, method: 'echo', params: [] }, { page: OTHER, method: 'echo', params: null }, { page: OTHER, method: 'echo', params: '{}' },
        { page: OTHER, method: 'echo', timeout: 0 }, { page: OTHER, method: 'echo', timeout: '5' }, { page: OTHER, method: 'echo', timeout: 1.5 },
        { page: OTHER, method: 'echo', code: 'alert(1)' }, { page: OTHER, method: 'm'.repeat(300) },
      ];
      for (const args of bad) await assert.rejects(tools.call(CALL_PAGE_METHOD, args), (error: Error) => error instanceof ToolRequestError && /^Bad arguments for call_page_method: /.test(error.message), JSON.stringify(args));
      assert.equal(calls.length, 2, 'nothing ran for bad arguments');
    });

    test('a page tool calls its method on its page with the arguments as params, the call timeout and the signal', async () => {
      const { tools, calls } = agentTools({ [PAGE]: [ASK], [OTHER]: [{ name: 'ask', source: 'userscript' }] }, { pages: [PAGE, OTHER], callTimeoutMs: 60_000 });
      await tools.list();
      const signal = new AbortController().signal;
      assert.deepEqual((await tools.call('ask', { prompt: 'hi' }, signal)).structuredContent, { result: { ran: 'ask', params: { prompt: 'hi' } } });
      assert.deepEqual(calls[0], { page: PAGE, method: 'ask', params: { prompt: 'hi' }, options: { timeout: 60_000, signal } });
      await tools.call('example.com.ask', undefined);
      assert.deepEqual({ ...calls[1], options: undefined }, { page: OTHER, method: 'ask', params: {}, options: undefined }, 'no arguments: {}');
      for (const args of [[1], 'x', 3]) {
        await assert.rejects(tools.call('ask', args), ToolRequestError, JSON.stringify(args));
      }
      assert.equal(calls.length, 2, 'nothing ran for bad arguments');
    });

    test('a call that fails is a tool error, not a throw', async () => {
      const { tools, pages } = agentTools({ [PAGE]: [ASK] }, { pages: [PAGE] });
      const state = agentTools({});
      state.answer = () => {
        throw new CallFailure(errorShape('METHOD_THREW', 'bad prompt', { name: 'TypeError' }));
      };
      const threw = await state.tools.call(CALL_PAGE_METHOD, { page: OTHER, method: 'ask' });
      assert.equal(threw.isError, true);
      assert.equal(threw.content[0]!.text, 'TypeError (METHOD_THREW): bad prompt');
      state.answer = () => {
        throw new Error('no socket');
      };
      assert.match((await state.tools.call(CALL_PAGE_METHOD, { page: OTHER, method: 'ask' })).content[0]!.text, /^InternalError \(INTERNAL\): .*no socket/);

      await tools.list();
      pages[PAGE] = new CallFailure(errorShape('NO_BROWSER', 'No browser is connected.')) as unknown as MethodInfo[];
      const listing = await tools.call(LIST_PAGE_METHODS, { page: PAGE });
      assert.equal(listing.isError, true);
      assert.equal(listing.content[0]!.text, 'NoBrowserError (NO_BROWSER): No browser is connected.');
    });

    test('a page tool\'s failure is a tool error too', async () => {
      const state = agentTools({ [PAGE]: [ASK] }, { pages: [PAGE] });
      await state.tools.list();
      state.answer = () => {
        throw CallFailure.of('TIMEOUT', 'too slow');
      };
      assert.deepEqual(await state.tools.call('ask', { prompt: 'x' }), toolError(CallFailure.of('TIMEOUT', 'too slow')));
    });

    test('an unknown tool, or a page tool not listed (yet, or any more), is a ToolRequestError', async () => {
      const { tools, open } = agentTools({ [PAGE]: [ASK] }, { pages: [PAGE] });
      await assert.rejects(tools.call('ask', {}), ToolRequestError, 'not listed yet');
      await assert.rejects(tools.call('evaluate', { code: '1' }), (error: Error) => error instanceof ToolRequestError && /no tool "evaluate"/.test(error.message));
      await tools.list();
      await tools.call('ask', { prompt: 'x' });
      open.delete(PAGE);
      await tools.list();
      await assert.rejects(tools.call('ask', { prompt: 'x' }), ToolRequestError, 'gone with its tab');
    });
  });

  describe('browsers', () => {
    test('list_page_methods and call_page_method pass the browser the agent names, and none when it names none', async () => {
      const { tools, listings, calls } = agentTools({ [OTHER]: [ASK] });
      await tools.call(LIST_PAGE_METHODS, { page: OTHER, browser: 'work' });
      await tools.call(LIST_PAGE_METHODS, { page: OTHER });
      await tools.call(CALL_PAGE_METHOD, { page: OTHER, method: 'echo', browser: 'b.2_x-Y' });
      await tools.call(CALL_PAGE_METHOD, { page: OTHER, method: 'echo' });
      assert.deepEqual(listings.map((listing) => listing.options.browser), ['work', undefined]);
      assert.deepEqual(calls.map((call) => call.options.browser), ['b.2_x-Y', undefined]);
      assert.ok(!('browser' in listings[1]!.options) && !('browser' in calls[1]!.options), 'absent, so that the server routes');
    });

    test('a browser that is not a name is a ToolRequestError naming the rule, and nothing runs', async () => {
      const { tools, listings, calls } = agentTools({ [OTHER]: [ASK] });
      for (const browser of ['', 'my browser', '-work', '.x', 'w'.repeat(64), 'wörk', 5, null, ['work']]) {
        for (const [name, args] of [[LIST_PAGE_METHODS, { page: OTHER, browser }], [CALL_PAGE_METHOD, { page: OTHER, method: 'echo', browser }]] as const) {
          await assert.rejects(tools.call(name, args), (error: Error) =>
            error instanceof ToolRequestError && new RegExp(`^Bad arguments for ${name}: browser must be a`).test(error.message), `${name} ${JSON.stringify(browser)}`);
        }
      }
      assert.deepEqual([listings, calls], [[], []]);
    });

    test('a browser that is not connected: the server\'s NO_BROWSER, naming the connected ones, as a tool error', async () => {
      const state = agentTools({});
      const noSuch = CallFailure.of('NO_BROWSER', 'No browser named "nope" is connected to the any server on port 8765. Connected: "chromium" (managed Chromium 142), "b" (managed Chromium 142).');
      state.answer = () => {
        throw noSuch;
      };
      const result = await state.tools.call(CALL_PAGE_METHOD, { page: OTHER, method: 'echo', browser: 'nope' });
      assert.deepEqual(result, toolError(noSuch));
      assert.match(result.content[0]!.text, /^NoBrowserError \(NO_BROWSER\): .*Connected: "chromium".*"b"/);
    });

    test('list_browsers: the connected browsers, the first the default, with what an agent needs to pick one', async () => {
      const state = agentTools({});
      state.browsers = [browserInfo('chromium', 'managed', 2), browserInfo('chrome', 'everyday', 7)];
      const result = await state.tools.call(LIST_BROWSERS, {});
      assert.deepEqual(result.structuredContent, { result: [
        { name: 'chromium', kind: 'managed', brand: 'Chromium', version: '142.0.7444.59', openTabs: 2, callsInFlight: 0, default: true },
        { name: 'chrome', kind: 'everyday', brand: 'Chromium', version: '142.0.7444.59', openTabs: 7, callsInFlight: 0, default: false },
      ] });
      assert.doesNotMatch(result.content[0]!.text, /installId|workerId|userAgent/, 'no more than an agent needs');
      assert.deepEqual((await state.tools.call(LIST_BROWSERS, undefined)).structuredContent, result.structuredContent, 'no arguments at all is fine too');
      state.browsers = [];
      assert.deepEqual((await state.tools.call(LIST_BROWSERS, {})).structuredContent, { result: [] });
      state.browsers = new CallFailure(errorShape('NO_SERVER', 'No any server is running on port 8765.'));
      const failed = await state.tools.call(LIST_BROWSERS, {});
      assert.equal(failed.isError, true);
      assert.equal(failed.content[0]!.text, 'NoServerError (NO_SERVER): No any server is running on port 8765.');
      for (const bad of [{ browser: 'b' }, [1], 'x']) await assert.rejects(state.tools.call(LIST_BROWSERS, bad), ToolRequestError, JSON.stringify(bad));
    });

    test('--browser pins page tools, their watch, and calls and listings that name no browser', async () => {
      const { tools, listings, calls } = agentTools({ [PAGE]: [ASK], [OTHER]: [ASK] }, { pages: [PAGE], browser: 'b', watchIntervalMs: 10 });
      assert.deepEqual(names(await tools.list()), [...GENERIC, 'ask']);
      const stop = tools.watch(() => {});
      try {
        await waitUntil(() => listings.length >= 3, 'the watch looking');
      } finally {
        stop();
      }
      await tools.call('ask', { prompt: 'hi' });
      await tools.call(CALL_PAGE_METHOD, { page: OTHER, method: 'ask' });
      await tools.call(LIST_PAGE_METHODS, { page: OTHER });
      await tools.call(CALL_PAGE_METHOD, { page: OTHER, method: 'ask', browser: 'b' });
      await tools.call(LIST_PAGE_METHODS, { page: OTHER, browser: 'b' });
      assert.ok(listings.every((listing) => listing.options.browser === 'b'), JSON.stringify(listings.map((listing) => listing.options)));
      assert.deepEqual(calls.map((call) => [call.page, call.options.browser]), [[PAGE, 'b'], [OTHER, 'b'], [OTHER, 'b']]);
    });

    test('--browser: naming another browser is FORBIDDEN, and nothing runs', async () => {
      const { tools, listings, calls } = agentTools({ [OTHER]: [ASK] }, { browser: 'b' });
      for (const result of [
        await tools.call(CALL_PAGE_METHOD, { page: OTHER, method: 'ask', browser: 'chrome' }),
        await tools.call(LIST_PAGE_METHODS, { page: OTHER, browser: 'chrome' }),
      ]) {
        assert.equal(result.isError, true);
        assert.equal((result.structuredContent as { error: { code: string } }).error.code, 'FORBIDDEN');
        assert.match(result.content[0]!.text, /^ForbiddenError \(FORBIDDEN\): This MCP server may use only the browser "b" \(its --browser flag\), not "chrome"\./);
      }
      assert.deepEqual([listings, calls], [[], []]);
    });

    test('--browser: list_browsers lists only the pinned browser, as the default, or none when it is not connected', async () => {
      const state = agentTools({}, { browser: 'b' });
      state.browsers = [browserInfo('chromium'), browserInfo('b', 'managed', 1)];
      assert.deepEqual((await state.tools.call(LIST_BROWSERS, {})).structuredContent, { result: [
        { name: 'b', kind: 'managed', brand: 'Chromium', version: '142.0.7444.59', openTabs: 1, callsInFlight: 0, default: true },
      ] });
      state.browsers = [browserInfo('chromium')];
      assert.deepEqual((await state.tools.call(LIST_BROWSERS, {})).structuredContent, { result: [] });
    });
  });

  describe('--allow', () => {
    test('page patterns: pages not allowed are neither listed, nor listable, nor callable', async () => {
      const { tools, listings, calls } = agentTools({ [PAGE]: [ASK], [OTHER]: [{ name: 'secret', source: 'userscript' }] }, { pages: [PAGE, OTHER], allow: allowList(['https://chatgpt.com/*']) });
      assert.deepEqual(names(await tools.list()), [...GENERIC, 'ask']);
      assert.deepEqual(listings.map((listing) => listing.page), [PAGE], 'the page not allowed is not even looked at');
      const listing = await tools.call(LIST_PAGE_METHODS, { page: OTHER });
      assert.equal(listing.isError, true);
      assert.equal((listing.structuredContent as { error: { code: string } }).error.code, 'FORBIDDEN');
      assert.match(listing.content[0]!.text, /^ForbiddenError \(FORBIDDEN\): https:\/\/example\.com\/ is not among the pages .*--allow/);
      const call = await tools.call(CALL_PAGE_METHOD, { page: OTHER, method: 'secret' });
      assert.equal(call.isError, true);
      assert.match(call.content[0]!.text, /FORBIDDEN.*__any__\.secret on https:\/\/example\.com\/ is not among/);
      await assert.rejects(tools.call('secret', {}), ToolRequestError, 'no page tool for it');
      assert.deepEqual(calls, []);
      assert.equal(listings.length, 1);
    });

    test('method patterns: only matching methods are tools, listed, or callable', async () => {
      const { tools, calls } = agentTools({ [PAGE]: [ASK, { name: 'readAll', source: 'userscript' }, { name: 'deleteAll', source: 'userscript' }] }, { pages: [PAGE], allow: allowList(['ask', 'read*']) });
      assert.deepEqual(names(await tools.list()), [...GENERIC, 'ask', 'readAll']);
      const listing = await tools.call(LIST_PAGE_METHODS, { page: PAGE });
      assert.deepEqual((listing.structuredContent!.result as MethodInfo[]).map((method) => method.name), ['ask', 'readAll']);
      const refused = await tools.call(CALL_PAGE_METHOD, { page: PAGE, method: 'deleteAll' });
      assert.equal(refused.isError, true);
      assert.equal((refused.structuredContent as { error: { code: string } }).error.code, 'FORBIDDEN');
      await assert.rejects(tools.call('deleteAll', {}), ToolRequestError);
      assert.equal(calls.length, 0);
      assert.equal((await tools.call(CALL_PAGE_METHOD, { page: PAGE, method: 'readAll' })).isError, undefined);
      assert.deepEqual(calls.map((call) => call.method), ['readAll']);
    });

    test('a METHOD_NOT_FOUND names only the methods the agent may see', async () => {
      const state = agentTools({ [PAGE]: [ASK] }, { pages: [PAGE], allow: allowList(['ask', 'read*']) });
      const methods = ['ask', 'readAll', 'deleteAll'];
      for (const error of [
        CallFailure.of('METHOD_NOT_FOUND', `__any__.readOne is not a method on ${PAGE}. Methods here: ${methods.join(', ')}.`, { methods }),
        toAnyError(errorShape('METHOD_NOT_FOUND', `__any__.readOne is not a method on ${PAGE}. Methods here: ${methods.join(', ')}.`, { methods })),
      ]) {
        state.answer = () => {
          throw error;
        };
        const result = await state.tools.call(CALL_PAGE_METHOD, { page: PAGE, method: 'readOne' });
        assert.equal(result.isError, true);
        assert.doesNotMatch(JSON.stringify(result), /deleteAll/);
        assert.deepEqual((result.structuredContent as { error: { methods: string[] } }).error.methods, ['ask', 'readAll']);
        assert.match(result.content[0]!.text, /^MethodNotFoundError \(METHOD_NOT_FOUND\): __any__\.readOne is not a method on https:\/\/chatgpt\.com\/\..*ask, readAll/);
      }
      // With nothing hidden, the page's own words stand.
      const open = agentTools({});
      const error = CallFailure.of('METHOD_NOT_FOUND', 'the page\'s own message', { methods });
      open.answer = () => {
        throw error;
      };
      assert.deepEqual(await open.tools.call(CALL_PAGE_METHOD, { page: PAGE, method: 'x' }), toolError(error));
    });
  });
});

describe('pageToolOf', () => {
  const PAGE = 'https://shop.example/';
  test('a WebMCP tool of the page: its title, schema and hints, and a description that says whose it is', () => {
    const tool = pageToolOf('webmcp_search', PAGE, {
      name: 'webmcp:search', source: 'webmcp', title: 'Search the shop', description: 'Finds products.',
      inputSchema: { type: 'object', properties: { q: { type: 'string' } } },
      annotations: { readOnlyHint: true, untrustedContentHint: true, consequentialHint: true },
    });
    assert.equal(tool.name, 'webmcp_search');
    assert.equal(tool.title, 'Search the shop');
    assert.deepEqual(tool.inputSchema, { type: 'object', properties: { q: { type: 'string' } } });
    assert.deepEqual(tool.annotations, { readOnlyHint: true, openWorldHint: true });
    assert.match(tool.description, /^Finds products\. \(Runs the page's own WebMCP tool search on https:\/\/shop\.example\//);
    assert.match(tool.description, /consequential/);
    assert.match(tool.description, /marks its output as untrusted/);
    assert.equal(tool.outputSchema, undefined);
  });

  test('a userscript method: MCP\'s hints as it set them, and its outputSchema as that of the result', () => {
    const tool = pageToolOf('multiply', PAGE, {
      name: 'multiply', source: 'userscript',
      outputSchema: { type: 'object', properties: { product: { type: 'number' } } },
      annotations: { readOnlyHint: true, idempotentHint: true, destructiveHint: false, openWorldHint: false },
    });
    assert.equal(tool.title, 'multiply on https://shop.example/');
    assert.deepEqual(tool.annotations, { readOnlyHint: true, openWorldHint: false, destructiveHint: false, idempotentHint: true });
    assert.deepEqual(tool.outputSchema, { type: 'object', properties: { result: { type: 'object', properties: { product: { type: 'number' } } } }, required: ['result'] });
    assert.match(tool.description, /Runs the userscript method multiply/);
    assert.doesNotMatch(tool.description, /consequential|marks its output/);
  });
});
