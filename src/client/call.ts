/**
 * `call(page, method, params, options)`: run `globalThis.__any__[method](params)` in the tab at
 * `page` and return its result; `methods(page)`: what that page offers. Both go over the one
 * WebSocket this process keeps to the server (server-connection.ts), and start a server when
 * none is running unless told not to (`autoStart: false`).
 */
import { CallRequest, DEFAULT_CALL_TIMEOUT_MS, DEFAULT_PORT, MethodsRequest, parse, type MethodInfo } from '../protocol/index.js';
import type { AnyError } from './errors.js';
import { failure, portTaken, whoListens } from './port-probe.js';
import { ConnectFailure, connectionTo, type ConnectionRequest, type Progress } from './server-connection.js';

export interface CallOptions {
  /** The any server's port. Default 8765. */
  port?: number;
  /** Milliseconds the method may take, from the server's receipt of the call. Default 30 000. */
  timeout?: number;
  /**
   * The connected browser to run in, by the name `npx any status` lists (`chrome`, `work`, the
   * `--name` of an `any launch`). Absent: the browser that already holds a tab for the page,
   * else the one that connected first. A name that is not connected fails with NO_BROWSER,
   * listing the connected ones: at once, except while browsers may still be connecting (the
   * server's first `--browser-wait`, 10 s by default, after it starts) or that browser is
   * reconnecting (2 s after it dropped), when the call waits for it. A malformed name fails
   * with BAD_REQUEST, before anything is sent.
   */
  browser?: string;
  /** Aborting cancels the call: the method in the page sees its own `signal` abort. */
  signal?: AbortSignal;
  /**
   * Start a server when none answers on the port. Default true. With false, the call never
   * starts one, but does wait for a server that another call of this process is starting.
   */
  autoStart?: boolean;
  /**
   * Told 'starting-server' when the call waits for a server being started, and 'sent' when it
   * has been sent (for progress displays). If it throws, the call fails with what it threw.
   */
  onStage?: (stage: Progress) => void;
  /**
   * Hears each progress value the method sends (`progress(value)` or a `yield` in the page), in
   * order, before the call resolves. If it throws, the call fails with what it threw.
   */
  onProgress?: (value: unknown) => void;
}

/** If the server itself stops answering, the client gives up this long after the call's deadline. */
const CLIENT_GRACE_MS = 5_000;

export async function call<Result = unknown>(
  page: string,
  method: string,
  params: Record<string, unknown> = {},
  options: CallOptions = {},
): Promise<Result> {
  const request = { page, method, params, ...timeoutAndBrowser(options) };
  const valid = parse(CallRequest, request);
  if (!valid.ok) throw failure('BAD_REQUEST', `Bad call: ${valid.problem}.`);
  return (await send({ type: 'call', ...request }, options, `__any__.${method} on ${page}`)) as Result;
}

export interface MethodsOptions extends CallOptions {
  /** false: list only an open tab's methods (an empty list when none is open); never open one. */
  openTab?: boolean;
}

/**
 * The methods registered on `page` (in the tab a call would use, opened if need be), with the
 * `description` and JSON-Schema `inputSchema` their userscript gave them.
 */
export async function methods(page: string, options: MethodsOptions = {}): Promise<MethodInfo[]> {
  const request = {
    page,
    ...timeoutAndBrowser(options),
    ...(options.openTab === undefined ? {} : { openTab: options.openTab }),
  };
  const valid = parse(MethodsRequest, request);
  if (!valid.ok) throw failure('BAD_REQUEST', `Bad request: ${valid.problem}.`);
  return (await send({ type: 'list', ...request }, options, `listing the methods of ${page}`)) as MethodInfo[];
}

/** The options that travel in the request itself, when given (checked there by CallRequest and MethodsRequest). */
function timeoutAndBrowser(options: CallOptions): { timeout?: number; browser?: string } {
  return {
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    ...(options.browser === undefined ? {} : { browser: options.browser }),
  };
}

async function send(message: ConnectionRequest['message'], options: CallOptions, label: string): Promise<unknown> {
  const port = options.port ?? DEFAULT_PORT;
  try {
    return await connectionTo(port).request({
      message,
      deadlineMs: (options.timeout ?? DEFAULT_CALL_TIMEOUT_MS) + CLIENT_GRACE_MS,
      signal: options.signal,
      autoStart: options.autoStart ?? true,
      onStage: options.onStage,
      onProgress: options.onProgress,
      label,
    });
  } catch (error) {
    if (!(error instanceof ConnectFailure)) throw error; // an AnyError, or what onStage threw
    throw await explainConnectFailure(port, error);
  }
}

/** Why no connection could be made, and what to do about it. */
async function explainConnectFailure(port: number, error: ConnectFailure): Promise<AnyError> {
  if (error.reason === 'start-failed') {
    return failure('NO_SERVER', `No any server was running on port ${port}, and starting one failed: ${error.message}`);
  }
  if (error.reason === 'nobody-listens') {
    // Only calls with autoStart: false get here: a server is started when one of the calls waiting allows it.
    return failure('NO_SERVER', `No any server is running on port ${port}. Start one with \`npx any serve --port ${port}\`, or let calls start it (autoStart).`);
  }
  const listener = await whoListens(port);
  if (listener === 'another program') return portTaken(port);
  if (listener === 'any') {
    return failure('NO_SERVER', `The any server on port ${port} does not take this client's connections (${error.message}); ` +
      'it may be an older version: stop it with `npx any stop` and call again.');
  }
  return failure('NO_SERVER', `Nothing on port ${port} answered as an any server does (${error.message}). ` +
    'If another program holds the port, run any on another one (--port, { port }).');
}

/**
 * A call whose progress values are read as they come: an async iterable of them, which ends when
 * the call does, and the call's result.
 *
 *   const answer = stream('https://chatgpt.com/', 'ask', { prompt });
 *   for await (const words of answer) process.stdout.write(words);
 *   const whole = await answer.result;
 *
 * Values wait for the reader in memory, up to MAX_UNREAD_PARTS: a reader that falls further
 * behind fails the call (CANCELLED, saying why), so a fast page cannot fill this process's memory.
 * A failed call rejects `result`, and ends the iteration by throwing the same error.
 */
/** Progress values a `stream()` keeps for a reader that has not taken them yet. */
export const MAX_UNREAD_PARTS = 10_000;

export interface CallStream<Part = unknown, Result = unknown> extends AsyncIterable<Part> {
  readonly result: Promise<Result>;
}

export function stream<Part = unknown, Result = unknown>(
  page: string,
  method: string,
  params: Record<string, unknown> = {},
  options: Omit<CallOptions, 'onProgress'> = {},
): CallStream<Part, Result> {
  const parts: Part[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const result = call<Result>(page, method, params, {
    ...options,
    onProgress: (value) => {
      if (parts.length >= MAX_UNREAD_PARTS) {
        throw failure('CANCELLED', `The reader of ${method}'s progress fell behind by more than ${MAX_UNREAD_PARTS} values; ` +
          'read them as they come (for await), or send fewer from the page.');
      }
      parts.push(value as Part);
      wake?.();
    },
  }).finally(() => {
    ended = true;
    wake?.();
  });
  result.catch(() => {}); // read through `result` or the iteration; unread, it must not crash the process
  return {
    result,
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (parts.length) {
          yield parts.shift()!;
          continue;
        }
        if (ended) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      await result; // a failed call ends the iteration with its error
    },
  };
}
