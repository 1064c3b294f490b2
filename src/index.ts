/**
 * any — call named methods inside the web pages of a real browser.
 *
 *   import { call } from 'any';
 *   const info = await call('https://example.com/', 'pageInfo', { delay: 100 });
 */
export { call, methods, stream, type CallOptions, type CallStream } from './client/call.js';
export { page, type PageCallOptions, type PageHandle, type PageHandleBase, type PageMethods, type UntypedMethods } from './client/page.js';
export { serverHealth, serverStatus, stopServer } from './client/server-control.js';
export type { Progress } from './client/server-connection.js';
export * from './client/errors.js';
export { launchBrowser as launch, type LaunchOptions, type ManagedBrowser } from './launcher/launch.js';
export { startServer, type AnyServer, type InProcessCallOptions, type ServerOptions } from './server/server.js';
export { builtExtensionDir, webmcpMirrorFile } from './paths.js';
export { PINNED_EXTENSION_ID as EXTENSION_ID } from './extension-identity.js';
export { DEFAULT_PORT, ERROR_CODES, type ErrorCode, type ErrorShape, type Health, type MethodAnnotations, type MethodInfo, type MethodSource, type Status } from './protocol/index.js';
