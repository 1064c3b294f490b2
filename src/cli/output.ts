import { once } from 'node:events';
import { AnyError } from '../client/errors.js';
import { EXIT_CODES } from './exit-codes.js';

/** A result on stdout: indented on a terminal, one line when piped. */
export function printResult(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, process.stdout.isTTY ? 2 : undefined)}\n`);
}

/**
 * A value on stdout as one compact JSON line, even on a terminal (`call --stream`: a line per
 * progress value, then the result). Resolves once stdout takes more, so a slow reader slows the
 * call down rather than filling this process's memory.
 */
export async function printLine(value: unknown): Promise<void> {
  if (process.stdout.write(`${JSON.stringify(value) ?? 'null'}\n`)) return;
  await once(process.stdout, 'drain');
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
