import { Command, Option } from 'commander';
import { serverHealth } from '../../client/server-control.js';
import { browserCandidates, EXTENSION_LOADINGS, type ExtensionLoading } from '../../launcher/chromium.js';
import { FIREFOX_CANDIDATES } from '../../launcher/firefox.js';
import { versionLine } from '../../launcher/browser-process.js';
import { LaunchReporter, watchForConnection } from '../../launcher/connection-watch.js';
import { diagnoseUnconnectedLaunch } from '../../launcher/launch-diagnosis.js';
import { launchBrowser, type ManagedBrowser } from '../../launcher/launch.js';
import { freeName, type BrowserInfo } from '../../protocol/index.js';
import { EXIT_CODES } from '../exit-codes.js';
import { browserName, integer, portOption } from '../options.js';

interface LaunchCommandOptions {
  headless: boolean;
  userscripts?: string;
  browser?: string;
  name?: string;
  webmcp: boolean;
  browserArg: string[];
  extension: string[];
  extensionLoading?: ExtensionLoading;
  connectTimeout: number;
  profile?: string;
  port: number;
}

/** A managed browser's extension connects within a few seconds of a server answering (Firefox takes the longest, ~5 s). */
const DEFAULT_CONNECT_TIMEOUT_S = 15;

export const launchCommand = new Command('launch')
  .description('Start a managed Chromium with the any extension and your userscripts; it runs until Ctrl-C.')
  .option('--headless', 'run without a window (CI, servers)', false)
  .option('-u, --userscripts <path>', 'folder of *.user.js files (or one file), run in the page world like Tampermonkey would')
  .option('-b, --browser <path>', 'Chromium or Chrome executable (default: /usr/bin/chromium, then other usual places), or "firefox" (Firefox ESR) or a Firefox executable')
  .addOption(new Option('-n, --name <name>', 'the name calls give to run in this browser (`any call --browser <name>`); default: its brand, e.g. chromium').argParser(browserName))
  .option('--webmcp', 'turn on WebMCP and load the WebMCP mirror on every page: pages\' WebMCP tools become methods webmcp:<tool name>', false)
  .addOption(new Option('--browser-arg <flag...>', 'extra Chromium flags').default([]))
  .addOption(new Option('--extension <dir...>', 'more unpacked extensions to load').default([]))
  .addOption(new Option('--extension-loading <how>', 'how Chromium gets the extensions: "flags" (--load-extension) or "pipe" (Extensions.loadUnpacked over --remote-debugging-pipe); default: pipe for Google Chrome 137+, which ignores --load-extension, else flags')
    .choices(EXTENSION_LOADINGS))
  .option('--profile <dir>', 'use (and create) this profile folder and keep it, so logins stay for later launches; default: a fresh temporary profile')
  .addOption(new Option('--connect-timeout <seconds>', 'once the any server answers, how long the extension has to connect before this says why not and exits (code 3)')
    .default(DEFAULT_CONNECT_TIMEOUT_S).argParser(integer('--connect-timeout', 1, 3600)))
  .addOption(portOption())
  .addHelpText('after', `
The browser gets a fresh temporary profile, removed when it closes (with --profile, the folder
given, which is kept; a profile another browser runs on is refused). Its extension connects to
the any server on --port, retrying every second, so start the server before or after; once it
has connected, this prints the name the server knows it by. A --name that a browser connected
to that server already has is refused (exit 2).

Without --browser, the first of these that is installed runs (browsers that honour
--load-extension first; Google Chrome gets the extensions over its DevTools pipe):
${browserCandidates().map((path) => `  ${path}`).join('\n')}
With --browser firefox: ${FIREFOX_CANDIDATES.join(', ')}.`)
  .action(async function (this: Command, options: LaunchCommandOptions) {
    if (options.name !== undefined) {
      const connected = (await serverHealth(options.port))?.browsers ?? [];
      const holder = connected.find((browser) => browser.name === options.name);
      if (holder) return this.error(nameTaken(options.name, options.port, holder, connected), { exitCode: 2 });
    }
    const launchOptions = {
      port: options.port,
      headless: options.headless,
      userscripts: options.userscripts,
      browser: options.browser,
      browserArgs: options.browserArg,
      extensions: options.extension,
      extensionLoading: options.extensionLoading,
      name: options.name,
      webmcp: options.webmcp,
      profile: options.profile,
    };
    let browser = await launchBrowser(launchOptions);
    const names = browser.userscripts.map((script) => script.metadata.name);
    const announce = (started: ManagedBrowser) => {
      const profile = options.profile === undefined ? `a temporary profile in ${started.workDir}` : `the profile in ${started.profileDir} (kept)`;
      process.stdout.write(`Browser started (pid ${started.pid}, ${started.executable}) with ${profile}.\n`);
      if (started.extensionLoading === 'pipe') {
        process.stdout.write('Its extensions came in over its DevTools pipe (Extensions.loadUnpacked); nothing else is sent there.\n');
      }
    };
    announce(browser);
    process.stdout.write(`Its extension connects to the any server on port ${options.port}, retrying every second.\n`);
    process.stdout.write(names.length ? `Userscripts: ${names.join(', ')}.\n` : 'No userscripts loaded (pass --userscripts <folder>).\n');
    if (options.webmcp) process.stdout.write('WebMCP is on: each page\'s WebMCP tools are methods named webmcp:<tool name>.\n');
    for (const script of browser.userscripts) {
      for (const warning of script.warnings) process.stderr.write(`warning: ${script.metadata.name}: ${warning}\n`);
    }
    process.stdout.write('Press Ctrl-C to close it.\n');

    let closing = false;
    let connected = false;
    const reporter = new LaunchReporter(options.port, options.name);
    const watch = (started: ManagedBrowser) => watchForConnection(started, {
      port: options.port,
      timeoutMs: options.connectTimeout * 1000,
      reporter,
      describe: () => `${versionLine(started.executable) ?? 'a browser'} (${started.executable}), pid ${started.pid}`,
      onConnected: (name) => {
        connected = true;
        process.stdout.write(`Connected to the any server on port ${options.port} as "${name}".\n`);
      },
    });
    let watching = watch(browser);
    const close = async () => {
      closing = true;
      watching.stop();
      // Calls waiting for this browser stop waiting for it.
      await Promise.all([browser.close(), connected ? undefined : reporter.closed()]);
      process.exit(0);
    };
    process.once('SIGINT', () => void close());
    process.once('SIGTERM', () => void close());
    for (;;) {
      const outcome = await Promise.race([browser.exited.then((code) => ({ exited: code })), watching.unconnected.then((waitedMs) => ({ waitedMs }))]);
      watching.stop();
      if (closing) return;
      if ('exited' in outcome) {
        await browser.close();
        const said = outcome.exited ? browser.recentOutput() : '';
        process.stderr.write(`The browser exited by itself (code ${outcome.exited}).\n${said ? `${said}\n` : ''}`);
        if (!connected) {
          await reporter.failed(`${browser.executable} (pid ${browser.pid}) exited by itself (code ${outcome.exited}) before its extension connected.` +
            `${said ? ` Its last output:\n${said}` : ''}`);
        }
        process.exitCode = outcome.exited ? 1 : 0;
        return;
      }
      // The server answers, but the extension never said hello: never wait in silence.
      const diagnosis = diagnoseUnconnectedLaunch({
        executable: browser.executable,
        version: versionLine(browser.executable),
        extensionLoading: browser.extensionLoading,
        recentOutput: browser.recentOutput(),
        port: options.port,
        waitedMs: outcome.waitedMs,
      });
      if (!diagnosis.retryOverPipe) {
        // The calls waiting for it hear why first; closing the browser takes a moment.
        await reporter.failed(diagnosis.message);
        await browser.close();
        process.stderr.write(`error: ${diagnosis.message}\n`);
        process.exitCode = EXIT_CODES.NO_BROWSER;
        return;
      }
      await browser.close();
      process.stderr.write(`${diagnosis.message}\n`);
      browser = await launchBrowser({ ...launchOptions, extensionLoading: 'pipe' });
      announce(browser);
      watching = watch(browser);
    }
  });

/** Refuses a --name a connected browser has, suggesting one none has (as the server would number it). */
function nameTaken(name: string, port: number, holder: BrowserInfo, connected: BrowserInfo[]): string {
  const taken = new Set(connected.map((browser) => browser.name));
  const suggestion = freeName(name, (candidate) => taken.has(candidate));
  return `error: a browser named "${name}" is already connected to the any server on port ${port} ` +
    `(${holder.kind} ${holder.brand}${holder.version ? ` ${holder.version}` : ''}, connected since ${holder.connectedAt}). ` +
    `Choose another name, such as --name ${suggestion}, or close that browser first.`;
}
