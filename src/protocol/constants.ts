/**
 * Plain constants of the protocol, with no schema library attached, so that the small scripts
 * injected into every page (main.js) and the extension settings (extension-settings.ts) can import them cheaply.
 */

export const PROTOCOL_VERSION = 1;

/** The port the server listens on and the extension connects to, unless told otherwise. */
export const DEFAULT_PORT = 8765;

/** The name of the long-lived port each content script opens to the background worker. */
export const CONTENT_PORT_NAME = 'any-content';

/**
 * A call for a method the page does not have waits for the page's load event, then this long
 * for a userscript that registers late, before it fails with METHOD_NOT_FOUND.
 */
export const LATE_METHOD_GRACE_MS = 2_000;

/**
 * The largest result a method may return, as JSON text. Larger ones fail with TOO_LARGE in the
 * page, before they are sent: Chrome's extension messaging carries at most 64 MiB per message.
 */
export const MAX_RESULT_CHARS = 16 * 1024 * 1024;

/**
 * How much progress may wait for a caller who does not read it (in a socket's or a response's
 * buffer) before its call fails, naming why: a fast producer never grows the server's memory
 * without limit, and nothing is dropped silently.
 */
export const MAX_PENDING_PROGRESS_BYTES = 16 * 1024 * 1024;

/**
 * The largest call a program may send (over HTTP, its body; on the client WebSocket, its
 * message). The server's default limit is lower (16 MiB, `--max-body`); this is the ceiling,
 * set by Chrome's extension messaging, which carries at most 64 MiB per message.
 */
export const MAX_CLIENT_MESSAGE_BYTES = 32 * 1024 * 1024;

/** The server's default limit on a call (`any serve --max-body`); at most MAX_CLIENT_MESSAGE_BYTES. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** How long a call waits for a browser to connect before it fails with NO_BROWSER (`any serve --browser-wait`). */
export const DEFAULT_BROWSER_WAIT_MS = 10_000;
/**
 * How long calls survive their browser's socket dropping, and the browser its name and place: a
 * service worker that reconnects within it (a restart takes about a second) still delivers their
 * results. Short, so that a killed browser is reported in seconds, not at the timeout.
 */
export const DEFAULT_RECONNECT_GRACE_MS = 2_000;

/** The CLI's exit code for wrong usage: an unknown flag, a bad value, params that are not a JSON object. */
export const USAGE_EXIT_CODE = 2;

/**
 * The content script and the page bridge open a private channel at document_start by each
 * dispatching this event once; see src/extension/isolated/bridge-channel.ts.
 */
export const BRIDGE_HELLO_EVENT = 'any:bridge-hello';

export interface BridgeEventNames {
  toPage: string;
  toContent: string;
  /** Answers a hello, or announces a bridge started on a channel the worker chose. */
  ack: string;
}

/** The channel's event names. The page bridge spells the same rule out (it imports nothing). */
export function bridgeEventNames(channel: string): BridgeEventNames {
  return { toPage: `any:${channel}:to-page`, toContent: `any:${channel}:to-content`, ack: `any:${channel}:ack` };
}

/** The most tabs a browser reports (ExtensionTabs); past this, the rest are left out of routing. */
export const MAX_REPORTED_TABS = 5_000;

/** What a browser's name may be (messages.ts, BrowserName): what `--browser` and `"browser"` take. */
export const BROWSER_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$';

/**
 * The names of a page's WebMCP tools as the WebMCP mirror userscript publishes them on
 * `__any__`: `webmcp:<tool name>`. WebMCP tool names cannot contain `:`, so no tool can take a
 * userscript method's name, and a method's source is read from its name alone (methodSourceOf).
 */
export const WEBMCP_PREFIX = 'webmcp:';

/**
 * The hints a method may declare in `annotations`, and a listing carries: MCP's four and
 * WebMCP's own (`untrustedContentHint` is in the WebMCP draft, `consequentialHint` in Chromium).
 */
export const METHOD_ANNOTATION_KEYS = [
  'readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint', 'untrustedContentHint', 'consequentialHint',
] as const;
