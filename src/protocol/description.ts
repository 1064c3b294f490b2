/**
 * The protocol's constants as one plain JSON object, for what is not TypeScript: the build
 * writes it to dist/protocol.json, and the Python client's tests and the README's test check
 * their own copies of these numbers and names against it. Every value is read from its one
 * definition here in src/protocol; nothing is restated.
 */
import {
  BROWSER_NAME_PATTERN,
  DEFAULT_BROWSER_WAIT_MS,
  DEFAULT_RECONNECT_GRACE_MS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_PORT,
  MAX_CLIENT_MESSAGE_BYTES,
  MAX_RESULT_CHARS,
  PROTOCOL_VERSION,
  USAGE_EXIT_CODE,
} from './constants.js';
import { ERROR_CODES, type ErrorCode } from './errors.js';
import { DEFAULT_CALL_TIMEOUT_MS, MAX_CALL_TIMEOUT_MS } from './messages.js';
import { ALREADY_RUNNING_LINE, LISTENING_LINE } from './serve-lines.js';

export interface ErrorCodeDescription {
  /** The error's `name` (METHOD_THREW's errors keep the page's own name instead). */
  name: string;
  /** The HTTP status the server answers with. */
  status: number;
  /** The exit code of `any call`. */
  exit: number;
}

export interface ProtocolDescription {
  /** The `v` of every message. */
  protocolVersion: number;
  /** Every error code, in ERROR_CODES' order. */
  errors: Record<ErrorCode, ErrorCodeDescription>;
  /** The CLI's exit code for wrong usage (an unknown flag, a bad value). */
  usageExitCode: number;
  limits: {
    /** The largest result, as JSON text (MAX_RESULT_CHARS). */
    maxResultChars: number;
    /** The ceiling on one call: an HTTP body or a client WebSocket message (MAX_CLIENT_MESSAGE_BYTES). */
    maxClientMessageBytes: number;
    /** The server's default limit on a call, `any serve --max-body` (DEFAULT_MAX_BODY_BYTES). */
    defaultMaxBodyBytes: number;
    /** The longest timeout a call may ask for (MAX_CALL_TIMEOUT_MS). */
    maxCallTimeoutMs: number;
    /** A browser's name, as a regular expression (BROWSER_NAME_PATTERN). */
    browserNamePattern: string;
  };
  defaults: {
    /** DEFAULT_PORT. */
    port: number;
    /** A call's timeout when its caller names none (DEFAULT_CALL_TIMEOUT_MS). */
    callTimeoutMs: number;
    /** How long a call waits for a browser, `any serve --browser-wait` (DEFAULT_BROWSER_WAIT_MS). */
    browserWaitMs: number;
    /** How long a browser that went away keeps its calls, its name and its place (DEFAULT_RECONNECT_GRACE_MS). */
    reconnectGraceMs: number;
  };
  /** What `any serve` prints on stdout once it takes calls, each followed by a space and its URL. */
  serveLines: {
    listening: string;
    alreadyRunning: string;
  };
}

/** A fresh JSON-ready object; `JSON.stringify` of it is dist/protocol.json. */
export function describeProtocol(): ProtocolDescription {
  const errors = {} as Record<ErrorCode, ErrorCodeDescription>;
  for (const [code, { name, status, exit }] of Object.entries(ERROR_CODES) as [ErrorCode, ErrorCodeDescription][]) {
    errors[code] = { name, status, exit };
  }
  return {
    protocolVersion: PROTOCOL_VERSION,
    errors,
    usageExitCode: USAGE_EXIT_CODE,
    limits: {
      maxResultChars: MAX_RESULT_CHARS,
      maxClientMessageBytes: MAX_CLIENT_MESSAGE_BYTES,
      defaultMaxBodyBytes: DEFAULT_MAX_BODY_BYTES,
      maxCallTimeoutMs: MAX_CALL_TIMEOUT_MS,
      browserNamePattern: BROWSER_NAME_PATTERN,
    },
    defaults: {
      port: DEFAULT_PORT,
      callTimeoutMs: DEFAULT_CALL_TIMEOUT_MS,
      browserWaitMs: DEFAULT_BROWSER_WAIT_MS,
      reconnectGraceMs: DEFAULT_RECONNECT_GRACE_MS,
    },
    serveLines: {
      listening: LISTENING_LINE,
      alreadyRunning: ALREADY_RUNNING_LINE,
    },
  };
}
