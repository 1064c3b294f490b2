/**
 * The one WebSocket to the any server, and its only owner. Every trigger (worker start,
 * install, browser start, the backstop alarm, a closed socket) calls `ensureConnected()`,
 * which does nothing while an attempt is under way or a socket is open: never a second socket.
 *
 * An attempt first asks `GET /health` with fetch, and opens the WebSocket only once the server
 * answers. Chromium throttles WebSockets per renderer process after failed handshakes (up to
 * 1–5 s before each new one is even tried), so knocking with WebSockets while the server is
 * down would make the reconnect slow exactly when it matters; fetch is not throttled.
 *
 * MV3 stops a service worker about 30 s after its last event, and takes its timers with it.
 * Two things keep it alive (both measured, see docs/lifecycle.md):
 *   - connected: an application message every 20 s (WebSocket ping frames do not count);
 *   - disconnected: the fixed 1 s retry makes an extension API call each time.
 */
import { createBatcher, frameOf, parseFrame, textLength } from '../../protocol/batching.js';
import { PROTOCOL_VERSION, ServerToExtension } from '../../protocol/messages.js';
import { SERVER_PORT } from '../settings.js';

const RETRY_INTERVAL_MS = 1_000; // the user's decision: fixed, no backoff
const KEEP_ALIVE_INTERVAL_MS = 20_000;
const PROBE_TIMEOUT_MS = 2_000;
/** A socket opened before the server listens can stay CONNECTING with no close event. */
const CONNECT_TIMEOUT_MS = 3_000;
/** Results kept while disconnected, for the server to receive after a reconnect. */
const OUTBOX_LIMIT = 1_000;

const SERVER = `127.0.0.1:${SERVER_PORT}`;
export const WORKER_ID = crypto.randomUUID();

/**
 * `weight`: about how much text the message took in its frame (the frame's length over its
 * messages), so that what it leads to is batched by size too.
 */
type MessageHandler = (message: ServerToExtension, weight: number) => void;

/** Whether an attempt is under way: true from the probe until its socket closes. */
let attempting = false;
let socket: WebSocket | undefined;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let keepAliveTimer: ReturnType<typeof setInterval> | undefined;
let onServerMessage: MessageHandler = () => {};
/** Messages that wait for an open socket; `send` on a CONNECTING socket throws and loses them. */
const outbox: string[] = [];

export function onMessageFromServer(handler: MessageHandler): void {
  onServerMessage = handler;
}

export function ensureConnected(): void {
  if (attempting) return;
  attempting = true;
  clearTimeout(retryTimer);
  retryTimer = undefined;
  fetch(`http://${SERVER}/health`, { cache: 'no-store', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) }).then(
    () => openSocket(),
    () => endAttempt(),
  );
}

/**
 * Sends as soon as this turn of the worker's work is done — messages of the same turn in one
 * frame — if the socket is open; otherwise as soon as it is (after the next hello).
 */
export const send: (text: string) => void = createBatcher<string>((texts) => {
  if (socket?.readyState === WebSocket.OPEN) return socket.send(frameOf(texts));
  outbox.push(...texts);
  if (outbox.length > OUTBOX_LIMIT) outbox.splice(0, outbox.length - OUTBOX_LIMIT);
  ensureConnected();
}, queueMicrotask, textLength);

function openSocket(): void {
  let opened: WebSocket;
  try {
    opened = new WebSocket(`ws://${SERVER}/ws`);
  } catch {
    return endAttempt();
  }
  socket = opened;
  const connectTimer = setTimeout(() => opened.readyState === WebSocket.CONNECTING && close(), CONNECT_TIMEOUT_MS);
  const close = () => {
    if (socket !== opened) return;
    clearTimeout(connectTimer);
    clearInterval(keepAliveTimer);
    socket = undefined;
    opened.onopen = opened.onmessage = opened.onclose = opened.onerror = null;
    if (opened.readyState === WebSocket.CONNECTING || opened.readyState === WebSocket.OPEN) opened.close();
    endAttempt();
  };
  opened.onopen = () => {
    clearTimeout(connectTimer);
    opened.send(JSON.stringify({
      v: PROTOCOL_VERSION,
      type: 'hello',
      id: crypto.randomUUID(),
      workerId: WORKER_ID,
      extensionVersion: chrome.runtime.getManifest().version,
      userAgent: navigator.userAgent,
    }));
    for (const text of outbox.splice(0)) send(text); // batched again, by count and size
    keepAliveTimer = setInterval(() => send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'ping', id: crypto.randomUUID() })), KEEP_ALIVE_INTERVAL_MS);
  };
  opened.onmessage = (event) => {
    if (typeof event.data !== 'string') return;
    let frame: unknown;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return console.warn('any: ignored a frame from the server that is not JSON');
    }
    const messages = parseFrame(ServerToExtension, frame);
    const weight = event.data.length / messages.length;
    for (const parsed of messages) {
      if (parsed.ok) onServerMessage(parsed.value, weight);
      else console.warn(`any: ignored an invalid message from the server: ${parsed.problem}`);
    }
  };
  opened.onclose = close;
  opened.onerror = close;
}

/** The attempt failed or its socket closed: try again in a second, for as long as it takes. */
function endAttempt(): void {
  attempting = false;
  if (retryTimer !== undefined) return;
  retryTimer = setTimeout(() => {
    retryTimer = undefined;
    // Any extension API call counts as activity and keeps the worker alive while it retries.
    chrome.runtime.getPlatformInfo().catch(() => {});
    ensureConnected();
  }, RETRY_INTERVAL_MS);
}
