/**
 * `call(page, method, params, options)`: run `globalThis.__any__[method](params)` in the tab at
 * `page` and return its result. Starts the server if none is running.
 */
import {
  CallRequest,
  CallResponse,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_PORT,
  errorShape,
  Health,
  parse,
  type ErrorCode,
} from '../protocol/index.js';
import { startServerProcess } from './autostart.js';
import { AnyError, toAnyError } from './errors.js';
import { NotJsonResponse, requestJson, ServerUnreachable, type JsonResponse } from './transport.js';

export interface CallOptions {
  /** The any server's port. Default 8765. */
  port?: number;
  /** Milliseconds the method may take, from the server's receipt of the call. Default 30 000. */
  timeout?: number;
  /** Aborting cancels the call: the method in the page sees its own `signal` abort. */
  signal?: AbortSignal;
  /** Start a server when none answers on the port. Default true. */
  autoStart?: boolean;
}

/** If the server itself stops answering, the client gives up this long after the call's deadline. */
const CLIENT_GRACE_MS = 5_000;
/** `/health` and `/shutdown` answer at once; a port that keeps silent longer is not an any server. */
const PROBE_TIMEOUT_MS = 2_000;

export async function call<Result = unknown>(
  page: string,
  method: string,
  params: Record<string, unknown> = {},
  options: CallOptions = {},
): Promise<Result> {
  const port = options.port ?? DEFAULT_PORT;
  const request = { page, method, params, ...(options.timeout === undefined ? {} : { timeout: options.timeout }) };
  const valid = parse(CallRequest, request);
  if (!valid.ok) throw failure('BAD_REQUEST', `Bad call: ${valid.problem}.`);
  const body = JSON.stringify(request);

  // Our own deadline, in case the server stops answering; the server's comes first.
  const deadline = AbortSignal.timeout((options.timeout ?? DEFAULT_CALL_TIMEOUT_MS) + CLIENT_GRACE_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  let response: JsonResponse;
  try {
    response = await send(port, body, signal, options.autoStart ?? true);
  } catch (error) {
    if (options.signal?.aborted) throw failure('CANCELLED', `The call to __any__.${method} on ${page} was cancelled.`);
    if (deadline.aborted) throw failure('TIMEOUT', `The any server on port ${port} did not answer __any__.${method} on ${page} in time.`);
    throw error;
  }
  const parsed = parse(CallResponse, response.body);
  if (!parsed.ok) {
    if ((await whoListens(port)) === 'another program') throw portTaken(port);
    throw failure('INTERNAL', `The any server on port ${port} answered with a malformed message (${parsed.problem}).`);
  }
  if ('error' in parsed.value) throw toAnyError(parsed.value.error);
  return parsed.value.result as Result;
}

/** The server's health, or undefined when no server answers on the port. */
export async function serverHealth(port: number = DEFAULT_PORT): Promise<Health | undefined> {
  try {
    const response = await requestJson(port, 'GET', '/health', undefined, AbortSignal.timeout(PROBE_TIMEOUT_MS));
    const parsed = parse(Health, response.body);
    return parsed.ok ? parsed.value : undefined;
  } catch {
    return undefined;
  }
}

/** Asks the server on `port` to shut down; false if none was running. */
export async function stopServer(port: number = DEFAULT_PORT): Promise<boolean> {
  try {
    await requestJson(port, 'POST', '/shutdown', '{}', AbortSignal.timeout(PROBE_TIMEOUT_MS));
    return true;
  } catch (error) {
    if (error instanceof ServerUnreachable) return false;
    throw error;
  }
}

async function send(port: number, body: string, signal: AbortSignal, autoStart: boolean): Promise<JsonResponse> {
  try {
    return await requestJson(port, 'POST', '/call', body, signal);
  } catch (error) {
    if (!(error instanceof ServerUnreachable)) throw await lostConnection(port, error);
    if (!autoStart) throw failure('NO_SERVER', `No any server is running on port ${port}. Start one with \`npx any serve --port ${port}\`, or let calls start it (autoStart).`);
  }
  try {
    await startServerProcess(port);
  } catch (error) {
    throw failure('NO_SERVER', `No any server was running on port ${port}, and starting one failed: ${(error as Error).message}`);
  }
  try {
    return await requestJson(port, 'POST', '/call', body, signal);
  } catch (error) {
    throw await lostConnection(port, error);
  }
}

/** The request failed after connecting: the server went away, or the port is not an any server's at all. */
async function lostConnection(port: number, error: unknown): Promise<Error> {
  if ((error as Error).name === 'AbortError') return error as Error;
  if (error instanceof NotJsonResponse || (await whoListens(port)) === 'another program') return portTaken(port);
  return failure('DISCONNECTED', `Lost the connection to the any server on port ${port} during the call (${(error as Error).message}). Call again.`);
}

async function whoListens(port: number): Promise<'any' | 'another program' | 'nobody'> {
  try {
    const response = await requestJson(port, 'GET', '/health', undefined, AbortSignal.timeout(PROBE_TIMEOUT_MS));
    return parse(Health, response.body).ok ? 'any' : 'another program';
  } catch (error) {
    // Only an HTTP answer that is not any's proves another program; a reset or silence does not.
    return error instanceof NotJsonResponse ? 'another program' : 'nobody';
  }
}

function portTaken(port: number): AnyError {
  return failure('NO_SERVER',
    `Port ${port} is used by another program, not an any server. Run any on another port: --port on the CLI, ` +
    '{ port } in the client, and the same port for `npx any serve` and `npx any launch`.');
}

function failure(code: ErrorCode, message: string): AnyError {
  return toAnyError(errorShape(code, message));
}
