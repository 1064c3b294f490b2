/**
 * The content script (ISOLATED world): relays calls from the background worker's port to the
 * page bridge and answers back, each answer checked first (page-answers.ts): this is the first
 * place page scripts cannot reach. It never runs page code and never navigates. It says `ready`
 * only once the bridge channel is open, so the worker never sends a call the page can't get.
 */
import {
  BackgroundToContent,
  CONTENT_PORT_NAME,
  type ContentToBackground,
  type ContentToPage,
} from '../../protocol/messages.js';
import { createBatcher, parseFrame } from '../../protocol/batching.js';
import { openBridgeChannel } from './bridge-channel.js';
import { checkPageAnswer, type PageRequestKind } from './page-answers.js';

/** After the worker restarts (its ports all close), reconnect soon, which also wakes it. */
const RECONNECT_DELAY_MS = 250;
/**
 * Set on this isolated world's global, so that a second injection into the same document reuses
 * a live first instance. An instance left behind by a disabled or reloaded extension is dead
 * (its `chrome.runtime` is gone): then this injection starts afresh.
 */
const INSTANCE = Symbol.for('any.contentScript');

interface ContentScript {
  /** Connects to the worker unless connected; false if this instance's extension is gone. */
  connect(): boolean;
}

/** Where the worker leaves the channel it chose before injecting this script into an open tab. */
const PRESET_CHANNEL = Symbol.for('any.presetChannel');

const worldGlobals = globalThis as Record<symbol, unknown>;
const presetChannel = worldGlobals[PRESET_CHANNEL] as string | undefined;
delete worldGlobals[PRESET_CHANNEL];
if (!(worldGlobals[INSTANCE] as ContentScript | undefined)?.connect()) worldGlobals[INSTANCE] = startContentScript(presetChannel);

function startContentScript(presetChannel: string | undefined): ContentScript {
  let port: chrome.runtime.Port | undefined;
  let bridgeOpen = false;
  /** Calls handed to the page and not answered yet: the only ones the page may answer, once. */
  const inFlight = new Map<string, PageRequestKind>();

  const toPage = (message: ContentToPage) => {
    // A cancelled call is over for the worker: a late answer from the page is not wanted.
    if (message.type === 'cancel') inFlight.delete(message.id);
    else inFlight.set(message.id, message.type);
    bridge.send(message);
  };
  // Answers of the same turn (the page's methods often finish together) go in one port message,
  // a large one alone. If Chrome refuses one (over 64 MiB once encoded), its call gets an error.
  const toBackground = createBatcher<ContentToBackground>((messages) => {
    try {
      port?.postMessage(messages.length === 1 ? messages[0] : messages);
    } catch (error) {
      for (const message of messages) {
        if (message.type === 'ready') continue; // a progress value that cannot travel ends its call too
        port?.postMessage({ type: 'result', id: message.id, error: { name: 'TooLargeError', code: 'TOO_LARGE',
          message: `Chrome could not carry the result to the extension (${(error as Error).message}); return less.` } });
      }
    }
  }, queueMicrotask, (message) => (message.type === 'ready' ? 0 : (message.json?.length ?? 0)) + 100);

  // Calls, listings and cancels go on to the page as they came, once validated.
  const fromBackground = (raw: unknown) => {
    for (const parsed of parseFrame(BackgroundToContent, raw)) {
      if (parsed.ok) toPage(parsed.value);
      else console.warn(`any: ignored an invalid message from the background: ${parsed.problem}`);
    }
  };

  const fromPage = (message: unknown) => {
    const answer = checkPageAnswer(message, inFlight);
    if (!answer) return; // answers no call of ours: forged, late, or a second answer
    if (answer.type === 'result') inFlight.delete(answer.id); // progress values come before it, any number
    toBackground(answer);
  };

  const connect = (): boolean => {
    if (!chrome.runtime?.id) return false; // the extension was disabled, reloaded or updated
    if (port || !bridgeOpen) return true;
    if ((document as { prerendering?: boolean }).prerendering) {
      // A prerendered page is not what its tab shows yet: link it when it is activated.
      document.addEventListener('prerenderingchange', () => connect(), { once: true });
      return true;
    }
    port = chrome.runtime.connect({ name: CONTENT_PORT_NAME });
    port.onMessage.addListener(fromBackground);
    port.onDisconnect.addListener(() => {
      port = undefined;
      setTimeout(() => connect(), RECONNECT_DELAY_MS);
    });
    toBackground({ type: 'ready', url: location.href });
    return true;
  };

  const bridge = openBridgeChannel(presetChannel, fromPage, () => {
    bridgeOpen = true;
    connect();
  });

  return { connect };
}
