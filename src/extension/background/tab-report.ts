/**
 * Tells the server which http(s) tabs this browser has open, so that it can route a call to the
 * browser that already holds a tab for its page (server/browsers.ts). The whole list goes after
 * every hello (a new connection knows nothing) and again whenever a tab opens, navigates, is
 * discarded or closes — at most once per REPORT_DELAY_MS, and only when the list changed.
 */
import { MAX_REPORTED_TABS, PROTOCOL_VERSION, type ReportedTab } from '../../protocol/index.js';
import type { BrowserTabs, Clock, TabChange } from './outside-world.js';

/** A page load changes a tab several times within milliseconds: one report covers them all. */
export const REPORT_DELAY_MS = 100;
/** The protocol's limit on a URL (messages.ts); a longer one could not be routed to anyway. */
const MAX_URL_CHARS = 8192;

export interface TabReportOptions {
  tabs: Pick<BrowserTabs, 'listWeb'>;
  clock: Clock;
  /** The page this worker opened the tab for, if it did (a tab that redirected still serves it). */
  openedFor(tabId: number): string | undefined;
  toServer(text: string): void;
  log?: (line: string) => void;
}

export class TabReport {
  readonly #options: TabReportOptions;
  /** What the server was last told, as sent; undefined: it must be told again. */
  #lastSent: string | undefined;
  #cancelPending: (() => void) | undefined;

  constructor(options: TabReportOptions) {
    this.#options = options;
  }

  /** A new connection: the server has to hear the whole list, even if it did not change. */
  connected(): void {
    this.#lastSent = undefined;
    this.#schedule();
  }

  /** A tab changed; only the changes that move a tab's page (or its availability) matter. */
  tabUpdated(change: TabChange): void {
    if (change.url !== undefined || change.discarded !== undefined || change.status === 'complete') this.#schedule();
  }

  tabRemoved(): void {
    this.#schedule();
  }

  #schedule(): void {
    if (this.#cancelPending) return;
    this.#cancelPending = this.#options.clock.setTimeout(() => {
      this.#cancelPending = undefined;
      void this.#send();
    }, REPORT_DELAY_MS);
  }

  async #send(): Promise<void> {
    let tabs: ReportedTab[];
    try {
      tabs = (await this.#options.tabs.listWeb())
        .filter((tab) => tab.url && tab.url.length <= MAX_URL_CHARS && !tab.discarded)
        .slice(0, MAX_REPORTED_TABS)
        .map((tab) => {
          const openedFor = this.#options.openedFor(tab.id);
          return { tabId: tab.id, url: tab.url!, ...(openedFor ? { openedFor } : {}) };
        });
    } catch (error) {
      return this.#options.log?.(`any: could not list the open tabs: ${(error as Error).message}`);
    }
    const text = JSON.stringify(tabs);
    if (text === this.#lastSent) return;
    this.#lastSent = text;
    this.#options.toServer(`{"v":${PROTOCOL_VERSION},"type":"tabs","id":"${crypto.randomUUID()}","tabs":${text}}`);
  }
}
