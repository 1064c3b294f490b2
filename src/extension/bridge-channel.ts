/**
 * The private channel between the content script (ISOLATED world) and the page bridge (MAIN
 * world). Both bundle this file and open the channel at document_start, before page scripts run.
 *
 * Messages are JSON text in the `detail` of synchronous CustomEvents on `window`, named after a
 * random channel (see BRIDGE_HELLO_EVENT). Every browser primitive used here is captured when the
 * module loads, so a page script that later patches `dispatchEvent`, `CustomEvent` or `JSON`
 * cannot see or forge the bridge's messages; init dictionaries have no prototype, so getters on
 * `Object.prototype` see nothing either.
 */
import { BRIDGE_HELLO_EVENT, BridgeHello, bridgeEventNames, parse } from '../protocol/messages.js';

const { apply } = Reflect;
const { addEventListener, removeEventListener, dispatchEvent } = EventTarget.prototype;
const SafeCustomEvent = CustomEvent;
const getDetail = Object.getOwnPropertyDescriptor(CustomEvent.prototype, 'detail')!.get!;
const { stringify: toJson, parse: fromJson } = JSON;
const getRandomValues = crypto.getRandomValues.bind(crypto);
const target = window;

export type BridgeRole = 'content' | 'page';

export interface BridgeChannel {
  /** Sends JSON text to the other side; false before the channel is open. */
  send(text: string): boolean;
}

/**
 * Opens this side of the channel. `onOpen` runs once both sides have agreed on a channel
 * (synchronously, if the other side is already listening); `onMessage` receives its JSON text.
 */
export function openBridgeChannel(role: BridgeRole, onMessage: (text: string) => void, onOpen: () => void): BridgeChannel {
  const incoming = role === 'page' ? 'toPage' : 'toContent';
  const outgoing = role === 'page' ? 'toContent' : 'toPage';
  const proposal = randomChannel();
  let channel: string | undefined;

  const receive = (event: Event) => {
    const detail: unknown = apply(getDetail, event, []);
    if (typeof detail === 'string') onMessage(detail);
  };
  const settle = (agreed: string) => {
    channel = agreed;
    apply(removeEventListener, target, [BRIDGE_HELLO_EVENT, onHello, true]);
    apply(removeEventListener, target, [bridgeEventNames(proposal).ack, onAck, true]);
    apply(addEventListener, target, [bridgeEventNames(agreed)[incoming], receive, true]);
    onOpen();
  };
  const onHello = (event: Event) => {
    let hello: unknown;
    try {
      hello = fromJson(apply(getDetail, event, []) as string);
    } catch {
      return;
    }
    const parsed = parse(BridgeHello, hello);
    if (!parsed.ok || parsed.value.role === role || channel) return;
    settle(parsed.value.channel);
    fire(bridgeEventNames(parsed.value.channel).ack, '');
  };
  const onAck = () => {
    if (!channel) settle(proposal);
  };

  apply(addEventListener, target, [BRIDGE_HELLO_EVENT, onHello, true]);
  apply(addEventListener, target, [bridgeEventNames(proposal).ack, onAck, true]);
  fire(BRIDGE_HELLO_EVENT, toJson({ role, channel: proposal }));

  return {
    send(text) {
      if (!channel) return false;
      fire(bridgeEventNames(channel)[outgoing], text);
      return true;
    },
  };
}

function fire(type: string, detail: string): void {
  const init = { __proto__: null, detail } as CustomEventInit<string>;
  apply(dispatchEvent, target, [new SafeCustomEvent(type, init)]);
}

function randomChannel(): string {
  const bytes = getRandomValues(new Uint8Array(16));
  let hex = '';
  for (let i = 0; i < bytes.length; i++) hex += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16);
  return hex;
}
