/**
 * The tabs calls run in. Each content script opens one long-lived port to this worker (faster
 * than a `tabs.sendMessage` per call, see FACTS.md) and says `ready`; a tab with a ready port
 * is a `LinkedTab`. This module finds or opens the tab for a page; it alone creates tabs —
 * content scripts never navigate.
 */
import {
  CallFailure,
  CONTENT_PORT_NAME,
  ContentToBackground,
  parse,
  type BackgroundToContent,
  type PageResult,
  type TabState,
} from '../../protocol/index.js';
import { matchPage, NO_MATCH, pageKey, queryPatternFor } from './tab-matching.js';

export interface LinkedTab {
  readonly tabId: number;
  /** The tab's current URL, kept up to date for same-document navigations (history.pushState). */
  url: string;
  /** When a call last used this tab: among equal matches, the most recently used wins. */
  lastUsed: number;
  /** Calls sent to this tab that have not answered yet. */
  readonly callIds: Set<string>;
  send(message: BackgroundToContent): void;
}

export interface TabEvents {
  onResult(tab: LinkedTab, result: PageResult): void;
  /** The tab's document went away (tab closed, reloaded or navigated): its calls cannot answer. */
  onTabGone(tab: LinkedTab, reason: 'closed' | 'navigated'): void;
}

/** How long a loaded tab may stay without a ready content script before the call fails. */
const READY_AFTER_LOAD_MS = 1_000;

const linkedTabs = new Map<number, LinkedTab>();
const readyWaiters = new Map<number, Set<(tab: LinkedTab) => void>>();
/** Tabs being opened, by page: concurrent calls for one page share one new tab. */
const openingTabs = new Map<string, Promise<LinkedTab>>();
let events: TabEvents | undefined;

export function startTabRegistry(handlers: TabEvents): void {
  events = handlers;
  chrome.runtime.onConnect.addListener(acceptContentPort);
  chrome.tabs.onUpdated.addListener((tabId, change) => {
    const tab = linkedTabs.get(tabId);
    if (tab && change.url) tab.url = change.url;
  });
}

/** The tabs with a connected content script, for `any status`. */
export function linkedTabStates(): TabState[] {
  return [...linkedTabs.values()].map((tab) => ({ tabId: tab.tabId, url: tab.url, callsInFlight: tab.callIds.size }));
}

/** The tab a call for `page` runs in: a matching linked tab, else a matching open tab, else a new one. */
export async function tabForPage(page: string, signal: AbortSignal): Promise<LinkedTab> {
  const linked = bestMatch(page, [...linkedTabs.values()]);
  if (linked) return linked;
  const key = pageKey(page);
  let opening = openingTabs.get(key);
  if (!opening) {
    opening = findOrOpenTab(page).finally(() => openingTabs.delete(key));
    openingTabs.set(key, opening);
  }
  return abortable(opening, signal);
}

function bestMatch(page: string, tabs: LinkedTab[]): LinkedTab | undefined {
  let best: LinkedTab | undefined;
  let bestScore = NO_MATCH;
  for (const tab of tabs) {
    const score = matchPage(page, tab.url);
    if (score === NO_MATCH) continue;
    if (!best || score > bestScore || (score === bestScore && tab.lastUsed > best.lastUsed)) {
      best = tab;
      bestScore = score;
    }
  }
  return best;
}

async function findOrOpenTab(page: string): Promise<LinkedTab> {
  // A matching tab whose content script is not connected: it was open before the extension
  // was loaded or updated, so Chrome never injected into it. Inject now.
  const openTabs = await chrome.tabs.query({ url: queryPatternFor(page) });
  const candidates = openTabs
    .filter((tab) => tab.id !== undefined && !tab.discarded && matchPage(page, tab.url) !== NO_MATCH)
    .sort((a, b) => matchPage(page, b.url) - matchPage(page, a.url) || Number(b.active) - Number(a.active));
  for (const tab of candidates) {
    const tabId = tab.id!;
    const alreadyLinked = linkedTabs.get(tabId);
    if (alreadyLinked) return alreadyLinked;
    try {
      const ready = waitForReady(tabId, page);
      await injectContentScripts(tabId);
      return await ready;
    } catch {
      // Chrome may refuse to script this tab (or it is mid-navigation): try the next, then a new tab.
    }
  }
  const created = await chrome.tabs.create({ url: page, active: false });
  if (created.id === undefined) throw CallFailure.of('TAB_FAILED', `Chrome did not open a tab for ${page}.`);
  return waitForReady(created.id, page);
}

async function injectContentScripts(tabId: number): Promise<void> {
  await chrome.scripting.executeScript({ target: { tabId }, files: ['content.js'] });
  await chrome.scripting.executeScript({ target: { tabId }, files: ['bridge.js'], world: 'MAIN' });
}

/**
 * Resolves when the tab's content script says ready. Fails when the tab closes, or when it
 * finishes loading without one: an error page (site down) or a page Chrome keeps extensions off.
 */
function waitForReady(tabId: number, page: string): Promise<LinkedTab> {
  return new Promise((resolve, reject) => {
    let loadedTimer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      clearTimeout(loadedTimer);
      readyWaiters.get(tabId)?.delete(onReady);
      chrome.tabs.onUpdated.removeListener(onUpdated);
      chrome.tabs.onRemoved.removeListener(onRemoved);
    };
    const onReady = (tab: LinkedTab) => {
      done();
      resolve(tab);
    };
    const onUpdated = (updatedId: number, change: chrome.tabs.OnUpdatedInfo) => {
      if (updatedId !== tabId || change.status !== 'complete') return;
      clearTimeout(loadedTimer);
      loadedTimer = setTimeout(() => {
        done();
        reject(CallFailure.of('TAB_FAILED',
          `The tab for ${page} loaded, but the any content script did not start in it. The page may have failed ` +
          'to load (is the site up?), or it is one Chrome keeps extensions off (chrome://, the Web Store).'));
      }, READY_AFTER_LOAD_MS);
    };
    const onRemoved = (removedId: number) => {
      if (removedId !== tabId) return;
      done();
      reject(CallFailure.of('TAB_CLOSED', `The tab for ${page} was closed before its page was ready.`));
    };
    const linked = linkedTabs.get(tabId);
    if (linked) return resolve(linked);
    let waiters = readyWaiters.get(tabId);
    if (!waiters) readyWaiters.set(tabId, (waiters = new Set()));
    waiters.add(onReady);
    chrome.tabs.onUpdated.addListener(onUpdated);
    chrome.tabs.onRemoved.addListener(onRemoved);
  });
}

function acceptContentPort(port: chrome.runtime.Port): void {
  const tabId = port.sender?.tab?.id;
  if (port.name !== CONTENT_PORT_NAME || tabId === undefined || port.sender?.frameId !== 0) return;
  let tab: LinkedTab | undefined;

  port.onMessage.addListener((raw: unknown) => {
    const parsed = parse(ContentToBackground, raw);
    if (!parsed.ok) return console.warn(`any: ignored an invalid message from tab ${tabId}: ${parsed.problem}`);
    const message = parsed.value;
    if (message.type === 'ready') {
      const previous = linkedTabs.get(tabId);
      tab = { tabId, url: message.url, lastUsed: previous?.lastUsed ?? 0, callIds: new Set(), send: (m) => port.postMessage(m) };
      linkedTabs.set(tabId, tab);
      if (previous) events?.onTabGone(previous, 'navigated');
      for (const wake of readyWaiters.get(tabId) ?? []) wake(tab);
      readyWaiters.delete(tabId);
    } else if (tab) {
      events?.onResult(tab, message);
    }
  });

  port.onDisconnect.addListener(async () => {
    if (!tab || linkedTabs.get(tabId) !== tab) return;
    linkedTabs.delete(tabId);
    const stillOpen = await chrome.tabs.get(tabId).then(() => true, () => false);
    events?.onTabGone(tab, stillOpen ? 'navigated' : 'closed');
  });
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
