import { Command } from 'commander';
import { serverStatus } from '../../client/server-control.js';
import { HOW_TO_CONNECT_A_BROWSER, type ServerCallState, type Status } from '../../protocol/index.js';
import { portOption } from '../options.js';

export const statusCommand = new Command('status')
  .description('Show the any server on the port: its browsers (by name), the tabs they hold, and the calls in flight, each with the browser it runs in.')
  .addOption(portOption())
  .option('--json', 'print the status as JSON (the GET /status answer)', false)
  .addHelpText('after', `
Each browser is listed by the name a call gives as --browser, with its kind (managed: started by
\`any launch\`; everyday: your own browser with the extension), brand and version. Each call says
which browser it runs in and why: named by the call, holding a tab for its page, or the default
(the browser that connected first).

Exits 0 when a server runs, 1 when none does.`)
  .action(async (options: { port: number; json: boolean }) => {
    const status = await serverStatus(options.port);
    if (!status) {
      if (options.json) process.stdout.write('null\n');
      else process.stdout.write(`server:   not running on port ${options.port} (a call starts one, or run \`npx any serve\`)\n`);
      process.exitCode = 1;
      return;
    }
    if (options.json) return void process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    process.stdout.write(`${describeStatus(status).join('\n')}\n`);
  });

/** `any status` as lines of text: the server, each browser and its tabs, each call in flight. */
function describeStatus(status: Status): string[] {
  const lines = [`server:   running on http://127.0.0.1:${status.port} (pid ${status.pid}, any ${status.version})`];
  if (!status.browsers.length) lines.push(`browser:  none connected. ${HOW_TO_CONNECT_A_BROWSER}`);
  for (const browser of status.browsers) {
    lines.push(`browser:  "${browser.name}": ${browser.kind} ${browser.brand}${browser.version ? ` ${browser.version}` : ''}, ` +
      `extension ${browser.extensionVersion}, connected since ${browser.connectedAt}; ` +
      `${count(browser.openTabs, 'open tab')}, ${count(browser.callsInFlight, 'call')} in flight`);
    if (!browser.tabs) lines.push('          (did not say which tabs it holds)');
    for (const tab of browser.tabs ?? []) lines.push(`  tab ${tab.tabId}: ${tab.url}${tab.callsInFlight ? ` — ${tab.callsInFlight} call(s) running` : ''}`);
  }
  const browserCalls = status.browsers.flatMap((browser) => browser.calls ?? []);
  lines.push(`calls:    ${status.calls.length} in flight`);
  for (const call of status.calls) {
    const inBrowser = browserCalls.find((other) => other.id === call.id);
    const what = call.method ? `__any__.${call.method}` : 'list of methods';
    lines.push(`  ${what} on ${call.page}: ${whereItIs(call, inBrowser?.phase)}, ${(call.elapsedMs / 1000).toFixed(1)} s`);
  }
  return lines;
}

const ROUTES: Record<ServerCallState['route'], string> = {
  'named': 'named by the call',
  'open-tab': 'it holds a tab for the page',
  'default': 'the default browser',
};

/** "running in "b" (named by the call)", "waiting for a browser to connect", … */
function whereItIs(call: ServerCallState, phaseInBrowser: 'opening-tab' | 'running' | undefined): string {
  if (call.phase === 'waiting-for-browser') {
    return call.browser === undefined ? 'waiting for a browser to connect' : `waiting for "${call.browser}" to connect (${ROUTES[call.route]})`;
  }
  const doing = phaseInBrowser === 'opening-tab' ? 'opening its tab' : 'running';
  return `${doing} in "${call.browser}" (${ROUTES[call.route]})`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
