/**
 * The HTTP API: `POST /call`, `POST /methods`, `GET /health`, `GET /status`, `POST /launch`,
 * `POST /shutdown`, and `/mcp` (MCP over Streamable HTTP, handed to src/mcp/http-door.ts once admitted).
 *
 * A plain function from request to response, with no socket in it: http-node.ts carries
 * requests in from Node's http server and the answers out, and tests call `request()`
 * in-process, without a port. Every request passes admission (admission.ts) before anything
 * runs, since only local programs of the user may use the API.
 */
import { randomUUID } from 'node:crypto';
import {
  CallFailure,
  CallRequest,
  LaunchReport,
  MAX_PENDING_PROGRESS_BYTES,
  MethodsRequest,
  PROTOCOL_VERSION,
  errorShape,
  httpStatusOf,
  parse,
  type ErrorShape,
  type Health,
  type Status,
} from '../protocol/index.js';
import type { McpHttpDoor } from '../mcp/http-door.js';
import { admitRequest } from './admission.js';
import { slowReaderFailure, toDispatchedCall, type CallDispatcher, type DispatchedCall } from './dispatcher.js';
import type { ExtensionOrigins } from './extension-origins.js';

const ROUTES = 'POST /call, POST /methods, GET /health, GET /status, POST /launch, POST /shutdown and /mcp (MCP)';
const PATHS = ['/health', '/status', '/call', '/methods', '/launch', '/shutdown'];
/** How long `GET /status` waits for each browser to describe itself. */
const INSPECT_TIMEOUT_MS = 1_000;

export interface HttpApiContext {
  dispatcher: CallDispatcher;
  /** The port the server listens on (known once it listens). */
  port: () => number;
  maxBodyBytes: number;
  /** The any extension's origins, allowed to probe `GET /health` before opening their WebSocket. */
  extensionOrigins: ExtensionOrigins;
  serverVersion: string;
  requestShutdown: () => void;
  log: (line: string) => void;
  /** `/mcp`, for agents; absent: no such route. */
  mcp?: McpHttpDoor;
}

export interface HttpRequest {
  method: string;
  /** The request target; its query, if any, is ignored. */
  path: string;
  /** Header names in any case. */
  headers?: Readonly<Record<string, string | undefined>>;
  /** The body: whole, or a reader called only by the routes that take one (a refused body is never read). */
  body?: string | Uint8Array | BodyReader;
  /** Whether the caller is a process of the user running the server (peer-user.ts); true if absent. */
  sameUser?: boolean;
  /** Aborts when the caller hangs up; its call is then cancelled, so the page can stop working on it. */
  signal?: AbortSignal;
}

/** Reads the whole body, or answers undefined as soon as it is larger than `maxBytes`. */
export type BodyReader = (maxBytes: number) => Promise<Uint8Array | undefined>;

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON text, or a stream the adapter writes chunk by chunk as it comes (MCP's SSE). */
  body: string | ReadableStream<Uint8Array>;
}

export interface HttpApi {
  /** Answers one request. Never rejects: an unexpected failure is a 500 INTERNAL, logged here. */
  request(request: HttpRequest): Promise<HttpResponse>;
}

export function createHttpApi(context: HttpApiContext): HttpApi {
  return {
    async request(request) {
      try {
        return await answer(context, request);
      } catch (error) {
        context.log(`internal error: ${error instanceof Error ? error.stack : String(error)}`);
        return errorResponse(null, errorShape('INTERNAL', 'The any server hit an internal error; its log has the details.'));
      }
    },
  };
}

async function answer(context: HttpApiContext, request: HttpRequest): Promise<HttpResponse> {
  const path = request.path.split('?')[0]!;
  const headers = lowerCaseNames(request.headers ?? {});
  const admission = admitRequest(
    { method: request.method, path, headers, sameUser: request.sameUser ?? true },
    { port: context.port(), extensionOrigins: context.extensionOrigins },
  );
  if (!admission.admitted) {
    if (admission.logLine) context.log(admission.logLine);
    const refusal = errorResponse(null, admission.reason);
    if (admission.closeConnection) refusal.headers.connection = 'close';
    return refusal;
  }

  const route = `${request.method} ${path}`;
  if (route === 'GET /health') return jsonResponse(200, health(context));
  if (route === 'GET /status') return jsonResponse(200, await status(context));
  if (route === 'POST /call') return call(context, request, headers, 'call');
  if (route === 'POST /methods') return call(context, request, headers, 'list');
  if (route === 'POST /launch') return launch(context, request, headers);
  if (path === '/mcp' && context.mcp) return mcp(context.mcp, context.port(), request, headers, context.maxBodyBytes);
  if (route === 'POST /shutdown') {
    // Stop only once the answer is out: the caller gets it as soon as this promise settles.
    setImmediate(context.requestShutdown);
    return jsonResponse(200, { ok: true, v: PROTOCOL_VERSION });
  }
  return PATHS.includes(path)
    ? errorResponse(null, errorShape('BAD_REQUEST', `${request.method} is not allowed on ${path}; use ${ROUTES}.`), 405)
    : errorResponse(null, errorShape('NOT_FOUND', `There is no ${path} here; the any server answers ${ROUTES}.`));
}

/**
 * `/mcp`: MCP over Streamable HTTP (src/mcp/http-door.ts), for agents. Admitted like every
 * request; a POST must be JSON within the size limit, as `/call` must.
 */
async function mcp(door: McpHttpDoor, port: number, request: HttpRequest, headers: Record<string, string | undefined>, maxBytes: number): Promise<HttpResponse> {
  let body: string | undefined;
  if (request.method === 'POST') {
    const text = await jsonText(request.body, headers['content-type'], maxBytes);
    if (!text.ok) return errorResponse(null, text.error, text.status);
    body = text.value as string;
  }
  const forwarded = new Headers();
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) forwarded.set(name, value);
  const answer = await door.handle(new Request(`http://127.0.0.1:${port}${request.path}`, {
    method: request.method,
    headers: forwarded,
    ...(body === undefined ? {} : { body }),
    ...(request.signal ? { signal: request.signal } : {}),
  }));
  const answerHeaders: Record<string, string> = {};
  answer.headers.forEach((value, name) => {
    answerHeaders[name] = value;
  });
  return { status: answer.status, headers: answerHeaders, body: answer.body ?? '' };
}

/** `POST /call` and `POST /methods`: validate, dispatch, answer with the result or the error. */
async function call(context: HttpApiContext, request: HttpRequest, headers: Record<string, string | undefined>, kind: 'call' | 'list'): Promise<HttpResponse> {
  const id = randomUUID();
  const body = await jsonBody(request.body, headers['content-type'], context.maxBodyBytes);
  if (!body.ok) return errorResponse(id, body.error, body.status);
  const parsed = kind === 'call' ? parse(CallRequest, body.value) : parse(MethodsRequest, body.value);
  if (!parsed.ok) return errorResponse(id, errorShape('BAD_REQUEST', `Bad ${kind === 'call' ? 'call' : 'request'}: ${parsed.problem}.`));
  if (kind === 'call' && acceptsNdjson(headers.accept)) return streamedCall(context, toDispatchedCall(parsed.value, id), request.signal);
  try {
    const result = await context.dispatcher.dispatch(toDispatchedCall(parsed.value, id), request.signal);
    return jsonResponse(200, { v: PROTOCOL_VERSION, id, result });
  } catch (error) {
    if (!(error instanceof CallFailure)) throw error;
    return errorResponse(id, error.shape);
  }
}

/** `POST /launch`: `any launch` reports on the browser it started (dispatcher.reportLaunch). */
async function launch(context: HttpApiContext, request: HttpRequest, headers: Record<string, string | undefined>): Promise<HttpResponse> {
  const body = await jsonBody(request.body, headers['content-type'], context.maxBodyBytes);
  if (!body.ok) return errorResponse(null, body.error, body.status);
  const parsed = parse(LaunchReport, body.value);
  if (!parsed.ok) return errorResponse(null, errorShape('BAD_REQUEST', `Bad launch report: ${parsed.problem}.`));
  if (parsed.value.state === 'closing') {
    return jsonResponse(200, { ok: true, v: PROTOCOL_VERSION, closing: context.dispatcher.closeManagedBrowser(parsed.value.installId) });
  }
  context.dispatcher.reportLaunch(parsed.value);
  return jsonResponse(200, { ok: true, v: PROTOCOL_VERSION });
}

/** `Accept: application/x-ndjson` asks for the call's progress as it comes, one JSON object a line. */
function acceptsNdjson(accept = ''): boolean {
  return accept.split(',').some((type) => type.split(';')[0]!.trim().toLowerCase() === 'application/x-ndjson');
}

/**
 * `POST /call` streamed: `{"v":1,"id","progress"}` a line for each progress value, then the line
 * that `POST /call` answers without streaming (`result` or `error`). The status is 200 from the
 * start, so the last line tells success from failure. What the caller has not read yet waits in
 * the stream, up to MAX_PENDING_PROGRESS_BYTES; past that the call fails, naming why.
 */
function streamedCall(context: HttpApiContext, call: DispatchedCall, signal: AbortSignal | undefined): HttpResponse {
  const encoder = new TextEncoder();
  const cancel = new AbortController();
  signal?.addEventListener('abort', () => cancel.abort(), { once: true });
  let output!: ReadableStreamDefaultController<Uint8Array>;
  let open = true;
  const body = new ReadableStream<Uint8Array>({
    start: (controller) => {
      output = controller;
    },
    cancel: () => {
      open = false;
      cancel.abort();
    },
  }, { highWaterMark: MAX_PENDING_PROGRESS_BYTES, size: (chunk) => chunk.byteLength });
  const line = (message: object) => {
    if (open) output.enqueue(encoder.encode(`${JSON.stringify(message)}\n`));
  };
  const onProgress = (progress: unknown) => {
    if ((output.desiredSize ?? 0) < 0) {
      return cancel.abort(slowReaderFailure());
    }
    line({ v: PROTOCOL_VERSION, id: call.id, progress });
  };
  context.dispatcher.dispatch(call, cancel.signal, onProgress).then(
    (result) => line({ v: PROTOCOL_VERSION, id: call.id, result }),
    (error: unknown) => {
      if (!(error instanceof CallFailure)) context.log(`internal error: ${error instanceof Error ? error.stack : String(error)}`);
      line({ v: PROTOCOL_VERSION, id: call.id, error: error instanceof CallFailure ? error.shape : errorShape('INTERNAL', 'The any server hit an internal error; its log has the details.') });
    },
  ).finally(() => {
    if (open) output.close();
    open = false;
  });
  return { status: 200, headers: { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' }, body };
}

function health(context: HttpApiContext): Health {
  const browsers = context.dispatcher.browsers;
  return {
    ok: true,
    v: PROTOCOL_VERSION,
    service: 'any',
    version: context.serverVersion,
    pid: process.pid,
    port: context.port(),
    extension: browsers.length > 0,
    browsers,
    callsInFlight: context.dispatcher.callsInFlight,
  };
}

async function status(context: HttpApiContext): Promise<Status> {
  const browsers = await context.dispatcher.inspectBrowsers(INSPECT_TIMEOUT_MS);
  return {
    ...health(context),
    browsers: browsers.map(({ info, state }) => (state ? { ...info, calls: state.calls, tabs: state.tabs } : info)),
    calls: context.dispatcher.calls,
  };
}

/** The body as text, if it is declared JSON and within the size limit. */
async function jsonText(body: HttpRequest['body'], contentType: string | undefined, maxBytes: number): Promise<BodyOutcome> {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    return { ok: false, status: 415, error: errorShape('BAD_REQUEST',
      `The body must be JSON with "Content-Type: application/json" (got ${type ? `"${type}"` : 'none'}).`) };
  }
  const bytes = typeof body === 'function' ? await body(maxBytes) : typeof body === 'string' ? Buffer.from(body) : body ?? new Uint8Array();
  if (bytes === undefined || bytes.byteLength > maxBytes) {
    return { ok: false, error: errorShape('TOO_LARGE',
      `The request body is larger than ${maxBytes} bytes; start the server with a larger --max-body if you need to send more.`) };
  }
  return { ok: true, value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') };
}

type BodyOutcome = { ok: true; value: unknown } | { ok: false; error: ErrorShape; status?: number };

/** The body as JSON. Only `application/json` is taken: a web page's form or `text/plain` POST needs no preflight. */
async function jsonBody(body: HttpRequest['body'], contentType: string | undefined, maxBytes: number): Promise<BodyOutcome> {
  const text = await jsonText(body, contentType, maxBytes);
  if (!text.ok) return text;
  try {
    return { ok: true, value: JSON.parse(text.value as string) };
  } catch (error) {
    return { ok: false, error: errorShape('BAD_REQUEST', `The body is not valid JSON: ${(error as Error).message}.`) };
  }
}

function errorResponse(id: string | null, error: ErrorShape, status = httpStatusOf(error.code)): HttpResponse {
  return jsonResponse(status, { v: PROTOCOL_VERSION, id, error });
}

function jsonResponse(status: number, body: unknown): HttpResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, body: JSON.stringify(body) };
}

function lowerCaseNames(headers: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
