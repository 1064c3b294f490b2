/** The page bridge's setup, the same wherever it starts: at document_start (main.js) or injected late by the worker. */
import { BRIDGE_HELLO_EVENT, LATE_METHOD_GRACE_MS, MAX_RESULT_CHARS, METHOD_ANNOTATION_KEYS, WEBMCP_PREFIX } from '../../protocol/constants.js';
import type { PageBridgeSetup } from './bridge.js';

export function pageBridgeSetup(presetChannel: string | null): PageBridgeSetup {
  return {
    helloEvent: BRIDGE_HELLO_EVENT,
    presetChannel,
    lateMethodGraceMs: LATE_METHOD_GRACE_MS,
    maxResultChars: MAX_RESULT_CHARS,
    webmcpPrefix: WEBMCP_PREFIX,
    annotationKeys: METHOD_ANNOTATION_KEYS,
  };
}
