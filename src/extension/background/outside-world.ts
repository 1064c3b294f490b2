/**
 * Everything the background worker needs from outside itself, as small interfaces. `index.ts`
 * implements them with `chrome.*`, `fetch` and `WebSocket` (the only module that touches them);
 * the unit tests implement them with fakes and a fake clock, so the worker's logic — calls that
 * end exactly once, deadlines, tabs being opened, the outbox across reconnects — runs without a
 * browser. A Firefox build supplies its own implementations of the same interfaces.
 */

export interface Clock {
  now(): number;
  /** Runs `run` once after `ms`; the returned function cancels it. */
  setTimeout(run: () => void, ms: number): () => void;
}

/** An open tab, as `chrome.tabs.query` lists it. */
export interface OpenTab {
  id: number;
  url?: string;
  active: boolean;
  discarded: boolean;
}

/** A change to a tab, as `chrome.tabs.onUpdated` reports it. */
export interface TabChange {
  url?: string;
  status?: string;
  discarded?: boolean;
}

export interface BrowserTabs {
  /** The open tabs whose URL matches a match pattern (`http://host/*`). */
  query(pattern: string): Promise<OpenTab[]>;
  /** Every open http: and https: tab (the server routes calls to the browser holding their pages). */
  listWeb(): Promise<OpenTab[]>;
  /** Opens a background tab at `url`; its id. */
  create(url: string): Promise<number | undefined>;
  remove(tabId: number): Promise<void>;
  /** Reloads the tab's page. */
  reload(tabId: number): Promise<void>;
  /** Whether the tab is still open. */
  exists(tabId: number): Promise<boolean>;
  /**
   * Runs the content script and the page bridge in a tab that already shows a page (it was open
   * before the extension), both on `channel`, which the worker chose. Rejects when the browser
   * refuses to script the tab.
   */
  injectScripts(tabId: number, channel: string): Promise<void>;
}

export interface BrowserWindows {
  /** Closes every window: the browser then quits, as when its user closes the last one. */
  closeAll(): Promise<void>;
}

/** Where a content script's port comes from, as `port.sender` tells. */
export interface PortSender {
  tabId: number | undefined;
  frameId: number | undefined;
  /** 'active', or 'prerender' / 'cached' for documents the tab does not show. */
  documentLifecycle?: string;
}

/** One content script's long-lived port. */
export interface ContentPort {
  /** Throws when the browser refuses the message (a port that just closed, over 64 MiB). */
  post(message: unknown): void;
  disconnect(): void;
}

/** What the worker does with a port's traffic; `index.ts` feeds it the port's events. */
export interface ContentPortHandlers {
  received(message: unknown): void;
  disconnected(): void;
}

/** The subset of the DOM's WebSocket the connection uses; readyState numbers as in the DOM. */
export interface SocketLike {
  readonly readyState: number;
  send(text: string): void;
  close(): void;
  onopen: (() => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: (() => void) | null;
  onerror: (() => void) | null;
}

export const SOCKET_CONNECTING = 0;
export const SOCKET_OPEN = 1;

/** The server, as the connection reaches it. */
export interface ServerAccess {
  /** Resolves once the server answers `GET /health`; rejects when nothing answers. */
  probe(): Promise<void>;
  /** Opens the WebSocket to `/ws`; may throw. */
  openSocket(): SocketLike;
  /**
   * Makes any extension API call. An MV3 background (Chromium's service worker, Firefox's event
   * page) counts extension API calls as activity: without one in each retry, it is stopped ~30 s
   * into an outage, its retry timer with it; on Firefox, without one in each keep-alive, ~30 s
   * into a connection.
   */
  keepAwake(): void;
  /** What the worker tells the server about itself in its hello. */
  describe(): Promise<BrowserIdentity>;
  /** The server said which name the browser goes by: an everyday browser asks for it again next time. */
  named(name: string): void;
}

/** Who this browser is, for the hello (messages.ts, ExtensionHello). */
export interface BrowserIdentity {
  extensionVersion: string;
  userAgent: string;
  /** The same for this profile (everyday) or this launch (managed), whatever the worker's restarts. */
  installId: string;
  /** The name to ask for; absent: the server names it after its brand. */
  name?: string;
  kind: 'managed' | 'everyday';
  brand: string;
  browserVersion: string;
}
