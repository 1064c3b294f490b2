/**
 * The page bridge (MAIN world). The one thing it does: run
 * `globalThis.__any__[method](params, { signal })` and answer with its result as JSON text (which
 * the content script checks before it goes on) or a structured error — always exactly one answer
 * per call, whatever the page or the method does.
 *
 * It reaches the page in two ways, neither of them a `<script>` element that a strict CSP blocks:
 *   - the manifest runs main.js (which calls `runPageBridge`) at document_start, before any page
 *     script, and the bridge agrees on a channel with the content script by a hello handshake;
 *   - in tabs that were open before the extension, the worker injects `runPageBridge` itself with
 *     `chrome.scripting.executeScript({ func, args })`, handing it the channel it chose, so that
 *     nothing is broadcast where the page's scripts could hear it.
 * For the second way `runPageBridge` must be self-contained: it uses only browser globals and its
 * argument. Hence everything, helpers included, is inside it, and nothing is imported at run time.
 *
 * The primitives it relies on are captured when it starts, so a page script that later patches
 * `dispatchEvent`, `CustomEvent`, `JSON`, `Array.prototype` or `Object.prototype` cannot read or
 * forge its messages; it calls them with `Reflect.apply`, never as methods of the page's objects.
 * Injected late, it starts after the page's scripts, which may already have patched them: then it
 * takes its JavaScript primitives (JSON, Array, Object, Reflect, Map) from a fresh realm, an empty
 * iframe it adds and removes at once (an about:blank frame loads nothing, so a strict CSP allows
 * it). The DOM primitives it still takes from the page; what a page that patched those before a
 * late injection can do is bounded by the content script, which checks every answer
 * (isolated/page-answers.ts): it can spoil only its own tab's calls.
 */
import type { ErrorShape } from '../../protocol/errors.js';

export interface PageBridgeSetup {
  /** BRIDGE_HELLO_EVENT (protocol/messages.ts). */
  helloEvent: string;
  /** The channel the worker chose, for a late injection; null at document_start (handshake). */
  presetChannel: string | null;
  /** How long a method missing after the page's load event may take to appear. */
  lateMethodGraceMs: number;
  /** MAX_RESULT_CHARS (protocol/constants.ts). */
  maxResultChars: number;
  /** WEBMCP_PREFIX (protocol/constants.ts): the names of the page's WebMCP tools, as the mirror publishes them. */
  webmcpPrefix: string;
  /** METHOD_ANNOTATION_KEYS (protocol/constants.ts): the hints a listing carries. */
  annotationKeys: readonly string[];
}

export function runPageBridge(setup: PageBridgeSetup): void {
  const { addEventListener: listen, removeEventListener: unlisten, dispatchEvent: dispatch } = EventTarget.prototype;
  const SafeCustomEvent = CustomEvent;
  const getDetail = Object.getOwnPropertyDescriptor(CustomEvent.prototype, 'detail')!.get!;
  const SafeAbortController = AbortController;
  const abortWith = AbortController.prototype.abort;
  const SafeDOMException = DOMException;
  const SafeTypeError = TypeError;
  const SafePromise = Promise;
  const rawSetTimeout = setTimeout;
  const performanceNow = performance.now;
  const rawGetRandomValues = crypto.getRandomValues;
  const SafeNode = typeof Node === 'function' ? Node : undefined;
  const target: EventTarget = window;

  /** Reads the JavaScript primitives from a realm: the page's own, or a fresh one. */
  const primitivesOf = (realm: typeof globalThis) => ({
    apply: realm.Reflect.apply,
    toJson: realm.JSON.stringify,
    fromJson: realm.JSON.parse,
    hasOwn: realm.Object.hasOwn,
    keys: realm.Object.keys,
    isArray: realm.Array.isArray,
    filter: realm.Array.prototype.filter,
    map: realm.Array.prototype.map,
    some: realm.Array.prototype.some,
    join: realm.Array.prototype.join,
    propertyIsEnumerable: realm.Object.prototype.propertyIsEnumerable,
    objectToString: realm.Object.prototype.toString,
    SafeString: realm.String,
    stringSlice: realm.String.prototype.slice,
    SafeMap: realm.Map,
    mapGet: realm.Map.prototype.get,
    mapSet: realm.Map.prototype.set,
    mapDelete: realm.Map.prototype.delete,
  });
  /** A fresh realm's primitives, read while its frame is attached; undefined if none can be had. */
  const freshPrimitives = () => {
    try {
      const frame = document.createElement('iframe');
      frame.setAttribute('aria-hidden', 'true');
      (document.body ?? document.documentElement).appendChild(frame);
      const realm = frame.contentWindow as unknown as typeof globalThis | null;
      const primitives = realm && realm !== (window as unknown) ? primitivesOf(realm) : undefined;
      frame.remove();
      return primitives;
    } catch {
      return undefined;
    }
  };
  const {
    apply, toJson, fromJson, hasOwn, keys, isArray, filter, map, some, join,
    propertyIsEnumerable, objectToString, SafeString, stringSlice, SafeMap, mapGet, mapSet, mapDelete,
  } = (setup.presetChannel !== null ? freshPrimitives() : undefined) ?? primitivesOf(globalThis);
  const now = () => apply(performanceNow, performance, []) as number;
  const METHOD_POLL_MS = 25;
  // Checked with string indexing and comparisons only: syntax no page script can patch.
  const isChannel = (value: unknown): value is string => {
    if (typeof value !== 'string' || value.length !== 32) return false;
    for (let i = 0; i < 32; i++) {
      const digit = value[i]!;
      if (!((digit >= '0' && digit <= '9') || (digit >= 'a' && digit <= 'f'))) return false;
    }
    return true;
  };
  const methodNames = (api: Api | undefined): string[] => (api ? apply(filter, keys(api), [(name: string) => isMethod(api, name)]) as string[] : []);
  // bridgeEventNames (protocol/messages.ts), spelled out here because this function imports nothing.
  const eventNames = (channel: string) => ({ toPage: `any:${channel}:to-page`, toContent: `any:${channel}:to-content`, ack: `any:${channel}:ack` });

  // ── the channel ──────────────────────────────────────────────────────────────
  let channel: string | undefined;
  const fire = (type: string, detail: unknown) => {
    const init = { __proto__: null, detail } as CustomEventInit<string>;
    apply(dispatch, target, [new SafeCustomEvent(type, init)]);
  };
  const receive = (event: Event) => onMessage(apply(getDetail, event, []));
  const settle = (agreed: string) => {
    channel = agreed;
    apply(listen, target, [eventNames(agreed).toPage, receive, true]);
  };
  const send = (message: object) => {
    if (channel) fire(eventNames(channel).toContent, message);
  };

  if (setup.presetChannel !== null) {
    if (!isChannel(setup.presetChannel)) return;
    settle(setup.presetChannel);
    fire(eventNames(setup.presetChannel).ack, '');
  } else {
    const proposal = randomChannel();
    const stopHandshake = () => {
      apply(unlisten, target, [setup.helloEvent, onHello, true]);
      apply(unlisten, target, [eventNames(proposal).ack, onAck, true]);
    };
    const onHello = (event: Event) => {
      const hello = parseObject(apply(getDetail, event, []));
      if (!hello || own(hello, 'role') !== 'content' || !isChannel(own(hello, 'channel')) || channel) return;
      stopHandshake();
      settle(own(hello, 'channel') as string);
      fire(eventNames(channel!).ack, '');
    };
    const onAck = () => {
      if (channel) return;
      stopHandshake();
      settle(proposal);
    };
    apply(listen, target, [setup.helloEvent, onHello, true]);
    apply(listen, target, [eventNames(proposal).ack, onAck, true]);
    fire(setup.helloEvent, toJson({ role: 'page', channel: proposal }));
  }

  // ── the page's load, for calls that arrive while it is still loading ───────────
  let loadedAt: number | undefined;
  const pageLoaded = new SafePromise<void>((resolve) => {
    const markLoaded = () => {
      loadedAt = now();
      resolve();
    };
    if (document.readyState === 'complete') markLoaded();
    else apply(listen, target, ['load', markLoaded, { once: true }]);
  });

  // ── calls ────────────────────────────────────────────────────────────────────
  const runningCalls: Map<string, AbortController> = new SafeMap();

  /** A message from the content script: a clone made in this world, read by own properties only. */
  function onMessage(detail: unknown): void {
    const message = typeof detail === 'object' && detail !== null ? detail : undefined;
    const type = message && own(message, 'type');
    const id = message && own(message, 'id');
    if (typeof id !== 'string' || id.length === 0 || id.length > 128) return;
    if (type === 'cancel') {
      const controller = apply(mapGet, runningCalls, [id]) as AbortController | undefined;
      const reason = own(message!, 'reason') === 'TIMEOUT' ? 'timed out' : 'cancelled';
      if (controller) apply(abortWith, controller, [new SafeDOMException(`any: the call was ${reason}`, 'AbortError')]);
      return;
    }
    if (type === 'list') return void runCall(id, listMethods);
    const method = own(message!, 'method');
    const params = own(message!, 'params');
    if (type !== 'call' || typeof method !== 'string' || typeof params !== 'object' || params === null || isArray(params)) return;
    void runCall(id, (signal) => callMethod(id, method, params, signal));
  }

  /** Runs one call and answers it exactly once, whatever happens on the way. */
  async function runCall(id: string, work: (signal: AbortSignal) => Promise<Record<string, unknown>>): Promise<void> {
    const controller = new SafeAbortController();
    apply(mapSet, runningCalls, [id, controller]);
    let answer: Record<string, unknown>;
    try {
      answer = await work(controller.signal);
    } catch (error) {
      answer = { error: { name: 'InternalError', message: `The any page bridge failed: ${describe(error)}.`, code: 'INTERNAL' } satisfies ErrorShape };
    }
    apply(mapDelete, runningCalls, [id]);
    send({ type: 'result', id, ...answer });
  }

  /**
   * Runs the method with `{ signal, progress }`. `progress(value)` sends a JSON value to the
   * caller while the method runs, in order; once the call has ended (answered, timed out,
   * cancelled) it does nothing. A method may also be an async generator: each `yield` is a
   * progress value and its `return` value is the result.
   */
  async function callMethod(id: string, method: string, params: object, signal: AbortSignal): Promise<Record<string, unknown>> {
    const api = await waitForMethod(method, signal);
    if (!api) return { error: methodNotFound(method) };
    if (signal.aborted) return { error: { name: 'CancelledError', message: 'The call was cancelled before the method ran.', code: 'CANCELLED' } satisfies ErrorShape };
    let ended = false;
    const progress = (part: unknown): void => {
      if (ended || signal.aborted) return;
      const encoded = encodeResult(method, part, 'sent as progress');
      // A value JSON cannot carry is the method's mistake: it hears of it where it made it.
      if (!('json' in encoded)) throw new SafeTypeError((encoded.error as ErrorShape).message);
      send({ type: 'progress', id, json: encoded.json });
    };
    let value: unknown;
    try {
      value = await apply(api[method] as (...args: unknown[]) => unknown, api, [params, { signal, progress }]);
      if (isAsyncIterator(value)) {
        const iterator = value;
        for (;;) {
          const step = await apply(iterator.next, iterator, []) as IteratorResult<unknown, unknown>;
          if (step.done) {
            value = step.value;
            break;
          }
          if (signal.aborted) {
            void SafePromise.resolve(apply(iterator.return ?? (() => undefined), iterator, [])).catch(() => {});
            value = undefined;
            break;
          }
          progress(step.value);
        }
      }
    } catch (thrown) {
      ended = true;
      return { error: thrownError(thrown) };
    }
    ended = true;
    return encodeResult(method, value);
  }

  function isAsyncIterator(value: unknown): value is AsyncIterator<unknown, unknown> {
    return typeof value === 'object' && value !== null && typeof (value as { next?: unknown }).next === 'function' &&
      typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
  }

  /**
   * The page's methods, each described as a WebMCP tool is: the `title`, `description`, JSON-Schema
   * `inputSchema` and `outputSchema`, and `annotations` (hints) a userscript may put on a
   * method's function, or the WebMCP mirror on a tool's. Its `source` follows from its name alone,
   * never from what the function says of itself. Once the page has loaded; a page with none yet
   * gets the grace.
   */
  async function listMethods(signal: AbortSignal): Promise<Record<string, unknown>> {
    await waitForMethod(null, signal);
    const api = currentApi();
    const list = apply(map, methodNames(api), [(name: string) => describeMethod(name, api![name] as Record<string, unknown>)]);
    return encodeResult('list', list);
  }

  /** What a listing says of one method. A property that cannot be read or is not JSON is left out. */
  function describeMethod(name: string, fn: Record<string, unknown>): Record<string, unknown> {
    const entry: Record<string, unknown> = { name, source: isWebmcpName(name) ? 'webmcp' : 'userscript' };
    const read = (key: string): unknown => {
      try {
        return fn[key];
      } catch {
        return undefined;
      }
    };
    for (const key of ['title', 'description']) {
      const text = read(key);
      if (typeof text === 'string') entry[key] = text;
    }
    for (const key of ['inputSchema', 'outputSchema']) {
      const schema = plainJson(read(key));
      if (schema !== undefined) entry[key] = schema;
    }
    const given = plainJson(read('annotations')) as Record<string, unknown> | undefined;
    if (given !== undefined) {
      const hints: Record<string, boolean> = {};
      let any = false;
      apply(map, setup.annotationKeys, [(key: string) => {
        const hint = hasOwn(given, key) ? given[key] : undefined;
        if (typeof hint === 'boolean') {
          hints[key] = hint;
          any = true;
        }
      }]);
      if (any) entry.annotations = hints;
    }
    return entry;
  }

  /** A JSON copy of a plain object (not an array); undefined for anything else or what JSON refuses. */
  function plainJson(value: unknown): object | undefined {
    if (typeof value !== 'object' || value === null || isArray(value)) return undefined;
    try {
      const copy: unknown = fromJson(toJson(value));
      return typeof copy === 'object' && copy !== null && !isArray(copy) ? copy : undefined;
    } catch {
      return undefined;
    }
  }

  function isWebmcpName(name: string): boolean {
    return name.length >= setup.webmcpPrefix.length && apply(stringSlice, name, [0, setup.webmcpPrefix.length]) === setup.webmcpPrefix;
  }

  type Api = Record<string, unknown>;

  function currentApi(): Api | undefined {
    const api: unknown = (globalThis as { __any__?: unknown }).__any__;
    return (typeof api === 'object' || typeof api === 'function') && api !== null ? (api as Api) : undefined;
  }

  /** Own, enumerable function properties only: inherited names such as toString are not methods. */
  function isMethod(api: Api | undefined, name: string): boolean {
    return !!api && hasOwn(api, name) && apply(propertyIsEnumerable, api, [name]) && typeof api[name] === 'function';
  }

  /**
   * Finds the method (or, for `null`, any method) once the page has loaded, giving late
   * userscripts a grace period after load.
   */
  async function waitForMethod(method: string | null, signal: AbortSignal): Promise<Api | undefined> {
    if (loadedAt === undefined) {
      await new SafePromise<void>((resolve) => {
        void pageLoaded.then(resolve);
        apply(listen, signal, ['abort', () => resolve(), { once: true }]);
      });
    }
    for (;;) {
      const api = currentApi();
      const found = method === null ? api !== undefined && apply(some, keys(api), [(name: string) => isMethod(api, name)]) : isMethod(api, method);
      if (found) return api;
      if (signal.aborted || loadedAt === undefined || now() - loadedAt >= setup.lateMethodGraceMs) return undefined;
      await new SafePromise((resolve) => rawSetTimeout(resolve, METHOD_POLL_MS));
    }
  }

  function methodNotFound(method: string): ErrorShape {
    const methods = methodNames(currentApi());
    const where = location.href;
    const name = 'MethodNotFoundError';
    if (isWebmcpName(method)) {
      const tools = apply(filter, methods, [isWebmcpName]) as string[];
      const tool = apply(stringSlice, method, [setup.webmcpPrefix.length]) as string;
      const why = tools.length
        ? `The WebMCP tools here: ${apply(join, tools, [', '])}.`
        : !('modelContext' in document)
          ? 'This browser has no WebMCP on this page (document.modelContext is missing): start it with `any launch --webmcp`, ' +
            'or turn WebMCP on in the browser (docs/webmcp.md).'
          : 'No WebMCP tools are mirrored here: either the page registered none, or the WebMCP mirror userscript is not ' +
            'installed for this page (`npx any webmcp` prints it; docs/webmcp.md).';
      return { name, message: `The page has no WebMCP tool "${tool}" on ${where} (${method}). ${why}`, code: 'METHOD_NOT_FOUND', methods };
    }
    const message = methods.length
      ? `__any__.${method} is not a method on ${where}. Methods here: ${apply(join, methods, [', '])}.`
      : `__any__.${method} is not a method on ${where}: no methods are registered on this page. Check that a ` +
        `userscript defines globalThis.__any__.${method}, matches this URL, and runs in the page (@grant none).`;
    return { name, message, code: 'METHOD_NOT_FOUND', methods };
  }

  /** The page's own error, described without trusting it: getters may throw, toString may be missing. */
  function thrownError(thrown: unknown): ErrorShape {
    try {
      if ((typeof thrown === 'object' && thrown !== null) || typeof thrown === 'function') {
        const { name, message, stack } = thrown as { name?: unknown; message?: unknown; stack?: unknown };
        return {
          name: typeof name === 'string' && name ? name : 'Error',
          message: typeof message === 'string' ? message : describe(thrown),
          code: 'METHOD_THREW',
          ...(typeof stack === 'string' ? { stack } : {}),
        };
      }
    } catch {
      // fall through: describe the value itself
    }
    return { name: 'Error', message: describe(thrown), code: 'METHOD_THREW' };
  }

  /**
   * Results are JSON: they go through JSON.stringify, with `undefined` answered as `null`.
   * What JSON cannot carry (a DOM node, a cycle, a BigInt, a bare function) is a clear error.
   */
  function encodeResult(method: string, value: unknown, how = 'returned'): Record<string, unknown> {
    const bad = (why: string) => ({ error: {
      name: 'BadResultError',
      message: `__any__.${method} ${how} ${why}, which cannot be sent as JSON. Send plain data instead (strings, numbers, arrays, objects).`,
      code: 'BAD_RESULT',
    } satisfies ErrorShape });
    if (value === undefined) return { json: 'null' };
    if (SafeNode && value instanceof SafeNode) return bad('a DOM node');
    if (typeof value === 'function' || typeof value === 'symbol') return bad(`a ${typeof value}`);
    let json: string | undefined;
    try {
      json = toJson(value);
    } catch (error) {
      return bad(`a value JSON.stringify refused (${describe(error)})`);
    }
    if (json === undefined) return bad('a value JSON has no form for');
    if (json.length > setup.maxResultChars) {
      return { error: {
        name: 'TooLargeError',
        message: `__any__.${method} ${how} ${json.length} characters of JSON, more than the ${setup.maxResultChars} any can carry. Send less, or split it.`,
        code: 'TOO_LARGE',
      } satisfies ErrorShape };
    }
    return { json };
  }

  function describe(value: unknown): string {
    try {
      if (typeof value === 'object' && value !== null && typeof (value as Error).message === 'string') return (value as Error).message;
      return SafeString(value);
    } catch {
      return apply(objectToString, value, []) as string;
    }
  }

  function parseObject(text: unknown): object | undefined {
    if (typeof text !== 'string') return undefined;
    try {
      const value: unknown = fromJson(text);
      return typeof value === 'object' && value !== null ? value : undefined;
    } catch {
      return undefined;
    }
  }

  /** An own property only: a polluted Object.prototype cannot supply a missing field. */
  function own(object: object, key: string): unknown {
    return hasOwn(object, key) ? (object as Record<string, unknown>)[key] : undefined;
  }

  function randomChannel(): string {
    const bytes = apply(rawGetRandomValues, crypto, [new Uint8Array(16)]) as Uint8Array;
    const digits = '0123456789abcdef';
    let hex = '';
    for (let i = 0; i < 16; i++) hex += digits[bytes[i]! >> 4]! + digits[bytes[i]! & 15]!;
    return hex;
  }
}
