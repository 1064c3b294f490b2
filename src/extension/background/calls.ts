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
  type PageResult,
  type ServerCall,
  type ServerList,
} from '../../protocol/index.js';
import { send } from './connection.js';
import type { LinkedTab } from './linked-tabs.js';
import { tabForPage } from './tab-opening.js';

/** The server cancels a call at its deadline; this backstop only frees calls whose cancel was lost. */
const DEADLINE_BACKSTOP_MS = 1_000;

type WorkerCall = ServerCall | ServerList;

interface RunningCall {
  readonly call: WorkerCall;
  readonly abort: AbortController;
  readonly backstop: ReturnType<typeof setTimeout>;
  tab?: LinkedTab;
}

const runningCalls = new Map<string, RunningCall>();

export function callsInFlight(): number {
  return runningCalls.size;
}

/** What each call is doing, for `any status`. */
export function callStates(): BrowserCallState[] {
  return [...runningCalls.values()].map(({ call, tab }) => ({
    id: call.id,
    page: call.page,
    ...(call.type === 'call' ? { method: call.method } : {}),
    phase: tab ? 'running' : 'opening-tab',
  }));
}

/** `weight`: about how much text the call took in its frame, so that its port message is sized right. */
export async function startCall(call: WorkerCall, weight = 0): Promise<void> {
  if (runningCalls.has(call.id)) return;
  const running: RunningCall = {
    call,
    abort: new AbortController(),
    backstop: setTimeout(() => finish(call.id, {
      error: errorShape('TIMEOUT', `${describe(call)} did not answer within ${call.timeout} ms.`),
    }), call.timeout + DEADLINE_BACKSTOP_MS),
  };
  runningCalls.set(call.id, running);
  let tab: LinkedTab;
  try {
    const found = tabForPage(call.page, running.abort.signal);
    tab = found instanceof Promise ? await found : found;
    if (runningCalls.get(call.id) !== running) return; // cancelled while the tab opened
    running.tab = tab;
    tab.lastUsed = Date.now();
    tab.callIds.add(call.id);
  } catch (error) {
    return finish(call.id, { error: toErrorShape(error, call) });
  }
  tab.send(call.type === 'call' ? { type: 'call', id: call.id, method: call.method, params: call.params } : { type: 'list', id: call.id }, weight);
}

/** Chrome refused the port message carrying these calls: a port that just closed, or over 64 MiB. */
export function onSendFailed(tab: LinkedTab, messages: BackgroundToContent[], problem: string): void {
  for (const { id } of messages) {
    const call = runningCalls.get(id)?.call;
    if (!call || runningCalls.get(id)?.tab !== tab) continue;
    finish(id, { error: /disconnected/i.test(problem)
      ? errorShape('TAB_CLOSED', `The tab for ${call.page} went away as the call was sent to it; call again.`)
      : errorShape('TOO_LARGE', `Chrome could not hand ${describe(call)} to the tab (${problem}); send smaller params.`) });
  }
}

/** The page answered. Only the tab that holds the call may answer it. */
export function onPageResult(tab: LinkedTab, result: PageResult): void {
  if (runningCalls.get(result.id)?.tab !== tab) return;
  finish(result.id, result.error ? { error: result.error } : { json: result.json ?? 'null' });
}

/** The server gave up on the call (timeout or its caller cancelled): tell the page, answer once. */
export function cancelCall(id: string, reason: 'TIMEOUT' | 'CANCELLED'): void {
  const running = runningCalls.get(id);
  if (!running) return;
  running.tab?.send({ type: 'cancel', id, reason });
  finish(id, { error: errorShape(reason, `The server ${reason === 'TIMEOUT' ? 'timed out' : 'cancelled'} the call.`) });
}

export function onTabGone(tab: LinkedTab, reason: 'closed' | 'navigated'): void {
  for (const id of [...tab.callIds]) {
    const call = runningCalls.get(id)?.call;
    if (!call) continue;
    finish(id, {
      error: errorShape('TAB_CLOSED', reason === 'closed'
        ? `The tab running ${describe(call)} was closed before the method answered.`
        : `The tab running ${describe(call)} navigated away or reloaded before the method answered.`),
    });
  }
}

function finish(id: string, outcome: { json: string } | { error: ErrorShape }): void {
  const running = runningCalls.get(id);
  if (!running) return;
  runningCalls.delete(id);
  clearTimeout(running.backstop);
  running.abort.abort();
  running.tab?.callIds.delete(id);
  // The page already produced JSON text: splice it in rather than parse and re-encode it.
  send('json' in outcome
    ? `{"v":${PROTOCOL_VERSION},"type":"result","id":${JSON.stringify(id)},"result":${outcome.json}}`
    : JSON.stringify({ v: PROTOCOL_VERSION, type: 'result', id, error: outcome.error }));
}

function describe(call: WorkerCall): string {
  return call.type === 'call' ? `__any__.${call.method} on ${call.page}` : `listing the methods of ${call.page}`;
}

function toErrorShape(error: unknown, call: WorkerCall): ErrorShape {
  if (error instanceof CallFailure) return error.shape;
  const message = error instanceof Error ? error.message : String(error);
  return errorShape('TAB_FAILED', `Could not open a tab for ${call.page}: ${message}`);
}
