// The WebMCP mirror as a userscript: scripts/build.mjs puts its metadata block (webmcp-metadata.ts) in front.
import { startWebmcpMirror } from './webmcp-mirror.js';

startWebmcpMirror(globalThis as Parameters<typeof startWebmcpMirror>[0]);
