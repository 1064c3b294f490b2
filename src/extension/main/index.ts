// main.js: the page bridge as the manifest injects it, at document_start in the MAIN world.
import { BRIDGE_HELLO_EVENT, LATE_METHOD_GRACE_MS, MAX_RESULT_CHARS } from '../../protocol/constants.js';
import { runPageBridge } from './bridge.js';

runPageBridge({ helloEvent: BRIDGE_HELLO_EVENT, presetChannel: null, lateMethodGraceMs: LATE_METHOD_GRACE_MS, maxResultChars: MAX_RESULT_CHARS });
