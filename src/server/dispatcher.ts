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
  MAX_PENDING_PROGRESS_BYTES,
  PROTOCOL_VERSION,
  type BrowserInfo,
  type CallRequest,
  type ExtensionProgress,
  type ExtensionResult,
  type ExtensionState,
  type ExtensionTabs,
  type LaunchStateReport,
  type MethodsRequest,
  type ServerCall,
  type ServerCallState,
  type ServerList,
  type ServerToExtension,
} from '../protocol/index.js';
import { Browsers, type BrowserLink, type KnownBrowser, type Route } from './browsers.js';
import { Launches } from './launches.js';

export type { BrowserLink } from './browsers.js';

/**
 * A method call or a listing of the page's methods, as the server sends it to the browser
 * (less `v`; `timeout` is the whole call's, the browser gets what is left of it), and the
 * browser the caller named, if any.
 */
export type DispatchedCall = (Omit<ServerCall, 'v'> | Omit<ServerList, 'v'>) & { browser?: string };

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
  const browser = request.browser === undefined ? {} : { browser: request.browser };
  return request.method === undefined
    ? { type: 'list', id, page, timeout, ...(request.openTab === false ? { openTab: false } : {}), ...browser }
    : { type: 'call', id, page, method: request.method, params: request.params ?? {}, timeout, ...browser };
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
  /** The browser running it, and why it went there. */
  browser: KnownBrowser;
  route: Route;
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

/** A call waiting for a browser to connect: the one it names, or any. */
interface BrowserWaiter {
  name: string | undefined;
  wake(browser: KnownBrowser | undefined): void;
  /** A launch reported on itself: wait on while one still starts, or, if the one waited for gave up, end now with its explanation. */
  launchesChanged(gaveUp: boolean): void;
}

export class CallDispatcher {
  readonly #options: DispatcherOptions;
  readonly #browsers: Browsers;
  readonly #launches = new Launches();
  readonly #pendingCalls = new Map<string, PendingCall>();
  readonly #browserWaiters = new Set<BrowserWaiter>();
  /** Calls waiting for a browser, with when they arrived and the browser they wait for. */
  readonly #waitingCalls = new Map<string, { call: DispatchedCall; startedAt: number; route: Route }>();
  #closed = false;
  #lastActivityAt = Date.now();

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.#browsers = new Browsers(options, this.#launches);
  }

  /** The connected browsers, the default first. */
  get browsers(): BrowserInfo[] {
    return this.#browsers.connected.flatMap((browser) => this.#browsers.info(browser) ?? []);
  }

  get callsInFlight(): number {
    return this.#pendingCalls.size;
  }

  get calls(): CallState[] {
    const now = Date.now();
    const state = (call: DispatchedCall, startedAt: number, phase: CallState['phase'], route: Route, browser: string | undefined): CallState => ({
      id: call.id, page: call.page, ...(call.type === 'call' ? { method: call.method } : {}), phase,
      ...(browser === undefined ? {} : { browser }), route, elapsedMs: now - startedAt,
    });
    return [
      ...[...this.#waitingCalls.values()].map(({ call, startedAt, route }) => state(call, startedAt, 'waiting-for-browser', route, call.browser)),
      ...[...this.#pendingCalls.values()].map(({ call, startedAt, route, browser }) => state(call, startedAt, 'in-browser', route, browser.name)),
    ];
  }

  /** No browser, no call, nothing waiting — since `idleSince` (ms since the epoch). */
  get idleSince(): number | undefined {
    const idle = !this.#browsers.connected.length && !this.#pendingCalls.size && !this.#browserWaiters.size;
    return idle ? this.#lastActivityAt : undefined;
  }

  /** Each connected browser with what it reports it is doing (for `any status`). */
  inspectBrowsers(timeoutMs: number): Promise<{ info: BrowserInfo; state: ExtensionState | undefined }[]> {
    return Promise.all(this.#browsers.connected.flatMap((browser) => {
      const info = this.#browsers.info(browser);
      return info && browser.link ? [browser.link.inspect(timeoutMs).then((state) => ({ info, state }))] : [];
    }));
  }

  /**
   * A browser said hello; the name it goes by here is returned. Calls orphaned by the same
   * worker's previous socket are re-adopted, and calls waiting for it (or for any browser) go on.
   */
  attach(link: BrowserLink): string {
    this.#lastActivityAt = Date.now();
    const browser = this.#browsers.attach(link);
    this.#launches.connected(link.hello.installId);
    for (const pending of this.#pendingCalls.values()) {
      if (!pending.link && pending.workerId === link.hello.workerId) {
        clearTimeout(pending.grace);
        pending.grace = undefined;
        pending.link = link;
      }
    }
    for (const waiter of this.#browserWaiters) {
      if (waiter.name === undefined || waiter.name === browser.name) waiter.wake(browser);
    }
    return browser.name;
  }

  /**
   * `any launch` reports on the browser it started (`POST /launch`): calls waiting for a browser
   * wait for one still starting, and those that waited for one that gave up end now, saying why.
   */
  reportLaunch(report: LaunchStateReport): void {
    this.#launches.report(report, Date.now());
    const name = report.state === 'closed' ? undefined : report.name;
    for (const waiter of [...this.#browserWaiters]) {
      waiter.launchesChanged(report.state === 'failed' && (waiter.name === undefined || waiter.name === name));
    }
  }

  /**
   * The launch that started the managed browser `installId` is closing it (`POST /launch`,
   * `closing`): its extension is asked to close every window, so the browser quits as when its
   * user closes it. Never an everyday browser. Whether a browser was told.
   */
  closeManagedBrowser(installId: string): boolean {
    const link = this.#browsers.connected.find((browser) => browser.installId === installId && browser.kind === 'managed')?.link;
    if (!link) return false;
    try {
      link.send({ v: PROTOCOL_VERSION, type: 'close', id: randomUUID() });
      return true;
    } catch {
      return false; // its socket is closing: the launch ends it the other way
    }
  }

  /** A browser's socket closed: its calls wait `reconnectGraceMs` for the same worker to return. */
  detach(link: BrowserLink): void {
    this.#lastActivityAt = Date.now();
    this.#browsers.detach(link);
    // The worker may have reconnected before its old socket's close was seen: its calls live on there.
    const successor = this.#browsers.connected.find((other) => other.link!.hello.workerId === link.hello.workerId)?.link;
    for (const pending of this.#pendingCalls.values()) {
      if (pending.link !== link) continue;
      pending.link = successor;
      if (successor) continue;
      pending.grace = setTimeout(() => {
        this.#fail(pending.call.id, CallFailure.of('DISCONNECTED',
          `The browser "${pending.browser.name}" disconnected while ${describe(pending.call)} was running, and did not come back ` +
          `within ${this.#options.reconnectGraceMs} ms, so its result is lost. ` +
          'Calls work again once a browser connects (the extension retries every second).'));
      }, this.#options.reconnectGraceMs);
    }
  }

  /** `link`'s browser reported the tabs it has open: calls for their pages are routed there. */
  receiveTabs(link: BrowserLink, message: ExtensionTabs): void {
    this.#browsers.reportTabs(link, message.tabs);
  }

  /** A `result` message arrived from `link`; only the browser that holds the call may answer it. */
  receive(link: BrowserLink, message: ExtensionResult): void {
    const pending = this.#pendingCalls.get(message.id);
    if (!pending || pending.workerId !== link.hello.workerId) return;
    if (message.error) this.#fail(message.id, new CallFailure(message.error));
    else this.#settle(message.id)?.resolve(message.result);
  }

  /** A `progress` message arrived from `link`: told to the caller, if the call still runs there. */
  receiveProgress(link: BrowserLink, message: ExtensionProgress): void {
    const pending = this.#pendingCalls.get(message.id);
    if (!pending || pending.workerId !== link.hello.workerId) return;
    pending.onProgress?.(message.progress);
  }

  /** `link` sent a result for call `id` that broke the protocol: fail that call rather than let it hang. */
  receiveInvalid(link: BrowserLink, id: string, problem: string): void {
    const pending = this.#pendingCalls.get(id);
    if (!pending || pending.workerId !== link.hello.workerId) return;
    this.#fail(id, CallFailure.of('INTERNAL',
      `The extension answered ${describe(pending.call)} with a malformed message (${problem}). ` +
      `Reload the extension from the folder printed by \`npx any extension\` so that it matches this server (${link.hello.extensionVersion} connected).`));
  }

  /**
   * Runs `call` in the browser its routing picks (browsers.ts), waiting for it when it is not
   * connected yet. `signal` cancels the call (its reason, when a CallFailure, is the error the
   * caller gets); `onProgress` hears the method's progress values.
   */
  async dispatch(call: DispatchedCall, signal?: AbortSignal, onProgress?: (value: unknown) => void): Promise<unknown> {
    if (this.#closed) throw CallFailure.of('DISCONNECTED', 'The any server is shutting down; call again to start a new one.');
    const startedAt = Date.now();
    this.#lastActivityAt = startedAt;
    const routing = this.#browsers.route(call.page, call.browser);
    if ('failure' in routing) throw routing.failure;
    let browser: KnownBrowser;
    let { route } = routing;
    if ('to' in routing) {
      browser = routing.to;
    } else {
      this.#waitingCalls.set(call.id, { call, startedAt, route });
      try {
        browser = await this.#waitForBrowser(call.browser, routing.waitMs, call.timeout, signal);
      } finally {
        this.#waitingCalls.delete(call.id);
      }
    }
    const link = browser.link!;
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
        browser,
        route,
        workerId: link.hello.workerId,
        link,
        resolve,
        reject,
        onProgress,
        deadline: setTimeout(() => this.#cancel(call.id, 'TIMEOUT', timeoutFailure(call)), timeout),
        stopListening: () => signal?.removeEventListener('abort', onAbort),
      };
      this.#pendingCalls.set(call.id, pending);
      browser.callsInFlight++;
      if (signal?.aborted) return onAbort();
      try {
        link.send(call.type === 'list'
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
    for (const waiter of [...this.#browserWaiters]) waiter.wake(undefined);
  }

  /**
   * Waits for the browser named `name` (any browser, when undefined) to connect: `waitMs`, or as
   * long as a launch of such a browser still may connect it, but never past the call's `timeoutMs`.
   */
  #waitForBrowser(name: string | undefined, waitMs: number, timeoutMs: number, signal?: AbortSignal): Promise<KnownBrowser> {
    const startedAt = Date.now();
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (browser: KnownBrowser | undefined, failure?: CallFailure) => {
        clearTimeout(timer);
        this.#lastActivityAt = Date.now();
        this.#browserWaiters.delete(waiter);
        signal?.removeEventListener('abort', onAbort);
        if (browser?.link) resolve(browser);
        else reject(failure ?? CallFailure.of('DISCONNECTED', 'The any server shut down before a browser connected.'));
      };
      const giveUp = () => done(undefined, this.#browsers.waitFailure(name, Date.now() - startedAt));
      const schedule = () => {
        const launching = this.#launches.waitUntil(name, Date.now()) ?? 0;
        const until = Math.min(startedAt + timeoutMs, Math.max(startedAt + waitMs, launching));
        clearTimeout(timer);
        if (until <= Date.now()) return giveUp();
        timer = setTimeout(giveUp, until - Date.now());
      };
      const waiter: BrowserWaiter = {
        name,
        wake: (browser) => done(browser),
        launchesChanged: (gaveUp) => (gaveUp && this.#launches.waitUntil(name, Date.now()) === undefined ? giveUp() : schedule()),
      };
      const onAbort = () => done(undefined, CallFailure.of('CANCELLED', 'The caller cancelled the call while it waited for a browser.'));
      if (signal?.aborted) return onAbort();
      schedule();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#browserWaiters.add(waiter);
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
    pending.browser.callsInFlight--;
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
