import { Command } from 'commander';
import { stopServer } from '../../client/server-control.js';
import { portOption } from '../options.js';

export const stopCommand = new Command('stop')
  .description('Stop the any server on the port. A connected browser stays open and reconnects to the next server.')
  .addOption(portOption())
  .action(async (options: { port: number }) => {
    const stopped = await stopServer(options.port);
    process.stdout.write(stopped ? `Stopped the any server on port ${options.port}.\n` : `No any server is running on port ${options.port}.\n`);
  });
