/**
 * The client's one WebSocket to the any server on a port (`/client`), shared by every call this
 * process makes to that port. It keeps a table of pending calls and fails each with a clear
 * error as soon as it cannot be answered — its socket closed, or the server answered it with a
 * message this client cannot read (a server of another version) — so nothing hangs until its
 * deadline; every call is bounded by its deadline and its signal from the moment it is made,
 * connecting (and starting a server) included. Calls made in the same turn leave in one frame.
 * It never keeps a script alive by itself: its socket is unref'd, and only a call in flight (its
 * deadline timer) holds the process open.
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
  | { type: 'call'; page: string; method: string; params?: Record<string, unknown>; timeout?: number; browser?: string }
  | { type: 'list'; page: string; timeout?: number; browser?: string; openTab?: boolean };

export interface ConnectionRequest {
  message: OutgoingCall;
  /** Gives up this long after the call is made: the server's own deadline, plus a grace. */
  deadlineMs: number;
  signal?: AbortSignal;
  /** May this call start a server when none answers? (See `Attempt` for calls that share one.) */
  autoStart: boolean;
  /** A callback that throws fails its own call with what it threw, and no other call. */
  onStage?: (stage: Progress) => void;
  /** Hears the method's progress values, in order; one that throws fails its own call with what it threw. */
  onProgress?: (value: unknown) => void;
  /** Names the call in error messages, e.g. "__any__.ask on https://chatgpt.com/". */
  label: string;
}

/** Starts a server on the port and resolves once it is ready; `startServerProcess` by default. */
export type ServerStarter = (port: number) => Promise<void>;

interface Pending {
  socket: WebSocket;
  label: string;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  progress: (value: unknown) => void;
}

/** A call waiting for the socket, as the connection attempt it shares sees it. */
interface Sharer {
  autoStart: boolean;
  /** Tells the call that a server is being started for it. */
  serverStarting: () => void;
}

/** What a connection attempt knows while it runs: the calls waiting on it, and whether it is starting a server. */
interface AttemptState {
  readonly sharers: Set<Sharer>;
  startingServer: boolean;
}

/**
 * One attempt to connect, shared by every call that needs the socket while it runs — each with
 * its own options. When nobody listens on the port, the attempt starts a server if at least one
 * of the calls still waiting on it allows that (`autoStart`); then every call waiting on it waits
 * for that server and is told 'starting-server', including calls that join while it starts. A
 * call with `autoStart: false` thus never causes a start, and is not failed for having raced one
 * that another call of this process makes: it fails with NO_SERVER only when no server answers
 * and none is being started.
 */
interface Attempt extends AttemptState {
  readonly socket: Promise<WebSocket>;
}

/** How a connection attempt failed, so the caller can say what to do. */
export class ConnectFailure extends Error {
  constructor(readonly reason: 'nobody-listens' | 'start-failed' | 'not-an-any-server' | 'other', message: string) {
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
  readonly #startServer: ServerStarter;
  #socket: WebSocket | undefined;
  #attempt: Attempt | undefined;
  #nextId = 0;
  readonly #pending = new Map<string, Pending>();
  /** What was wrong with a message from this socket that named no call waiting for an answer. */
  readonly #unreadable = new WeakMap<WebSocket, string>();
  readonly #send = createBatcher<string>((texts) => this.#socket?.send(frameOf(texts)), queueMicrotask, textLength);

  constructor(port: number, startServer: ServerStarter = startServerProcess) {
    this.#port = port;
    this.#startServer = startServer;
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
      let leave = () => {};
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        request.signal?.removeEventListener('abort', onAbort);
        leave();
        this.#pending.delete(id);
        outcome();
      };
      const giveUp = (error: Error) => {
        if (this.#pending.has(id)) this.#cancel(id);
        finish(() => reject(error));
      };
      /** Runs a callback of the caller's: one that throws fails this call with what it threw. */
      const guarded = (callback: () => void) => {
        if (settled) return;
        try {
          callback();
        } catch (error) {
          giveUp(error instanceof Error ? error : new Error(String(error)));
        }
      };
      const tell = (stage: Progress) => guarded(() => request.onStage?.(stage));
      const onTimeout = () => {
        const socket = this.#pending.get(id)?.socket;
        const problem = socket && this.#unreadable.get(socket);
        giveUp(failure('TIMEOUT', `The any server on port ${this.#port} did not answer ${request.label} in time.` +
          (problem ? ` It did send a message this client cannot read (${problem}): ${this.#mismatchAdvice()}` : '')));
      };
      const deadline = setTimeout(onTimeout, request.deadlineMs);
      const onAbort = () => giveUp(failure('CANCELLED', `The caller cancelled ${request.label}.`));
      if (request.signal?.aborted) return onAbort();
      request.signal?.addEventListener('abort', onAbort, { once: true });

      const opened = this.#open({ autoStart: request.autoStart, serverStarting: () => tell('starting-server') });
      leave = opened.leave;
      opened.socket.then((socket) => {
        if (settled) return;
        this.#pending.set(id, {
          socket,
          label: request.label,
          resolve: (result) => finish(() => resolve(result)),
          reject: (error) => finish(() => reject(error)),
          progress: (value) => guarded(() => request.onProgress?.(value)),
        });
        this.#send(text);
        tell('sent');
      }, (error: unknown) => finish(() => reject(error)));
    });
  }

  #cancel(id: string): void {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'cancel', id }));
  }

  /**
   * The open socket, or the connection attempt under way (begun if none is), with `sharer` among
   * the calls it decides for until `leave()`.
   */
  #open(sharer: Sharer): { socket: Promise<WebSocket>; leave: () => void } {
    if (this.#socket?.readyState === WebSocket.OPEN) return { socket: Promise.resolve(this.#socket), leave: () => {} };
    const attempt = (this.#attempt ??= this.#attemptToConnect());
    attempt.sharers.add(sharer);
    if (attempt.startingServer) sharer.serverStarting();
    return { socket: attempt.socket, leave: () => attempt.sharers.delete(sharer) };
  }

  #attemptToConnect(): Attempt {
    const state: AttemptState = { sharers: new Set(), startingServer: false };
    return Object.assign(state, { socket: this.#connectOrStart(state) });
  }

  async #connectOrStart(attempt: AttemptState): Promise<WebSocket> {
    try {
      try {
        return await this.#connect();
      } catch (error) {
        // Decided when the port refuses the connection, by the calls waiting then (see `Attempt`).
        const mayStart = [...attempt.sharers].some((sharer) => sharer.autoStart);
        if (!(error instanceof ConnectFailure) || error.reason !== 'nobody-listens' || !mayStart) throw error;
      }
      attempt.startingServer = true;
      for (const sharer of [...attempt.sharers]) sharer.serverStarting();
      try {
        await this.#startServer(this.#port);
      } catch (error) {
        throw new ConnectFailure('start-failed', (error as Error).message);
      }
      try {
        return await this.#connect();
      } catch (error) {
        if (!(error instanceof ConnectFailure) || error.reason !== 'nobody-listens') throw error;
        throw new ConnectFailure('start-failed', `the one started did not take the connection (${error.message})`);
      }
    } finally {
      if (this.#attempt === attempt) this.#attempt = undefined;
    }
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
        socket.on('message', (data, isBinary) => this.#receive(socket, data, isBinary));
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

  #receive(socket: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
    let frame: unknown;
    try {
      if (isBinary) throw new Error('a binary frame, where any sends JSON text');
      frame = JSON.parse(data.toString());
    } catch (error) {
      return this.#unreadableFrame(socket, (error as Error).message);
    }
    const messages: unknown[] = Array.isArray(frame) ? frame : [frame];
    const parsed = parseFrame(ServerToClient, frame);
    parsed.forEach((outcome, index) => {
      if (outcome.ok) {
        const pending = this.#pending.get(outcome.value.id);
        if (!pending) return; // answers a call its caller gave up on
        const message = outcome.value;
        if (message.type === 'progress') pending.progress(message.progress);
        else if (message.error) pending.reject(toAnyError(message.error));
        else pending.resolve(message.result);
        return;
      }
      // A message this client cannot read fails the call it names now, not at its deadline. (A
      // frame refused as a whole, with too many messages, names every call in it.)
      let named = false;
      for (const message of parsed.length === messages.length ? [messages[index]] : messages) {
        const id = (message as { id?: unknown } | null)?.id;
        const pending = typeof id === 'string' ? this.#pending.get(id) : undefined;
        if (pending?.socket !== socket) continue;
        named = true;
        pending.reject(failure('INTERNAL', `The any server on port ${this.#port} answered ${pending.label} with a message this client ` +
          `cannot read (${outcome.problem}). ${this.#mismatchAdvice()}`));
      }
      if (!named) this.#unreadable.set(socket, outcome.problem);
    });
  }

  /** A frame that is not JSON names no call for sure: every call on its socket fails, and the socket closes. */
  #unreadableFrame(socket: WebSocket, problem: string): void {
    if (this.#socket === socket) this.#socket = undefined;
    for (const pending of [...this.#pending.values()]) {
      if (pending.socket !== socket) continue;
      pending.reject(failure('INTERNAL', `The any server on port ${this.#port} sent a frame that is not JSON (${problem}), so the ` +
        `answer to ${pending.label} cannot be read. ${this.#mismatchAdvice()}`));
    }
    socket.close(1007, 'expected JSON text frames');
  }

  #mismatchAdvice(): string {
    return 'The client and the server must be the same version of any: update any, then restart the server so that they match ' +
      `(\`npx any stop --port ${this.#port}\`; the next call starts a new one).`;
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
