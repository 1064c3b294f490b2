/**
 * The page bridge (MAIN world). The one thing it does: run
 * `globalThis.__any__[method](params, { signal })` and answer with JSON text or a structured
 * error — always exactly one answer per call, whatever the page or the method does.
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
 * `dispatchEvent`, `CustomEvent`, `JSON` or `Object.prototype` cannot read or forge its messages.
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
}

export function runPageBridge(setup: PageBridgeSetup): void {
  const { apply } = Reflect;
  const { addEventListener: listen, removeEventListener: unlisten, dispatchEvent: dispatch } = EventTarget.prototype;
  const SafeCustomEvent = CustomEvent;
  const getDetail = Object.getOwnPropertyDescriptor(CustomEvent.prototype, 'detail')!.get!;
  const { stringify: toJson, parse: fromJson } = JSON;
  const { hasOwn, keys } = Object;
  const { isArray } = Array;
  const { propertyIsEnumerable, toString: objectToString } = Object.prototype;
  const SafeAbortController = AbortController;
  const abortWith = AbortController.prototype.abort;
  const SafeDOMException = DOMException;
  const SafePromise = Promise;
  const SafeMap = Map;
  const { get: mapGet, set: mapSet, delete: mapDelete } = Map.prototype;
  const SafeString = String;
  const safeSetTimeout = setTimeout.bind(window);
  const now = performance.now.bind(performance);
  const getRandomValues = crypto.getRandomValues.bind(crypto);
  const SafeNode = typeof Node === 'function' ? Node : undefined;
  const target: EventTarget = window;
  const METHOD_POLL_MS = 25;
  const isChannel = (value: unknown): value is string => {
    if (typeof value !== 'string' || value.length !== 32) return false;
    for (let i = 0; i < 32; i++) if ('0123456789abcdef'.indexOf(value[i]!) < 0) return false;
    return true;
  };
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
    void runCall(id, (signal) => callMethod(method, params, signal));
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

  async function callMethod(method: string, params: object, signal: AbortSignal): Promise<Record<string, unknown>> {
    const api = await waitForMethod(method, signal);
    if (!api) return { error: methodNotFound(method) };
    if (signal.aborted) return { error: { name: 'CancelledError', message: 'The call was cancelled before the method ran.', code: 'CANCELLED' } satisfies ErrorShape };
    let value: unknown;
    try {
      value = await apply(api[method] as (...args: unknown[]) => unknown, api, [params, { signal }]);
    } catch (thrown) {
      return { error: thrownError(thrown) };
    }
    return encodeResult(method, value);
  }

  /**
   * The page's methods, with the `description` and JSON-Schema `inputSchema` a userscript may
   * put on a method's function. Once the page has loaded; a page with none yet gets the grace.
   */
  async function listMethods(signal: AbortSignal): Promise<Record<string, unknown>> {
    await waitForMethod(null, signal);
    const api = currentApi();
    const methods = api ? keys(api).filter((name) => isMethod(api, name)) : [];
    const list = methods.map((name) => {
      const fn = api![name] as { description?: unknown; inputSchema?: unknown };
      const entry: Record<string, unknown> = { name };
      try {
        if (typeof fn.description === 'string') entry.description = fn.description;
        const schema = fn.inputSchema;
        if (typeof schema === 'object' && schema !== null) entry.inputSchema = fromJson(toJson(schema));
      } catch {
        // A description that cannot be read or a schema that is not JSON: list the name alone.
      }
      return entry;
    });
    return encodeResult('list', list);
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
      if (method === null ? api !== undefined && keys(api).some((name) => isMethod(api, name)) : isMethod(api, method)) return api;
      if (signal.aborted || loadedAt === undefined || now() - loadedAt >= setup.lateMethodGraceMs) return undefined;
      await new SafePromise((resolve) => safeSetTimeout(resolve, METHOD_POLL_MS));
    }
  }

  function methodNotFound(method: string): ErrorShape {
    const api = currentApi();
    const methods = api ? keys(api).filter((name) => isMethod(api, name)) : [];
    const where = location.href;
    const message = methods.length
      ? `__any__.${method} is not a method on ${where}. Methods here: ${methods.join(', ')}.`
      : `__any__.${method} is not a method on ${where}: no methods are registered on this page. Check that a ` +
        `userscript defines globalThis.__any__.${method}, matches this URL, and runs in the page (@grant none).`;
    return { name: 'MethodNotFoundError', message, code: 'METHOD_NOT_FOUND', methods };
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
  function encodeResult(method: string, value: unknown): Record<string, unknown> {
    const bad = (why: string) => ({ error: {
      name: 'BadResultError',
      message: `__any__.${method} returned ${why}, which cannot be sent as JSON. Return plain data instead (strings, numbers, arrays, objects).`,
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
        message: `__any__.${method} returned ${json.length} characters of JSON, more than the ${setup.maxResultChars} any can carry. Return less, or split it over several calls.`,
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
    const bytes = getRandomValues(new Uint8Array(16));
    let hex = '';
    for (let i = 0; i < bytes.length; i++) hex += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16);
    return hex;
  }
}
