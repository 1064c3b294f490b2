/**
 * The background worker's core, free of `chrome.*`: the connection to the server, the calls it
 * runs, the tabs they run in. Its outside world is handed in (outside-world.ts), so that the same
 * core runs in Chromium's service worker, in Firefox's event page, and in unit tests with fakes.
 *
 *   server ──ServerConnection──▶ RunningCalls ──TabOpener / LinkedTabs──▶ content scripts
 *          ◀──TabReport (the open tabs, for routing)──
 */
import { PROTOCOL_VERSION, type ServerToExtension } from '../../protocol/index.js';
import { RunningCalls } from './calls.js';
import { ServerConnection } from './connection.js';
import { LinkedTabs } from './linked-tabs.js';
import type { BrowserTabs, BrowserWindows, Clock, ContentPort, ContentPortHandlers, PortSender, ServerAccess, TabChange } from './outside-world.js';
import { TabOpener } from './tab-opening.js';
import { TabReport } from './tab-report.js';

export interface WorkerWorld {
  server: ServerAccess;
  tabs: BrowserTabs;
  windows: BrowserWindows;
  clock: Clock;
  log?: (line: string) => void;
}

/** What the entry module feeds the worker: the browser's events, and the triggers to connect. */
export interface BackgroundWorker {
  readonly workerId: string;
  /** Connects unless connected or connecting: every trigger may call it, there is one socket. */
  ensureConnected(): void;
  contentConnected(port: ContentPort, sender: PortSender): ContentPortHandlers | undefined;
  tabUpdated(tabId: number, change: TabChange): void;
  tabRemoved(tabId: number): void;
}

export function createBackgroundWorker(world: WorkerWorld): BackgroundWorker {
  const workerId = crypto.randomUUID();
  const log = world.log ?? (() => {});
  const linkedTabs = new LinkedTabs({
    onResult: (tab, result) => calls.pageResult(tab, result),
    onProgress: (tab, progress) => calls.pageProgress(tab, progress),
    onTabGone: (tab, reason) => calls.tabGone(tab, reason),
    onSendFailed: (tab, messages, problem) => calls.sendFailed(tab, messages, problem),
  }, world.tabs, log);
  const opener = new TabOpener(linkedTabs, world.tabs, world.clock);
  const connection: ServerConnection = new ServerConnection({
    server: world.server, clock: world.clock, workerId, onMessage, onConnected: () => tabReport.connected(), log,
  });
  const tabReport = new TabReport({ tabs: world.tabs, clock: world.clock, openedFor: (tabId) => linkedTabs.openedFor(tabId), toServer: connection.send, log });
  const calls = new RunningCalls({
    tabForPage: (page, signal, open) => opener.tabForPage(page, signal, open),
    reloadForLateUserscripts: (tab, page) => opener.reloadForLateUserscripts(tab, page),
    toServer: connection.send,
    clock: world.clock,
  });

  function onMessage(message: ServerToExtension, weight: number): void {
    if (message.type === 'call' || message.type === 'list') void calls.start(message, weight);
    else if (message.type === 'cancel') calls.cancel(message.id, message.reason);
    else if (message.type === 'inspect') {
      connection.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'state', id: message.id, callsInFlight: calls.size, calls: calls.states(), tabs: linkedTabs.states() }));
    }
    else if (message.type === 'welcome' && message.name) world.server.named(message.name);
    else if (message.type === 'close') void closeIfManaged();
    // `pong` needs no action: its arrival is what keeps the worker alive.
  }

  /** The launch that started this browser is closing it. An everyday browser is its user's to close: it never does. */
  async function closeIfManaged(): Promise<void> {
    const { kind } = await world.server.describe();
    if (kind !== 'managed') return log('any: the server asked this everyday browser to close its windows; ignored (only a browser `any launch` started closes so)');
    await world.windows.closeAll().catch((error: unknown) => log(`any: closing the windows failed: ${String(error)}`));
  }

  return {
    workerId,
    ensureConnected: () => connection.ensureConnected(),
    contentConnected: (port, sender) => linkedTabs.connect(port, sender),
    tabUpdated(tabId, change) {
      linkedTabs.tabUpdated(tabId, change);
      opener.tabUpdated(tabId, change);
      tabReport.tabUpdated(change);
    },
    tabRemoved(tabId) {
      linkedTabs.tabRemoved(tabId);
      opener.tabRemoved(tabId);
      tabReport.tabRemoved();
    },
  };
}
