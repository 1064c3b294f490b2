#!/usr/bin/env node
/**
 * The `any` command line: call page methods, run the server, launch a managed browser.
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { USAGE_EXIT_CODE } from './exit-codes.js';
import { callCommand } from './commands/call.js';
import { extensionCommand } from './commands/extension.js';
import { launchCommand } from './commands/launch.js';
import { mcpCommand } from './commands/mcp.js';
import { methodsCommand } from './commands/methods.js';
import { serveCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';
import { stopCommand } from './commands/stop.js';
import { webmcpCommand } from './commands/webmcp.js';

const program = new Command('any')
  .description('Call named methods inside the web pages of a real browser.')
  .version(VERSION)
  .addCommand(callCommand)
  .addCommand(methodsCommand)
  .addCommand(launchCommand)
  .addCommand(mcpCommand)
  .addCommand(serveCommand)
  .addCommand(stopCommand)
  .addCommand(statusCommand)
  .addCommand(extensionCommand)
  .addCommand(webmcpCommand)
  .showHelpAfterError('(add --help for usage)');

// Usage errors (a bad flag, params that are not JSON) exit 2, like a bad request; commander
// has already printed them.
for (const command of [program, ...program.commands]) command.exitOverride();

program.parseAsync().catch((error: unknown) => {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    return;
  }
  process.stderr.write(`any: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
