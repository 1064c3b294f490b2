import { Command, InvalidArgumentError, Option } from 'commander';
import { call } from '../../client/call.js';
import { AnyError } from '../../client/errors.js';
import { MAX_CALL_TIMEOUT_MS } from '../../protocol/index.js';
import { EXIT_CODES } from '../exit-codes.js';
import { integer, portOption } from '../options.js';

export const callCommand = new Command('call')
  .description('Call __any__.<method>(params) in the tab at <page> and print the result as JSON.')
  .argument('<page>', 'absolute http(s) URL of the page; an open tab at it is reused, else one is opened')
  .argument('<method>', 'name of a function on globalThis.__any__ in that page')
  .argument('[params]', 'JSON object passed to the method', parseParams, {})
  .addOption(new Option('-t, --timeout <ms>', 'how long the method may take').argParser(integer('--timeout', 1, MAX_CALL_TIMEOUT_MS)))
  .addOption(portOption())
  .addHelpText('after', `
Prints the result on stdout and exits 0. On failure prints "Name: message (CODE)" on stderr and
exits with the code's number: 2 bad request, 3 no browser, 4 tab failed or closed, 5 method not
found, 6 method threw or returned non-JSON, 7 timeout or cancelled, 8 disconnected, 9 internal.

Example:
  npx any call https://example.com/ pageInfo '{"delay": 100}'`)
  .action(async (page: string, method: string, params: Record<string, unknown>, options: { timeout?: number; port: number }) => {
    try {
      const result = await call(page, method, params, { port: options.port, timeout: options.timeout });
      process.stdout.write(`${JSON.stringify(result, null, process.stdout.isTTY ? 2 : undefined)}\n`);
    } catch (error) {
      if (!(error instanceof AnyError)) throw error;
      process.stderr.write(`${error.name}: ${error.message} (${error.code})\n`);
      process.exitCode = EXIT_CODES[error.code];
    }
  });

function parseParams(text: string): Record<string, unknown> {
  let params: unknown;
  try {
    params = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(`params must be JSON, such as '{"prompt": "hi"}' (quote it for your shell).`);
  }
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new InvalidArgumentError('params must be a JSON object, such as \'{"prompt": "hi"}\'.');
  }
  return params as Record<string, unknown>;
}
