/**
 * Calls the worker is running: from the server's `call` (or `list`) to exactly one `result` back.
 * Calls run concurrently, also in the same tab; each ends once, whichever comes first:
 * the page's answer, the server's cancel, its tab going away, or its own deadline.
 */
import {
  CallFailure,
  errorShape,
  PROTOCOL_VERSION,
  type BackgroundToContent,
  type BrowserCallState,
  type ErrorShape,
  type PageProgress,
  type PageResult,
  type ServerCall,
  type ServerList,
} from '../../protocol/index.js';
import type { LinkedTab } from './linked-tabs.js';
import type { Clock } from './outside-world.js';

/** The server cancels a call at its deadline; this backstop only frees calls whose cancel was lost. */
export const DEADLINE_BACKSTOP_MS = 1_000;

export type WorkerCall = ServerCall | ServerList;

export interface RunningCallsOptions {
  /** Finds or opens the call's tab: at once when one is linked, else a promise; `open` false: never opens one. */
  tabForPage(page: string, signal: AbortSignal, open: boolean): LinkedTab | Promise<LinkedTab | undefined>;
  /**
   * Reloads a tab whose page had no methods at all for a call, if it may (tab-opening.ts); the
   * call then runs again there. Undefined: the answer stands.
   */
  reloadForLateUserscripts?(tab: LinkedTab, page: string): Promise<LinkedTab> | undefined;
  /** Queues a message's JSON text for the server. */
  toServer(text: string): void;
  clock: Clock;
}

interface RunningCall {
  readonly call: WorkerCall;
  /** About how much text it took in its frame (see start). */
  readonly weight: number;
  readonly abort: AbortController;
  readonly cancelBackstop: () => void;
  tab?: LinkedTab;
}

export class RunningCalls {
  readonly #options: RunningCallsOptions;
  readonly #calls = new Map<string, RunningCall>();

  constructor(options: RunningCallsOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#calls.size;
  }

  /** What each call is doing, for `any status`. */
  states(): BrowserCallState[] {
    return [...this.#calls.values()].map(({ call, tab }) => ({
      id: call.id,
      page: call.page,
      ...(call.type === 'call' ? { method: call.method } : {}),
      phase: tab ? 'running' : 'opening-tab',
    }));
  }

  /** `weight`: about how much text the call took in its frame, so that its port message is sized right. */
  async start(call: WorkerCall, weight = 0): Promise<void> {
    if (this.#calls.has(call.id)) return;
    const running: RunningCall = {
      call,
      weight,
      abort: new AbortController(),
      cancelBackstop: this.#options.clock.setTimeout(() => {
        running.tab?.send({ type: 'cancel', id: call.id, reason: 'TIMEOUT' });
        this.#finish(call.id, { error: errorShape('TIMEOUT', `${describe(call)} did not answer within ${call.timeout} ms.`) });
      }, call.timeout + DEADLINE_BACKSTOP_MS),
    };
    this.#calls.set(call.id, running);
    let tab: LinkedTab | undefined;
    try {
      const found = this.#options.tabForPage(call.page, running.abort.signal, call.type === 'call' || call.openTab !== false);
      tab = found instanceof Promise ? await found : found;
    } catch (error) {
      return this.#finish(call.id, { error: toErrorShape(error, call) });
    }
    if (this.#calls.get(call.id) !== running) return; // ended while its tab opened
    if (!tab) return this.#finish(call.id, { json: '[]' }); // a listing of open tabs only, and none is open
    this.#sendTo(running, tab);
  }

  #sendTo(running: RunningCall, tab: LinkedTab): void {
    const { call } = running;
    running.tab = tab;
    tab.lastUsed = this.#options.clock.now();
    tab.callIds.add(call.id);
    tab.send(call.type === 'call' ? { type: 'call', id: call.id, method: call.method, params: call.params } : { type: 'list', id: call.id }, running.weight);
  }

  /** The browser refused the port message carrying these calls: a port that just closed, or over 64 MiB. */
  sendFailed(tab: LinkedTab, messages: BackgroundToContent[], problem: string): void {
    for (const { id } of messages) {
      const running = this.#calls.get(id);
      if (!running || running.tab !== tab) continue;
      this.#finish(id, { error: /disconnected/i.test(problem)
        ? errorShape('TAB_CLOSED', `The tab for ${running.call.page} went away as the call was sent to it; call again.`)
        : errorShape('TOO_LARGE', `The browser could not hand ${describe(running.call)} to the tab (${problem}); send smaller params.`) });
    }
  }

  /**
   * The page answered. Only the tab that holds the call may answer it. `json` was checked in the
   * content script (the isolated world, which page scripts cannot reach) to be one well-formed
   * JSON value within the size limit, so it can be spliced into the frame as it is.
   */
  pageResult(tab: LinkedTab, result: PageResult): void {
    const running = this.#calls.get(result.id);
    if (running?.tab !== tab) return;
    const answer = result.error ? { error: result.error } : { json: result.json ?? 'null' };
    const reloading = foundNoMethods(running.call, result) ? this.#options.reloadForLateUserscripts?.(tab, running.call.page) : undefined;
    if (!reloading) return this.#finish(result.id, answer);
    // Once more, in the reloaded page; if the reload fails, the first answer stands.
    tab.callIds.delete(result.id);
    running.tab = undefined;
    reloading.then((reloaded) => {
      if (this.#calls.get(result.id) === running) this.#sendTo(running, reloaded);
    }, () => this.#finish(result.id, answer));
  }

  /**
   * The method sent a progress value (checked like a result, in the content script): on to the
   * server, in order, while the call runs. After the call ended it goes nowhere.
   */
  pageProgress(tab: LinkedTab, progress: PageProgress): void {
    if (this.#calls.get(progress.id)?.tab !== tab) return;
    this.#options.toServer(`{"v":${PROTOCOL_VERSION},"type":"progress","id":${JSON.stringify(progress.id)},"progress":${progress.json}}`);
  }

  /** The server gave up on the call (timeout or its caller cancelled): tell the page, answer once. */
  cancel(id: string, reason: 'TIMEOUT' | 'CANCELLED'): void {
    const running = this.#calls.get(id);
    if (!running) return;
    running.tab?.send({ type: 'cancel', id, reason });
    this.#finish(id, { error: errorShape(reason, `The server ${reason === 'TIMEOUT' ? 'timed out' : 'cancelled'} the call.`) });
  }

  tabGone(tab: LinkedTab, reason: 'closed' | 'navigated'): void {
    for (const id of [...tab.callIds]) {
      const call = this.#calls.get(id)?.call;
      if (!call) continue;
      this.#finish(id, {
        error: errorShape('TAB_CLOSED', reason === 'closed'
          ? `The tab running ${describe(call)} was closed before the method answered.`
          : `The tab running ${describe(call)} navigated away or reloaded before the method answered.`),
      });
    }
  }

  #finish(id: string, outcome: { json: string } | { error: ErrorShape }): void {
    const running = this.#calls.get(id);
    if (!running) return;
    this.#calls.delete(id);
    running.cancelBackstop();
    running.abort.abort();
    running.tab?.callIds.delete(id);
    // The page produced JSON text, checked on its way here: splice it in rather than parse and re-encode it.
    this.#options.toServer('json' in outcome
      ? `{"v":${PROTOCOL_VERSION},"type":"result","id":${JSON.stringify(id)},"result":${outcome.json}}`
      : JSON.stringify({ v: PROTOCOL_VERSION, type: 'result', id, error: outcome.error }));
  }
}

/** The page had no methods at all: a call's METHOD_NOT_FOUND listing none, or an empty listing. */
function foundNoMethods(call: WorkerCall, result: PageResult): boolean {
  if (call.type === 'list') return !result.error && result.json === '[]';
  return result.error?.code === 'METHOD_NOT_FOUND' && result.error.methods?.length === 0;
}

function describe(call: WorkerCall): string {
  return call.type === 'call' ? `__any__.${call.method} on ${call.page}` : `listing the methods of ${call.page}`;
}

function toErrorShape(error: unknown, call: WorkerCall): ErrorShape {
  if (error instanceof CallFailure) return error.shape;
  const message = error instanceof Error ? error.message : String(error);
  return errorShape('TAB_FAILED', `Could not open a tab for ${call.page}: ${message}`);
}
