import { AnyError } from '../client/errors.js';
import { EXIT_CODES } from './exit-codes.js';

/** A result on stdout: indented on a terminal, one line when piped. */
export function printResult(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, process.stdout.isTTY ? 2 : undefined)}\n`);
}

/**
 * A failure on stderr — "Name: message (CODE)", or with --json the error object — and the exit
 * code that goes with its code. Anything that is not an AnyError is a bug, and is rethrown.
 */
export function printFailure(error: unknown, json: boolean): void {
  if (!(error instanceof AnyError)) throw error;
  const { name, message, code, methods } = error;
  const stack = code === 'METHOD_THREW' ? error.stack : undefined;
  process.stderr.write(json
    ? `${JSON.stringify({ name, message, code, ...(stack ? { stack } : {}), ...(methods ? { methods } : {}) })}\n`
    : `${name}: ${message} (${code})\n`);
  process.exitCode = EXIT_CODES[code];
}
