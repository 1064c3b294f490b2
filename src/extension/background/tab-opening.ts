/**
 * Finds or opens the tab a call runs in. The worker alone creates tabs; content scripts never
 * navigate. In order: a linked tab that matches the page; an open tab that matches but has no
 * content script yet (it was open before the extension was installed, enabled or updated), into
 * which the scripts are injected; else a new background tab at the page.
 */
import { CallFailure } from '../../protocol/index.js';
import type { LinkedTab, LinkedTabs } from './linked-tabs.js';
import type { BrowserTabs, Clock, TabChange } from './outside-world.js';
import { matchPage, NO_MATCH, pageKey, queryPatternFor } from '../../protocol/tab-matching.js';

/** How long a loaded tab may stay without a ready content script before the call fails. */
export const READY_AFTER_LOAD_MS = 1_000;
/** A page that has not even started (no content script) after this long is given up on. */
export const OPEN_TIMEOUT_MS = 60_000;
/** Injecting into an already loaded tab takes milliseconds; past this, try elsewhere. */
export const INJECT_TIMEOUT_MS = 5_000;

type TabListener = { updated(tabId: number, change: TabChange): void; removed(tabId: number): void };

export class TabOpener {
  readonly #linkedTabs: LinkedTabs;
  readonly #browserTabs: BrowserTabs;
  readonly #clock: Clock;
  /** Tabs being opened, by page: concurrent calls for one page share one new tab. */
  readonly #openingTabs = new Map<string, Promise<LinkedTab>>();
  /** Waits for a link, each told of every tab update and removal until it ends. */
  readonly #tabListeners = new Set<TabListener>();
  /** Tabs reloaded once for userscripts that came late (reloadForLateUserscripts): never twice. */
  readonly #reloaded = new Set<number>();

  constructor(linkedTabs: LinkedTabs, browserTabs: BrowserTabs, clock: Clock) {
    this.#linkedTabs = linkedTabs;
    this.#browserTabs = browserTabs;
    this.#clock = clock;
  }

  tabUpdated(tabId: number, change: TabChange): void {
    for (const listener of [...this.#tabListeners]) listener.updated(tabId, change);
  }

  tabRemoved(tabId: number): void {
    this.#reloaded.delete(tabId);
    for (const listener of [...this.#tabListeners]) listener.removed(tabId);
  }

  /**
   * Reloads `tab` for a call that found no methods at all on its page, and resolves with the tab
   * linked again; undefined (no reload) unless this worker opened the tab, nothing else runs in it,
   * and it was not reloaded so before. A userscript manager that registered its scripts after the
   * page had started loading (Violentmonkey does, in the first tab after a launch) runs them on the
   * reload, so that first call works too. Calls for the page meanwhile wait for it, as for a tab
   * being opened.
   */
  reloadForLateUserscripts(tab: LinkedTab, page: string): Promise<LinkedTab> | undefined {
    if (this.#linkedTabs.openedFor(tab.tabId) === undefined || this.#reloaded.has(tab.tabId) || tab.callIds.size > 1) return undefined;
    this.#reloaded.add(tab.tabId);
    this.#linkedTabs.unlink(tab);
    const key = pageKey(page);
    const reloading = (async () => {
      const linked = this.#waitForLink(tab.tabId, page, new AbortController().signal, OPEN_TIMEOUT_MS);
      linked.catch(() => {}); // a refused reload is the failure that counts
      await this.#browserTabs.reload(tab.tabId);
      return linked;
    })().finally(() => {
      if (this.#openingTabs.get(key) === reloading) this.#openingTabs.delete(key);
    });
    this.#openingTabs.set(key, reloading);
    return reloading;
  }

  /**
   * The tab for `page`: at once when one is linked (so calls of one turn leave together), else a
   * promise. With `open` false, only a tab that is open already (injected if need be), else none.
   */
  tabForPage(page: string, signal: AbortSignal, open = true): LinkedTab | Promise<LinkedTab | undefined> {
    const linked = this.#linkedTabs.bestFor(page);
    if (linked) return linked;
    if (!open) return abortable(this.#findOpenTab(page), signal);
    const key = pageKey(page);
    let opening = this.#openingTabs.get(key);
    if (!opening) {
      opening = this.#findOrOpenTab(page).finally(() => this.#openingTabs.delete(key));
      this.#openingTabs.set(key, opening);
    }
    return abortable(opening, signal);
  }

  async #findOrOpenTab(page: string): Promise<LinkedTab> {
    return (await this.#findOpenTab(page)) ?? this.#openTab(page);
  }

  /**
   * An open tab that matches but has no content script yet (it was open before the extension),
   * into which the scripts are injected; undefined when there is none that takes them.
   */
  async #findOpenTab(page: string): Promise<LinkedTab | undefined> {
    const openTabs = await this.#browserTabs.query(queryPatternFor(page));
    const candidates = openTabs
      .filter((tab) => !tab.discarded && matchPage(page, tab.url) !== NO_MATCH)
      .sort((a, b) => matchPage(page, b.url) - matchPage(page, a.url) || Number(b.active) - Number(a.active));
    for (const tab of candidates) {
      const already = this.#linkedTabs.get(tab.id);
      if (already) return already;
      const giveUp = new AbortController();
      try {
        const linked = this.#waitForLink(tab.id, page, giveUp.signal, INJECT_TIMEOUT_MS);
        linked.catch(() => {}); // when the injection fails, its failure is the one that counts
        await this.#browserTabs.injectScripts(tab.id, randomChannel());
        return await linked;
      } catch {
        // The browser refused to script this tab, or it is mid-navigation: try the next.
        giveUp.abort();
      }
    }
    return undefined;
  }

  /** Opens a new background tab at `page` and waits for its content script. */
  async #openTab(page: string): Promise<LinkedTab> {
    const tabId = await this.#browserTabs.create(page);
    if (tabId === undefined) throw CallFailure.of('TAB_FAILED', `The browser did not open a tab for ${page}.`);
    this.#linkedTabs.rememberOpenedFor(tabId, page);
    try {
      return await this.#waitForLink(tabId, page, new AbortController().signal, OPEN_TIMEOUT_MS);
    } catch (error) {
      // A tab we opened that cannot serve the call would only pile up: close it.
      this.#browserTabs.remove(tabId).catch(() => {});
      throw error;
    }
  }

  /**
   * Resolves when the tab's content script is linked. Fails when the tab closes, when it finishes
   * loading without one (an error page, or a page the browser keeps extensions off), after
   * `timeoutMs`, or when `giveUp` aborts; whatever it waits on is released in each case.
   */
  #waitForLink(tabId: number, page: string, giveUp: AbortSignal, timeoutMs: number): Promise<LinkedTab> {
    return new Promise((resolve, reject) => {
      const already = this.#linkedTabs.get(tabId);
      if (already) return resolve(already);
      let cancelLoadedTimer = () => {};
      const finish = (outcome: () => void) => {
        cancelLoadedTimer();
        cancelOverallTimer();
        stopWaiting();
        this.#tabListeners.delete(listener);
        giveUp.removeEventListener('abort', onGiveUp);
        outcome();
      };
      const fail = (code: 'TAB_FAILED' | 'TAB_CLOSED', message: string) => finish(() => reject(CallFailure.of(code, message)));
      const listener: TabListener = {
        updated: (updatedId, change) => {
          if (updatedId !== tabId || change.status !== 'complete') return;
          cancelLoadedTimer();
          cancelLoadedTimer = this.#clock.setTimeout(() => fail('TAB_FAILED',
            `The tab for ${page} loaded, but the any content script did not start in it. The page may have failed ` +
            'to load (is the site up?), or it is one the browser keeps extensions off (chrome://, the Web Store).'), READY_AFTER_LOAD_MS);
        },
        removed: (removedId) => {
          if (removedId === tabId) fail('TAB_CLOSED', `The tab for ${page} was closed before its page was ready.`);
        },
      };
      const onGiveUp = () => fail('TAB_FAILED', `Gave up waiting for the tab for ${page}.`);
      const cancelOverallTimer = this.#clock.setTimeout(() => fail('TAB_FAILED', `The page ${page} did not start loading within ${timeoutMs} ms.`), timeoutMs);
      this.#tabListeners.add(listener);
      giveUp.addEventListener('abort', onGiveUp, { once: true });
      const stopWaiting = this.#linkedTabs.whenLinked(tabId, (tab) => finish(() => resolve(tab)));
    });
  }
}

/** 32 hex digits: the page bridge accepts nothing else as a channel. */
export function randomChannel(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
