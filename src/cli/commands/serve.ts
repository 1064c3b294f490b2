import { Command, Option } from 'commander';
import { serverHealth } from '../../client/server-control.js';
import { PINNED_EXTENSION_ID } from '../../extension-identity.js';
import { ALREADY_RUNNING_LINE, LISTENING_LINE } from '../../protocol/index.js';
import { DEFAULT_BROWSER_WAIT_MS, DEFAULT_MAX_BODY_BYTES, MAX_MAX_BODY_BYTES, startServer } from '../../server/server.js';
import { integer, portOption } from '../options.js';

interface ServeOptions {
  port: number;
  browserWait: number;
  maxBody: number;
  allowExtension: string[];
  quiet: boolean;
  auto: boolean;
  idleExit?: number;
}

/** Servers that clients start on demand exit after this long with no browser and no calls. */
const AUTO_IDLE_EXIT_MS = 15 * 60_000;

export const serveCommand = new Command('serve')
  .description('Run the any server in the foreground (calls start one by themselves when none runs).')
  .addOption(portOption())
  .addOption(new Option('--browser-wait <ms>', 'how long a call waits for a browser to connect').default(DEFAULT_BROWSER_WAIT_MS).argParser(integer('--browser-wait', 0, 600_000)))
  .addOption(new Option('--max-body <bytes>', 'largest accepted request body').default(DEFAULT_MAX_BODY_BYTES).argParser(integer('--max-body', 1024, MAX_MAX_BODY_BYTES)))
  .addOption(new Option('--allow-extension <id...>', 'also accept the WebSocket of these extension IDs').default([]))
  .addOption(new Option('--idle-exit <ms>', 'exit after this long with no browser connected and no calls (default: never; 15 minutes when started by a call)').argParser(integer('--idle-exit', 1, 2 ** 31 - 1)))
  .option('-q, --quiet', 'log nothing after the ready line', false)
  .addOption(new Option('--auto', 'started on demand by a client').default(false).hideHelp())
  .action(async (options: ServeOptions) => {
    // The starter may close our stdout/stderr once it has read the ready line.
    process.stdout.on('error', () => {});
    process.stderr.on('error', () => {});
    const quiet = options.quiet || options.auto;
    const log = quiet ? () => {} : (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
    let server;
    try {
      server = await startServer({
        port: options.port,
        browserWaitMs: options.browserWait,
        maxBodyBytes: options.maxBody,
        extensionIds: [PINNED_EXTENSION_ID, ...options.allowExtension],
        log,
        onShutdownRequest: () => void shutDown('POST /shutdown'),
        idleTimeoutMs: options.idleExit ?? (options.auto ? AUTO_IDLE_EXIT_MS : undefined),
        onIdle: () => void shutDown('idle: no browser and no calls'),
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      if (await serverHealth(options.port)) {
        process.stdout.write(`${ALREADY_RUNNING_LINE} http://127.0.0.1:${options.port}\n`);
        return;
      }
      process.stderr.write(`Port ${options.port} is in use by another program. Choose another port with --port (and pass the same port to calls).\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`${LISTENING_LINE} ${server.url}\n`);
    const shutDown = async (why: string) => {
      log(`shutting down (${why})`);
      await server.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void shutDown('SIGINT'));
    process.once('SIGTERM', () => void shutDown('SIGTERM'));
  });
