/**
 * What a failed call throws in a program: one class per error code, all subclasses of
 * `AnyError`, so callers can write `catch (e) { if (e instanceof TimeoutError) … }` or test
 * `e.code`. They live in the protocol, beside the codes, because both the client (`call`) and
 * the server (`server.call()`, in process) throw them; the client's errors.ts re-exports them.
 */
import type { ErrorCode, ErrorShape } from './errors.js';

export class AnyError extends Error {
  readonly code: ErrorCode;
  /** For METHOD_NOT_FOUND: the methods the page does have. */
  readonly methods?: string[];

  constructor(shape: ErrorShape) {
    super(shape.message);
    this.name = shape.name;
    this.code = shape.code;
    if (shape.methods) this.methods = shape.methods;
    // A method that threw keeps the page's own stack: that is where the bug is.
    if (shape.stack) this.stack = shape.stack;
  }
}

export class BadRequestError extends AnyError {}
export class ForbiddenError extends AnyError {}
export class NotFoundError extends AnyError {}
export class TooLargeError extends AnyError {}
/** No any server could be reached or started on the port (the client's own error). */
export class NoServerError extends AnyError {}
export class NoBrowserError extends AnyError {}
export class TabFailedError extends AnyError {}
export class MethodNotFoundError extends AnyError {}
/** The page method threw; `name` and `message` are the page error's own (e.g. "TypeError"). */
export class MethodThrewError extends AnyError {}
export class BadResultError extends AnyError {}
export class TimeoutError extends AnyError {}
export class TabClosedError extends AnyError {}
export class DisconnectedError extends AnyError {}
export class CancelledError extends AnyError {}
export class InternalError extends AnyError {}

const CLASSES: Record<ErrorCode, typeof AnyError> = {
  BAD_REQUEST: BadRequestError,
  FORBIDDEN: ForbiddenError,
  NOT_FOUND: NotFoundError,
  TOO_LARGE: TooLargeError,
  NO_SERVER: NoServerError,
  NO_BROWSER: NoBrowserError,
  TAB_FAILED: TabFailedError,
  METHOD_NOT_FOUND: MethodNotFoundError,
  METHOD_THREW: MethodThrewError,
  BAD_RESULT: BadResultError,
  TIMEOUT: TimeoutError,
  TAB_CLOSED: TabClosedError,
  DISCONNECTED: DisconnectedError,
  CANCELLED: CancelledError,
  INTERNAL: InternalError,
};

export function toAnyError(shape: ErrorShape): AnyError {
  return new CLASSES[shape.code](shape);
}
