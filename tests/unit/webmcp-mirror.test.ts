/**
 * The WebMCP mirror's logic against a fake `document.modelContext` that behaves as Chromium 156's
 * does (probed on this machine), and one that behaves as Chromium 150's: registerTool with an unregistering signal, getTools() listing
 * plain entries with every hint, executeTool(tool, input, {signal}) answering JSON text (a string
 * as itself, undefined as "undefined") and reporting a throwing tool as a bare UnknownError,
 * toolchange after each change. The real one is exercised end to end in tests/e2e/webmcp.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startWebmcpMirror, type MirrorGlobal } from '../../src/userscripts/webmcp-mirror.js';

interface ToolDefinition {
  name: string;
  title?: string;
  description: string;
  inputSchema?: object;
  annotations?: Record<string, boolean>;
  execute(input: object, extra: { signal: AbortSignal }): unknown;
}

class FakeModelContext extends EventTarget {
  readonly tools = new Map<string, ToolDefinition>();
  executed: { name: string; input: object; signal: AbortSignal }[] = [];

  registerTool(tool: ToolDefinition, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.tools.has(tool.name)) return Promise.reject(new DOMException('Duplicate tool name', 'InvalidStateError'));
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(tool.name)) return Promise.reject(new DOMException('Invalid tool name', 'InvalidStateError'));
    this.tools.set(tool.name, tool);
    options.signal?.addEventListener('abort', () => {
      this.tools.delete(tool.name);
      this.#changed();
    });
    this.#changed();
    return Promise.resolve();
  }

  /** Lists the tools as they are when asked, and answers a moment later (as a browser would, across processes). */
  async getTools() {
    const snapshot = [...this.tools.values()].map((tool) => ({
      name: tool.name,
      title: tool.title ?? '',
      description: tool.description,
      ...(tool.inputSchema ? { inputSchema: JSON.parse(JSON.stringify(tool.inputSchema)) } : {}),
      annotations: { readOnlyHint: false, untrustedContentHint: false, consequentialHint: false, debugging: false, ...tool.annotations },
      origin: 'https://site.example',
    }));
    await new Promise((resolve) => setTimeout(resolve, 1));
    return snapshot;
  }

  async executeTool(entry: { name: string }, input: object, options: { signal?: AbortSignal } = {}): Promise<string> {
    if (typeof input !== 'object' || input === null) throw new TypeError('invalid input object: value is not an object');
    const tool = this.tools.get(entry.name);
    if (!tool) throw new DOMException('Tool not found', 'NotFoundError');
    const controller = new AbortController();
    options.signal?.addEventListener('abort', () => controller.abort());
    this.executed.push({ name: entry.name, input, signal: controller.signal });
    let value: unknown;
    try {
      value = await tool.execute(input, { signal: controller.signal });
    } catch {
      throw new DOMException('Tool was executed but the invocation failed. For example, the script function threw an error', 'UnknownError');
    }
    return typeof value === 'string' ? value : value === undefined ? 'undefined' : JSON.stringify(value);
  }

  #changed() {
    queueMicrotask(() => this.dispatchEvent(new Event('toolchange')));
  }
}

/**
 * Chromium 150's `document.modelContext` (probed here): getTools() gives each inputSchema as JSON
 * text, executeTool takes the input as JSON text and rejects an object before the tool runs
 * ("Failed to parse input arguments"), and calls the tool without a signal.
 */
class Chromium150ModelContext extends FakeModelContext {
  attempts: unknown[] = [];

  override async getTools() {
    return (await super.getTools()).map((entry) => ('inputSchema' in entry ? { ...entry, inputSchema: JSON.stringify(entry.inputSchema) } : entry));
  }

  override async executeTool(entry: { name: string }, input: object | string): Promise<string> {
    this.attempts.push(input);
    if (typeof input !== 'string') throw new DOMException('Failed to parse input arguments', 'UnknownError');
    return super.executeTool(entry, JSON.parse(input) as object);
  }
}

type Method = ((params: object, context?: { signal?: AbortSignal }) => Promise<unknown>) & Record<string, unknown>;

function page(api?: Record<string, unknown>, context = new FakeModelContext()) {
  const global: MirrorGlobal & { __any__?: Record<string, unknown> } = { document: { modelContext: context }, ...(api ? { __any__: api } : {}) };
  const mirror = startWebmcpMirror(global)!;
  assert.ok(mirror, 'the mirror starts where the page has WebMCP');
  const api_ = () => global.__any__ as Record<string, Method>;
  return { context, global, mirror, api: api_, webmcpNames: () => Object.keys(api_()).filter((name) => name.startsWith('webmcp:')) };
}

const add: ToolDefinition = {
  name: 'add',
  title: 'Add',
  description: 'Adds a and b.',
  inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } },
  annotations: { readOnlyHint: true, untrustedContentHint: false },
  execute: ({ a, b }: { a: number; b: number }) => ({ sum: a + b }),
} as ToolDefinition;

describe('the WebMCP mirror', () => {
  test('does nothing where the page has no WebMCP: no __any__ is made', () => {
    const global: MirrorGlobal = { document: {} };
    assert.equal(startWebmcpMirror(global), undefined);
    assert.equal(global.__any__, undefined);
    const partial: MirrorGlobal = { document: { modelContext: { registerTool() {} } } };
    assert.equal(startWebmcpMirror(partial), undefined, 'a modelContext without getTools and executeTool cannot be mirrored');
  });

  test('a tool is a method webmcp:<name> from the moment the page registers it, described as the page described it', async () => {
    const { context, api } = page();
    void context.registerTool(add);
    const method = api()['webmcp:add']!;
    assert.equal(typeof method, 'function', 'published synchronously, in registerTool');
    assert.equal(method.title, 'Add');
    assert.equal(method.description, 'Adds a and b.');
    assert.deepEqual(method.inputSchema, add.inputSchema);
    assert.notEqual(method.inputSchema, add.inputSchema, 'a copy: the page cannot change it afterwards');
    assert.deepEqual(method.annotations, { readOnlyHint: true }, 'only the hints set true: WebMCP hints default to false');
    assert.deepEqual(await method({ a: 2, b: 3 }), { sum: 5 });
  });

  test('once getTools() has answered, the description is the same as from the registration', async () => {
    const { context, mirror, api } = page();
    void context.registerTool(add);
    const first = api()['webmcp:add']!;
    await mirror.sync();
    assert.equal(api()['webmcp:add'], first, 'not republished: getTools() says the same once false hints are left out');
  });

  test('tools registered before the mirror started are published by its first look at getTools()', async () => {
    const context = new FakeModelContext();
    void context.registerTool(add);
    const global: MirrorGlobal & { __any__?: Record<string, unknown> } = { document: { modelContext: context }, __any__: { mine: () => 1 } };
    const mirror = startWebmcpMirror(global)!;
    await mirror.sync();
    assert.deepEqual(Object.keys(global.__any__!), ['mine', 'webmcp:add'], 'the userscript\'s methods stay');
  });

  test('an unregistered tool (its signal aborted) goes; a refused registration is not published for long', async () => {
    const { context, mirror, webmcpNames } = page();
    const registration = new AbortController();
    void context.registerTool({ ...add, name: 'temporary' }, { signal: registration.signal });
    void context.registerTool(add);
    assert.deepEqual(webmcpNames(), ['webmcp:temporary', 'webmcp:add']);
    registration.abort();
    await settle(mirror);
    assert.deepEqual(webmcpNames(), ['webmcp:add']);

    const refused = context.registerTool({ ...add, name: 'add', title: 'A second add' });
    await assert.rejects(refused, /Duplicate/);
    await settle(mirror);
    assert.deepEqual(webmcpNames(), ['webmcp:add']);
  });

  test('a tool registered while getTools() is answering is not taken for gone', async () => {
    const { context, mirror, webmcpNames } = page();
    const looking = mirror.sync(); // getTools() is asked now, before the registration
    void context.registerTool(add);
    await looking;
    assert.deepEqual(webmcpNames(), ['webmcp:add']);
  });

  test('results come back as values: JSON parsed, a string as itself, nothing as null', async () => {
    const { context, api } = page();
    void context.registerTool({ name: 'text', description: 'a string', execute: () => 'hello {not json' });
    void context.registerTool({ name: 'jsonish', description: 'a number', execute: () => 42 });
    void context.registerTool({ name: 'nothing', description: 'undefined', execute: () => undefined });
    assert.equal(await api()['webmcp:text']!({}), 'hello {not json');
    assert.equal(await api()['webmcp:jsonish']!({}), 42);
    assert.equal(await api()['webmcp:nothing']!({}), null);
  });

  test('a tool that throws fails with the name and message the browser gives, saying which tool', async () => {
    const { context, api } = page();
    void context.registerTool({ name: 'fail', description: 'throws', execute: () => { throw new RangeError('mine'); } });
    await assert.rejects(api()['webmcp:fail']!({}), (error: Error) => {
      assert.equal(error.name, 'UnknownError');
      assert.match(error.message, /^The page's WebMCP tool "fail" failed: Tool was executed but the invocation failed/);
      return true;
    });
  });

  test('the call\'s signal reaches the tool: aborting the call aborts the tool\'s signal', async () => {
    const { context, api } = page();
    let toolSignal: AbortSignal | undefined;
    void context.registerTool({
      name: 'wait',
      description: 'waits for its signal',
      execute: (_input, { signal }) => new Promise((_resolve, reject) => {
        toolSignal = signal;
        signal.addEventListener('abort', () => reject(new Error('aborted')));
      }),
    });
    const call = new AbortController();
    const running = api()['webmcp:wait']!({ x: 1 }, { signal: call.signal });
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(context.executed.map(({ name, input }) => [name, input]), [['wait', { x: 1 }]]);
    call.abort(new DOMException('any: the call was cancelled', 'AbortError'));
    await assert.rejects(running);
    assert.equal(toolSignal?.aborted, true);
  });

  test('Chromium 150: a schema given as JSON text is listed as an object, and the input goes as JSON text', async () => {
    const context = new Chromium150ModelContext();
    const { api, mirror } = page(undefined, context);
    await context.registerTool(add);
    await mirror.sync();
    assert.deepEqual(api()['webmcp:add']!.inputSchema, add.inputSchema);
    assert.deepEqual(await api()['webmcp:add']!({ a: 2, b: 3 }), { sum: 5 });
    assert.deepEqual(context.attempts, ['{"a":2,"b":3}'], 'the schema told the form: one attempt');
  });

  test('Chromium 150, no schema to tell the form: an input refused as an object goes once more as JSON text, and the tool runs once', async () => {
    const context = new Chromium150ModelContext();
    const { api, mirror } = page(undefined, context);
    await context.registerTool({ name: 'echo', description: 'Echoes.', execute: (input) => input });
    await mirror.sync();
    assert.deepEqual(await api()['webmcp:echo']!({ said: 'hi' }), { said: 'hi' });
    assert.deepEqual(context.attempts, [{ said: 'hi' }, '{"said":"hi"}']);
    assert.equal(context.executed.length, 1, 'the refused attempt never ran the tool');
    assert.deepEqual(await api()['webmcp:echo']!({ said: 'again' }), { said: 'again' });
    assert.deepEqual(context.attempts.slice(2), ['{"said":"again"}'], 'the form found is kept');
  });

  test('a call of a tool gone since the last listing says so', async () => {
    const { context, api } = page();
    const registration = new AbortController();
    void context.registerTool(add, { signal: registration.signal });
    const method = api()['webmcp:add']!;
    registration.abort();
    await assert.rejects(method({ a: 1, b: 1 }), { name: 'ToolGoneError', message: /no longer has its WebMCP tool "add"/ });
  });

  test('a userscript cannot replace a mirrored tool, and the mirror never writes a name without the prefix', async () => {
    const api: Record<string, unknown> = { add: () => 'the userscript\'s add' };
    const { context, mirror, global } = page(api);
    void context.registerTool(add);
    await mirror.sync();
    assert.throws(() => {
      'use strict';
      (global.__any__ as Record<string, unknown>)['webmcp:add'] = () => 'shadow';
    }, TypeError);
    assert.equal((api.add as () => string)(), 'the userscript\'s add');
    assert.deepEqual(Object.keys(api), ['add', 'webmcp:add']);
  });

  test('a name some script put in the webmcp: namespace first is the page tool\'s', async () => {
    const api: Record<string, unknown> = { 'webmcp:add': () => 'a forgery' };
    const { context, mirror } = page(api);
    void context.registerTool(add);
    await mirror.sync();
    assert.deepEqual(await (api['webmcp:add'] as Method)({ a: 1, b: 2 }), { sum: 3 });
  });

  test('names getTools() gives that are not WebMCP tool names are never published', async () => {
    const { context, mirror, webmcpNames } = page();
    context.tools.set('bad:name', { ...add, name: 'bad:name' });
    context.tools.set('', { ...add, name: '' });
    context.tools.set('x'.repeat(129), { ...add, name: 'x'.repeat(129) });
    context.tools.set('ok', { ...add, name: 'ok' });
    await mirror.sync();
    assert.deepEqual(webmcpNames(), ['webmcp:ok']);
  });

  test('a page script that swaps getTools or executeTool afterwards does not redirect the mirror', async () => {
    const { context, mirror, api } = page();
    void context.registerTool(add);
    await mirror.sync();
    Object.assign(context, { getTools: async () => [{ name: 'fake', description: 'forged' }], executeTool: async () => '"forged"' });
    context.dispatchEvent(new Event('toolchange'));
    await settle(mirror);
    assert.deepEqual(Object.keys(api()), ['webmcp:add']);
    assert.deepEqual(await api()['webmcp:add']!({ a: 1, b: 1 }), { sum: 2 });
  });

  test('__any__ replaced by a later userscript gets the tools again at the next change', async () => {
    const { context, mirror, global } = page();
    void context.registerTool(add);
    global.__any__ = { theirs: () => 0 };
    void context.registerTool({ ...add, name: 'two' });
    await settle(mirror);
    assert.deepEqual(Object.keys(global.__any__ as object), ['theirs', 'webmcp:two', 'webmcp:add']);
  });
});

/** Lets the queued toolchange events fire and the mirror's reconciliation that follows finish. */
async function settle(mirror: { sync(): Promise<void> }): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  await mirror.sync();
}
