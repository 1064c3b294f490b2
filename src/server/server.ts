/**
 * The any server, on one port, on loopback only: the HTTP API (http-api.ts, through
 * http-node.ts), one WebSocket per browser (`/ws`, browser-socket.ts) and one per local program
 * that wants it (`/client`, client-socket.ts). Admission (admission.ts) lets each request and
 * upgrade in, or not. It routes calls and results; it never runs or sends code.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { MANAGED_FIREFOX_UUID, PINNED_EXTENSION_ID } from '../extension-identity.js';
import { extensionOrigins } from './extension-origins.js';
import { everydayFirefoxUuids } from './firefox-profiles.js';
import { toAnyError } from '../protocol/error-classes.js';
import {
  CallFailure,
  CallRequest,
  DEFAULT_PORT,
  errorShape,
  MAX_CLIENT_MESSAGE_BYTES,
  MAX_RESULT_CHARS,
  MethodsRequest,
  parse,
  type MethodInfo,
} from '../protocol/index.js';
import { VERSION } from '../version.js';
import { admitUpgrade, type AdmissionPolicy } from './admission.js';
import { acceptBrowserSocket } from './browser-socket.js';
import { acceptClientSocket } from './client-socket.js';
import { CallDispatcher, toDispatchedCall } from './dispatcher.js';
import { createMcpHttpDoor } from '../mcp/http-door.js';
import { createHttpApi } from './http-api.js';
import { nodeHttpHandler } from './http-node.js';
import { ConnectionOwners } from './peer-user.js';
import { DEFAULT_BROWSER_WAIT_MS, DEFAULT_MAX_BODY_BYTES, DEFAULT_RECONNECT_GRACE_MS } from '../protocol/constants.js';

export { DEFAULT_BROWSER_WAIT_MS, DEFAULT_MAX_BODY_BYTES, DEFAULT_RECONNECT_GRACE_MS } from '../protocol/constants.js';
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
/** The answer to a refused upgrade: a WebSocket client sees only the status. */
const UPGRADE_REFUSED = 'HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

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
  /**
   * The home folder whose Firefox profiles tell the any extension of an everyday Firefox by its
   * origin (firefox-profiles.ts); the user's own by default, `false` for none.
   */
  everydayFirefoxHome?: string | false;
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
  /** Hears the method's progress values, in order. */
  onProgress?: (value: unknown) => void;
  /** The connected browser to run in, by name (README: routing); absent: the server picks. */
  browser?: string;
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
  const allowedOrigins = extensionOrigins({
    chromeIds: options.extensionIds ?? [PINNED_EXTENSION_ID],
    // The uuid managed Firefox profiles give the extension (launcher/firefox.ts).
    firefoxUuids: [MANAGED_FIREFOX_UUID],
    lookUpFirefoxUuids: options.everydayFirefoxHome === false ? undefined : () => everydayFirefoxUuids(options.everydayFirefoxHome || undefined),
  });
  const maxBodyBytes = Math.min(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, MAX_MAX_BODY_BYTES);
  // Agents reach the same dispatcher through /mcp as programs do through /call.
  const mcp = createMcpHttpDoor({
    call: (page, method, params, callOptions) => callInProcess(dispatcher, { page, method, params, ...requestFieldsOf(callOptions) }, callOptions.signal, callOptions.onProgress),
    methods: (page, listOptions) => callInProcess(dispatcher, {
      page, ...requestFieldsOf(listOptions), ...(listOptions.openTab === undefined ? {} : { openTab: listOptions.openTab }),
    }, listOptions.signal),
    browsers: async () => dispatcher.browsers,
  }, log);
  const api = createHttpApi({
    mcp,
    dispatcher,
    port: () => port,
    maxBodyBytes,
    extensionOrigins: allowedOrigins,
    serverVersion: VERSION,
    requestShutdown: () => options.onShutdownRequest?.(),
    log,
  });
  // Loopback keeps other machines out; other users of this machine are known by their connection.
  const owners = new ConnectionOwners();
  const handler = nodeHttpHandler(api, (socket) => owners.isSameUser(socket));
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_WEBSOCKET_MESSAGE_BYTES });
  const clientSockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MAX_BODY_BYTES });
  const policy = (): AdmissionPolicy => ({ port, extensionOrigins: allowedOrigins });
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const { host, origin } = request.headers;
    const path = (request.url ?? '').split('?')[0]!;
    const admission = admitUpgrade({ path, headers: { host, origin }, sameUser: owners.isSameUser(request.socket as Socket) }, policy());
    if (!admission.admitted) {
      if (admission.logLine) log(admission.logLine);
      socket.end(UPGRADE_REFUSED);
    } else if (admission.socket === 'client') {
      clientSockets.handleUpgrade(request, socket, head, (ws) => acceptClientSocket(ws, { dispatcher, maxMessageBytes: maxBodyBytes, log }));
    } else {
      sockets.handleUpgrade(request, socket, head, (ws) => acceptBrowserSocket(ws, { dispatcher, serverVersion: VERSION, log }));
    }
  };

  // Loopback only: 127.0.0.1 always, ::1 too where the machine has IPv6, on the same port.
  const primary = createServer(KEEP_ALIVE, handler);
  primary.on('connection', owners.noteConnection);
  primary.on('upgrade', onUpgrade);
  await listen(primary, port, '127.0.0.1');
  port = (primary.address() as AddressInfo).port;
  const servers: Server[] = [primary];
  const secondary = createServer(KEEP_ALIVE, handler);
  secondary.on('connection', owners.noteConnection);
  secondary.on('upgrade', onUpgrade);
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
    call: (page, method, params = {}, callOptions = {}) => callInProcess(dispatcher, { page, method, params, ...requestFieldsOf(callOptions) }, callOptions.signal, callOptions.onProgress),
    methods: (page, callOptions = {}) => callInProcess(dispatcher, { page, ...requestFieldsOf(callOptions) }, callOptions.signal),
    addresses: servers.map((server) => (server.address() as AddressInfo).address),
    dispatcher,
    close() {
      closing ??= (async () => {
        clearTimeout(idleTimer?.current);
        // Fail the calls in flight first, and let their callers' error answers go out.
        dispatcher.close();
        await mcp.close();
        await new Promise((resolve) => setImmediate(resolve));
        for (const client of [...sockets.clients, ...clientSockets.clients]) client.close(1001, 'any server shutting down');
        // A peer that never answers the close handshake (a frozen browser) would hold its upgraded
        // socket, and so server.close(), for ws's 30 s: past the grace, such sockets are cut.
        const cutStragglers = setTimeout(() => {
          for (const client of [...sockets.clients, ...clientSockets.clients]) client.terminate();
        }, SHUTDOWN_GRACE_MS);
        await Promise.all(servers.map((server) => new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
        })));
        clearTimeout(cutStragglers);
        sockets.close();
        clientSockets.close();
      })();
      return closing;
    },
  };
}

/** The request fields among the options: absent ones stay absent, as they would over HTTP. */
function requestFieldsOf(options: InProcessCallOptions): { timeout?: number; browser?: string } {
  return {
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    ...(options.browser === undefined ? {} : { browser: options.browser }),
  };
}

/** Validates like the HTTP API, dispatches, and throws the client's error classes. */
async function callInProcess<Result>(
  dispatcher: CallDispatcher,
  request: { page: string; method?: string; params?: Record<string, unknown>; timeout?: number; browser?: string; openTab?: boolean },
  signal?: AbortSignal,
  onProgress?: (value: unknown) => void,
): Promise<Result> {
  const parsed = request.method === undefined ? parse(MethodsRequest, request) : parse(CallRequest, request);
  if (!parsed.ok) throw toAnyError(errorShape('BAD_REQUEST', `Bad call: ${parsed.problem}.`));
  try {
    return (await dispatcher.dispatch(toDispatchedCall(parsed.value), signal, onProgress)) as Result;
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
