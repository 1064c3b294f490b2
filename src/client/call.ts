/**
 * `call(page, method, params, options)`: run `globalThis.__any__[method](params)` in the tab at
 * `page` and return its result; `methods(page)`: what that page offers. Both start the server
 * if none is running.
 */
import { CallRequest, DEFAULT_PORT, MethodsRequest, parse, type MethodInfo } from '../protocol/index.js';
import { failure, postToServer, type Progress } from './server-request.js';

export interface CallOptions {
  /** The any server's port. Default 8765. */
  port?: number;
  /** Milliseconds the method may take, from the server's receipt of the call. Default 30 000. */
  timeout?: number;
  /** Aborting cancels the call: the method in the page sees its own `signal` abort. */
  signal?: AbortSignal;
  /** Start a server when none answers on the port. Default true. */
  autoStart?: boolean;
  /** Told when the call starts a server, and when it has been sent (for progress displays). */
  onProgress?: (stage: Progress) => void;
}

export async function call<Result = unknown>(
  page: string,
  method: string,
  params: Record<string, unknown> = {},
  options: CallOptions = {},
): Promise<Result> {
  const request = { page, method, params, ...(options.timeout === undefined ? {} : { timeout: options.timeout }) };
  const valid = parse(CallRequest, request);
  if (!valid.ok) throw failure('BAD_REQUEST', `Bad call: ${valid.problem}.`);
  return (await postToServer('/call', JSON.stringify(request), requestOptions(options, `__any__.${method} on ${page}`))) as Result;
}

/**
 * The methods registered on `page` (in the tab a call would use, opened if need be), with the
 * `description` and JSON-Schema `inputSchema` their userscript gave them.
 */
export async function methods(page: string, options: CallOptions = {}): Promise<MethodInfo[]> {
  const request = { page, ...(options.timeout === undefined ? {} : { timeout: options.timeout }) };
  const valid = parse(MethodsRequest, request);
  if (!valid.ok) throw failure('BAD_REQUEST', `Bad request: ${valid.problem}.`);
  return (await postToServer('/methods', JSON.stringify(request), requestOptions(options, `listing the methods of ${page}`))) as MethodInfo[];
}

function requestOptions(options: CallOptions, label: string) {
  return {
    port: options.port ?? DEFAULT_PORT,
    timeout: options.timeout,
    signal: options.signal,
    autoStart: options.autoStart ?? true,
    onProgress: options.onProgress,
    label,
  };
}
