import { Command } from 'commander';
import { serverHealth } from '../../client/call.js';
import { HOW_TO_CONNECT_A_BROWSER } from '../../protocol/index.js';
import { portOption } from '../options.js';

export const statusCommand = new Command('status')
  .description('Say whether an any server runs on the port and which browsers are connected to it.')
  .addOption(portOption())
  .addHelpText('after', '\nExits 0 when a server runs, 1 when none does.')
  .action(async (options: { port: number }) => {
    const health = await serverHealth(options.port);
    if (!health) {
      process.stdout.write(`server:   not running on port ${options.port} (a call starts one, or run \`npx any serve\`)\n`);
      process.exitCode = 1;
      return;
    }
    const lines = [`server:   running on http://127.0.0.1:${health.port} (pid ${health.pid}, any ${health.version}), ${health.callsInFlight} call(s) in flight`];
    if (!health.browsers.length) lines.push(`browser:  none connected. ${HOW_TO_CONNECT_A_BROWSER}`);
    for (const browser of health.browsers) {
      lines.push(`browser:  connected since ${browser.connectedAt} (extension ${browser.extensionVersion}; ${browser.userAgent})`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  });
