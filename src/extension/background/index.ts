/**
 * The service worker's entry point. MV3 only delivers events to listeners registered during
 * the worker's first turn, so everything is wired here, synchronously, at the top level.
 */
import { PROTOCOL_VERSION } from '../../protocol/messages.js';
import { callsInFlight, callStates, cancelCall, onPageResult, onSendFailed, onTabGone, startCall } from './calls.js';
import { ensureConnected, onMessageFromServer, send } from './connection.js';
import { linkedTabStates, startLinkedTabs } from './linked-tabs.js';

/** Wakes a worker that was stopped anyway, so it reconnects (30 s is Chrome's shortest period). */
const RECONNECT_ALARM = 'any-reconnect';

onMessageFromServer((message, weight) => {
  if (message.type === 'call' || message.type === 'list') void startCall(message, weight);
  else if (message.type === 'cancel') cancelCall(message.id, message.reason);
  else if (message.type === 'inspect') {
    send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'state', id: message.id, callsInFlight: callsInFlight(), calls: callStates(), tabs: linkedTabStates() }));
  }
  // `welcome` and `pong` need no action: their arrival is what keeps the worker alive.
});

startLinkedTabs({ onResult: onPageResult, onTabGone, onSendFailed });

chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === RECONNECT_ALARM) ensureConnected();
});
chrome.runtime.onStartup.addListener(ensureConnected);
chrome.runtime.onInstalled.addListener(ensureConnected);

void chrome.alarms.get(RECONNECT_ALARM).then((alarm) => {
  if (!alarm) void chrome.alarms.create(RECONNECT_ALARM, { periodInMinutes: 0.5 });
});
ensureConnected();
