/**
 * The tabs calls can run in right now. Each content script opens one long-lived port to this
 * worker (faster than a `tabs.sendMessage` per call, see docs/chromium-facts.md) and says
 * `ready` once its page bridge is there; from then until the port closes, its tab is a `LinkedTab`.
 */
import {
  ContentToBackground,
  createBatcher,
  parseFrame,
  type BackgroundToContent,
  type PageProgress,
  type PageResult,
  type TabState,
} from '../../protocol/index.js';
import type { BrowserTabs, ContentPort, ContentPortHandlers, PortSender, TabChange } from './outside-world.js';
import { EXACT_MATCH, matchPage, NO_MATCH, pageKey } from '../../protocol/tab-matching.js';

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
  onProgress(tab: LinkedTab, progress: PageProgress): void;
  /** The tab's document went away (tab closed, reloaded or navigated): its calls cannot answer. */
  onTabGone(tab: LinkedTab, reason: 'closed' | 'navigated'): void;
  /** The browser refused to carry these messages to the tab (a closed port, or over 64 MiB). */
  onSendFailed(tab: LinkedTab, messages: BackgroundToContent[], problem: string): void;
}

export class LinkedTabs {
  readonly #tabs = new Map<number, LinkedTab>();
  readonly #linkWaiters = new Map<number, Set<(tab: LinkedTab) => void>>();
  /**
   * The page each tab was opened for, by this worker. A page that redirects (`/go` → `/landed?x`)
   * no longer matches its own URL; its tab still serves later calls for it, while on its origin.
   */
  readonly #openedFor = new Map<number, string>();
  readonly #events: TabEvents;
  readonly #browserTabs: Pick<BrowserTabs, 'exists'>;
  readonly #log: (line: string) => void;

  constructor(events: TabEvents, browserTabs: Pick<BrowserTabs, 'exists'>, log: (line: string) => void = () => {}) {
    this.#events = events;
    this.#browserTabs = browserTabs;
    this.#log = log;
  }

  tabUpdated(tabId: number, change: TabChange): void {
    const tab = this.#tabs.get(tabId);
    if (tab && change.url) tab.url = change.url;
  }

  tabRemoved(tabId: number): void {
    this.#openedFor.delete(tabId);
  }

  /** The page this worker opened `tabId` for, if it did. */
  openedFor(tabId: number): string | undefined {
    return this.#openedFor.get(tabId);
  }

  rememberOpenedFor(tabId: number, page: string): void {
    this.#openedFor.set(tabId, pageKey(page));
  }

  /** The best linked tab for `page` (see tab-matching.ts), or undefined. */
  bestFor(page: string): LinkedTab | undefined {
    const key = pageKey(page);
    const origin = new URL(page).origin;
    let best: LinkedTab | undefined;
    let bestScore = NO_MATCH;
    for (const tab of this.#tabs.values()) {
      const openedHere = this.#openedFor.get(tab.tabId) === key && sameOrigin(tab.url, origin);
      const score = openedHere ? EXACT_MATCH : matchPage(page, tab.url);
      if (score === NO_MATCH) continue;
      if (!best || score > bestScore || (score === bestScore && tab.lastUsed > best.lastUsed)) {
        best = tab;
        bestScore = score;
      }
    }
    return best;
  }

  /** Takes `tab` out of use before its document goes (a reload of ours): its port's end then means nothing. */
  unlink(tab: LinkedTab): void {
    if (this.#tabs.get(tab.tabId) === tab) this.#tabs.delete(tab.tabId);
  }

  get(tabId: number): LinkedTab | undefined {
    return this.#tabs.get(tabId);
  }

  /** Calls `onLinked` once `tabId` is linked (at once if it is); the returned function stops waiting. */
  whenLinked(tabId: number, onLinked: (tab: LinkedTab) => void): () => void {
    const linked = this.#tabs.get(tabId);
    if (linked) {
      onLinked(linked);
      return () => {};
    }
    let waiters = this.#linkWaiters.get(tabId);
    if (!waiters) this.#linkWaiters.set(tabId, (waiters = new Set()));
    waiters.add(onLinked);
    return () => {
      waiters.delete(onLinked);
      if (!waiters.size) this.#linkWaiters.delete(tabId);
    };
  }

  /** The tabs with a connected content script, for `any status`. */
  states(): TabState[] {
    return [...this.#tabs.values()].map((tab) => ({ tabId: tab.tabId, url: tab.url, callsInFlight: tab.callIds.size }));
  }

  /**
   * A content script opened its port. Top frames only, and not documents being prerendered or
   * kept in the back/forward cache: those are not what the tab shows (their content script
   * connects again when they are activated). Undefined when the port is not taken.
   */
  connect(port: ContentPort, sender: PortSender): ContentPortHandlers | undefined {
    const { tabId } = sender;
    if (tabId === undefined || sender.frameId !== 0) return undefined;
    if (sender.documentLifecycle && sender.documentLifecycle !== 'active') {
      port.disconnect();
      return undefined;
    }
    let tab: LinkedTab | undefined;

    // Calls for this tab in the same turn of the worker's work go in one port message.
    const enqueue = createBatcher<{ message: BackgroundToContent; weight: number }>((items) => {
      const messages = items.map((item) => item.message);
      try {
        port.post(messages.length === 1 ? messages[0] : messages);
      } catch (error) {
        if (tab) this.#events.onSendFailed(tab, messages, (error as Error).message);
      }
    }, queueMicrotask, (item) => item.weight);
    const send = (message: BackgroundToContent, weight = 0) => enqueue({ message, weight });

    const onContentMessage = (message: ContentToBackground) => {
      if (message.type === 'ready') {
        const previous = this.#tabs.get(tabId);
        tab = { tabId, url: message.url, lastUsed: previous?.lastUsed ?? 0, callIds: new Set(), send };
        this.#tabs.set(tabId, tab);
        if (previous) this.#events.onTabGone(previous, 'navigated');
        for (const wake of this.#linkWaiters.get(tabId) ?? []) wake(tab);
        this.#linkWaiters.delete(tabId);
      } else if (!tab) {
        // Not linked yet: nothing of its can be in flight.
      } else if (message.type === 'progress') {
        this.#events.onProgress(tab, message);
      } else {
        this.#events.onResult(tab, message);
      }
    };

    return {
      received: (raw) => {
        for (const parsed of parseFrame(ContentToBackground, raw)) {
          if (parsed.ok) onContentMessage(parsed.value);
          else this.#log(`any: ignored an invalid message from tab ${tabId}: ${parsed.problem}`);
        }
      },
      disconnected: async () => {
        if (!tab || this.#tabs.get(tabId) !== tab) return;
        const gone = tab;
        this.#tabs.delete(tabId);
        const stillOpen = await this.#browserTabs.exists(tabId);
        this.#events.onTabGone(gone, stillOpen ? 'navigated' : 'closed');
      },
    };
  }
}

function sameOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}
