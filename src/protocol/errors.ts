/**
 * Every way a call can fail, once. Each code has the error `name` callers see
 * (except METHOD_THREW, which keeps the page's own name, e.g. "TypeError"),
 * the HTTP status the server answers with, and the next step a user should take.
 */
export const ERROR_CODES = {
  BAD_REQUEST: { name: 'BadRequestError', status: 400 },
  FORBIDDEN: { name: 'ForbiddenError', status: 403 },
  NOT_FOUND: { name: 'NotFoundError', status: 404 },
  TOO_LARGE: { name: 'TooLargeError', status: 413 },
  NO_SERVER: { name: 'NoServerError', status: 503 },
  NO_BROWSER: { name: 'NoBrowserError', status: 503 },
  TAB_FAILED: { name: 'TabFailedError', status: 502 },
  METHOD_NOT_FOUND: { name: 'MethodNotFoundError', status: 404 },
  METHOD_THREW: { name: 'MethodThrewError', status: 500 },
  BAD_RESULT: { name: 'BadResultError', status: 500 },
  TIMEOUT: { name: 'TimeoutError', status: 504 },
  TAB_CLOSED: { name: 'TabClosedError', status: 410 },
  DISCONNECTED: { name: 'DisconnectedError', status: 502 },
  CANCELLED: { name: 'CancelledError', status: 499 },
  INTERNAL: { name: 'InternalError', status: 500 },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** The structured error that crosses every boundary. */
export interface ErrorShape {
  name: string;
  message: string;
  code: ErrorCode;
  /** The page's own stack, for METHOD_THREW; never a server or client stack. */
  stack?: string;
  /** For METHOD_NOT_FOUND: the methods the page does have. */
  methods?: string[];
}

export function errorShape(
  code: ErrorCode,
  message: string,
  extra: Partial<Omit<ErrorShape, 'code' | 'message'>> = {},
): ErrorShape {
  return { name: ERROR_CODES[code].name, message, code, ...extra };
}

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

/** Advice shared by every component that reports a missing browser. */
export const HOW_TO_CONNECT_A_BROWSER =
  'Start one with `npx any launch` (add --headless on a machine without a display), ' +
  'or load the folder printed by `npx any extension` into Chrome as an unpacked extension.';

/** A failure on its way to the caller, inside any part of `any`; `shape` is what the caller gets. */
export class CallFailure extends Error {
  readonly shape: ErrorShape;

  constructor(shape: ErrorShape) {
    super(shape.message);
    this.name = 'CallFailure';
    this.shape = shape;
  }

  static of(code: ErrorCode, message: string, extra?: Partial<Omit<ErrorShape, 'code' | 'message'>>): CallFailure {
    return new CallFailure(errorShape(code, message, extra));
  }
}
