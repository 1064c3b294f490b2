/**
 * The server's call table: the only owner of calls in flight and of the browsers that can
 * run them. Transport-free, so unit tests drive it with a fake link instead of a socket.
 *
 * Every call ends exactly once: with the browser's result, or with a structured error when
 * its deadline passes, its caller cancels, no browser turns up, or its browser goes away and
 * does not come back within the reconnect grace.
 */
import { randomUUID } from 'node:crypto';
import {
  CallFailure,
  DEFAULT_CALL_TIMEOUT_MS,
  HOW_TO_CONNECT_A_BROWSER,
  MAX_PENDING_PROGRESS_BYTES,
  PROTOCOL_VERSION,
  type BrowserInfo,
  type CallRequest,
  type ExtensionProgress,
  type ExtensionResult,
  type ExtensionState,
  type MethodsRequest,
  type ServerCall,
  type ServerCallState,
  type ServerList,
  type ServerToExtension,
} from '../protocol/index.js';

/** One connected browser (its extension's WebSocket), as the dispatcher sees it. */
export interface BrowserLink {
  readonly info: BrowserInfo;
  /** Throws if the link can no longer send. */
  send(message: ServerToExtension): void;
  /** What the extension reports it is doing; undefined if it does not answer within `timeoutMs`. */
  inspect(timeoutMs: number): Promise<ExtensionState | undefined>;
}

/**
 * A method call or a listing of the page's methods, as the server sends it to the browser
 * (less `v`; `timeout` is the whole call's, the browser gets what is left of it).
 */
export type DispatchedCall = Omit<ServerCall, 'v'> | Omit<ServerList, 'v'>;

/**
 * A validated request — `POST /call` or `/methods`, a `/client` message, `server.call()` —
 * as a call to dispatch: a method call when it names a method, a listing otherwise (the
 * listing's schema refuses a `method` field), with the defaults filled in. `id` is the
 * server's own; callers' ids never reach the browser.
 */
export function toDispatchedCall(
  request: CallRequest | (MethodsRequest & { method?: undefined }),
  id: string = randomUUID(),
): DispatchedCall {
  const { page, timeout = DEFAULT_CALL_TIMEOUT_MS } = request;
  return request.method === undefined
    ? { type: 'list', id, page, timeout, ...(request.openTab === false ? { openTab: false } : {}) }
    : { type: 'call', id, page, method: request.method, params: request.params ?? {}, timeout };
}

/** A call in flight, as `GET /status` shows it: waiting for a browser to connect, or handed to one. */
export type CallState = ServerCallState;

export interface DispatcherOptions {
  /** How long a call waits for a browser to connect before failing with NO_BROWSER. */
  browserWaitMs: number;
  /**
   * How long calls survive their browser's socket dropping. A service worker that reconnects
   * within this time (same `workerId`) still delivers their results; otherwise they fail
   * with DISCONNECTED. Short, so a killed browser is reported in seconds, not at the timeout.
   */
  reconnectGraceMs: number;
  /** Named in error messages so users know which server they reached. */
  port: number;
}

interface PendingCall {
  call: DispatchedCall;
  startedAt: number;
  /** The service worker running the call; only it may answer, even over a new socket. */
  workerId: string;
  /** Its current socket; undefined while the worker is reconnecting. */
  link: BrowserLink | undefined;
  resolve: (result: unknown) => void;
  reject: (failure: CallFailure) => void;
  /** Hears the method's progress values, in order, until the call ends. */
  onProgress: ((value: unknown) => void) | undefined;
  deadline: NodeJS.Timeout;
  grace?: NodeJS.Timeout;
  stopListening: () => void;
}

export class CallDispatcher {
  readonly #options: DispatcherOptions;
  /** Connected browsers, oldest first; calls go to the newest. */
  readonly #links: BrowserLink[] = [];
  readonly #pendingCalls = new Map<string, PendingCall>();
  readonly #browserWaiters = new Set<(link: BrowserLink | undefined) => void>();
  /** Calls waiting for a browser, with when they arrived. */
  readonly #waitingCalls = new Map<string, { call: DispatchedCall; startedAt: number }>();
  #closed = false;
  #lastActivityAt = Date.now();

  constructor(options: DispatcherOptions) {
    this.#options = options;
  }

  get browsers(): BrowserInfo[] {
    return this.#links.map((link) => link.info);
  }

  get callsInFlight(): number {
    return this.#pendingCalls.size;
  }

  get calls(): CallState[] {
    const now = Date.now();
    const state = (call: DispatchedCall, startedAt: number, phase: CallState['phase']): CallState =>
      ({ id: call.id, page: call.page, ...(call.type === 'call' ? { method: call.method } : {}), phase, elapsedMs: now - startedAt });
    return [
      ...[...this.#waitingCalls.values()].map(({ call, startedAt }) => state(call, startedAt, 'waiting-for-browser')),
      ...[...this.#pendingCalls.values()].map(({ call, startedAt }) => state(call, startedAt, 'in-browser')),
    ];
  }

  /** No browser, no call, nothing waiting — since `idleSince` (ms since the epoch). */
  get idleSince(): number | undefined {
    const idle = !this.#links.length && !this.#pendingCalls.size && !this.#browserWaiters.size;
    return idle ? this.#lastActivityAt : undefined;
  }

  /** Each connected browser with what it reports it is doing (for `any status`). */
  inspectBrowsers(timeoutMs: number): Promise<{ info: BrowserInfo; state: ExtensionState | undefined }[]> {
    return Promise.all(this.#links.map(async (link) => ({ info: link.info, state: await link.inspect(timeoutMs) })));
  }

  /** A browser said hello. Calls orphaned by the same worker's previous socket are re-adopted. */
  attach(link: BrowserLink): void {
    this.#lastActivityAt = Date.now();
    this.#links.push(link);
    for (const pending of this.#pendingCalls.values()) {
      if (!pending.link && pending.workerId === link.info.workerId) {
        clearTimeout(pending.grace);
        pending.grace = undefined;
        pending.link = link;
      }
    }
    for (const wake of this.#browserWaiters) wake(link);
    this.#browserWaiters.clear();
  }

  /** A browser's socket closed: its calls wait `reconnectGraceMs` for the same worker to return. */
  detach(link: BrowserLink): void {
    this.#lastActivityAt = Date.now();
    const index = this.#links.indexOf(link);
    if (index >= 0) this.#links.splice(index, 1);
    // The worker may have reconnected before its old socket's close was seen: its calls live on there.
    const successor = this.#links.find((other) => other.info.workerId === link.info.workerId);
    for (const pending of this.#pendingCalls.values()) {
      if (pending.link !== link) continue;
      pending.link = successor;
      if (successor) continue;
      pending.grace = setTimeout(() => {
        this.#fail(pending.call.id, CallFailure.of('DISCONNECTED',
          `The browser disconnected while ${describe(pending.call)} was running, and did not come back ` +
          `within ${this.#options.reconnectGraceMs} ms, so its result is lost. ` +
          'Calls work again once a browser connects (the extension retries every second).'));
      }, this.#options.reconnectGraceMs);
    }
  }

  /** A `result` message arrived from `link`; only the browser that holds the call may answer it. */
  receive(link: BrowserLink, message: ExtensionResult): void {
    const pending = this.#pendingCalls.get(message.id);
    if (!pending || pending.workerId !== link.info.workerId) return;
    if (message.error) this.#fail(message.id, new CallFailure(message.error));
    else this.#settle(message.id)?.resolve(message.result);
  }

  /** A `progress` message arrived from `link`: told to the caller, if the call still runs there. */
  receiveProgress(link: BrowserLink, message: ExtensionProgress): void {
    const pending = this.#pendingCalls.get(message.id);
    if (!pending || pending.workerId !== link.info.workerId) return;
    pending.onProgress?.(message.progress);
  }

  /** `link` sent a result for call `id` that broke the protocol: fail that call rather than let it hang. */
  receiveInvalid(link: BrowserLink, id: string, problem: string): void {
    const pending = this.#pendingCalls.get(id);
    if (!pending || pending.workerId !== link.info.workerId) return;
    this.#fail(id, CallFailure.of('INTERNAL',
      `The extension answered ${describe(pending.call)} with a malformed message (${problem}). ` +
      `Reload the extension from the folder printed by \`npx any extension\` so that it matches this server (${link.info.extensionVersion} connected).`));
  }

  /** Runs `call` in the newest connected browser, waiting for one if none is connected yet. */
  /**
   * `signal` cancels the call (its reason, when a CallFailure, is the error the caller gets);
   * `onProgress` hears the method's progress values.
   */
  async dispatch(call: DispatchedCall, signal?: AbortSignal, onProgress?: (value: unknown) => void): Promise<unknown> {
    if (this.#closed) throw CallFailure.of('DISCONNECTED', 'The any server is shutting down; call again to start a new one.');
    const startedAt = Date.now();
    this.#lastActivityAt = startedAt;
    let link = this.#links.at(-1);
    if (!link) {
      this.#waitingCalls.set(call.id, { call, startedAt });
      try {
        link = await this.#waitForBrowser(Math.min(this.#options.browserWaitMs, call.timeout), signal);
      } finally {
        this.#waitingCalls.delete(call.id);
      }
    }
    const browser = link;
    const timeout = call.timeout - (Date.now() - startedAt);
    if (timeout <= 0) throw timeoutFailure(call);

    return new Promise<unknown>((resolve, reject) => {
      const onAbort = () => this.#cancel(call.id, 'CANCELLED', signal?.reason instanceof CallFailure
        ? signal.reason
        : CallFailure.of('CANCELLED', `The caller cancelled ${describe(call)}.`));
      signal?.addEventListener('abort', onAbort, { once: true });
      const pending: PendingCall = {
        call,
        startedAt,
        workerId: browser.info.workerId,
        link: browser,
        resolve,
        reject,
        onProgress,
        deadline: setTimeout(() => this.#cancel(call.id, 'TIMEOUT', timeoutFailure(call)), timeout),
        stopListening: () => signal?.removeEventListener('abort', onAbort),
      };
      this.#pendingCalls.set(call.id, pending);
      if (signal?.aborted) return onAbort();
      try {
        browser.send(call.type === 'list'
          ? { v: PROTOCOL_VERSION, type: 'list', id: call.id, page: call.page, timeout, ...(call.openTab === false ? { openTab: false } : {}) }
          : { v: PROTOCOL_VERSION, type: 'call', id: call.id, page: call.page, method: call.method, params: call.params, timeout });
      } catch (error) {
        this.#fail(call.id, error instanceof CallFailure
          ? error
          : CallFailure.of('DISCONNECTED', `The browser disconnected before ${describe(call)} could be sent; call again.`));
      }
    });
  }

  /** Ends every call and wait: the server is going away. */
  close(): void {
    this.#closed = true;
    for (const id of [...this.#pendingCalls.keys()]) {
      this.#fail(id, CallFailure.of('DISCONNECTED', 'The any server shut down while the call was running; call again to start a new one.'));
    }
    for (const wake of this.#browserWaiters) wake(undefined);
    this.#browserWaiters.clear();
  }

  #waitForBrowser(waitMs: number, signal?: AbortSignal): Promise<BrowserLink> {
    return new Promise((resolve, reject) => {
      const done = (link: BrowserLink | undefined, failure?: CallFailure) => {
        clearTimeout(timer);
        this.#lastActivityAt = Date.now();
        this.#browserWaiters.delete(done);
        signal?.removeEventListener('abort', onAbort);
        if (link) resolve(link);
        else reject(failure ?? CallFailure.of('DISCONNECTED', 'The any server shut down before a browser connected.'));
      };
      const onAbort = () => done(undefined, CallFailure.of('CANCELLED', 'The caller cancelled the call while it waited for a browser.'));
      const timer = setTimeout(() => done(undefined, CallFailure.of('NO_BROWSER',
        `No browser is connected to the any server on port ${this.#options.port} (waited ${waitMs} ms). ${HOW_TO_CONNECT_A_BROWSER}`)), waitMs);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#browserWaiters.add(done);
    });
  }

  /** The caller stopped waiting: answer it now and tell the browser to stop working on the call. */
  #cancel(id: string, reason: 'TIMEOUT' | 'CANCELLED', failure: CallFailure): void {
    const link = this.#pendingCalls.get(id)?.link;
    this.#fail(id, failure);
    try {
      link?.send({ v: PROTOCOL_VERSION, type: 'cancel', id, reason });
    } catch {
      // The socket is gone; the worker drops its calls when its socket closes.
    }
  }

  #fail(id: string, failure: CallFailure): void {
    this.#settle(id)?.reject(failure);
  }

  #settle(id: string): PendingCall | undefined {
    const pending = this.#pendingCalls.get(id);
    if (!pending) return undefined;
    this.#pendingCalls.delete(id);
    this.#lastActivityAt = Date.now();
    clearTimeout(pending.deadline);
    clearTimeout(pending.grace);
    pending.stopListening();
    return pending;
  }
}

function describe(call: DispatchedCall): string {
  return call.type === 'list' ? `listing the methods of ${call.page}` : `__any__.${call.method} on ${call.page}`;
}

/**
 * Why a call ends when its caller lets more than MAX_PENDING_PROGRESS_BYTES of progress wait:
 * the reason a door aborts the call's signal with (HTTP NDJSON, `/client`).
 */
export function slowReaderFailure(): CallFailure {
  return CallFailure.of('CANCELLED', 'The caller did not read the progress of its call fast enough: more than ' +
    `${MAX_PENDING_PROGRESS_BYTES} bytes were waiting for it. Read progress as it comes, or send less of it.`);
}

function timeoutFailure(call: DispatchedCall): CallFailure {
  return CallFailure.of('TIMEOUT',
    `${describe(call)} did not answer within ${call.timeout} ms. If the method needs longer, pass a larger ` +
    'timeout (the "timeout" field over HTTP, --timeout on the CLI, { timeout } in the client).');
}
