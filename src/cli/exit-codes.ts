import type { ErrorCode } from '../protocol/index.js';

/** `any call` exits with one code per kind of failure, so scripts can branch without parsing text. */
export const EXIT_CODES: Record<ErrorCode, number> = {
  BAD_REQUEST: 2,
  FORBIDDEN: 2,
  NOT_FOUND: 2,
  TOO_LARGE: 2,
  NO_SERVER: 3,
  NO_BROWSER: 3,
  TAB_FAILED: 4,
  TAB_CLOSED: 4,
  METHOD_NOT_FOUND: 5,
  METHOD_THREW: 6,
  BAD_RESULT: 6,
  TIMEOUT: 7,
  CANCELLED: 7,
  DISCONNECTED: 8,
  INTERNAL: 9,
};

/** Wrong command-line usage: an unknown flag, a bad value, params that are not a JSON object. */
export const USAGE_EXIT_CODE = 2;
