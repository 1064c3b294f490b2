export * from './errors.js';
export * from './messages.js';
export * from './serve-lines.js';
export * from './batching.js';
export * from './tab-matching.js';
export * from './browser-identity.js';
