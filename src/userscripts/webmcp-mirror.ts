/**
 * The WebMCP mirror: a userscript (built into dist/userscripts/webmcp.user.js) that makes a page's
 * WebMCP tools callable through any, where the user installs it. The page bridge still runs only
 * `__any__[method](params)`; the mirror publishes each tool the page registered with
 * `document.modelContext.registerTool` as the method `webmcp:<tool name>`, described by the tool's
 * own title, description, inputSchema and annotations, and keeps the set in step with the page
 * (its `toolchange` events). A call goes to the tool through the browser's own
 * `executeTool(tool, input, { signal })`, as any WebMCP agent's would: the page sees an agent use
 * its tool, and a cancelled or timed-out call ends at once (and aborts the tool's signal where the
 * browser gives tools one: Chromium 156, not 150).
 *
 * It imports nothing at run time and reads the page only through what it captured when it
 * started, so a page script that later swaps `getTools` or `executeTool` cannot redirect it. The
 * names it publishes are WebMCP tool names behind the `webmcp:` prefix, which no tool name can
 * contain (`:` is not allowed in one): a tool can never take a userscript method's name, and the
 * mirror never writes any other name. Its methods are read-only properties, so a userscript that
 * assigns the same name does not replace a page's tool either.
 */

/** What the mirror reads of a tool from `getTools()` (Chromium also gives `origin` and `window`). */
export interface WebmcpToolEntry {
  name?: unknown;
  title?: unknown;
  description?: unknown;
  inputSchema?: unknown;
  annotations?: unknown;
}

/**
 * `document.modelContext` as Chromium (the WebMCPTesting feature) has it. Chromium 156's
 * `executeTool` takes the input as a plain object; Chromium 150's takes it as JSON text.
 */
export interface ModelContextLike {
  getTools(): Promise<WebmcpToolEntry[]>;
  executeTool(tool: WebmcpToolEntry, input: object | string, options?: { signal?: AbortSignal }): Promise<unknown>;
  addEventListener(type: string, listener: () => void): void;
}

/** The page's global, as far as the mirror uses it. */
export interface MirrorGlobal {
  document?: { modelContext?: unknown };
  __any__?: unknown;
  addEventListener?(type: string, listener: () => void): void;
}

export interface WebmcpMirror {
  /** Publishes the page's tools as they are now; resolves once `__any__` shows them. */
  sync(): Promise<void>;
}

/** The prefix of the published names: WEBMCP_PREFIX in src/protocol/constants.ts, spelled out (this imports nothing). */
const PREFIX = 'webmcp:';
/** A WebMCP tool name, as the draft specification restricts it. */
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
/** How Chromium rejects an input in the form it does not take, before the tool runs. */
const INPUT_NOT_PARSED = /failed to parse input arguments/i;

type Api = Record<string, unknown>;

interface Published {
  method: (params: unknown, context?: { signal?: AbortSignal }) => Promise<unknown>;
  /** The tool's description, as JSON text: a change republishes the method. */
  signature: string;
  /** When it was published (a count of publications): a listing begun before cannot remove it. */
  since: number;
}

/**
 * Starts the mirror on `global` (the page's window); undefined when the page has no WebMCP, and
 * then it changes nothing.
 *
 * It learns of tools two ways. A tool the page registers after the mirror started is published
 * at once, in `registerTool` itself (which the mirror wraps, passing every call through as it
 * came), so it is a method from the moment it is a tool, as a userscript's method is from its
 * assignment: a listing made at the page's load sees it. And on every `toolchange` the mirror
 * reads `getTools()` and publishes exactly what it lists: tools registered before it ran, tools
 * unregistered, and registrations the browser refused.
 */
export function startWebmcpMirror(global: MirrorGlobal): WebmcpMirror | undefined {
  const context = global.document?.modelContext as ModelContextLike | undefined;
  if (typeof context !== 'object' || context === null) return undefined;
  const { getTools, executeTool, registerTool, addEventListener: listen } = context as ModelContextLike & { registerTool?: unknown };
  if (typeof getTools !== 'function' || typeof executeTool !== 'function' || typeof listen !== 'function') return undefined;
  const apply = Reflect.apply;
  const toJson = JSON.stringify;
  const fromJson = JSON.parse;
  const hasOwn = Object.hasOwn;
  const define = Object.defineProperty;
  const isArray = Array.isArray;
  const testName = RegExp.prototype.test;
  const isToolName = (name: unknown): name is string => typeof name === 'string' && apply(testName, TOOL_NAME, [name]);

  /**
   * Whether this browser's `executeTool` takes the input as JSON text (Chromium 150, whose
   * getTools() gives each inputSchema as JSON text too) rather than as an object (Chromium 156).
   * Guessed from the first schema listed, else an object; a call rejected for its input's form
   * (which happens before the tool runs) is sent once more in the other, and that one is kept.
   */
  let inputAsJson: boolean | undefined;

  /** The page's tools now, by name: the valid entries only. */
  const readTools = async (): Promise<Map<string, WebmcpToolEntry>> => {
    const tools = new Map<string, WebmcpToolEntry>();
    const listed: unknown = await apply(getTools, context, []);
    if (!isArray(listed)) return tools;
    for (const tool of listed as unknown[]) {
      if (typeof tool !== 'object' || tool === null) continue;
      const { name, inputSchema } = tool as WebmcpToolEntry;
      if (isToolName(name) && !tools.has(name)) tools.set(name, tool as WebmcpToolEntry);
      if (inputAsJson === undefined && inputSchema !== undefined) inputAsJson = typeof inputSchema === 'string';
    }
    return tools;
  };

  /**
   * What a listing of `__any__` reads off the method: the tool's title, description, inputSchema
   * and the hints it sets. WebMCP's hints all default to false, so only those set true are kept,
   * which reads the same from a registration as from getTools() (that lists every hint).
   */
  const describe = (tool: WebmcpToolEntry): Record<string, unknown> => {
    const description: Record<string, unknown> = {};
    if (typeof tool.title === 'string' && tool.title) description.title = tool.title;
    if (typeof tool.description === 'string') description.description = tool.description;
    const schema = jsonCopy(typeof tool.inputSchema === 'string' ? parseJson(tool.inputSchema) : tool.inputSchema);
    if (typeof schema === 'object' && schema !== null && !isArray(schema)) description.inputSchema = schema;
    const annotations = tool.annotations;
    if (typeof annotations === 'object' && annotations !== null) {
      const hints: Record<string, boolean> = {};
      for (const key of Object.keys(annotations)) {
        if ((annotations as Record<string, unknown>)[key] === true) hints[key] = true;
      }
      if (Object.keys(hints).length) description.annotations = hints;
    }
    return description;
  };

  const parseJson = (text: string): unknown => {
    try {
      return fromJson(text);
    } catch {
      return undefined;
    }
  };
  const jsonCopy = (value: unknown): unknown => {
    try {
      return value === undefined ? undefined : fromJson(toJson(value));
    } catch {
      return undefined;
    }
  };

  /**
   * Chromium hands a tool's result on as text: JSON for a value, the text itself for a string,
   * and `undefined` for nothing. The mirror gives back the value (a string stays a string).
   */
  const resultOf = (text: unknown): unknown => {
    if (typeof text !== 'string') return text === undefined ? null : text;
    if (text === 'undefined') return null;
    try {
      return fromJson(text);
    } catch {
      return text;
    }
  };

  /** The method that forwards a call to the tool `name`, looked up afresh each time. */
  const forwarderFor = (name: string): Published['method'] => async (params, callContext) => {
    const signal = callContext?.signal;
    const tool = (await readTools()).get(name);
    if (!tool) {
      const gone = new Error(`The page no longer has its WebMCP tool "${name}": list the methods again.`);
      gone.name = 'ToolGoneError';
      throw gone;
    }
    const input = params ?? {};
    const execute = (asJson: boolean) => apply(executeTool, context, [tool, asJson ? toJson(input) : input, signal ? { signal } : {}]);
    let text: unknown;
    try {
      const asJson = inputAsJson ?? false;
      try {
        text = await execute(asJson);
        inputAsJson = asJson;
      } catch (error) {
        if (signal?.aborted || !apply(testName, INPUT_NOT_PARSED, [messageOf(error)])) throw error;
        text = await execute(!asJson);
        inputAsJson = !asJson;
      }
    } catch (error) {
      if (signal?.aborted) throw error;
      // Chromium reports a tool that threw as an UnknownError without the tool's own message.
      const failure = new Error(`The page's WebMCP tool "${name}" failed: ${messageOf(error)}`);
      failure.name = nameOf(error);
      throw failure;
    }
    return resultOf(text);
  };

  const published = new Map<string, Published>();
  let publishedOn: Api | undefined;
  let publications = 0;

  /** `__any__`, with what was published on an earlier object forgotten if a script replaced it. */
  const apiNow = (): Api => {
    const api = currentApi(global);
    if (api !== publishedOn) {
      published.clear();
      publishedOn = api;
    }
    return api;
  };

  /** Publishes (or redescribes) the tool `name` as the method `webmcp:<name>`. */
  const publishTool = (api: Api, name: string, tool: WebmcpToolEntry) => {
    const key = PREFIX + name;
    const description = describe(tool);
    const signature = toJson(description);
    const current = published.get(key);
    if (current && current.signature === signature && api[key] === current.method) return;
    const method = forwarderFor(name);
    for (const field of Object.keys(description)) (method as unknown as Record<string, unknown>)[field] = description[field];
    try {
      // A name some script put here first is the page's tool's all the same: the prefix says so.
      define(api, key, { value: method, enumerable: true, configurable: true, writable: false });
      published.set(key, { method, signature, since: ++publications });
    } catch {
      // A script made the name unchangeable: that tool is not mirrored.
    }
  };

  const unpublishTool = (api: Api, key: string) => {
    const entry = published.get(key);
    if (entry && hasOwn(api, key) && api[key] === entry.method) delete api[key];
    published.delete(key);
  };

  /** Makes `__any__` show exactly the tools getTools() lists. */
  const reconcile = async () => {
    const asOf = publications;
    let tools: Map<string, WebmcpToolEntry>;
    try {
      tools = await readTools();
    } catch {
      return; // the page's context failed to list: keep what is published
    }
    const api = apiNow();
    for (const [key, entry] of [...published]) {
      // A tool registered while getTools() was answering may not be in its list yet: not gone.
      if (!tools.has(key.slice(PREFIX.length)) && entry.since <= asOf) unpublishTool(api, key);
    }
    for (const [name, tool] of tools) publishTool(api, name, tool);
  };

  // One reconciliation at a time; changes during one are picked up by one more after it.
  let running: Promise<void> | undefined;
  let again = false;
  const sync = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await reconcile();
        } while (again);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  if (typeof registerTool === 'function') {
    const mirroredRegisterTool = function (this: unknown, tool: unknown, options?: unknown): unknown {
      const registration = apply(registerTool, this, [tool, options]) as Promise<unknown>;
      if (this === context) {
        try {
          const name = (tool as WebmcpToolEntry | undefined)?.name;
          if (isToolName(name) && !published.has(PREFIX + name)) {
            publishTool(apiNow(), name, tool as WebmcpToolEntry);
            if (running) again = true;
          }
        } catch {
          // A tool whose fields cannot be read: getTools() will tell what the browser made of it.
        }
        // Refused (a duplicate, a bad schema) or unregistered later: getTools() is the judge.
        void Promise.resolve(registration).then(() => sync(), () => sync());
      }
      return registration;
    };
    try {
      define(context, 'registerTool', { value: mirroredRegisterTool, configurable: true, writable: true, enumerable: false });
    } catch {
      // It cannot be wrapped: tools are published on their toolchange instead.
    }
  }
  apply(listen, context, ['toolchange', () => void sync()]);
  // A userscript that replaces __any__ after the mirror ran gets the tools again once the page has loaded.
  global.addEventListener?.('load', () => void sync());
  void sync();
  return { sync };
}

/** The page's `__any__`, made if there is none yet, as every userscript does. */
function currentApi(global: MirrorGlobal): Api {
  const api = global.__any__;
  if ((typeof api === 'object' || typeof api === 'function') && api !== null) return api as Api;
  global.__any__ = {};
  return global.__any__ as Api;
}

function messageOf(error: unknown): string {
  try {
    if (typeof error === 'object' && error !== null && typeof (error as Error).message === 'string') return (error as Error).message;
    return String(error);
  } catch {
    return 'an error that cannot be described';
  }
}

function nameOf(error: unknown): string {
  try {
    const name = typeof error === 'object' && error !== null ? (error as Error).name : undefined;
    return typeof name === 'string' && name ? name : 'Error';
  } catch {
    return 'Error';
  }
}
