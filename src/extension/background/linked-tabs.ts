/**
 * The tabs calls can run in right now. Each content script opens one long-lived port to this
 * worker (faster than a `tabs.sendMessage` per call, see FACTS.md) and says `ready` once its
 * page bridge is there; from then until the port closes, its tab is a `LinkedTab`.
 */
import {
  CONTENT_PORT_NAME,
  ContentToBackground,
  createBatcher,
  parseFrame,
  type BackgroundToContent,
  type PageResult,
  type TabState,
} from '../../protocol/index.js';
import { EXACT_MATCH, matchPage, NO_MATCH, pageKey } from './tab-matching.js';

export interface LinkedTab {
  readonly tabId: number;
  /** The tab's current URL, kept up to date for same-document navigations (history.pushState). */
  url: string;
  /** When a call last used this tab: among equal matches, the most recently used wins. */
  lastUsed: number;
  /** Calls sent to this tab that have not answered yet. */
  readonly callIds: Set<string>;
  /** Queues a message for the tab's port; `weight` is about how much text it stands for. */
  send(message: BackgroundToContent, weight?: number): void;
}

export interface TabEvents {
  onResult(tab: LinkedTab, result: PageResult): void;
  /** The tab's document went away (tab closed, reloaded or navigated): its calls cannot answer. */
  onTabGone(tab: LinkedTab, reason: 'closed' | 'navigated'): void;
  /** Chrome refused to carry these messages to the tab (a closed port, or over 64 MiB). */
  onSendFailed(tab: LinkedTab, messages: BackgroundToContent[], problem: string): void;
}

const linkedTabs = new Map<number, LinkedTab>();
const linkWaiters = new Map<number, Set<(tab: LinkedTab) => void>>();
/**
 * The page each tab was opened for, by this worker. A page that redirects (`/go` → `/landed?x`)
 * no longer matches its own URL; its tab still serves later calls for it, while on its origin.
 */
const openedFor = new Map<number, string>();
let events: TabEvents | undefined;

export function startLinkedTabs(handlers: TabEvents): void {
  events = handlers;
  chrome.runtime.onConnect.addListener(acceptContentPort);
  chrome.tabs.onUpdated.addListener((tabId, change) => {
    const tab = linkedTabs.get(tabId);
    if (tab && change.url) tab.url = change.url;
  });
  chrome.tabs.onRemoved.addListener((tabId) => openedFor.delete(tabId));
}

export function rememberOpenedFor(tabId: number, page: string): void {
  openedFor.set(tabId, pageKey(page));
}

/** The best linked tab for `page` (see tab-matching.ts), or undefined. */
export function linkedTabFor(page: string): LinkedTab | undefined {
  const key = pageKey(page);
  const origin = new URL(page).origin;
  let best: LinkedTab | undefined;
  let bestScore = NO_MATCH;
  for (const tab of linkedTabs.values()) {
    const openedHere = openedFor.get(tab.tabId) === key && sameOrigin(tab.url, origin);
    const score = openedHere ? EXACT_MATCH : matchPage(page, tab.url);
    if (score === NO_MATCH) continue;
    if (!best || score > bestScore || (score === bestScore && tab.lastUsed > best.lastUsed)) {
      best = tab;
      bestScore = score;
    }
  }
  return best;
}

export function linkedTab(tabId: number): LinkedTab | undefined {
  return linkedTabs.get(tabId);
}

/** Resolves when `tabId` is linked; the returned function stops waiting. */
export function whenLinked(tabId: number, onLinked: (tab: LinkedTab) => void): () => void {
  const linked = linkedTabs.get(tabId);
  if (linked) {
    onLinked(linked);
    return () => {};
  }
  let waiters = linkWaiters.get(tabId);
  if (!waiters) linkWaiters.set(tabId, (waiters = new Set()));
  waiters.add(onLinked);
  return () => {
    waiters.delete(onLinked);
    if (!waiters.size) linkWaiters.delete(tabId);
  };
}

/** The tabs with a connected content script, for `any status`. */
export function linkedTabStates(): TabState[] {
  return [...linkedTabs.values()].map((tab) => ({ tabId: tab.tabId, url: tab.url, callsInFlight: tab.callIds.size }));
}

function acceptContentPort(port: chrome.runtime.Port): void {
  const sender = port.sender;
  const tabId = sender?.tab?.id;
  // Top frames only, and not documents being prerendered: those are not what the tab shows
  // (their content script connects when they are activated).
  if (port.name !== CONTENT_PORT_NAME || tabId === undefined || sender?.frameId !== 0) return;
  if (sender.documentLifecycle && sender.documentLifecycle !== 'active') return port.disconnect();
  let tab: LinkedTab | undefined;

  // Calls for this tab in the same turn of the worker's work go in one port message.
  const enqueue = createBatcher<{ message: BackgroundToContent; weight: number }>((items) => {
    const messages = items.map((item) => item.message);
    try {
      port.postMessage(messages.length === 1 ? messages[0] : messages);
    } catch (error) {
      if (tab) events?.onSendFailed(tab, messages, (error as Error).message);
    }
  }, queueMicrotask, (item) => item.weight);
  const send = (message: BackgroundToContent, weight = 0) => enqueue({ message, weight });

  port.onMessage.addListener((raw: unknown) => {
    for (const parsed of parseFrame(ContentToBackground, raw)) {
      if (parsed.ok) onContentMessage(parsed.value);
      else console.warn(`any: ignored an invalid message from tab ${tabId}: ${parsed.problem}`);
    }
  });

  const onContentMessage = (message: ContentToBackground) => {
    if (message.type === 'ready') {
      const previous = linkedTabs.get(tabId);
      tab = { tabId, url: message.url, lastUsed: previous?.lastUsed ?? 0, callIds: new Set(), send };
      linkedTabs.set(tabId, tab);
      if (previous) events?.onTabGone(previous, 'navigated');
      for (const wake of linkWaiters.get(tabId) ?? []) wake(tab);
      linkWaiters.delete(tabId);
    } else if (tab) {
      events?.onResult(tab, message);
    }
  };

  port.onDisconnect.addListener(async () => {
    if (!tab || linkedTabs.get(tabId) !== tab) return;
    linkedTabs.delete(tabId);
    const stillOpen = await chrome.tabs.get(tabId).then(() => true, () => false);
    events?.onTabGone(tab, stillOpen ? 'navigated' : 'closed');
  });
}

function sameOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}
