import { Command, Option } from 'commander';
import { launchBrowser } from '../../launcher/launch.js';
import { portOption } from '../options.js';

interface LaunchCommandOptions {
  headless: boolean;
  userscripts?: string;
  browser?: string;
  browserArg: string[];
  extension: string[];
  port: number;
}

export const launchCommand = new Command('launch')
  .description('Start a managed Chromium with the any extension and your userscripts; it runs until Ctrl-C.')
  .option('--headless', 'run without a window (CI, servers)', false)
  .option('-u, --userscripts <path>', 'folder of *.user.js files (or one file), run in the page world like Tampermonkey would')
  .option('-b, --browser <path>', 'Chromium or Chrome executable (default: /usr/bin/chromium, then other usual places)')
  .addOption(new Option('--browser-arg <flag...>', 'extra Chromium flags').default([]))
  .addOption(new Option('--extension <dir...>', 'more unpacked extensions to load').default([]))
  .addOption(portOption())
  .addHelpText('after', `
The browser gets a fresh temporary profile, removed when it closes. Its extension connects to
the any server on --port, retrying every second, so start the server before or after.`)
  .action(async (options: LaunchCommandOptions) => {
    const browser = await launchBrowser({
      port: options.port,
      headless: options.headless,
      userscripts: options.userscripts,
      browser: options.browser,
      browserArgs: options.browserArg,
      extensions: options.extension,
    });
    const names = browser.userscripts.map((script) => script.metadata.name);
    process.stdout.write(`Browser started (pid ${browser.pid}, ${browser.executable}) with a temporary profile in ${browser.workDir}.\n`);
    process.stdout.write(`Its extension connects to the any server on port ${options.port}, retrying every second.\n`);
    process.stdout.write(names.length ? `Userscripts: ${names.join(', ')}.\n` : 'No userscripts loaded (pass --userscripts <folder>).\n');
    for (const script of browser.userscripts) {
      for (const warning of script.warnings) process.stderr.write(`warning: ${script.metadata.name}: ${warning}\n`);
    }
    process.stdout.write('Press Ctrl-C to close it.\n');

    let closing = false;
    const close = async () => {
      closing = true;
      await browser.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void close());
    process.once('SIGTERM', () => void close());
    const code = await browser.exited;
    if (closing) return;
    await browser.close();
    process.stderr.write(`The browser exited by itself (code ${code}).\n${code ? browser.recentOutput() + '\n' : ''}`);
    process.exitCode = code ? 1 : 0;
  });
