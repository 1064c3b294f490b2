/**
 * The client's one WebSocket to the any server on a port (`/client`), shared by every call this
 * process makes to that port. It keeps a table of pending calls and rejects each with a clear
 * error when its socket closes, so nothing hangs; every call is bounded by its deadline and its
 * signal from the moment it is made, connecting (and starting a server) included. Calls made in
 * the same turn leave in one frame. It never keeps a script alive by itself: its socket is
 * unref'd, and only a call in flight (its deadline timer) holds the process open.
 */
import { createConnection, type NetConnectOpts } from 'node:net';
import WebSocket from 'ws';
import {
  createBatcher,
  errorShape,
  frameOf,
  MAX_CLIENT_MESSAGE_BYTES,
  MAX_RESULT_CHARS,
  parseFrame,
  PROTOCOL_VERSION,
  ServerToClient,
  textLength,
  type ErrorShape,
} from '../protocol/index.js';
import { startServerProcess } from './autostart.js';
import { AnyError, toAnyError } from './errors.js';

/** Answers carry results of up to MAX_RESULT_CHARS characters (3 bytes each at most in UTF-8). */
const MAX_ANSWER_BYTES = 3 * MAX_RESULT_CHARS + 1024 * 1024;
/** A server answers the WebSocket handshake at once; a port that keeps silent is not one. */
const HANDSHAKE_TIMEOUT_MS = 2_000;

export type Progress = 'starting-server' | 'sent';

/** A call or a method listing, as the client sends it; the connection adds `v` and an `id`. */
export type OutgoingCall =
  | { type: 'call'; page: string; method: string; params?: Record<string, unknown>; timeout?: number }
  | { type: 'list'; page: string; timeout?: number };

export interface ConnectionRequest {
  message: OutgoingCall;
  /** Gives up this long after the call is made: the server's own deadline, plus a grace. */
  deadlineMs: number;
  signal?: AbortSignal;
  autoStart: boolean;
  onProgress?: (stage: Progress) => void;
  /** Names the call in error messages, e.g. "__any__.ask on https://chatgpt.com/". */
  label: string;
}

interface Pending {
  socket: WebSocket;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

/** How a connection attempt failed, so the caller can say what to do. */
export class ConnectFailure extends Error {
  constructor(readonly reason: 'nobody-listens' | 'not-an-any-server' | 'other', message: string) {
    super(message);
  }
}

const connections = new Map<number, ServerConnection>();

export function connectionTo(port: number): ServerConnection {
  let connection = connections.get(port);
  if (!connection) connections.set(port, (connection = new ServerConnection(port)));
  return connection;
}

export class ServerConnection {
  readonly #port: number;
  #socket: WebSocket | undefined;
  #opening: Promise<WebSocket> | undefined;
  #nextId = 0;
  readonly #pending = new Map<string, Pending>();
  readonly #send = createBatcher<string>((texts) => this.#socket?.send(frameOf(texts)), queueMicrotask, textLength);

  constructor(port: number) {
    this.#port = port;
  }

  request(request: ConnectionRequest): Promise<unknown> {
    const id = `c${++this.#nextId}`;
    let text: string;
    try {
      text = JSON.stringify({ v: PROTOCOL_VERSION, id, ...request.message });
    } catch (error) {
      return Promise.reject(failure('BAD_REQUEST', `Bad call: params cannot be sent as JSON (${(error as Error).message}).`));
    }
    if (Buffer.byteLength(text) > MAX_CLIENT_MESSAGE_BYTES) {
      return Promise.reject(failure('TOO_LARGE', `The call is larger than the ${MAX_CLIENT_MESSAGE_BYTES} bytes a call may carry; send smaller params.`));
    }

    return new Promise<unknown>((resolve, reject) => {
      let settled = false;
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        request.signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(id);
        outcome();
      };
      const giveUp = (error: AnyError) => {
        if (this.#pending.has(id)) this.#cancel(id);
        finish(() => reject(error));
      };
      const deadline = setTimeout(() => giveUp(failure('TIMEOUT', `The any server on port ${this.#port} did not answer ${request.label} in time.`)), request.deadlineMs);
      const onAbort = () => giveUp(failure('CANCELLED', `The caller cancelled ${request.label}.`));
      if (request.signal?.aborted) return onAbort();
      request.signal?.addEventListener('abort', onAbort, { once: true });

      this.#open(request).then((socket) => {
        if (settled) return;
        this.#pending.set(id, {
          socket,
          resolve: (result) => finish(() => resolve(result)),
          reject: (error) => finish(() => reject(error)),
        });
        this.#send(text);
        request.onProgress?.('sent');
      }, (error: unknown) => finish(() => reject(error)));
    });
  }

  #cancel(id: string): void {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'cancel', id }));
  }

  /** The open socket, connecting (and starting a server, if allowed and needed) first. */
  #open(request: ConnectionRequest): Promise<WebSocket> {
    if (this.#socket?.readyState === WebSocket.OPEN) return Promise.resolve(this.#socket);
    this.#opening ??= (async () => {
      try {
        return await this.#connect();
      } catch (error) {
        if (!(error instanceof ConnectFailure) || error.reason !== 'nobody-listens' || !request.autoStart) throw error;
        request.onProgress?.('starting-server');
        await startServerProcess(this.#port);
        return await this.#connect();
      } finally {
        this.#opening = undefined;
      }
    })();
    return this.#opening;
  }

  #connect(): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${this.#port}/client`, {
        perMessageDeflate: false,
        maxPayload: MAX_ANSWER_BYTES,
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
        // An idle connection must not keep the script running, as an idle keep-alive socket does not.
        createConnection: (options: object) => createConnection(options as NetConnectOpts).unref(),
      });
      socket.once('open', () => {
        socket.removeAllListeners('error');
        socket.on('message', (data) => this.#receive(data.toString()));
        socket.on('close', () => this.#closed(socket));
        socket.on('error', () => {});
        this.#socket = socket;
        resolve(socket);
      });
      socket.once('unexpected-response', (_request, response) => {
        socket.removeAllListeners('error');
        socket.on('error', () => {});
        response.resume();
        reject(new ConnectFailure('not-an-any-server', `port ${this.#port} answered ${response.statusCode} where an any server would open a WebSocket`));
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        reject(new ConnectFailure(error.code === 'ECONNREFUSED' ? 'nobody-listens' : 'other', error.message));
      });
    });
  }

  #receive(text: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    for (const parsed of parseFrame(ServerToClient, frame)) {
      if (!parsed.ok) continue;
      const pending = this.#pending.get(parsed.value.id);
      if (!pending) continue;
      if (parsed.value.error) pending.reject(toAnyError(parsed.value.error));
      else pending.resolve(parsed.value.result);
    }
  }

  /** A socket closed: every call waiting on it fails now, not at its deadline. */
  #closed(socket: WebSocket): void {
    if (this.#socket === socket) this.#socket = undefined;
    for (const pending of [...this.#pending.values()]) {
      if (pending.socket !== socket) continue;
      pending.reject(failure('DISCONNECTED', `Lost the connection to the any server on port ${this.#port} during the call. Call again.`));
    }
  }
}

function failure(code: ErrorShape['code'], message: string): AnyError {
  return toAnyError(errorShape(code, message));
}
