import { Command } from 'commander';
import { serverStatus } from '../../client/server-control.js';
import { HOW_TO_CONNECT_A_BROWSER } from '../../protocol/index.js';
import { portOption } from '../options.js';

export const statusCommand = new Command('status')
  .description('Show the any server on the port: its browsers, the tabs they hold, and the calls in flight.')
  .addOption(portOption())
  .option('--json', 'print the status as JSON (the GET /status answer)', false)
  .addHelpText('after', '\nExits 0 when a server runs, 1 when none does.')
  .action(async (options: { port: number; json: boolean }) => {
    const status = await serverStatus(options.port);
    if (!status) {
      if (options.json) process.stdout.write('null\n');
      else process.stdout.write(`server:   not running on port ${options.port} (a call starts one, or run \`npx any serve\`)\n`);
      process.exitCode = 1;
      return;
    }
    if (options.json) return void process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);

    const lines = [`server:   running on http://127.0.0.1:${status.port} (pid ${status.pid}, any ${status.version})`];
    if (!status.browsers.length) lines.push(`browser:  none connected. ${HOW_TO_CONNECT_A_BROWSER}`);
    for (const browser of status.browsers) {
      lines.push(`browser:  connected since ${browser.connectedAt} (extension ${browser.extensionVersion}; ${browser.userAgent})`);
      if (!browser.tabs) lines.push('          (did not say which tabs it holds)');
      for (const tab of browser.tabs ?? []) lines.push(`  tab ${tab.tabId}: ${tab.url}${tab.callsInFlight ? ` — ${tab.callsInFlight} call(s) running` : ''}`);
    }
    const browserCalls = status.browsers.flatMap((browser) => browser.calls ?? []);
    lines.push(`calls:    ${status.calls.length} in flight`);
    for (const call of status.calls) {
      const inBrowser = browserCalls.find((other) => other.id === call.id);
      const phase = call.phase === 'waiting-for-browser' ? 'waiting for a browser' : inBrowser?.phase === 'opening-tab' ? 'opening its tab' : 'running';
      const what = call.method ? `__any__.${call.method}` : 'list of methods';
      lines.push(`  ${what} on ${call.page}: ${phase}, ${(call.elapsedMs / 1000).toFixed(1)} s`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  });
