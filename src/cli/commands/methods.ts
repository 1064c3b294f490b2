import { Command, Option } from 'commander';
import { methods } from '../../client/call.js';
import { MAX_CALL_TIMEOUT_MS } from '../../protocol/index.js';
import { browserOption, integer, portOption } from '../options.js';
import { printFailure, printResult } from '../output.js';
import { reportProgress } from '../progress.js';

export const methodsCommand = new Command('methods')
  .description('List the methods on <page> as JSON: name, source (userscript or webmcp), title, description, inputSchema, outputSchema, annotations.')
  .argument('<page>', 'absolute http(s) URL of the page; an open tab at it is reused, else one is opened')
  .addOption(new Option('-t, --timeout <ms>', 'how long to wait for the page (default 30000)').argParser(integer('--timeout', 1, MAX_CALL_TIMEOUT_MS)))
  .addOption(browserOption())
  .addOption(portOption())
  .option('--json', 'print a failure as the JSON error object on stderr', false)
  .option('-q, --quiet', 'say nothing on stderr while waiting', false)
  .addHelpText('after', `
A userscript describes a method as a WebMCP tool is described, by properties of its function:
  __any__.ask.title = 'Ask the chat';
  __any__.ask.description = 'Ask the chat a question';
  __any__.ask.inputSchema = { type: 'object', properties: { prompt: { type: 'string' } }, required: ['prompt'] };
  __any__.ask.annotations = { readOnlyHint: false };   // also outputSchema
Where the WebMCP mirror runs (\`any launch --webmcp\`, \`any webmcp\`), the page's own WebMCP tools are
listed too, as webmcp:<tool name>.`)
  .action(async (page: string, options: { timeout?: number; browser?: string; port: number; json: boolean; quiet: boolean }) => {
    const progress = reportProgress({ port: options.port, page, quiet: options.quiet });
    let list: unknown;
    try {
      list = await methods(page, { port: options.port, timeout: options.timeout, browser: options.browser, onStage: progress.onStage });
    } catch (error) {
      progress.stop();
      return printFailure(error, options.json);
    }
    progress.stop();
    printResult(list);
  });
