import { Command, Option } from 'commander';
import { call } from '../../client/call.js';
import { MAX_CALL_TIMEOUT_MS } from '../../protocol/index.js';
import { integer, portOption } from '../options.js';
import { printFailure, printResult } from '../output.js';
import { readParams } from '../params.js';
import { reportProgress } from '../progress.js';

interface CallCommandOptions {
  timeout?: number;
  port: number;
  json: boolean;
  quiet: boolean;
}

export const callCommand = new Command('call')
  .description('Call __any__.<method>(params) in the tab at <page> and print the result as JSON.')
  .argument('<page>', 'absolute http(s) URL of the page; an open tab at it is reused, else one is opened')
  .argument('<method>', 'name of a function on globalThis.__any__ in that page')
  .argument('[params]', 'JSON object passed to the method; @file.json reads a file, - reads standard input')
  .addOption(new Option('-t, --timeout <ms>', 'how long the method may take (default 30000)').argParser(integer('--timeout', 1, MAX_CALL_TIMEOUT_MS)))
  .addOption(portOption())
  .option('--json', 'print a failure as the JSON error object on stderr', false)
  .option('-q, --quiet', 'say nothing on stderr while waiting', false)
  .addHelpText('after', `
Prints the result on stdout and exits 0. On failure prints "Name: message (CODE)" on stderr (the
JSON error object with --json) and exits with the code's number: 2 bad request or command line,
3 no server or no browser, 4 tab failed or closed, 5 method not found, 6 method threw or returned
non-JSON, 7 timeout or cancelled, 8 disconnected, 9 internal error. While a call waits longer than
a second, stderr says what for.

Examples:
  npx any call https://example.com/ pageInfo '{"delay": 100}'
  npx any call https://example.com/ pageInfo @params.json
  echo '{"delay": 100}' | npx any call https://example.com/ pageInfo -`)
  .action(async function (this: Command, page: string, method: string, paramsArgument: string | undefined, options: CallCommandOptions) {
    let params: Record<string, unknown>;
    try {
      params = await readParams(paramsArgument);
    } catch (error) {
      return this.error(`error: ${(error as Error).message}`, { exitCode: 2 });
    }
    const progress = reportProgress({ port: options.port, page, method, quiet: options.quiet });
    let result: unknown;
    try {
      result = await call(page, method, params, { port: options.port, timeout: options.timeout, onStage: progress.onStage });
    } catch (error) {
      progress.stop();
      return printFailure(error, options.json);
    }
    progress.stop();
    printResult(result);
  });
