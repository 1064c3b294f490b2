/**
 * What answers on a port: an any server, another program, or nobody. Used to turn a failed
 * connection into an error that says what to do.
 */
import { errorShape, Health, parse, type ErrorCode } from '../protocol/index.js';
import { AnyError, toAnyError } from './errors.js';
import { NotJsonResponse, requestJson } from './transport.js';

/** `/health` and `/shutdown` answer at once; a port that keeps silent longer is not an any server. */
export const PROBE_TIMEOUT_MS = 2_000;

export async function whoListens(port: number): Promise<'any' | 'another program' | 'nobody'> {
  try {
    const response = await requestJson(port, 'GET', '/health', undefined, AbortSignal.timeout(PROBE_TIMEOUT_MS));
    return parse(Health, response.body).ok ? 'any' : 'another program';
  } catch (error) {
    // Only an HTTP answer that is not any's proves another program; a reset or silence does not.
    return error instanceof NotJsonResponse ? 'another program' : 'nobody';
  }
}

export function portTaken(port: number): AnyError {
  return failure('NO_SERVER',
    `Port ${port} is used by another program, not an any server. Run any on another port: --port on the CLI, ` +
    '{ port } in the client, and the same port for `npx any serve` and `npx any launch`.');
}

export function failure(code: ErrorCode, message: string): AnyError {
  return toAnyError(errorShape(code, message));
}
