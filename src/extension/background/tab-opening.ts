/**
 * Finds or opens the tab a call runs in. The worker alone creates tabs; content scripts never
 * navigate. In order: a linked tab that matches the page; an open tab that matches but has no
 * content script yet (it was open before the extension was installed, enabled or updated), into
 * which the scripts are injected; else a new background tab at the page.
 */
import { BRIDGE_HELLO_EVENT, CallFailure, LATE_METHOD_GRACE_MS, MAX_RESULT_CHARS } from '../../protocol/index.js';
import { runPageBridge } from '../main/bridge.js';
import { linkedTab, linkedTabFor, rememberOpenedFor, whenLinked, type LinkedTab } from './linked-tabs.js';
import { matchPage, NO_MATCH, pageKey, queryPatternFor } from './tab-matching.js';

/** How long a loaded tab may stay without a ready content script before the call fails. */
const READY_AFTER_LOAD_MS = 1_000;
/** A page that has not even started (no content script) after this long is given up on. */
const OPEN_TIMEOUT_MS = 60_000;
/** Injecting into an already loaded tab takes milliseconds; past this, try elsewhere. */
const INJECT_TIMEOUT_MS = 5_000;

/** Tabs being opened, by page: concurrent calls for one page share one new tab. */
const openingTabs = new Map<string, Promise<LinkedTab>>();

/** The tab for `page`: at once when one is linked (so calls of one turn leave together), else a promise. */
export function tabForPage(page: string, signal: AbortSignal): LinkedTab | Promise<LinkedTab> {
  const linked = linkedTabFor(page);
  if (linked) return linked;
  const key = pageKey(page);
  let opening = openingTabs.get(key);
  if (!opening) {
    opening = findOrOpenTab(page).finally(() => openingTabs.delete(key));
    openingTabs.set(key, opening);
  }
  return abortable(opening, signal);
}

async function findOrOpenTab(page: string): Promise<LinkedTab> {
  const openTabs = await chrome.tabs.query({ url: queryPatternFor(page) });
  const candidates = openTabs
    .filter((tab) => tab.id !== undefined && !tab.discarded && matchPage(page, tab.url) !== NO_MATCH)
    .sort((a, b) => matchPage(page, b.url) - matchPage(page, a.url) || Number(b.active) - Number(a.active));
  for (const tab of candidates) {
    const already = linkedTab(tab.id!);
    if (already) return already;
    const giveUp = new AbortController();
    try {
      const linked = waitForLink(tab.id!, page, giveUp.signal, INJECT_TIMEOUT_MS);
      await injectContentScripts(tab.id!);
      return await linked;
    } catch {
      // Chrome refused to script this tab, or it is mid-navigation: try the next, then a new tab.
      giveUp.abort();
    }
  }

  const created = await chrome.tabs.create({ url: page, active: false });
  const tabId = created.id;
  if (tabId === undefined) throw CallFailure.of('TAB_FAILED', `Chrome did not open a tab for ${page}.`);
  rememberOpenedFor(tabId, page);
  try {
    return await waitForLink(tabId, page, new AbortController().signal, OPEN_TIMEOUT_MS);
  } catch (error) {
    // A tab we opened that cannot serve the call would only pile up: close it.
    chrome.tabs.remove(tabId).catch(() => {});
    throw error;
  }
}

/**
 * Injects the content script and the page bridge into a tab that is already running page
 * scripts. The worker picks their channel and hands it to each world directly, so no hello is
 * broadcast for the page's own listeners to answer.
 */
async function injectContentScripts(tabId: number): Promise<void> {
  const channel = [...crypto.getRandomValues(new Uint8Array(16))].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  await chrome.scripting.executeScript({ target: { tabId }, func: presetChannelForContentScript, args: [channel] });
  await chrome.scripting.executeScript({ target: { tabId }, files: ['content.js'] });
  await chrome.scripting.executeScript({
    target: { tabId },
    world: 'MAIN',
    func: runPageBridge,
    args: [{ helloEvent: BRIDGE_HELLO_EVENT, presetChannel: channel, lateMethodGraceMs: LATE_METHOD_GRACE_MS, maxResultChars: MAX_RESULT_CHARS }],
  });
}

/** Runs in the content script's world (page scripts cannot see it); content.js takes it from there. */
function presetChannelForContentScript(channel: string): void {
  (globalThis as Record<symbol, unknown>)[Symbol.for('any.presetChannel')] = channel;
}

/**
 * Resolves when the tab's content script is linked. Fails when the tab closes, when it finishes
 * loading without one (an error page, or a page Chrome keeps extensions off), after `timeoutMs`,
 * or when `giveUp` aborts; every listener it added is removed in each case.
 */
function waitForLink(tabId: number, page: string, giveUp: AbortSignal, timeoutMs: number): Promise<LinkedTab> {
  return new Promise((resolve, reject) => {
    const already = linkedTab(tabId);
    if (already) return resolve(already);
    let loadedTimer: ReturnType<typeof setTimeout> | undefined;
    const finish = (outcome: () => void) => {
      clearTimeout(loadedTimer);
      clearTimeout(overallTimer);
      stopWaiting();
      chrome.tabs.onUpdated.removeListener(onUpdated);
      chrome.tabs.onRemoved.removeListener(onRemoved);
      giveUp.removeEventListener('abort', onGiveUp);
      outcome();
    };
    const fail = (code: 'TAB_FAILED' | 'TAB_CLOSED', message: string) => finish(() => reject(CallFailure.of(code, message)));
    const onUpdated = (updatedId: number, change: chrome.tabs.OnUpdatedInfo) => {
      if (updatedId !== tabId || change.status !== 'complete') return;
      clearTimeout(loadedTimer);
      loadedTimer = setTimeout(() => fail('TAB_FAILED',
        `The tab for ${page} loaded, but the any content script did not start in it. The page may have failed ` +
        'to load (is the site up?), or it is one Chrome keeps extensions off (chrome://, the Web Store).'), READY_AFTER_LOAD_MS);
    };
    const onRemoved = (removedId: number) => {
      if (removedId === tabId) fail('TAB_CLOSED', `The tab for ${page} was closed before its page was ready.`);
    };
    const onGiveUp = () => fail('TAB_FAILED', `Gave up waiting for the tab for ${page}.`);
    const overallTimer = setTimeout(() => fail('TAB_FAILED', `The page ${page} did not start loading within ${timeoutMs} ms.`), timeoutMs);
    chrome.tabs.onUpdated.addListener(onUpdated);
    chrome.tabs.onRemoved.addListener(onRemoved);
    giveUp.addEventListener('abort', onGiveUp, { once: true });
    const stopWaiting = whenLinked(tabId, (tab) => finish(() => resolve(tab)));
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
