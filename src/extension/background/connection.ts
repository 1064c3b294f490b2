/**
 * The one WebSocket to the any server, and its only owner. Every trigger (worker start,
 * install, browser start, the backstop alarm, a closed socket) calls `ensureConnected()`,
 * which does nothing while a socket is connecting or open, so there is never a second socket.
 *
 * MV3 stops a service worker about 30 s after its last event, and takes its timers with it.
 * Two things keep it alive (both measured, see docs/lifecycle.md):
 *   - connected: an application message every 20 s (WebSocket ping frames do not count);
 *   - disconnected: the fixed 1 s retry makes an extension API call each time.
 */
import { parse, PROTOCOL_VERSION, ServerToExtension } from '../../protocol/messages.js';
import { SERVER_PORT } from '../settings.js';

const RETRY_INTERVAL_MS = 1_000; // the user's decision: fixed, no backoff
const KEEP_ALIVE_INTERVAL_MS = 20_000;
/** A socket opened before the server listens can stay CONNECTING with no close event. */
const CONNECT_TIMEOUT_MS = 3_000;
/** Results kept while disconnected, for the server to receive after a reconnect. */
const OUTBOX_LIMIT = 1_000;

export const WORKER_ID = crypto.randomUUID();

type MessageHandler = (message: ServerToExtension) => void;

let socket: WebSocket | undefined;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let keepAliveTimer: ReturnType<typeof setInterval> | undefined;
let connectTimer: ReturnType<typeof setTimeout> | undefined;
let onServerMessage: MessageHandler = () => {};
/** Messages that wait for an open socket; `send` on a CONNECTING socket throws and loses them. */
const outbox: string[] = [];

export function onMessageFromServer(handler: MessageHandler): void {
  onServerMessage = handler;
}

export function isConnected(): boolean {
  return socket?.readyState === WebSocket.OPEN;
}

export function ensureConnected(): void {
  if (socket) return; // connecting or open: the existing socket is the connection
  clearTimeout(retryTimer);
  retryTimer = undefined;
  let opened: WebSocket;
  try {
    opened = new WebSocket(`ws://127.0.0.1:${SERVER_PORT}/ws`);
  } catch {
    return scheduleRetry();
  }
  socket = opened;
  connectTimer = setTimeout(() => {
    if (opened.readyState === WebSocket.CONNECTING) drop(opened);
  }, CONNECT_TIMEOUT_MS);
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
    for (const text of outbox.splice(0)) opened.send(text);
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
    const parsed = parse(ServerToExtension, frame);
    if (!parsed.ok) return console.warn(`any: ignored an invalid message from the server: ${parsed.problem}`);
    onServerMessage(parsed.value);
  };
  opened.onclose = () => drop(opened);
  opened.onerror = () => drop(opened);
}

/** Sends now if the socket is open, otherwise as soon as it is (after the next hello). */
export function send(text: string): void {
  if (socket?.readyState === WebSocket.OPEN) return socket.send(text);
  outbox.push(text);
  if (outbox.length > OUTBOX_LIMIT) outbox.shift();
  ensureConnected();
}

function drop(closed: WebSocket): void {
  if (socket !== closed) return;
  socket = undefined;
  clearTimeout(connectTimer);
  clearInterval(keepAliveTimer);
  closed.onopen = closed.onmessage = closed.onclose = closed.onerror = null;
  if (closed.readyState === WebSocket.CONNECTING || closed.readyState === WebSocket.OPEN) closed.close();
  scheduleRetry();
}

function scheduleRetry(): void {
  if (retryTimer !== undefined) return;
  retryTimer = setTimeout(() => {
    retryTimer = undefined;
    // Any extension API call counts as activity and keeps the worker alive while it retries.
    chrome.runtime.getPlatformInfo().catch(() => {});
    ensureConnected();
  }, RETRY_INTERVAL_MS);
}
