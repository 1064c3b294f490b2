/**
 * The any server: HTTP for callers and one WebSocket (`/ws`) per browser, on one port,
 * on loopback only. It routes calls and results; it never runs or sends code.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { PINNED_EXTENSION_ID } from '../extension-identity.js';
import { toAnyError } from '../client/errors.js';
import {
  CallFailure,
  CallRequest,
  DEFAULT_PORT,
  errorShape,
  MAX_CLIENT_MESSAGE_BYTES,
  MAX_RESULT_CHARS,
  MethodsRequest,
  parse,
  PROTOCOL_VERSION,
  type MethodInfo,
} from '../protocol/index.js';
import { VERSION } from '../version.js';
import { acceptBrowserSocket } from './browser-socket.js';
import { acceptClientSocket } from './client-socket.js';
import { CallDispatcher, toDispatchedCall } from './dispatcher.js';
import { createHttpHandler } from './http-api.js';
import { isAllowedHost } from './local-hosts.js';
import { isSameUser } from './peer-user.js';

export const DEFAULT_BROWSER_WAIT_MS = 10_000;
export const DEFAULT_RECONNECT_GRACE_MS = 2_000;
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Callers keep their connection between calls (Node's default closes it after 5 s idle). */
const KEEP_ALIVE = { keepAliveTimeout: 65_000, headersTimeout: 66_000 };
/** On shutdown, connections still busy after this long are cut. */
const SHUTDOWN_GRACE_MS = 500;
/**
 * The largest message the extension may send: a result of MAX_RESULT_CHARS characters, which
 * take at most 3 bytes each in UTF-8, and its envelope. A larger frame closes the socket.
 */
export const MAX_WEBSOCKET_MESSAGE_BYTES = 3 * MAX_RESULT_CHARS + 1024 * 1024;
/** Requests go on to the extension, whose messaging carries at most 64 MiB. */
export const MAX_MAX_BODY_BYTES = MAX_CLIENT_MESSAGE_BYTES;

export interface ServerOptions {
  /** TCP port on 127.0.0.1 (and ::1 where available). 0 picks a free one. */
  port?: number;
  /** How long a call waits for a browser to connect. */
  browserWaitMs?: number;
  /** How long calls survive a dropped extension socket, waiting for it to reconnect. */
  reconnectGraceMs?: number;
  /** Largest accepted `POST /call` body. */
  maxBodyBytes?: number;
  /** Extension IDs whose WebSocket is accepted (Origin `chrome-extension://<id>`); any's own by default. */
  extensionIds?: readonly string[];
  log?: (line: string) => void;
  /** Called after `POST /shutdown` has been answered. */
  onShutdownRequest?: () => void;
  /**
   * With no browser connected and no call for this long, call `onIdle` (the CLI then exits).
   * 0 or absent: never. Servers that clients start on demand use it so they do not linger.
   */
  idleTimeoutMs?: number;
  onIdle?: () => void;
}

export interface AnyServer {
  readonly port: number;
  readonly url: string;
  /**
   * Calls a page method through this server directly, without a socket in between: for a
   * program that runs its own server, the shortest path there is. Same validation, deadlines,
   * cancels and errors (`AnyError` subclasses) as the client's `call`.
   */
  call<Result = unknown>(page: string, method: string, params?: Record<string, unknown>, options?: InProcessCallOptions): Promise<Result>;
  /** The page's methods, as the client's `methods` lists them. */
  methods(page: string, options?: InProcessCallOptions): Promise<MethodInfo[]>;
  /** Where it listens: loopback addresses only. */
  readonly addresses: string[];
  readonly dispatcher: CallDispatcher;
  close(): Promise<void>;
}

export interface InProcessCallOptions {
  timeout?: number;
  signal?: AbortSignal;
}

export async function startServer(options: ServerOptions): Promise<AnyServer> {
  const log = options.log ?? (() => {});
  let port = options.port ?? DEFAULT_PORT;
  const dispatcher = new CallDispatcher({
    browserWaitMs: options.browserWaitMs ?? DEFAULT_BROWSER_WAIT_MS,
    reconnectGraceMs: options.reconnectGraceMs ?? DEFAULT_RECONNECT_GRACE_MS,
    get port() {
      return port;
    },
  });
  const allowedOrigins = new Set((options.extensionIds ?? [PINNED_EXTENSION_ID]).map((id) => `chrome-extension://${id}`));
  const maxBodyBytes = Math.min(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, MAX_MAX_BODY_BYTES);
  const handler = createHttpHandler({
    dispatcher,
    port: () => port,
    maxBodyBytes,
    extensionOrigins: allowedOrigins,
    serverVersion: VERSION,
    requestShutdown: () => options.onShutdownRequest?.(),
    log,
  });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_WEBSOCKET_MESSAGE_BYTES });
  const clientSockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MAX_BODY_BYTES });
  /**
   * `/ws` takes the extension's socket, identified by its Origin. `/client` takes local programs,
   * which send no Origin at all: a web page's WebSocket always carries one, so pages get neither.
   */
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const origin = request.headers.origin;
    const path = (request.url ?? '').split('?')[0];
    const host = request.headers.host;
    const forExtension = path === '/ws' && allowedOrigins.has(origin ?? '');
    const forClient = path === '/client' && origin === undefined;
    if (!isAllowedHost(host, port) || (!forExtension && !forClient)) {
      log(`refused a WebSocket from origin "${origin ?? ''}" to ${path} (host "${host ?? ''}")`);
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (forClient) clientSockets.handleUpgrade(request, socket, head, (ws) => acceptClientSocket(ws, { dispatcher, maxMessageBytes: maxBodyBytes, log }));
    else sockets.handleUpgrade(request, socket, head, (ws) => acceptBrowserSocket(ws, { dispatcher, serverVersion: VERSION, log }));
  };

  // Loopback keeps other machines out; other users of this machine are known by their
  // connection (looked up once, as it opens) and refused every request and upgrade.
  const foreignSockets = new WeakSet<Socket>();
  const onConnection = (socket: Socket) => {
    if (!isSameUser(socket)) foreignSockets.add(socket);
  };
  const refusalForAnotherUser = () => JSON.stringify({ v: PROTOCOL_VERSION, id: null, error: errorShape('FORBIDDEN',
    'This any server belongs to another user of this machine; start your own on another port (--port).') });
  const guardedHandler = (request: IncomingMessage, response: ServerResponse) => {
    if (!foreignSockets.has(request.socket as Socket)) return handler(request, response);
    log('refused a request from another user of this machine');
    response.writeHead(403, { 'content-type': 'application/json', connection: 'close' }).end(refusalForAnotherUser());
  };
  const guardedUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!foreignSockets.has(request.socket as Socket)) return onUpgrade(request, socket, head);
    log('refused a WebSocket from another user of this machine');
    socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  };

  // Loopback only: 127.0.0.1 always, ::1 too where the machine has IPv6, on the same port.
  const primary = createServer(KEEP_ALIVE, guardedHandler);
  primary.on('connection', onConnection);
  primary.on('upgrade', guardedUpgrade);
  await listen(primary, port, '127.0.0.1');
  port = (primary.address() as AddressInfo).port;
  const servers: Server[] = [primary];
  const secondary = createServer(KEEP_ALIVE, guardedHandler);
  secondary.on('connection', onConnection);
  secondary.on('upgrade', guardedUpgrade);
  try {
    await listen(secondary, port, '::1');
    servers.push(secondary);
  } catch {
    // No IPv6 loopback here, or ::1 taken by something else: 127.0.0.1 is enough.
  }

  const idleTimer = options.idleTimeoutMs ? watchForIdle(dispatcher, options.idleTimeoutMs, () => options.onIdle?.()) : undefined;

  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    call: (page, method, params = {}, callOptions = {}) => callInProcess(dispatcher, { page, method, params, ...timeoutOf(callOptions) }, callOptions.signal),
    methods: (page, callOptions = {}) => callInProcess(dispatcher, { page, ...timeoutOf(callOptions) }, callOptions.signal),
    addresses: servers.map((server) => (server.address() as AddressInfo).address),
    dispatcher,
    close() {
      closing ??= (async () => {
        clearTimeout(idleTimer?.current);
        // Fail the calls in flight first, and let their callers' error answers go out.
        dispatcher.close();
        await new Promise((resolve) => setImmediate(resolve));
        for (const client of [...sockets.clients, ...clientSockets.clients]) client.close(1001, 'any server shutting down');
        await Promise.all(servers.map((server) => new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
        })));
        for (const client of [...sockets.clients, ...clientSockets.clients]) client.terminate(); // don't wait for close handshakes
        sockets.close();
        clientSockets.close();
      })();
      return closing;
    },
  };
}

function timeoutOf(options: InProcessCallOptions): { timeout?: number } {
  return options.timeout === undefined ? {} : { timeout: options.timeout };
}

/** Validates like the HTTP API, dispatches, and throws the client's error classes. */
async function callInProcess<Result>(dispatcher: CallDispatcher, request: { page: string; method?: string; params?: Record<string, unknown>; timeout?: number }, signal?: AbortSignal): Promise<Result> {
  const parsed = request.method === undefined ? parse(MethodsRequest, request) : parse(CallRequest, request);
  if (!parsed.ok) throw toAnyError(errorShape('BAD_REQUEST', `Bad call: ${parsed.problem}.`));
  try {
    return (await dispatcher.dispatch(toDispatchedCall(request), signal)) as Result;
  } catch (error) {
    throw error instanceof CallFailure ? toAnyError(error.shape) : error;
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Checks when idleness could have lasted `idleTimeoutMs`, and again after any activity. */
function watchForIdle(dispatcher: CallDispatcher, idleTimeoutMs: number, onIdle: () => void): { current?: NodeJS.Timeout } {
  const timer: { current?: NodeJS.Timeout } = {};
  const check = () => {
    const idleSince = dispatcher.idleSince;
    const idleFor = idleSince === undefined ? 0 : Date.now() - idleSince;
    if (idleSince !== undefined && idleFor >= idleTimeoutMs) return onIdle();
    timer.current = setTimeout(check, idleTimeoutMs - idleFor);
    timer.current.unref();
  };
  timer.current = setTimeout(check, idleTimeoutMs);
  timer.current.unref();
  return timer;
}
