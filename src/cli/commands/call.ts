import { Command, Option } from 'commander';
import { call, stream } from '../../client/call.js';
import { MAX_CALL_TIMEOUT_MS } from '../../protocol/index.js';
import { browserOption, integer, portOption } from '../options.js';
import { printFailure, printLine, printResult } from '../output.js';
import { readParams } from '../params.js';
import { reportProgress, type ProgressReporter } from '../progress.js';

interface CallCommandOptions {
  timeout?: number;
  browser?: string;
  port: number;
  json: boolean;
  quiet: boolean;
  stream: boolean;
}

export const callCommand = new Command('call')
  .description('Call __any__.<method>(params) in the tab at <page> and print the result as JSON.')
  .argument('<page>', 'absolute http(s) URL of the page; an open tab at it is reused, else one is opened')
  .argument('<method>', 'name of a function on globalThis.__any__ in that page')
  .argument('[params]', 'JSON object passed to the method; @file.json reads a file, - reads standard input')
  .addOption(new Option('-t, --timeout <ms>', 'how long the method may take (default 30000)').argParser(integer('--timeout', 1, MAX_CALL_TIMEOUT_MS)))
  .addOption(browserOption())
  .addOption(portOption())
  .option('--json', 'print a failure as the JSON error object on stderr', false)
  .option('-q, --quiet', 'say nothing on stderr while waiting', false)
  .option('--stream', 'print each progress value the method sends as a JSON line as it comes, then the result as the last line', false)
  .addHelpText('after', `
Prints the result on stdout and exits 0. On failure prints "Name: message (CODE)" on stderr (the
JSON error object with --json) and exits with the code's number: 2 bad request or command line,
3 no server or no browser, 4 tab failed or closed, 5 method not found, 6 method threw or returned
non-JSON, 7 timeout or cancelled, 8 disconnected, 9 internal error. While a call waits longer than
a second, stderr says what for (and, once the method sends progress, how many values came).

With --browser, the call runs in that connected browser (\`npx any status\` lists their names);
one that is not connected fails with NoBrowserError, naming those that are, exit 3.

With --stream, stdout has one compact JSON line per progress value the method sends, as it comes,
then the result as the last line; a failure after some values comes on stderr as above.

Examples:
  npx any call https://example.com/ pageInfo '{"delay": 100}'
  npx any call https://example.com/ pageInfo @params.json
  echo '{"delay": 100}' | npx any call https://example.com/ pageInfo -
  npx any call https://chatgpt.com/ ask '{"prompt": "Hello"}' --stream
  npx any call https://example.com/ pageInfo --browser work`)
  .action(async function (this: Command, page: string, method: string, paramsArgument: string | undefined, options: CallCommandOptions) {
    let params: Record<string, unknown>;
    try {
      params = await readParams(paramsArgument);
    } catch (error) {
      return this.error(`error: ${(error as Error).message}`, { exitCode: 2 });
    }
    const progress = reportProgress({ port: options.port, page, method, quiet: options.quiet });
    if (options.stream) return callStreaming(page, method, params, options, progress);
    let result: unknown;
    try {
      result = await call(page, method, params, { port: options.port, timeout: options.timeout, browser: options.browser, onStage: progress.onStage, onProgress: progress.onProgress });
    } catch (error) {
      progress.stop();
      return printFailure(error, options.json);
    }
    progress.stop();
    printResult(result);
  });

/**
 * --stream: each progress value on stdout as one JSON line as it comes, then the result. The
 * waiting display stops at the first value (the lines say enough, and a terminal's spinner would
 * break them). A reader that stops reading (`| head -n 3`) cancels the call, quietly.
 */
async function callStreaming(page: string, method: string, params: Record<string, unknown>, options: CallCommandOptions, progress: ProgressReporter): Promise<void> {
  const cancel = new AbortController();
  let readerGone = false;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    readerGone = true;
    cancel.abort();
  });
  const answer = stream(page, method, params, { port: options.port, timeout: options.timeout, browser: options.browser, signal: cancel.signal, onStage: progress.onStage });
  let result: unknown;
  try {
    for await (const part of answer) {
      progress.stop();
      await printLine(part);
      if (readerGone) break;
    }
    result = await answer.result;
  } catch (error) {
    progress.stop();
    if (readerGone) return;
    return printFailure(error, options.json);
  }
  progress.stop();
  if (readerGone) return;
  await printLine(result);
}
