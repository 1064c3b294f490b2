/**
 * A fake outside world for the background worker's core (src/extension/background/worker.ts):
 * a clock that moves only when told, a server whose socket the test opens and drops, tabs the
 * test opens, loads and closes, and content-script ports whose traffic it reads and writes.
 */
import type {
  BrowserIdentity,
  BrowserTabs,
  BrowserWindows,
  Clock,
  ContentPort,
  ContentPortHandlers,
  OpenTab,
  ServerAccess,
  SocketLike,
  TabChange,
} from '../../src/extension/background/outside-world.js';
import { createBackgroundWorker, type BackgroundWorker } from '../../src/extension/background/worker.js';

export class FakeClock implements Clock {
  #now = 1_000_000;
  #timers: { at: number; run: () => void; order: number }[] = [];
  #order = 0;

  now(): number {
    return this.#now;
  }

  setTimeout(run: () => void, ms: number): () => void {
    const timer = { at: this.#now + ms, run, order: this.#order++ };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((other) => other !== timer);
    };
  }

  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time on by `ms`, running each timer that falls due (and what it leads to) in order. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      await settle();
      const next = this.#timers.filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!next) break;
      this.#timers = this.#timers.filter((timer) => timer !== next);
      this.#now = next.at;
      next.run();
    }
    this.#now = end;
    await settle();
  }
}

/** Lets every promise chain and microtask that is ready run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class FakeSocket implements SocketLike {
  readyState = 0;
  readonly sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;

  send(text: string): void {
    if (this.readyState !== 1) throw new Error('InvalidStateError: still CONNECTING');
    const frame = JSON.parse(text) as unknown;
    this.sent.push(...(Array.isArray(frame) ? frame : [frame]));
  }

  close(): void {
    this.readyState = 3;
  }

  /** The server accepted the connection. */
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }

  /** A frame from the server. */
  receive(message: unknown): void {
    this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) });
  }

  /** The connection dropped. */
  drop(): void {
    this.readyState = 3;
    this.onclose?.();
  }

  /** The messages of a type the worker sent, in order. */
  messages(type: string): Record<string, unknown>[] {
    return (this.sent as Record<string, unknown>[]).filter((message) => message.type === type);
  }
}

export class FakeServer implements ServerAccess {
  up = true;
  probes = 0;
  keptAwake = 0;
  readonly sockets: FakeSocket[] = [];
  /** Whether each new socket opens by itself, as a listening server's does. */
  autoOpen = true;
  /** What the hello says this browser is: a user's everyday one, or one `any launch` started. */
  kind: BrowserIdentity['kind'] = 'everyday';

  async probe(): Promise<void> {
    this.probes++;
    if (!this.up) throw new TypeError('Failed to fetch');
  }

  openSocket(): SocketLike {
    const socket = new FakeSocket();
    this.sockets.push(socket);
    if (this.autoOpen) queueMicrotask(() => socket.open());
    return socket;
  }

  keepAwake(): void {
    this.keptAwake++;
  }

  /** The names the server gave, in order (`welcome`). */
  readonly names: string[] = [];

  async describe(): Promise<BrowserIdentity> {
    return { extensionVersion: '0.1.0', userAgent: 'FakeBrowser/1', installId: 'install-1', kind: this.kind, brand: 'Fake', browserVersion: '1.0' };
  }

  named(name: string): void {
    this.names.push(name);
  }

  get socket(): FakeSocket {
    const socket = this.sockets.at(-1);
    if (!socket) throw new Error('no socket was opened');
    return socket;
  }
}

export class FakePort implements ContentPort {
  readonly posted: Record<string, unknown>[] = [];
  disconnectedByWorker = false;
  handlers: ContentPortHandlers | undefined;
  /** Makes `post` throw, as Chrome does for a port that just closed. */
  refuseWith: string | undefined;

  post(message: unknown): void {
    if (this.refuseWith) throw new Error(this.refuseWith);
    this.posted.push(...((Array.isArray(message) ? message : [message]) as Record<string, unknown>[]));
  }

  disconnect(): void {
    this.disconnectedByWorker = true;
  }

  /** A message from the content script. */
  say(message: unknown): void {
    this.handlers?.received(message);
  }

  messages(type: string): Record<string, unknown>[] {
    return this.posted.filter((message) => message.type === type);
  }
}

export class FakeTabs implements BrowserTabs {
  readonly open = new Map<number, OpenTab>();
  readonly created: string[] = [];
  readonly removed: number[] = [];
  readonly reloaded: number[] = [];
  readonly injected: { tabId: number; channel: string }[] = [];
  /** Set to make injection fail, as Chrome does for a tab it keeps extensions off. */
  refuseInjection = false;
  /** Called after a successful injection: the test links the tab (or not). */
  onInjected: (tabId: number) => void = () => {};
  #nextId = 100;
  worker: BackgroundWorker | undefined;

  async query(pattern: string): Promise<OpenTab[]> {
    const host = new URL(pattern.replace('/*', '/')).hostname;
    return [...this.open.values()].filter((tab) => tab.url && new URL(tab.url).hostname === host);
  }

  async listWeb(): Promise<OpenTab[]> {
    return [...this.open.values()].filter((tab) => tab.url && /^https?:/.test(tab.url));
  }

  async create(url: string): Promise<number | undefined> {
    const id = this.#nextId++;
    this.created.push(url);
    this.open.set(id, { id, url, active: false, discarded: false });
    return id;
  }

  async remove(tabId: number): Promise<void> {
    this.removed.push(tabId);
    this.close(tabId);
  }

  /** Records the reload; the test then links the tab's new document (or not). */
  async reload(tabId: number): Promise<void> {
    if (!this.open.has(tabId)) throw new Error(`No tab with id: ${tabId}.`);
    this.reloaded.push(tabId);
  }

  async exists(tabId: number): Promise<boolean> {
    return this.open.has(tabId);
  }

  async injectScripts(tabId: number, channel: string): Promise<void> {
    if (this.refuseInjection) throw new Error('Cannot access contents of the page');
    this.injected.push({ tabId, channel });
    queueMicrotask(() => this.onInjected(tabId));
  }

  /** A tab the user had open (before the extension, so with no content script). */
  userTab(url: string): number {
    const id = this.#nextId++;
    this.open.set(id, { id, url, active: true, discarded: false });
    return id;
  }

  /** The browser reports a change to the tab. */
  update(tabId: number, change: TabChange): void {
    const tab = this.open.get(tabId);
    if (tab && change.url) tab.url = change.url;
    if (tab && change.discarded !== undefined) tab.discarded = change.discarded;
    this.worker?.tabUpdated(tabId, change);
  }

  close(tabId: number): void {
    if (!this.open.delete(tabId)) return;
    this.worker?.tabRemoved(tabId);
  }
}

/** The browser's windows: how many times all were closed. */
export class FakeWindows implements BrowserWindows {
  closedAll = 0;

  async closeAll(): Promise<void> {
    this.closedAll++;
  }
}

/** The worker's core, with every part of its world fake. */
export function startFakeWorker() {
  const clock = new FakeClock();
  const server = new FakeServer();
  const tabs = new FakeTabs();
  const windows = new FakeWindows();
  const logged: string[] = [];
  const worker = createBackgroundWorker({ server, tabs, windows, clock, log: (line) => logged.push(line) });
  tabs.worker = worker;

  /** A content script in `tabId` connects and says ready (its bridge is up), at `url`. */
  const linkTab = (tabId: number, url = tabs.open.get(tabId)?.url ?? 'about:blank', sender: { frameId?: number; documentLifecycle?: string } = {}) => {
    const port = new FakePort();
    const tab = tabs.open.get(tabId);
    if (tab) tab.url = url;
    port.handlers = worker.contentConnected(port, { tabId, frameId: sender.frameId ?? 0, documentLifecycle: sender.documentLifecycle ?? 'active' });
    port.say({ type: 'ready', url });
    return port;
  };

  return { clock, server, tabs, windows, worker, logged, linkTab };
}
