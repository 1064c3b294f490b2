/**
 * The HTTP API: `POST /call`, `GET /health`, `POST /shutdown`.
 *
 * Only local programs may use it. A web page in the user's browser can also send requests
 * to localhost, so requests that carry a browser's marks (an `Origin`, a cross-site
 * `Sec-Fetch-Site`) or a foreign `Host` (DNS rebinding) are refused before anything runs.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CallFailure,
  CallRequest,
  MethodsRequest,
  PROTOCOL_VERSION,
  errorShape,
  httpStatusOf,
  parse,
  type ErrorShape,
  type Health,
  type Status,
} from '../protocol/index.js';
import { toDispatchedCall, type CallDispatcher } from './dispatcher.js';
import { allowedHosts, isAllowedHost } from './local-hosts.js';

const ROUTES = 'POST /call, POST /methods, GET /health, GET /status and POST /shutdown';
/** How long `GET /status` waits for each browser to describe itself. */
const INSPECT_TIMEOUT_MS = 1_000;

export interface HttpApiContext {
  dispatcher: CallDispatcher;
  /** The port the server listens on (known once it listens). */
  port: () => number;
  maxBodyBytes: number;
  /** `chrome-extension://<id>` origins allowed to probe `GET /health` before opening their WebSocket. */
  extensionOrigins: ReadonlySet<string>;
  serverVersion: string;
  requestShutdown: () => void;
  log: (line: string) => void;
}

export function createHttpHandler(context: HttpApiContext) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    handle(context, request, response).catch((error: unknown) => {
      context.log(`internal error: ${error instanceof Error ? error.stack : String(error)}`);
      if (!response.headersSent) sendError(response, null, errorShape('INTERNAL', 'The any server hit an internal error; its log has the details.'));
    });
  };
}

async function handle(context: HttpApiContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  const route = `${request.method} ${path}`;
  // The extension knocks on /health before it opens its WebSocket; nothing else takes an Origin.
  const extensionProbe = route === 'GET /health' && context.extensionOrigins.has(request.headers.origin ?? '');
  const refusal = refuseForeignCaller(request, context.port(), extensionProbe);
  if (refusal) {
    context.log(`refused ${route}: ${refusal.message}`);
    return sendError(response, null, refusal);
  }

  if (route === 'GET /health') return sendJson(response, 200, health(context));
  if (route === 'GET /status') return sendJson(response, 200, await status(context));
  if (route === 'POST /call') return handleCall(context, request, response, 'call');
  if (route === 'POST /methods') return handleCall(context, request, response, 'list');
  if (route === 'POST /shutdown') {
    sendJson(response, 200, { ok: true, v: PROTOCOL_VERSION });
    return context.requestShutdown();
  }
  const known = ['/health', '/status', '/call', '/methods', '/shutdown'].includes(path ?? '');
  return sendError(response, null, known
    ? errorShape('BAD_REQUEST', `${request.method} is not allowed on ${path}; use ${ROUTES}.`)
    : errorShape('NOT_FOUND', `There is no ${path} here; the any server answers ${ROUTES}.`),
    known ? 405 : undefined);
}

/** `POST /call` and `POST /methods`: validate, dispatch, answer with the result or the error. */
async function handleCall(context: HttpApiContext, request: IncomingMessage, response: ServerResponse, kind: 'call' | 'list'): Promise<void> {
  const id = randomUUID();
  const body = await readJsonBody(request, context.maxBodyBytes);
  if (!body.ok) return sendError(response, id, body.error, body.status);
  const parsed = kind === 'call' ? parse(CallRequest, body.value) : parse(MethodsRequest, body.value);
  if (!parsed.ok) return sendError(response, id, errorShape('BAD_REQUEST', `Bad ${kind === 'call' ? 'call' : 'request'}: ${parsed.problem}.`));
  const call = toDispatchedCall(parsed.value, id);

  // A caller that hangs up cancels its call, so the page can stop working on it.
  const hangUp = new AbortController();
  response.on('close', () => {
    if (!response.writableFinished) hangUp.abort();
  });
  try {
    const result = await context.dispatcher.dispatch(call, hangUp.signal);
    sendJson(response, 200, { v: PROTOCOL_VERSION, id, result });
  } catch (error) {
    if (!(error instanceof CallFailure)) throw error;
    if (!response.destroyed) sendError(response, id, error.shape);
  }
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
    browsers: browsers.map(({ info, state }) => (state ? { ...info, callsInFlight: state.callsInFlight, calls: state.calls, tabs: state.tabs } : info)),
    calls: context.dispatcher.calls,
  };
}

/** Web pages and rebound host names are refused; only local programs get through. */
function refuseForeignCaller(request: IncomingMessage, port: number, fromOurExtension: boolean): ErrorShape | undefined {
  const host = request.headers.host ?? '';
  if (!isAllowedHost(host, port)) {
    return errorShape('FORBIDDEN', `Host "${host}" is refused: the any server answers only to ${allowedHosts(port).join(', ')}.`);
  }
  if (fromOurExtension) return undefined;
  const origin = request.headers.origin;
  if (origin !== undefined) {
    return errorShape('FORBIDDEN', `Requests from web pages are refused (Origin: ${origin}); call the any server from a local program.`);
  }
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'none') {
    return errorShape('FORBIDDEN', `Requests from web pages are refused (Sec-Fetch-Site: ${site}); call the any server from a local program.`);
  }
  return undefined;
}

type BodyOutcome = { ok: true; value: unknown } | { ok: false; error: ErrorShape; status?: number };

async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<BodyOutcome> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    request.resume();
    return { ok: false, status: 415, error: errorShape('BAD_REQUEST',
      `The body must be JSON with "Content-Type: application/json" (got ${type ? `"${type}"` : 'none'}).`) };
  }
  const tooLarge: BodyOutcome = { ok: false, error: errorShape('TOO_LARGE',
    `The request body is larger than ${maxBytes} bytes; start the server with a larger --max-body if you need to send more.`) };
  if (Number(request.headers['content-length'] ?? 0) > maxBytes) {
    request.resume(); // drain, so that the 413 reaches the caller instead of a reset
    return tooLarge;
  }
  const text = await new Promise<string | undefined>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return chunks.push(chunk);
      chunks.length = 0; // answer 413 now; the rest drains without being kept
      resolve(undefined);
    });
    request.on('end', () => resolve(size <= maxBytes ? Buffer.concat(chunks, size).toString('utf8') : undefined));
    request.on('error', reject);
  });
  if (text === undefined) return tooLarge;
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: errorShape('BAD_REQUEST', `The body is not valid JSON: ${(error as Error).message}.`) };
  }
}

function sendError(response: ServerResponse, id: string | null, error: ErrorShape, status = httpStatusOf(error.code)): void {
  sendJson(response, status, { v: PROTOCOL_VERSION, id, error });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}
