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
import { DEFAULT_SETTINGS, parseSettings, SETTINGS_FILE, type ExtensionSettings } from '../../protocol/extension-settings.js';
import { browserBrand, type BrandVersion } from '../../protocol/browser-identity.js';
import type { BrowserIdentity, BrowserTabs, BrowserWindows, Clock, ServerAccess, SocketLike } from './outside-world.js';
import { createBackgroundWorker } from './worker.js';

/** Wakes a worker that was stopped anyway, so it reconnects (30 s is Chrome's shortest period). */
const RECONNECT_ALARM = 'any-reconnect';
const PROBE_TIMEOUT_MS = 2_000;

/** This start's settings (settings.ts says why they are read, not imported); the defaults until then. */
let settings: ExtensionSettings = DEFAULT_SETTINGS;
const settingsRead: Promise<ExtensionSettings> = fetch(chrome.runtime.getURL(SETTINGS_FILE), { cache: 'no-store' })
  .then((response) => response.json())
  .then(parseSettings, () => DEFAULT_SETTINGS)
  .then((read) => (settings = read));
const server127 = () => `127.0.0.1:${settings.port}`;

const clock: Clock = {
  now: () => Date.now(),
  setTimeout(run, ms) {
    const timer = setTimeout(run, ms);
    return () => clearTimeout(timer);
  },
};

const server: ServerAccess = {
  probe: async () => {
    await settingsRead;
    await fetch(`http://${server127()}/health`, { cache: 'no-store', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  },
  // Always after a probe, so the settings have been read.
  openSocket: () => new WebSocket(`ws://${server127()}/ws`) as SocketLike,
  keepAwake: () => void chrome.runtime.getPlatformInfo().catch(() => {}),
  describe: describeBrowser,
  named(name) {
    // A managed browser's name is its launch's (settings.json); an everyday one keeps the server's.
    if (!settings.managed) void chrome.storage.local.set({ [NAME_KEY]: name }).catch(() => {});
  },
};

/**
 * Who this browser is. An everyday browser keeps an id of its own in the profile's extension
 * storage (so its name survives worker and browser restarts) and the name it was last given;
 * a managed one has both from `any launch`, in settings.json.
 */
async function describeBrowser(): Promise<BrowserIdentity> {
  const { managed, installId: launchId, name: launchName } = await settingsRead;
  const stored = managed ? {} : await chrome.storage.local.get([INSTALL_ID_KEY, NAME_KEY]);
  let installId = launchId ?? (typeof stored[INSTALL_ID_KEY] === 'string' ? stored[INSTALL_ID_KEY] : undefined);
  if (!installId) {
    installId = crypto.randomUUID();
    await chrome.storage.local.set({ [INSTALL_ID_KEY]: installId });
  }
  const name = launchName ?? (typeof stored[NAME_KEY] === 'string' ? stored[NAME_KEY] : undefined);
  const agentData = (navigator as Navigator & { userAgentData?: UserAgentData }).userAgentData;
  const brands = await agentData?.getHighEntropyValues(['fullVersionList']).then((values) => values.fullVersionList, () => undefined);
  const { brand, version } = browserBrand(brands ?? agentData?.brands, navigator.userAgent);
  return {
    extensionVersion: chrome.runtime.getManifest().version,
    userAgent: navigator.userAgent,
    installId,
    ...(name ? { name } : {}),
    kind: managed ? 'managed' : 'everyday',
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
  reload: (tabId) => chrome.tabs.reload(tabId),
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

const windows: BrowserWindows = {
  async closeAll() {
    for (const window of await chrome.windows.getAll()) if (window.id !== undefined) await chrome.windows.remove(window.id);
  },
};

/** Runs in the content script's world; self-contained, as `executeScript({ func })` requires. */
function presetChannelForContentScript(channel: string): void {
  (globalThis as Record<symbol, unknown>)[Symbol.for('any.presetChannel')] = channel;
}

const worker = createBackgroundWorker({ server, tabs, windows, clock, log: (line) => console.warn(line) });

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
