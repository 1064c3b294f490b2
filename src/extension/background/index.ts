/**
 * The service worker's entry point, and the only module of the background that touches
 * `chrome.*`, `fetch` and `WebSocket`: it implements the worker's outside world with them and
 * feeds the browser's events to the worker's core (worker.ts). MV3 only delivers events to
 * listeners registered during the worker's first turn, so everything is wired here,
 * synchronously, at the top level.
 */
import { CONTENT_PORT_NAME } from '../../protocol/constants.js';
import { runPageBridge } from '../main/bridge.js';
import { pageBridgeSetup } from '../main/setup.js';
import { BROWSER_NAME, INSTALL_ID, MANAGED, SERVER_PORT } from '../settings.js';
import { browserBrand, type BrandVersion } from '../../protocol/browser-identity.js';
import type { BrowserIdentity, BrowserTabs, Clock, ServerAccess, SocketLike } from './outside-world.js';
import { createBackgroundWorker } from './worker.js';

/** Wakes a worker that was stopped anyway, so it reconnects (30 s is Chrome's shortest period). */
const RECONNECT_ALARM = 'any-reconnect';
const PROBE_TIMEOUT_MS = 2_000;
const SERVER = `127.0.0.1:${SERVER_PORT}`;

const clock: Clock = {
  now: () => Date.now(),
  setTimeout(run, ms) {
    const timer = setTimeout(run, ms);
    return () => clearTimeout(timer);
  },
};

const server: ServerAccess = {
  probe: async () => {
    await fetch(`http://${SERVER}/health`, { cache: 'no-store', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  },
  openSocket: () => new WebSocket(`ws://${SERVER}/ws`) as SocketLike,
  keepAwake: () => void chrome.runtime.getPlatformInfo().catch(() => {}),
  describe: describeBrowser,
  named(name) {
    // A managed browser's name is its launch's (settings.js); an everyday one keeps the server's.
    if (!MANAGED) void chrome.storage.local.set({ [NAME_KEY]: name }).catch(() => {});
  },
};

/**
 * Who this browser is. An everyday browser keeps an id of its own in the profile's extension
 * storage (so its name survives worker and browser restarts) and the name it was last given;
 * a managed one has both from `any launch`, in settings.js.
 */
async function describeBrowser(): Promise<BrowserIdentity> {
  const stored = MANAGED ? {} : await chrome.storage.local.get([INSTALL_ID_KEY, NAME_KEY]);
  let installId = INSTALL_ID ?? (typeof stored[INSTALL_ID_KEY] === 'string' ? stored[INSTALL_ID_KEY] : undefined);
  if (!installId) {
    installId = crypto.randomUUID();
    await chrome.storage.local.set({ [INSTALL_ID_KEY]: installId });
  }
  const name = BROWSER_NAME ?? (typeof stored[NAME_KEY] === 'string' ? stored[NAME_KEY] : undefined);
  const agentData = (navigator as Navigator & { userAgentData?: UserAgentData }).userAgentData;
  const brands = await agentData?.getHighEntropyValues(['fullVersionList']).then((values) => values.fullVersionList, () => undefined);
  const { brand, version } = browserBrand(brands ?? agentData?.brands, navigator.userAgent);
  return {
    extensionVersion: chrome.runtime.getManifest().version,
    userAgent: navigator.userAgent,
    installId,
    ...(name ? { name } : {}),
    kind: MANAGED ? 'managed' : 'everyday',
    brand,
    browserVersion: version,
  };
}

interface UserAgentData {
  brands: BrandVersion[];
  getHighEntropyValues(hints: string[]): Promise<{ fullVersionList?: BrandVersion[] }>;
}

const INSTALL_ID_KEY = 'installId';
const NAME_KEY = 'browserName';

const tabs: BrowserTabs = {
  query: async (pattern) => (await chrome.tabs.query({ url: pattern }))
    .filter((tab) => tab.id !== undefined)
    .map((tab) => ({ id: tab.id!, url: tab.url, active: tab.active, discarded: tab.discarded })),
  listWeb: async () => (await chrome.tabs.query({ url: ['http://*/*', 'https://*/*'] }))
    .filter((tab) => tab.id !== undefined)
    .map((tab) => ({ id: tab.id!, url: tab.url, active: tab.active, discarded: tab.discarded })),
  create: async (url) => (await chrome.tabs.create({ url, active: false })).id,
  remove: (tabId) => chrome.tabs.remove(tabId),
  exists: (tabId) => chrome.tabs.get(tabId).then(() => true, () => false),
  /**
   * The worker picks the channel and hands it to each world directly, so no hello is broadcast
   * for the page's own listeners to answer: first to the content script's world (which page
   * scripts cannot see; content.js takes it from there), then to the bridge as its argument.
   */
  async injectScripts(tabId, channel) {
    await chrome.scripting.executeScript({ target: { tabId }, func: presetChannelForContentScript, args: [channel] });
    await chrome.scripting.executeScript({ target: { tabId }, files: ['content.js'] });
    await chrome.scripting.executeScript({
      target: { tabId },
      world: 'MAIN',
      func: runPageBridge,
      args: [pageBridgeSetup(channel)],
    });
  },
};

/** Runs in the content script's world; self-contained, as `executeScript({ func })` requires. */
function presetChannelForContentScript(channel: string): void {
  (globalThis as Record<symbol, unknown>)[Symbol.for('any.presetChannel')] = channel;
}

const worker = createBackgroundWorker({ server, tabs, clock, log: (line) => console.warn(line) });

chrome.runtime.onConnect.addListener((port) => {
  if (port.name !== CONTENT_PORT_NAME) return;
  const handlers = worker.contentConnected(
    { post: (message) => port.postMessage(message), disconnect: () => port.disconnect() },
    { tabId: port.sender?.tab?.id, frameId: port.sender?.frameId, documentLifecycle: port.sender?.documentLifecycle },
  );
  if (!handlers) return;
  port.onMessage.addListener((message: unknown) => handlers.received(message));
  port.onDisconnect.addListener(() => handlers.disconnected());
});
chrome.tabs.onUpdated.addListener((tabId, change) => worker.tabUpdated(tabId, change));
chrome.tabs.onRemoved.addListener((tabId) => worker.tabRemoved(tabId));
// A prerendered page swapped in: the tab shown has a new id.
chrome.tabs.onReplaced.addListener((_added, removed) => worker.tabRemoved(removed));
chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === RECONNECT_ALARM) worker.ensureConnected();
});
chrome.runtime.onStartup.addListener(() => worker.ensureConnected());
chrome.runtime.onInstalled.addListener(() => worker.ensureConnected());

void chrome.alarms.get(RECONNECT_ALARM).then((alarm) => {
  if (!alarm) void chrome.alarms.create(RECONNECT_ALARM, { periodInMinutes: 0.5 });
});
worker.ensureConnected();
