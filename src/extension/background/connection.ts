/**
 * The one WebSocket to the any server, and its only owner. Every trigger (worker start,
 * install, browser start, the backstop alarm, a closed socket) calls `ensureConnected()`,
 * which does nothing while an attempt is under way or a socket is open: never a second socket.
 *
 * An attempt first asks `GET /health` (`probe`, with fetch), and opens the WebSocket only once
 * the server answers. Chromium throttles WebSockets per renderer process after failed handshakes
 * (up to 1–5 s before each new one is even tried), so knocking with WebSockets while the server
 * is down would make the reconnect slow exactly when it matters; fetch is not throttled.
 *
 * MV3 stops an idle background about 30 s after its last event, and takes its timers with it.
 * Two things keep it alive (both measured, see docs/lifecycle.md):
 *   - connected: every 20 s, an application message (Chromium counts WebSocket messages, not
 *     ping frames) and an extension API call (`keepAwake`: Firefox's event page counts only
 *     extension activity, and without it is suspended 30 s after its start, socket and all);
 *   - disconnected: the fixed 1 s retry makes an extension API call each time (`keepAwake`).
 */
import { createBatcher, frameOf, parseFrame, textLength } from '../../protocol/batching.js';
import { PROTOCOL_VERSION, ServerToExtension } from '../../protocol/messages.js';
import { SOCKET_CONNECTING, SOCKET_OPEN, type BrowserIdentity, type Clock, type ServerAccess, type SocketLike } from './outside-world.js';

export const RETRY_INTERVAL_MS = 1_000; // the user's decision: fixed, no backoff
export const KEEP_ALIVE_INTERVAL_MS = 20_000;
/** A socket opened before the server listens can stay CONNECTING with no close event. */
export const CONNECT_TIMEOUT_MS = 3_000;
/** Messages kept while disconnected, for the server to receive after a reconnect; the oldest go first. */
export const OUTBOX_LIMIT = 1_000;

/**
 * `weight`: about how much text the message took in its frame (the frame's length over its
 * messages), so that what it leads to is batched by size too.
 */
export type ServerMessageHandler = (message: ServerToExtension, weight: number) => void;

export interface ConnectionOptions {
  server: ServerAccess;
  clock: Clock;
  /** Fresh per service-worker life: the server keeps a worker's calls across its reconnects. */
  workerId: string;
  onMessage: ServerMessageHandler;
  /** The hello is sent and the outbox flushed: what the server must hear from each connection goes now. */
  onConnected?: () => void;
  log?: (line: string) => void;
}

export class ServerConnection {
  readonly #options: ConnectionOptions;
  /** Whether an attempt is under way: true from the probe until its socket closes. */
  #attempting = false;
  #socket: SocketLike | undefined;
  #cancelRetry: (() => void) | undefined;
  #cancelKeepAlive: (() => void) | undefined;
  /** Messages that wait for an open socket; `send` on a CONNECTING socket throws and loses them. */
  readonly #outbox: string[] = [];
  /**
   * Sends as soon as this turn of the worker's work is done — messages of the same turn in one
   * frame — if the socket is open; otherwise as soon as it is (after the next hello).
   */
  readonly send: (text: string) => void;

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.send = createBatcher<string>((texts) => {
      if (this.#socket?.readyState === SOCKET_OPEN) return this.#socket.send(frameOf(texts));
      this.#outbox.push(...texts);
      if (this.#outbox.length > OUTBOX_LIMIT) this.#outbox.splice(0, this.#outbox.length - OUTBOX_LIMIT);
      this.ensureConnected();
    }, queueMicrotask, textLength);
  }

  get connected(): boolean {
    return this.#socket?.readyState === SOCKET_OPEN;
  }

  ensureConnected(): void {
    if (this.#attempting) return;
    this.#attempting = true;
    this.#cancelRetry?.();
    this.#cancelRetry = undefined;
    const { server } = this.#options;
    server.probe().then(() => server.describe()).then((identity) => this.#openSocket(identity), () => this.#endAttempt());
  }

  #openSocket(identity: BrowserIdentity): void {
    let opened: SocketLike;
    try {
      opened = this.#options.server.openSocket();
    } catch {
      return this.#endAttempt();
    }
    const { clock } = this.#options;
    this.#socket = opened;
    const cancelConnectTimer = clock.setTimeout(() => {
      if (opened.readyState === SOCKET_CONNECTING) close();
    }, CONNECT_TIMEOUT_MS);
    const close = () => {
      if (this.#socket !== opened) return;
      cancelConnectTimer();
      this.#cancelKeepAlive?.();
      this.#socket = undefined;
      opened.onopen = opened.onmessage = opened.onclose = opened.onerror = null;
      if (opened.readyState <= SOCKET_OPEN) opened.close();
      this.#endAttempt();
    };
    opened.onopen = () => {
      cancelConnectTimer();
      opened.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'hello', id: crypto.randomUUID(), workerId: this.#options.workerId, ...identity }));
      for (const text of this.#outbox.splice(0)) this.send(text); // batched again, by count and size
      this.#keepAlive(opened);
      this.#options.onConnected?.();
    };
    opened.onmessage = (event) => this.#receive(event.data);
    opened.onclose = close;
    opened.onerror = close;
  }

  #keepAlive(socket: SocketLike): void {
    this.#cancelKeepAlive = this.#options.clock.setTimeout(() => {
      if (this.#socket !== socket) return;
      this.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'ping', id: crypto.randomUUID() }));
      this.#options.server.keepAwake();
      this.#keepAlive(socket);
    }, KEEP_ALIVE_INTERVAL_MS);
  }

  #receive(data: unknown): void {
    const log = this.#options.log ?? (() => {});
    if (typeof data !== 'string') return log('any: ignored a binary frame from the server');
    let frame: unknown;
    try {
      frame = JSON.parse(data);
    } catch {
      return log('any: ignored a frame from the server that is not JSON');
    }
    const messages = parseFrame(ServerToExtension, frame);
    const weight = data.length / messages.length;
    for (const parsed of messages) {
      if (parsed.ok) this.#options.onMessage(parsed.value, weight);
      else log(`any: ignored an invalid message from the server: ${parsed.problem}`);
    }
  }

  /** The attempt failed or its socket closed: try again in a second, for as long as it takes. */
  #endAttempt(): void {
    this.#attempting = false;
    if (this.#cancelRetry) return;
    this.#cancelRetry = this.#options.clock.setTimeout(() => {
      this.#cancelRetry = undefined;
      this.#options.server.keepAwake();
      this.ensureConnected();
    }, RETRY_INTERVAL_MS);
  }
}
