/**
 * One request to the any server, as every client function makes it: start the server if none
 * runs, bound the wait by the call's own deadline, and turn every way it can fail into an
 * `AnyError` that says what to do.
 */
import { CallResponse, DEFAULT_CALL_TIMEOUT_MS, errorShape, Health, parse, type ErrorCode } from '../protocol/index.js';
import { startServerProcess } from './autostart.js';
import { AnyError, toAnyError } from './errors.js';
import { NotJsonResponse, requestJson, ServerUnreachable, type JsonResponse } from './transport.js';

/** If the server itself stops answering, the client gives up this long after the call's deadline. */
const CLIENT_GRACE_MS = 5_000;
/** `/health` and `/shutdown` answer at once; a port that keeps silent longer is not an any server. */
export const PROBE_TIMEOUT_MS = 2_000;

/** What a caller is waiting for, for progress displays such as the CLI's. */
export type Progress = 'starting-server' | 'sent';

export interface RequestOptions {
  port: number;
  /** The call's own timeout (ms), if it has one; the server applies it. */
  timeout?: number;
  signal?: AbortSignal;
  autoStart: boolean;
  onProgress?: (stage: Progress) => void;
  /** Names the request in error messages, e.g. "__any__.ask on https://chatgpt.com/". */
  label: string;
}

/** POSTs `body` to `path` and returns the `result`, or throws the server's error as an AnyError. */
export async function postToServer(path: '/call' | '/methods', body: string, options: RequestOptions): Promise<unknown> {
  const { port } = options;
  // Our own deadline, in case the server stops answering (the server's comes first), and the
  // caller's signal, in one controller; a plain timer, cleared as soon as the answer is in.
  const stop = new AbortController();
  let pastDeadline = false;
  const deadline = setTimeout(() => {
    pastDeadline = true;
    stop.abort();
  }, (options.timeout ?? DEFAULT_CALL_TIMEOUT_MS) + CLIENT_GRACE_MS);
  const onCallerAbort = () => stop.abort();
  if (options.signal?.aborted) onCallerAbort();
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });
  let response: JsonResponse;
  try {
    response = await send(path, body, stop.signal, options);
  } catch (error) {
    if (options.signal?.aborted) throw failure('CANCELLED', `The caller cancelled ${options.label}.`);
    if (pastDeadline) throw failure('TIMEOUT', `The any server on port ${port} did not answer ${options.label} in time.`);
    throw error;
  } finally {
    clearTimeout(deadline);
    options.signal?.removeEventListener('abort', onCallerAbort);
  }
  const parsed = parse(CallResponse, response.body);
  if (!parsed.ok) {
    if ((await whoListens(port)) === 'another program') throw portTaken(port);
    throw failure('INTERNAL', `The any server on port ${port} answered with a malformed message (${parsed.problem}).`);
  }
  if ('error' in parsed.value) throw toAnyError(parsed.value.error);
  return parsed.value.result;
}

export function failure(code: ErrorCode, message: string): AnyError {
  return toAnyError(errorShape(code, message));
}

async function send(path: string, body: string, signal: AbortSignal, options: RequestOptions): Promise<JsonResponse> {
  const { port } = options;
  try {
    const sent = requestJson(port, 'POST', path, body, signal);
    options.onProgress?.('sent');
    return await sent;
  } catch (error) {
    if (!(error instanceof ServerUnreachable)) throw await lostConnection(port, error);
    if (!options.autoStart) throw failure('NO_SERVER', `No any server is running on port ${port}. Start one with \`npx any serve --port ${port}\`, or let calls start it (autoStart).`);
  }
  options.onProgress?.('starting-server');
  try {
    await startServerProcess(port);
  } catch (error) {
    throw failure('NO_SERVER', `No any server was running on port ${port}, and starting one failed: ${(error as Error).message}`);
  }
  try {
    const sent = requestJson(port, 'POST', path, body, signal);
    options.onProgress?.('sent');
    return await sent;
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
