// main.js: the page bridge as the manifest injects it, at document_start in the MAIN world.
import { runPageBridge } from './bridge.js';
import { pageBridgeSetup } from './setup.js';

runPageBridge(pageBridgeSetup(null));
