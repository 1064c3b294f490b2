/**
 * The content script's end of its private channel to the page bridge (MAIN world).
 *
 * The two worlds share the DOM but no JavaScript objects. Messages are plain objects in the
 * `detail` of synchronous CustomEvents on `window` (the browser clones a detail into the world
 * that reads it; the hello alone is JSON text), under event names derived from a random channel
 * id (`bridgeEventNames`) that page scripts do not learn:
 *
 *   - at document_start, before any page script exists, each side dispatches BRIDGE_HELLO_EVENT
 *     once, proposing a fresh channel; whichever ran first hears the other's proposal and
 *     acknowledges it on that channel's `ack` event;
 *   - in a tab that was open before the extension, page scripts are already running and could
 *     listen for a hello, so nothing is broadcast: the worker picks the channel and hands it to
 *     both sides directly (`presetChannel`), and the bridge acknowledges it when it starts.
 *
 * This world's globals cannot be touched by page scripts, so no primitive needs guarding here.
 */
import { BRIDGE_HELLO_EVENT, BridgeHello, bridgeEventNames, parse } from '../../protocol/messages.js';

export interface BridgeChannel {
  /** Sends a message to the page bridge; false before the channel is open. */
  send(message: object): boolean;
}

/**
 * Opens the channel. `onOpen` runs once the bridge has acknowledged it (synchronously, when the
 * bridge is already listening); `onMessage` receives the bridge's messages, still to validate.
 */
export function openBridgeChannel(
  presetChannel: string | undefined,
  onMessage: (message: unknown) => void,
  onOpen: () => void,
): BridgeChannel {
  const proposal = presetChannel ?? randomChannel();
  let channel: string | undefined;

  const receive = (event: Event) => onMessage((event as CustomEvent).detail);
  const settle = (agreed: string) => {
    channel = agreed;
    removeEventListener(BRIDGE_HELLO_EVENT, onHello, true);
    removeEventListener(bridgeEventNames(proposal).ack, settleOnOwnChannel, true);
    addEventListener(bridgeEventNames(agreed).toContent, receive, true);
    onOpen();
  };
  const settleOnOwnChannel = () => {
    if (!channel) settle(proposal);
  };
  const onHello = (event: Event) => {
    let hello: unknown;
    try {
      hello = JSON.parse((event as CustomEvent).detail);
    } catch {
      return;
    }
    const parsed = parse(BridgeHello, hello);
    if (!parsed.ok || parsed.value.role !== 'page' || channel) return;
    settle(parsed.value.channel);
    fire(bridgeEventNames(parsed.value.channel).ack, '');
  };

  addEventListener(bridgeEventNames(proposal).ack, settleOnOwnChannel, true);
  if (!presetChannel) {
    addEventListener(BRIDGE_HELLO_EVENT, onHello, true);
    fire(BRIDGE_HELLO_EVENT, JSON.stringify({ role: 'content', channel: proposal }));
  }

  return {
    send(message) {
      if (!channel) return false;
      fire(bridgeEventNames(channel).toPage, message);
      return true;
    },
  };
}

/**
 * Firefox does not clone a content script's `detail` into the page: the page would get an object
 * it may not read ("Permission denied to access property"). `cloneInto` (Firefox's content
 * scripts have it) makes the page's own copy first; Chrome clones by itself and has no cloneInto.
 */
const cloneInto = (globalThis as { cloneInto?: (value: unknown, scope: object) => unknown }).cloneInto;
const forThePage = cloneInto ? (detail: unknown) => (typeof detail === 'object' && detail !== null ? cloneInto(detail, window) : detail) : (detail: unknown) => detail;

function fire(type: string, detail: unknown): void {
  dispatchEvent(new CustomEvent(type, { detail: forThePage(detail) }));
}

function randomChannel(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}
