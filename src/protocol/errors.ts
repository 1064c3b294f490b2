import * as v from 'valibot';

/**
 * Every way a call can fail, once. Each code has the error `name` callers see
 * (except METHOD_THREW, which keeps the page's own name, e.g. "TypeError"),
 * the HTTP status the server answers with, the exit code of `any call` (so scripts can branch
 * without parsing text), and the next step a user should take.
 */
export const ERROR_CODES = {
  BAD_REQUEST: { name: 'BadRequestError', status: 400, exit: 2 },
  FORBIDDEN: { name: 'ForbiddenError', status: 403, exit: 2 },
  NOT_FOUND: { name: 'NotFoundError', status: 404, exit: 2 },
  TOO_LARGE: { name: 'TooLargeError', status: 413, exit: 2 },
  NO_SERVER: { name: 'NoServerError', status: 503, exit: 3 },
  NO_BROWSER: { name: 'NoBrowserError', status: 503, exit: 3 },
  TAB_FAILED: { name: 'TabFailedError', status: 502, exit: 4 },
  METHOD_NOT_FOUND: { name: 'MethodNotFoundError', status: 404, exit: 5 },
  METHOD_THREW: { name: 'MethodThrewError', status: 500, exit: 6 },
  BAD_RESULT: { name: 'BadResultError', status: 500, exit: 6 },
  TIMEOUT: { name: 'TimeoutError', status: 504, exit: 7 },
  TAB_CLOSED: { name: 'TabClosedError', status: 410, exit: 4 },
  DISCONNECTED: { name: 'DisconnectedError', status: 502, exit: 8 },
  CANCELLED: { name: 'CancelledError', status: 499, exit: 7 },
  INTERNAL: { name: 'InternalError', status: 500, exit: 9 },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** The structured error that crosses every boundary, as every receiver validates it. */
export const ErrorPayload = v.object({
  name: v.pipe(v.string(), v.maxLength(256)),
  message: v.string(),
  code: v.picklist(ERROR_CODE_LIST),
  /** The page's own stack, for METHOD_THREW; never a server or client stack. */
  stack: v.optional(v.string()),
  /** For METHOD_NOT_FOUND: the methods the page does have. */
  methods: v.optional(v.array(v.string())),
});
export type ErrorShape = v.InferOutput<typeof ErrorPayload>;

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
