/**
 * The client's one WebSocket to the any server on a port (`/client`), shared by every call this
 * process makes to that port. It keeps a table of pending calls and rejects all of them with a
 * clear error when it closes, so nothing hangs; calls made in the same turn leave in one frame.
 * It never keeps a script alive by itself: the socket is unref'd, and only a call in flight
 * (its deadline timer) holds the process open.
 */
import WebSocket from 'ws';
import {
  createBatcher,
  errorShape,
  frameOf,
  MAX_RESULT_CHARS,
  parseFrame,
  PROTOCOL_VERSION,
  ServerToClient,
  type ErrorShape,
} from '../protocol/index.js';
import { startServerProcess } from './autostart.js';
import { AnyError, toAnyError } from './errors.js';

/** Answers carry results of up to MAX_RESULT_CHARS characters (3 bytes each at most in UTF-8). */
const MAX_ANSWER_BYTES = 3 * MAX_RESULT_CHARS + 1024 * 1024;
/** A single message larger than this leaves on its own instead of joining a batch. */
const BATCH_ONLY_BELOW_CHARS = 1024 * 1024;

export type Progress = 'starting-server' | 'sent';

/** A call or a method listing, as the client sends it; the connection adds `v` and an `id`. */
export type OutgoingCall =
  | { type: 'call'; page: string; method: string; params?: Record<string, unknown>; timeout?: number }
  | { type: 'list'; page: string; timeout?: number };

export interface ConnectionRequest {
  message: OutgoingCall;
  /** Gives up this long after sending: the server's own deadline, plus a grace. */
  deadlineMs: number;
  signal?: AbortSignal;
  autoStart: boolean;
  onProgress?: (stage: Progress) => void;
  /** Names the call in error messages, e.g. "__any__.ask on https://chatgpt.com/". */
  label: string;
}

interface Pending {
  resolve: (result: unknown) => void;
  reject: (error: AnyError) => void;
  done: () => void;
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
  readonly #send = createBatcher<string>((texts) => this.#socket?.send(frameOf(texts)), queueMicrotask);

  constructor(port: number) {
    this.#port = port;
  }

  async request(request: ConnectionRequest): Promise<unknown> {
    if (request.signal?.aborted) throw cancelled(request.label);
    const socket = await this.#open(request);
    if (request.signal?.aborted) throw cancelled(request.label);
    const id = `c${++this.#nextId}`;
    const text = JSON.stringify({ v: PROTOCOL_VERSION, id, ...request.message });

    return new Promise<unknown>((resolve, reject) => {
      const deadline = setTimeout(() => {
        this.#cancel(id);
        settle()?.reject(failure('TIMEOUT', `The any server on port ${this.#port} did not answer ${request.label} in time.`));
      }, request.deadlineMs);
      const onAbort = () => {
        this.#cancel(id);
        settle()?.reject(cancelled(request.label));
      };
      request.signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => {
        const pending = this.#pending.get(id);
        if (!pending) return undefined;
        this.#pending.delete(id);
        pending.done();
        return pending;
      };
      this.#pending.set(id, {
        resolve,
        reject,
        done: () => {
          clearTimeout(deadline);
          request.signal?.removeEventListener('abort', onAbort);
        },
      });
      if (text.length > BATCH_ONLY_BELOW_CHARS) socket.send(text);
      else this.#send(text);
      request.onProgress?.('sent');
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
      const socket = new WebSocket(`ws://127.0.0.1:${this.#port}/client`, { perMessageDeflate: false, maxPayload: MAX_ANSWER_BYTES });
      socket.once('open', () => {
        socket.removeAllListeners('error');
        // An idle connection must not keep the script running (like an idle keep-alive socket).
        (socket as unknown as { _socket?: { unref(): void } })._socket?.unref();
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
      this.#pending.delete(parsed.value.id);
      pending.done();
      if (parsed.value.error) pending.reject(toAnyError(parsed.value.error));
      else pending.resolve(parsed.value.result);
    }
  }

  /** The server went away: every call waiting on this socket fails now, not at its deadline. */
  #closed(socket: WebSocket): void {
    if (this.#socket !== socket) return;
    this.#socket = undefined;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const call of pending) {
      call.done();
      call.reject(failure('DISCONNECTED', `Lost the connection to the any server on port ${this.#port} during the call. Call again.`));
    }
  }
}

function cancelled(label: string): AnyError {
  return failure('CANCELLED', `The caller cancelled ${label}.`);
}

function failure(code: ErrorShape['code'], message: string): AnyError {
  return toAnyError(errorShape(code, message));
}
