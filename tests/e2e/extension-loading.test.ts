/**
 * Branded Google Chrome (137+) ignores `--load-extension`; the launcher then loads the extensions
 * with `Extensions.loadUnpacked` over `--remote-debugging-pipe` and sends nothing more. Chromium
 * takes the same command, so the path is tested here on /usr/bin/chromium: forced with
 * `extensionLoading: 'pipe'` (`any launch --extension-loading pipe`), and chosen by itself for a
 * wrapper that says it is Google Chrome 140 (tests/fixtures/branded-chrome/google-chrome).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { call } from '../../src/client/call.js';
import { browserCandidates } from '../../src/launcher/chromium.js';
import { launchBrowser, type ManagedBrowser } from '../../src/launcher/launch.js';
import { unpackedExtensionId } from '../../src/launcher/user-scripts-toggle.js';
import { startServer, type AnyServer } from '../../src/server/server.js';
import { CLI, processGroupAlive, runCli, startPageServer, TEST_USERSCRIPTS, waitFor, type PageServer } from './harness.js';

const BRANDED_CHROME = fileURLToPath(new URL('../fixtures/branded-chrome/google-chrome', import.meta.url));
/** Drops --load-extension, saying so in Chrome 137's words; its --version says nothing. */
const IGNORING_CHROME = fileURLToPath(new URL('../fixtures/branded-chrome/chrome-ignoring-load-extension', import.meta.url));
/** Drops --load-extension without a word. */
const SILENT_CHROME = fileURLToPath(new URL('../fixtures/branded-chrome/chrome-without-extensions', import.meta.url));
/** An MV3 extension that runs a script through chrome.userScripts, as Tampermonkey and Violentmonkey do. */
const USER_SCRIPTS_MANAGER = fileURLToPath(new URL('../fixtures/user-scripts-manager/', import.meta.url));

/** Like USER_SCRIPTS_MANAGER, but it registers its script only after the first page has loaded (Violentmonkey's first tab). */
const LATE_USER_SCRIPTS_MANAGER = fileURLToPath(new URL('../fixtures/late-user-scripts-manager/', import.meta.url));

/** The command line of every process in the browser's group: what it was started with. */
const commandLines = (pid: number) => execFileSync('ps', ['-eo', 'pgid=,args=']).toString().split('\n')
  .filter((line) => Number(line.trim().split(/\s+/)[0]) === pid).join('\n');

describe('extensions over the DevTools pipe, as for branded Google Chrome', () => {
  let pages: PageServer;
  let server: AnyServer;
  before(async () => {
    pages = await startPageServer();
    server = await startServer({ port: 0 });
  });
  after(async () => {
    await server?.close();
    await pages?.close();
  });

  const launchAndCall = async (browser: ManagedBrowser) => {
    try {
      await waitFor(() => server.dispatcher.browsers.some((info) => info.installId === browser.installId), 15_000, () => browser.recentOutput());
      assert.equal(await call(pages.url('/over-the-pipe'), 'add', { a: 40, b: 2 }, { port: server.port, browser: server.dispatcher.browsers.find((info) => info.installId === browser.installId)!.name }), 42);
      const args = commandLines(browser.pid);
      assert.match(args, /--remote-debugging-pipe/);
      // (Debian's /usr/bin/chromium adds an empty `--load-extension=` of its own.)
      assert.doesNotMatch(args, /--load-extension=[^\s,]|--disable-extensions-except|--remote-debugging-port/, 'no extension flag, and never a debugging port');
      assert.equal(existsSync(join(browser.workDir, 'profile', 'DevToolsActivePort')), false, 'no DevTools port was opened');
    } finally {
      await browser.close();
    }
  };

  test('forced (`extensionLoading: pipe`): the any extension and the userscripts load, connect and answer', async () => {
    const browser = await launchBrowser({ port: server.port, headless: true, userscripts: TEST_USERSCRIPTS, extensionLoading: 'pipe' });
    assert.equal(browser.extensionLoading, 'pipe');
    await launchAndCall(browser);
  });

  test('a browser that says it is Google Chrome 140 gets them over the pipe by itself', async () => {
    const browser = await launchBrowser({ port: server.port, headless: true, userscripts: TEST_USERSCRIPTS, browser: BRANDED_CHROME });
    assert.equal(browser.extensionLoading, 'pipe');
    await launchAndCall(browser);
  });

  test('Chromium itself still gets them by --load-extension', async () => {
    const browser = await launchBrowser({ port: server.port, headless: true, userscripts: TEST_USERSCRIPTS });
    try {
      assert.equal(browser.extensionLoading, 'flags');
      assert.doesNotMatch(commandLines(browser.pid), /--remote-debugging/);
    } finally {
      await browser.close();
    }
  });

  test('any launch --extension-loading pipe says so, connects, and SIGTERM leaves nothing behind', async () => {
    const launcher = spawn(process.execPath, [CLI, 'launch', '--headless', '--extension-loading', 'pipe', '--userscripts', TEST_USERSCRIPTS, '--port', String(server.port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => launcher.on('exit', resolve));
    let stdout = '';
    launcher.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    let pid = 0;
    let workDir = '';
    try {
      await waitFor(() => stdout.includes('Connected to the any server'), 20_000, () => stdout);
      assert.match(stdout, /came in over its DevTools pipe/);
      pid = Number(/pid (\d+)/.exec(stdout)![1]);
      workDir = /temporary profile in (\S+)\./.exec(stdout)![1]!;
      assert.deepEqual(await call(pages.url('/cli-pipe'), 'echo', { over: 'pipe' }, { port: server.port, browser: /as "([^"]+)"/.exec(stdout)![1] }), { over: 'pipe' });
    } finally {
      launcher.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
    assert.equal(processGroupAlive(pid), false, 'no browser process is left');
    assert.equal(existsSync(workDir), false, 'the temporary profile is removed');
  });

  test('any launch --help lists the browsers it looks for, in the order it tries them', async () => {
    const outcome = await runCli(['launch', '--help']);
    assert.equal(outcome.code, 0);
    const positions = browserCandidates().map((path) => outcome.stdout.indexOf(`  ${path}\n`));
    assert.ok(positions.every((at) => at > 0), outcome.stdout);
    assert.deepEqual(positions, [...positions].sort((a, b) => a - b));
    assert.match(outcome.stdout, /With --browser firefox: \/usr\/bin\/firefox-esr/);
  });

  test('a bad --extension-loading is a usage error naming the choices, exit 2', async () => {
    const outcome = await runCli(['launch', '--extension-loading', 'sideways']);
    assert.equal(outcome.code, 2);
    assert.match(outcome.stderr, /flags, pipe/);
  });

  /** `any launch` with these flags until it exits or `until` holds; its output so far. */
  const launchCli = (args: string[], port = server.port) => {
    const launcher = spawn(process.execPath, [CLI, 'launch', '--headless', '--userscripts', TEST_USERSCRIPTS, '--port', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = { stdout: '', stderr: '' };
    launcher.stdout.setEncoding('utf8').on('data', (chunk: string) => (output.stdout += chunk));
    launcher.stderr.setEncoding('utf8').on('data', (chunk: string) => (output.stderr += chunk));
    const exited = new Promise<number | null>((resolve) => launcher.on('exit', resolve));
    return { launcher, output, exited };
  };

  test('never silent: a browser that ignores --load-extension is found out within --connect-timeout, and the extensions come in over the pipe', async () => {
    const { launcher, output, exited } = launchCli(['--browser', IGNORING_CHROME, '--connect-timeout', '3']);
    const startedAt = Date.now();
    try {
      await waitFor(() => output.stdout.includes('Connected to the any server'), 25_000, () => `${output.stdout}\n${output.stderr}`);
      assert.match(output.stderr, /did not connect to the any server on port \d+ within 3 s\. This brand ignores --load-extension \(Google Chrome does since version 137\)/);
      assert.match(output.stdout, /came in over its DevTools pipe/);
      const name = /as "([^"]+)"/.exec(output.stdout)![1]!;
      assert.equal(await call(pages.url('/fell-back'), 'add', { a: 1, b: 1 }, { port: server.port, browser: name }), 2);
      assert.ok(Date.now() - startedAt < 20_000);
    } finally {
      launcher.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });

  test('never silent: a browser that loads no extension and says nothing makes any launch explain and exit 3, and the calls waiting for it hear the same', async () => {
    // A server of its own, with no browser and the default 10 s browser wait: the calls wait for this launch.
    const own = await startServer({ port: 0 });
    try {
      const { output, exited } = launchCli(['--browser', SILENT_CHROME, '--connect-timeout', '2', '--name', 'silent'], own.port);
      const startedAt = Date.now();
      const failureOf = (options: { browser?: string }) => call(pages.url('/never'), 'add', { a: 1, b: 1 }, { port: own.port, ...options }).then(
        () => assert.fail('a call succeeded without a browser'),
        (error: Error & { code?: string }) => ({ error, atMs: Date.now() - startedAt }));
      const waiting = [failureOf({ browser: 'silent' }), failureOf({})];
      const code = await exited;
      const tookMs = Date.now() - startedAt;
      assert.equal(code, 3, `${output.stdout}\n${output.stderr}`);
      assert.ok(tookMs < 15_000, `exited after ${tookMs} ms`);
      assert.match(output.stderr, /^error: the browser \(.*chrome-without-extensions\) started, but its any extension did not connect to the any server on port \d+ within 2 s\. The extension was passed with --load-extension/m);
      assert.match(output.stderr, /--extension-loading pipe/);
      const pid = Number(/pid (\d+)/.exec(output.stdout)![1]);
      assert.equal(processGroupAlive(pid), false, 'the browser is closed');
      const explanation = /^error: (.*?started, but its any extension did not connect.*?)\n/m.exec(output.stderr)![1]!;
      for (const { error, atMs } of await Promise.all(waiting)) {
        assert.equal(error.code, 'NO_BROWSER', error.message);
        assert.ok(error.message.includes(`\`any launch\` gave up on the browser it started: ${explanation}`), error.message);
        assert.ok(atMs < 8_000, `the call ended ${atMs} ms after the launch started: when it gave up, not at the server's 10 s browser wait`);
      }
    } finally {
      await own.close();
    }
  });

  for (const extensionLoading of ['flags', 'pipe'] as const) {
    test(`a userscript manager passed with --extension gets "Allow User Scripts" (${extensionLoading}): its chrome.userScripts script is called under a strict CSP`, async () => {
      const browser = await launchBrowser({ port: server.port, headless: true, extensions: [USER_SCRIPTS_MANAGER], extensionLoading });
      try {
        const preferences = JSON.parse(readFileSync(join(browser.profileDir, 'Default', 'Preferences'), 'utf8'));
        assert.equal(preferences.extensions.settings[unpackedExtensionId(USER_SCRIPTS_MANAGER)].user_scripts_enabled, true);
        await waitFor(() => server.dispatcher.browsers.some((info) => info.installId === browser.installId), 15_000, () => browser.recentOutput());
        const name = server.dispatcher.browsers.find((info) => info.installId === browser.installId)!.name;
        // The manager registers its script as its worker starts: the first page may come before it.
        await waitFor(async () => (await call(pages.url('/managed-by-a-manager'), 'fromManager', {}, { port: server.port, browser: name }).catch(() => undefined)) === 'run by chrome.userScripts',
          10_000, () => 'the manager\'s script never ran');
      } finally {
        await browser.close();
      }
    });
  }
  test('a manager whose scripts come only after the first page: the first call works anyway, in that tab reloaded once', async () => {
    const browser = await launchBrowser({ port: server.port, headless: true, extensions: [LATE_USER_SCRIPTS_MANAGER] });
    try {
      await waitFor(() => server.dispatcher.browsers.some((info) => info.installId === browser.installId), 15_000, () => browser.recentOutput());
      const name = server.dispatcher.browsers.find((info) => info.installId === browser.installId)!.name;
      const page = pages.url('/first-tab-after-launch');
      assert.equal(await call(page, 'fromLateManager', {}, { port: server.port, browser: name }), 'registered after the first page');
      assert.deepEqual(pages.requested.filter((path) => path === '/first-tab-after-launch').length, 2, 'loaded once without the script, then reloaded with it');
      assert.equal(await call(page, 'fromLateManager', {}, { port: server.port, browser: name }), 'registered after the first page');
      assert.equal(pages.requested.filter((path) => path === '/first-tab-after-launch').length, 2, 'the tab is reused, not reloaded again');
    } finally {
      await browser.close();
    }
  });
});
