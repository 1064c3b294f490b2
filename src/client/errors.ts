/**
 * What `call` throws: one class per error code, all subclasses of `AnyError`, so callers can
 * write `catch (e) { if (e instanceof TimeoutError) … }` or test `e.code`. The classes are
 * defined in src/protocol/error-classes.ts (the in-process server throws them too); this is
 * where the client and the package's public API take them from.
 */
export * from '../protocol/error-classes.js';
