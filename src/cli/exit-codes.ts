import { ERROR_CODES, type ErrorCode } from '../protocol/index.js';

/**
 * `any call` exits with one code per kind of failure, so scripts can branch without parsing text.
 * The numbers are defined once, next to each code's name and HTTP status, in ERROR_CODES.
 */
export const EXIT_CODES = Object.fromEntries(
  Object.entries(ERROR_CODES).map(([code, { exit }]) => [code, exit]),
) as Record<ErrorCode, number>;

/** Wrong command-line usage: an unknown flag, a bad value, params that are not a JSON object. */
export { USAGE_EXIT_CODE } from '../protocol/index.js';
