/**
 * The page bridge (MAIN world, injected by the extension's manifest at document_start, so no
 * `<script>` element and nothing a strict CSP blocks). The one thing it does: run
 * `globalThis.__any__[method](params, { signal })` and answer with JSON text or a structured error.
 *
 * Only own, enumerable function properties of `__any__` are methods: `toString`,
 * `constructor`, `__proto__` and other inherited names are "method not found".
 */
import { errorShape, type ErrorShape } from '../../protocol/errors.js';
import { ContentToPage, parse, type PageToContent } from '../../protocol/messages.js';
import { openBridgeChannel } from '../bridge-channel.js';

/** A method missing once the page has loaded gets this long to appear (userscripts that register late). */
const LATE_METHOD_GRACE_MS = 2_000;
const METHOD_POLL_MS = 25;

// Captured before page scripts run, so that the page cannot change how the bridge works.
const { stringify: toJson, parse: fromJson } = JSON;
const { hasOwn, keys } = Object;
const { propertyIsEnumerable } = Object.prototype;
const { apply } = Reflect;
const SafeAbortController = AbortController;
const SafePromise = Promise;
const safeSetTimeout = setTimeout;
const isNode = typeof Node === 'function' ? (value: unknown) => value instanceof Node : () => false;

// Calls into a page that is still loading wait for its load event (as Playwright's goto does),
// so that methods see the whole document, not the part parsed so far.
let loadedAt: number | undefined;
const pageLoaded = new SafePromise<void>((resolve) => {
  const markLoaded = () => {
    loadedAt = performance.now();
    resolve();
  };
  if (document.readyState === 'complete') markLoaded();
  else addEventListener('load', markLoaded, { once: true });
});

const runningCalls = new Map<string, AbortController>();
const bridge = openBridgeChannel('page', onMessage, () => {});

function onMessage(text: string): void {
  let raw: unknown;
  try {
    raw = fromJson(text);
  } catch {
    return;
  }
  const parsed = parse(ContentToPage, raw);
  if (!parsed.ok) return;
  const message = parsed.value;
  if (message.type === 'cancel') {
    runningCalls.get(message.id)?.abort(new DOMException(`any: the call was ${message.reason === 'TIMEOUT' ? 'timed out' : 'cancelled'}`, 'AbortError'));
    return;
  }
  void runCall(message.id, message.method, message.paramsJson);
}

async function runCall(id: string, method: string, paramsJson: string): Promise<void> {
  const controller = new SafeAbortController();
  runningCalls.set(id, controller);
  try {
    const api = await waitForMethod(method, controller.signal);
    const fn = api?.[method];
    if (typeof fn !== 'function') return answer({ type: 'result', id, error: methodNotFound(method) });
    let value: unknown;
    try {
      value = await apply(fn, api, [fromJson(paramsJson), { signal: controller.signal }]);
    } catch (thrown) {
      return answer({ type: 'result', id, error: thrownError(thrown) });
    }
    answer(encodeResult(id, method, value));
  } finally {
    runningCalls.delete(id);
  }
}

type Api = Record<string, unknown>;

function currentApi(): Api | undefined {
  const api: unknown = (globalThis as { __any__?: unknown }).__any__;
  return (typeof api === 'object' || typeof api === 'function') && api !== null ? (api as Api) : undefined;
}

function isMethod(api: Api | undefined, name: string): boolean {
  return !!api && hasOwn(api, name) && apply(propertyIsEnumerable, api, [name]) && typeof api[name] === 'function';
}

/** Finds the method once the page has loaded, giving late userscripts a grace period after load. */
async function waitForMethod(method: string, signal: AbortSignal): Promise<Api | undefined> {
  if (loadedAt === undefined) await untilAborted(pageLoaded, signal);
  for (;;) {
    const api = currentApi();
    if (isMethod(api, method)) return api;
    if (signal.aborted || performance.now() - loadedAt! >= LATE_METHOD_GRACE_MS) return undefined;
    await new SafePromise((resolve) => safeSetTimeout(resolve, METHOD_POLL_MS));
  }
}

/** Waits for `promise`, or less if the call is cancelled meanwhile. */
function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  return new SafePromise<void>((resolve) => {
    promise.then(resolve);
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function methodNames(): string[] {
  const api = currentApi();
  return api ? keys(api).filter((name) => isMethod(api, name)) : [];
}

function methodNotFound(method: string): ErrorShape {
  const methods = methodNames();
  const where = location.href;
  const message = methods.length
    ? `__any__.${method} is not a method on ${where}. Methods here: ${methods.join(', ')}.`
    : `__any__.${method} is not a method on ${where}: no methods are registered on this page. Check that a ` +
      'userscript defines globalThis.__any__.' + method + ', matches this URL, and runs in the page (@grant none).';
  return errorShape('METHOD_NOT_FOUND', message, { methods });
}

function thrownError(thrown: unknown): ErrorShape {
  if (thrown instanceof Error || (typeof thrown === 'object' && thrown !== null && 'message' in thrown)) {
    const { name, message, stack } = thrown as { name?: unknown; message?: unknown; stack?: unknown };
    return {
      name: typeof name === 'string' && name ? name : 'Error',
      message: typeof message === 'string' ? message : String(message),
      code: 'METHOD_THREW',
      ...(typeof stack === 'string' ? { stack } : {}),
    };
  }
  return { name: 'Error', message: String(thrown), code: 'METHOD_THREW' };
}

/**
 * Results are JSON: they go through JSON.stringify, with `undefined` answered as `null`.
 * What JSON cannot carry (a DOM node, a cycle, a BigInt, a bare function) is a clear error.
 */
function encodeResult(id: string, method: string, value: unknown): PageToContent {
  const bad = (why: string) => ({ type: 'result' as const, id, error: errorShape('BAD_RESULT', `__any__.${method} returned ${why}, which cannot be sent as JSON. Return plain data instead (strings, numbers, arrays, objects).`) });
  if (value === undefined) return { type: 'result', id, json: 'null' };
  if (isNode(value)) return bad('a DOM node');
  if (typeof value === 'function' || typeof value === 'symbol') return bad(`a ${typeof value}`);
  try {
    const json = toJson(value);
    return json === undefined ? bad('a value JSON has no form for') : { type: 'result', id, json };
  } catch (error) {
    return bad(`a value JSON.stringify refused (${(error as Error).message})`);
  }
}

function answer(message: PageToContent): void {
  bridge.send(toJson(message));
}
