/**
 * The one definition of every message `any` sends, at every boundary:
 *
 *   client ──HTTP──▶ server ──WebSocket──▶ background ──port──▶ content ──DOM event──▶ page bridge
 *
 * Each boundary has one schema per direction, named after it (`ServerToExtension`,
 * `ExtensionToServer`, …). Message types differ by direction (`call` goes down, `result`
 * comes up), so no side can mistake its own message for an answer. Every message carries
 * `v: 1` and the `id` of the call it belongs to; each `call` is answered by exactly one `result`.
 *
 * The receiving side of every boundary validates with these schemas; nothing is trusted.
 */
import * as v from 'valibot';
import { BROWSER_NAME_PATTERN, MAX_REPORTED_TABS, METHOD_ANNOTATION_KEYS, PROTOCOL_VERSION, WEBMCP_PREFIX } from './constants.js';
import { ErrorPayload } from './errors.js';

export * from './constants.js';

/** Calls may run this long at most; the default when a caller names none. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
export const MAX_CALL_TIMEOUT_MS = 60 * 60_000;

// ── building blocks ────────────────────────────────────────────────────────────

const Version = v.literal(PROTOCOL_VERSION, 'v must be 1 (the protocol version)');
const Id = v.pipe(v.string('id must be a string'), v.minLength(1, 'id must not be empty'), v.maxLength(128, 'id is longer than 128 characters'));

/** An absolute http: or https: URL; anything else (javascript:, file:, chrome:, relative) is refused. */
export const PageUrl = v.pipe(
  v.string('page must be a string: the absolute http(s) URL to run in'),
  v.maxLength(8192, 'page is longer than 8192 characters'),
  v.check(isHttpUrl, 'page must be an absolute http: or https: URL, such as "https://example.com/"'),
);

export const MethodName = v.pipe(
  v.string('method must be a string: the name of a function on globalThis.__any__'),
  v.minLength(1, 'method must not be empty'),
  v.maxLength(256, 'method is longer than 256 characters'),
);

/** A method's single argument: a plain JSON object (never an array or null). */
export const Params = v.custom<Record<string, unknown>>(isPlainObject, 'params must be a JSON object, such as {} or {"prompt": "hi"}');

/**
 * A connected browser's name, as `any status` shows it: `chrome`, `chromium-2`, `work`. Callers
 * name one to route a call there (`browser` over HTTP, `--browser` on the CLI).
 */
export const BrowserName = v.pipe(
  v.string('browser must be a string: the name of a connected browser, as `npx any status` lists them'),
  v.regex(new RegExp(BROWSER_NAME_PATTERN), 'browser must be a name such as "chrome" or "work": letters, digits, ".", "_" and "-", at most 63 characters, starting with a letter or digit'),
);

export const Timeout = v.pipe(
  v.number('timeout must be a number of milliseconds'),
  v.integer('timeout must be a whole number of milliseconds'),
  v.minValue(1, 'timeout must be at least 1 ms'),
  v.maxValue(MAX_CALL_TIMEOUT_MS, `timeout must be at most ${MAX_CALL_TIMEOUT_MS} ms (one hour)`),
);

// ── HTTP: client → server ──────────────────────────────────────────────────────

/** `POST /call` body. Unknown fields are refused so that typos do not pass silently. */
export const CallRequest = v.strictObject({
  page: PageUrl,
  method: MethodName,
  params: v.optional(Params),
  timeout: v.optional(Timeout),
  /** The browser to run in; absent: the one holding a tab for the page, else the default (README). */
  browser: v.optional(BrowserName),
});
export type CallRequest = v.InferOutput<typeof CallRequest>;

/** `POST /methods` body: list the methods of the page (the same tab a call would use). */
export const MethodsRequest = v.strictObject({
  page: PageUrl,
  timeout: v.optional(Timeout),
  browser: v.optional(BrowserName),
  /**
   * false: list the methods of a tab that is already open for the page, and none (an empty list)
   * when there is no such tab, instead of opening one. For callers that watch a page's methods
   * (the MCP server's page tools) without opening tabs behind the user's back.
   */
  openTab: v.optional(v.boolean('openTab must be true or false')),
});
export type MethodsRequest = v.InferOutput<typeof MethodsRequest>;

/** The longest a launch may ask calls to wait for its browser (`any launch --connect-timeout` is at most an hour). */
export const MAX_LAUNCH_CONNECT_MS = 60 * 60_000;
/** The longest explanation a failed launch may leave for the calls that waited for it. */
export const MAX_LAUNCH_PROBLEM_CHARS = 16_384;

/**
 * `POST /launch` body: what `any launch` tells the server about the browser it started, so that a
 * call waiting for a browser waits for that one and, if it never connects, hears why in the
 * launch's own words. `launch` is the launch's id, the same over its retries; each report replaces
 * the last. `starting`: the browser runs, and its extension has `connectWithinMs` to say hello with
 * `installId`. `failed`: it did not (`problem` says why and what to do). `closed`: the user closed it.
 */
export const LaunchReport = v.variant('state', [
  v.strictObject({
    v: Version,
    launch: Id,
    state: v.literal('starting'),
    installId: Id,
    /** The `--name` it asks for; absent: it takes its brand's name, and only calls that name no browser wait for it. */
    name: v.optional(BrowserName),
    /** The browser, as the launch names it: "Chromium 156.0.8078.73 (/usr/bin/chromium), pid 4242". */
    browser: v.pipe(v.string('browser must be a string'), v.maxLength(1024, 'browser is longer than 1024 characters')),
    connectWithinMs: v.pipe(
      v.number('connectWithinMs must be a number of milliseconds'),
      v.integer('connectWithinMs must be a whole number of milliseconds'),
      v.minValue(1, 'connectWithinMs must be at least 1 ms'),
      v.maxValue(MAX_LAUNCH_CONNECT_MS, `connectWithinMs must be at most ${MAX_LAUNCH_CONNECT_MS} ms (one hour)`),
    ),
  }, 'a starting launch takes only v, launch, state, installId, name, browser and connectWithinMs'),
  v.strictObject({
    v: Version,
    launch: Id,
    state: v.literal('failed'),
    name: v.optional(BrowserName),
    problem: v.pipe(
      v.string('problem must be a string'),
      v.minLength(1, 'problem must not be empty'),
      v.maxLength(MAX_LAUNCH_PROBLEM_CHARS, `problem is longer than ${MAX_LAUNCH_PROBLEM_CHARS} characters`),
    ),
  }, 'a failed launch takes only v, launch, state, name and problem'),
  /**
   * The launch is closing its browser: the server asks that browser's extension to close every
   * window (ServerClose), so the browser quits the way that keeps what pages stored. Answered with
   * `closing`: whether a managed browser with `installId` was connected and told. It names the
   * browser, not the launch: whoever started the browser (the CLI, or a program through
   * launchBrowser) closes it so.
   */
  v.strictObject({ v: Version, state: v.literal('closing'), installId: Id }, 'a closing launch takes only v, state and installId'),
  v.strictObject({ v: Version, launch: Id, state: v.literal('closed') }, 'a closed launch takes only v, launch and state'),
], 'state must be "starting", "failed", "closing" or "closed"');
export type LaunchReport = v.InferOutput<typeof LaunchReport>;
/** The reports that tell how a launch stands (all but `closing`, which asks for something). */
export type LaunchStateReport = Exclude<LaunchReport, { state: 'closing' }>;

/** Where a listed method comes from: the user's userscripts, or the page's WebMCP tools (by the mirror). */
export type MethodSource = 'userscript' | 'webmcp';

/** `webmcp` for the names the WebMCP mirror publishes (`webmcp:<tool>`), `userscript` for every other. */
export function methodSourceOf(name: string): MethodSource {
  return name.startsWith(WEBMCP_PREFIX) ? 'webmcp' : 'userscript';
}

const JsonSchemaObject = v.record(v.string(), v.unknown());
const Hint = v.optional(v.boolean());

/** The hints of MethodInfo's `annotations`, each optional (METHOD_ANNOTATION_KEYS). */
export const MethodAnnotations = v.strictObject({
  readOnlyHint: Hint,
  destructiveHint: Hint,
  idempotentHint: Hint,
  openWorldHint: Hint,
  untrustedContentHint: Hint,
  consequentialHint: Hint,
} satisfies Record<(typeof METHOD_ANNOTATION_KEYS)[number], typeof Hint>);
export type MethodAnnotations = v.InferOutput<typeof MethodAnnotations>;

/**
 * One entry of a page's method list. A userscript describes a method the way a WebMCP tool is
 * described, by properties of its function: `title`, `description`, a JSON-Schema `inputSchema`
 * and `outputSchema`, and `annotations`. The page's WebMCP tools come with theirs. `source` is
 * read from the name (methodSourceOf), and the content script checks that it agrees, so nothing
 * a page does can make one of its tools pass as a userscript method.
 */
export const MethodInfo = v.pipe(
  v.strictObject({
    name: MethodName,
    source: v.picklist(['userscript', 'webmcp'] satisfies MethodSource[]),
    title: v.optional(v.string()),
    description: v.optional(v.string()),
    inputSchema: v.optional(JsonSchemaObject),
    outputSchema: v.optional(JsonSchemaObject),
    annotations: v.optional(MethodAnnotations),
  }),
  v.check((method) => method.source === methodSourceOf(method.name), 'a method\'s source must follow from its name (webmcp: names are WebMCP tools)'),
);
/** A page's method list, as a listing's result. */
export const MethodList = v.array(MethodInfo);
export type MethodInfo = v.InferOutput<typeof MethodInfo>;

/** `POST /call` answer: 200 with `result`, or a 4xx/5xx status with `error`. */
export const CallResponse = v.union([
  v.strictObject({ v: Version, id: v.string(), result: v.unknown() }),
  v.strictObject({ v: Version, id: v.nullable(v.string()), error: ErrorPayload }),
]);
export type CallResponse = v.InferOutput<typeof CallResponse>;

/** A managed browser is one `any launch` started; an everyday one is the user's own, with the extension loaded. */
export const BrowserKind = v.picklist(['managed', 'everyday']);
export type BrowserKind = v.InferOutput<typeof BrowserKind>;

/** A connected browser, as `GET /health` lists it. */
export const BrowserInfo = v.object({
  name: v.string(),
  kind: BrowserKind,
  /** "Chrome", "Chromium", "Edge", "Brave", … and its version ("142.0.7444.59"). */
  brand: v.string(),
  version: v.string(),
  /** Stays the same for the browser's profile (everyday) or launch (managed), across worker restarts. */
  installId: v.string(),
  /** Fresh per service-worker life. */
  workerId: v.string(),
  extensionVersion: v.string(),
  userAgent: v.string(),
  connectedAt: v.string(),
  /** The http(s) tabs it has open. */
  openTabs: v.number(),
  /** Calls the server has handed to it that have not ended. */
  callsInFlight: v.number(),
});
export type BrowserInfo = v.InferOutput<typeof BrowserInfo>;

/** `GET /health` answer. */
export const Health = v.object({
  ok: v.literal(true),
  v: Version,
  service: v.literal('any'),
  version: v.string(),
  pid: v.number(),
  port: v.number(),
  extension: v.boolean(),
  browsers: v.array(BrowserInfo),
  callsInFlight: v.number(),
});
export type Health = v.InferOutput<typeof Health>;

/** A call in flight inside the browser: its tab is being found or opened, or the method runs. */
export const BrowserCallState = v.strictObject({
  id: v.string(),
  page: v.string(),
  method: v.optional(v.string()),
  phase: v.picklist(['opening-tab', 'running']),
});
export type BrowserCallState = v.InferOutput<typeof BrowserCallState>;

/** A call in flight in the server: waiting for a browser to connect, or handed to one. */
export const ServerCallState = v.object({
  id: v.string(),
  page: v.string(),
  /** Absent for a listing of the page's methods. */
  method: v.optional(v.string()),
  phase: v.picklist(['waiting-for-browser', 'in-browser']),
  /** The browser it runs in or waits for; absent while it waits for any browser at all. */
  browser: v.optional(v.string()),
  /** Why it went there: the caller named it, it holds a tab for the page, or it is the default. */
  route: v.picklist(['named', 'open-tab', 'default']),
  elapsedMs: v.number(),
});
export type ServerCallState = v.InferOutput<typeof ServerCallState>;

/** `GET /status` answer: the health, the server's calls, and what each browser reports it is doing. */
export const Status = v.object({
  ...Health.entries,
  calls: v.array(ServerCallState),
  browsers: v.array(v.object({
    ...BrowserInfo.entries,
    /** Absent when the browser did not answer in time. */
    calls: v.optional(v.array(BrowserCallState)),
    tabs: v.optional(v.array(v.object({ tabId: v.number(), url: v.string(), callsInFlight: v.number() }))),
  })),
});
export type Status = v.InferOutput<typeof Status>;

// ── WebSocket: client ⇄ server (/client) ────────────────────────────────────────
//
// The TypeScript client keeps one WebSocket to the server instead of an HTTP request per call:
// the same calls, answered by the same results, with a fraction of the per-call work (the
// benchmark's profile). HTTP stays for every other caller; both reach the same dispatcher.

/** `POST /call`'s body, as a message: with `v`, `type` and the caller's own `id`. */
const ClientCall = v.strictObject({ v: Version, type: v.literal('call'), id: Id, ...CallRequest.entries });
const ClientList = v.strictObject({ v: Version, type: v.literal('list'), id: Id, ...MethodsRequest.entries });
/** The caller gave up on call `id`; it is still answered, with CANCELLED. */
const ClientCancel = v.strictObject({ v: Version, type: v.literal('cancel'), id: Id });
export const ClientToServer = v.variant('type', [ClientCall, ClientList, ClientCancel]);
export type ClientToServer = v.InferOutput<typeof ClientToServer>;

/**
 * Answers a client's `call` or `list`: any number of `progress` messages (the method's progress
 * values, in order), then one `result` with exactly one of `result` and `error`.
 */
export const ServerToClient = v.pipe(
  v.variant('type', [
    v.strictObject({ v: Version, type: v.literal('result'), id: Id, result: v.optional(v.unknown()), error: v.optional(ErrorPayload) }),
    v.strictObject({ v: Version, type: v.literal('progress'), id: Id, progress: v.unknown() }),
  ]),
  v.check((message) => message.type !== 'result' || exactlyOne(message, 'result', 'error'), 'a result carries exactly one of "result" and "error"'),
);
export type ServerToClient = v.InferOutput<typeof ServerToClient>;

// ── WebSocket: server ⇄ extension background ───────────────────────────────────

const ServerCall = v.strictObject({
  v: Version,
  type: v.literal('call'),
  id: Id,
  page: PageUrl,
  method: MethodName,
  params: Params,
  timeout: Timeout,
});
/** The caller gave up (timeout, cancel): stop working on call `id`. Its `result` is still sent. */
const ServerCancel = v.strictObject({ v: Version, type: v.literal('cancel'), id: Id, reason: v.picklist(['TIMEOUT', 'CANCELLED']) });
const ServerPong = v.strictObject({ v: Version, type: v.literal('pong'), id: Id });
/** Answers a hello with the name the browser goes by on this server (an everyday browser keeps it for next time). */
const ServerWelcome = v.strictObject({ v: Version, type: v.literal('welcome'), id: Id, serverVersion: v.string(), name: v.optional(BrowserName) });
/** Asks what the extension is doing (for `any status`); answered by one `state`. */
const ServerInspect = v.strictObject({ v: Version, type: v.literal('inspect'), id: Id });

/** List the page's methods; answered by one `result` whose value is a MethodInfo[]. */
const ServerList = v.strictObject({ v: Version, type: v.literal('list'), id: Id, page: PageUrl, timeout: Timeout, openTab: v.optional(v.boolean()) });
/**
 * The launch that started this managed browser is closing it: close every window, so that the
 * browser quits as when its user closes it (Firefox writes what pages stored only then: every
 * signal ends it at once). Sent to managed browsers only, and an everyday browser ignores it.
 */
const ServerClose = v.strictObject({ v: Version, type: v.literal('close'), id: Id });

export const ServerToExtension = v.variant('type', [ServerCall, ServerList, ServerCancel, ServerPong, ServerWelcome, ServerInspect, ServerClose]);
export type ServerList = v.InferOutput<typeof ServerList>;
export type ServerToExtension = v.InferOutput<typeof ServerToExtension>;
export type ServerCall = v.InferOutput<typeof ServerCall>;

const ShortText = v.pipe(v.string(), v.maxLength(256));
/**
 * First message on every connection; `workerId` is fresh per service-worker life, `installId`
 * stays the same for the browser's profile (or managed launch), so its name survives restarts.
 * The fields after `userAgent` are optional so that an extension built before them still connects.
 */
const ExtensionHello = v.strictObject({
  v: Version,
  type: v.literal('hello'),
  id: Id,
  workerId: Id,
  extensionVersion: ShortText,
  userAgent: v.pipe(v.string(), v.maxLength(1024)),
  installId: v.optional(Id),
  /** The name it asks for: `any launch --name`, or the one this server or an earlier one gave it. */
  name: v.optional(BrowserName),
  kind: v.optional(BrowserKind),
  brand: v.optional(ShortText),
  browserVersion: v.optional(ShortText),
});
export type ExtensionHello = v.InferOutput<typeof ExtensionHello>;
/** Keep-alive: a message every 20 s keeps an MV3 service worker from being stopped. */
const ExtensionPing = v.strictObject({ v: Version, type: v.literal('ping'), id: Id });
/** Answers a `call` or `list`: exactly one of `result` and `error` (checked below). */
const ExtensionResult = v.strictObject({ v: Version, type: v.literal('result'), id: Id, result: v.optional(v.unknown()), error: v.optional(ErrorPayload) });
/** A progress value of call `id`, in the order the page sent it; the call's `result` comes last. */
const ExtensionProgress = v.strictObject({ v: Version, type: v.literal('progress'), id: Id, progress: v.unknown() });
export type ExtensionProgress = v.InferOutput<typeof ExtensionProgress>;

/** A tab the browser has open, as it reports them: `openedFor` is the page the worker opened it for (it may have redirected). */
export const ReportedTab = v.strictObject({ tabId: v.number(), url: v.pipe(v.string(), v.maxLength(8192)), openedFor: v.optional(v.pipe(v.string(), v.maxLength(8192))) });
export type ReportedTab = v.InferOutput<typeof ReportedTab>;
/**
 * Every http(s) tab the browser has open, sent after each hello and whenever they change: the
 * server routes a call to the browser that already holds a tab for its page.
 */
const ExtensionTabs = v.strictObject({ v: Version, type: v.literal('tabs'), id: Id, tabs: v.pipe(v.array(ReportedTab), v.maxLength(MAX_REPORTED_TABS)) });
export type ExtensionTabs = v.InferOutput<typeof ExtensionTabs>;

export const TabState = v.strictObject({ tabId: v.number(), url: v.string(), callsInFlight: v.number() });
export type TabState = v.InferOutput<typeof TabState>;
const ExtensionState = v.strictObject({
  v: Version,
  type: v.literal('state'),
  id: Id,
  callsInFlight: v.number(),
  calls: v.array(BrowserCallState),
  /** The tabs whose content script is connected to the worker. */
  tabs: v.array(TabState),
});
export type ExtensionState = v.InferOutput<typeof ExtensionState>;

// A variant, not a union: the `type` picks the one schema to check (results are the hot path).
export const ExtensionToServer = v.pipe(
  v.variant('type', [ExtensionHello, ExtensionPing, ExtensionState, ExtensionTabs, ExtensionResult, ExtensionProgress]),
  v.check((message) => message.type !== 'result' || exactlyOne(message, 'result', 'error'), 'a result carries exactly one of "result" and "error"'),
);
export type ExtensionToServer = v.InferOutput<typeof ExtensionToServer>;
export type ExtensionResult = v.InferOutput<typeof ExtensionResult>;

// ── extension messaging: background ⇄ content script (one port per tab) ────────

const BackgroundCall = v.strictObject({ type: v.literal('call'), id: Id, method: MethodName, params: Params });
const BackgroundCancel = v.strictObject({ type: v.literal('cancel'), id: Id, reason: v.picklist(['TIMEOUT', 'CANCELLED']) });
const BackgroundList = v.strictObject({ type: v.literal('list'), id: Id });
export const BackgroundToContent = v.variant('type', [BackgroundCall, BackgroundList, BackgroundCancel]);
export type BackgroundToContent = v.InferOutput<typeof BackgroundToContent>;

/**
 * A page's answer: exactly one of `json` (the result as JSON text, made once by `JSON.stringify`
 * in the page) and `error` (checked below). The content script checks that `json` is one
 * well-formed JSON value within MAX_RESULT_CHARS before it sends it on (isolated/page-answers.ts);
 * from there the text travels unparsed and the worker splices it into its frame.
 */
const PageResult = v.strictObject({ type: v.literal('result'), id: Id, json: v.optional(v.string()), error: v.optional(ErrorPayload) });
const ONE_OUTCOME = 'a result carries exactly one of "json" and "error"';
export type PageResult = v.InferOutput<typeof PageResult>;
/**
 * A progress value the method sent while it runs (`progress(value)`, or a `yield`), as JSON text,
 * checked in the content script like a result. Any number of them come before the call's one result.
 */
const PageProgress = v.strictObject({ type: v.literal('progress'), id: Id, json: v.string() });
export type PageProgress = v.InferOutput<typeof PageProgress>;

const ContentReady = v.strictObject({ type: v.literal('ready'), url: v.string() });
export const ContentToBackground = v.pipe(
  v.variant('type', [ContentReady, PageResult, PageProgress]),
  v.check((message) => message.type !== 'result' || exactlyOne(message, 'json', 'error'), ONE_OUTCOME),
);
export type ContentToBackground = v.InferOutput<typeof ContentToBackground>;

// ── page bridge: content script (ISOLATED world) ⇄ bridge (MAIN world) ─────────

/**
 * Messages cross as the `detail` of DOM events, which Chrome clones from one world into the
 * other: no object is ever shared between the content script and the page.
 */
const ContentCall = v.strictObject({ type: v.literal('call'), id: Id, method: MethodName, params: Params });
const ContentCancel = v.strictObject({ type: v.literal('cancel'), id: Id, reason: v.picklist(['TIMEOUT', 'CANCELLED']) });
const ContentList = v.strictObject({ type: v.literal('list'), id: Id });
export const ContentToPage = v.variant('type', [ContentCall, ContentList, ContentCancel]);
export type ContentToPage = v.InferOutput<typeof ContentToPage>;

export const PageToContent = v.pipe(
  v.variant('type', [PageResult, PageProgress]),
  v.check((message) => message.type !== 'result' || exactlyOne(message, 'json', 'error'), ONE_OUTCOME),
);
export type PageToContent = PageResult | PageProgress;

export const BridgeHello = v.strictObject({
  role: v.picklist(['content', 'page']),
  channel: v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/)),
});
export type BridgeHello = v.InferOutput<typeof BridgeHello>;

// ── validation ────────────────────────────────────────────────────────────────

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Validates `input` against `schema`; on failure names the field and the rule it broke. */
export function parse<S extends v.GenericSchema>(schema: S, input: unknown): Parsed<v.InferOutput<S>> {
  const outcome = v.safeParse(schema, input);
  if (outcome.success) return { ok: true, value: outcome.output };
  return { ok: false, problem: describeIssues(outcome.issues) };
}

function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  // A union reports one issue per branch; the deepest one usually names the real problem.
  const issue = deepest(issues);
  const path = v.getDotPath(issue);
  const isObjectIssue = issue.type === 'strict_object' || issue.type === 'object';
  if (isObjectIssue && path && issue.expected === 'never') return `unknown field "${path}"`;
  if (isObjectIssue && path && issue.received === 'undefined') return `missing field "${path}"`;
  if (isObjectIssue && !path) return `expected a JSON object, got ${issue.received}`;
  if (issue.message.startsWith('Invalid') && path) return `${path}: ${issue.message}`;
  return issue.message;
}

function deepest(issues: readonly v.BaseIssue<unknown>[]): v.BaseIssue<unknown> {
  let best = issues[0]!;
  for (const issue of issues) {
    const nested = issue.issues?.length ? deepest(issue.issues) : issue;
    if ((nested.path?.length ?? 0) > (best.path?.length ?? 0)) best = nested;
  }
  return best;
}

function exactlyOne(message: object, a: string, b: string): boolean {
  return (a in message) !== (b in message);
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
