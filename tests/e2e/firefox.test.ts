/**
 * Firefox ESR as a managed browser: `any launch --browser firefox`, the any extension built for
 * Firefox from the same sources, the userscripts as MAIN-world content scripts, spawned directly
 * (no remote debugging), against pages served with the strictest CSP. The first of the suites
 * that run on Firefox; the others still run on Chromium only.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call, methods, stream } from '../../src/client/call.js';
import { FIREFOX_EXTENSION_ID, MANAGED_FIREFOX_UUID } from '../../src/extension-identity.js';
import { launchBrowser, type ManagedBrowser } from '../../src/launcher/launch.js';
import { startServer, type AnyServer } from '../../src/server/server.js';
import { CLI, freePort, launchConnected, linkAsUsersFirefoxProfile, processGroupAlive, startPageServer, startStack, TEST_USERSCRIPTS, waitFor, type Stack } from './harness.js';

describe('Firefox, managed', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ browser: 'firefox' });
  });
  after(async () => {
    await stack?.close();
  });

  test('connects as a managed Firefox, named after its brand', () => {
    const [browser] = stack.server.dispatcher.browsers;
    assert.equal(stack.browser.extensionId, FIREFOX_EXTENSION_ID);
    assert.deepEqual([browser?.name, browser?.kind, browser?.brand], ['firefox', 'managed', 'Firefox']);
    assert.match(browser!.version, /^\d+\.\d/);
  });

  test('calls a userscript method on a page whose CSP allows no script at all', async () => {
    const page = stack.pages.url('/firefox/strict');
    assert.equal(await call(page, 'add', { a: 20, b: 22 }, { port: stack.port }), 42);
    assert.deepEqual(await call(page, 'echo', { text: 'é', list: [1, null, { deep: true }] }, { port: stack.port }), { text: 'é', list: [1, null, { deep: true }] });
  });

  test('streams progress values in order, then the result', async () => {
    const values: unknown[] = [];
    const running = stream(stack.pages.url('/firefox/progress'), 'countUp', { n: 5, delay: 10 }, { port: stack.port });
    for await (const value of running) values.push(value);
    assert.deepEqual(values, [1, 2, 3, 4, 5]);
    assert.deepEqual(await running.result, { counted: 5 });
  });

  test('lists methods, each with its source, and a missing one fails with METHOD_NOT_FOUND naming them', async () => {
    const page = stack.pages.url('/firefox/listed');
    const listed = await methods(page, { port: stack.port });
    assert.deepEqual(listed.find((method) => method.name === 'add'), {
      name: 'add', source: 'userscript', description: 'Adds two numbers.',
      inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
    });
    await assert.rejects(call(page, 'noSuchMethod', {}, { port: stack.port }), (error: { code: string; methods?: string[] }) => {
      assert.equal(error.code, 'METHOD_NOT_FOUND');
      assert.ok(error.methods?.includes('add'));
      return true;
    });
  });

  test('a cancelled call aborts the method\'s signal in the page', async () => {
    const page = stack.pages.url('/firefox/cancel');
    const controller = new AbortController();
    const running = call(page, 'waitForAbort', {}, { port: stack.port, signal: controller.signal });
    setTimeout(() => controller.abort(), 500);
    await assert.rejects(running, { code: 'CANCELLED' });
    await waitFor(async () => ((await call(page, 'lastAbort', {}, { port: stack.port })) as { aborted?: boolean } | null)?.aborted === true,
      5_000, () => 'the method did not see its signal abort');
  });
});

describe('Chromium and Firefox on one server', () => {
  let stack: Stack;
  let firefox: ManagedBrowser | undefined;
  before(async () => {
    stack = await startStack();
    ({ browser: firefox } = await launchConnected(stack.server, { browser: 'firefox', name: 'ff' }));
  });
  after(async () => {
    await firefox?.close();
    await stack?.close();
  });

  test('each is named and listed with its brand, and a call naming one runs in it', async () => {
    const brands = Object.fromEntries(stack.server.dispatcher.browsers.map((browser) => [browser.name, browser.brand]));
    assert.deepEqual(brands, { chromium: 'Chromium', ff: 'Firefox' });
    const page = stack.pages.url('/mixed');
    assert.equal(await call(page, 'add', { a: 1, b: 1 }, { port: stack.port, browser: 'ff' }), 2);
    const tabs = () => Object.fromEntries(stack.server.dispatcher.browsers.map((browser) => [browser.name, browser.openTabs]));
    await waitFor(() => tabs().ff === 1, 5_000, () => JSON.stringify(tabs()));
    assert.equal(tabs().chromium, 0, 'the call ran in Firefox, not in the default browser');
    // Its tab is there now: a call that names no browser is routed to the browser holding it.
    assert.equal(await call(page, 'add', { a: 2, b: 2 }, { port: stack.port }), 4);
    assert.equal(tabs().chromium, 0);
  });
});

describe('an everyday Firefox: the any extension with the random origin Firefox gave it', () => {
  test('is taken when this user\'s Firefox profile recorded that origin for it, and refused when none did', async () => {
    const home = mkdtempSync(join(tmpdir(), 'any-home-'));
    const emptyHome = mkdtempSync(join(tmpdir(), 'any-home-'));
    const log: string[] = [];
    const refusing = await startServer({ port: 0, everydayFirefoxHome: emptyHome, log: (line) => log.push(line) });
    let browser: ManagedBrowser | undefined;
    let server: AnyServer | undefined;
    try {
      // A profile of the user's own (no pinned origin), first against a server that finds no profile.
      browser = await launchBrowser({ browser: 'firefox', headless: true, port: refusing.port, userscripts: TEST_USERSCRIPTS, asEveryday: true });
      await waitFor(() => log.some((line) => /refused a WebSocket from origin "moz-extension:\/\/[0-9a-f-]{36}" to \/ws/.test(line)), 20_000, () => log.join('\n'));
      const origin = /origin "(moz-extension:\/\/[0-9a-f-]{36})"/.exec(log.find((line) => line.includes('moz-extension'))!)![1]!;
      assert.notEqual(origin, `moz-extension://${MANAGED_FIREFOX_UUID}`, 'Firefox chose the origin');
      assert.equal(refusing.dispatcher.browsers.length, 0);
      await refusing.close();

      // The same browser, once the profile is where this user's Firefox keeps profiles.
      linkAsUsersFirefoxProfile(home, browser);
      server = await startServer({ port: refusing.port, everydayFirefoxHome: home });
      await waitFor(() => server!.dispatcher.browsers.length === 1, 20_000, () => 'the everyday Firefox did not connect');
      assert.deepEqual([server.dispatcher.browsers[0]!.kind, server.dispatcher.browsers[0]!.brand], ['everyday', 'Firefox']);
      const pages = await startPageServer();
      try {
        assert.equal(await call(pages.url('/everyday'), 'add', { a: 2, b: 2 }, { port: server.port }), 4);
      } finally {
        await pages.close();
      }
    } finally {
      await browser?.close();
      await server?.close();
      await refusing.close();
      rmSync(home, { recursive: true, force: true });
      rmSync(emptyHome, { recursive: true, force: true });
    }
  });
});

describe('any launch --browser firefox', () => {
  test('connects, says so under its name, and SIGTERM closes it and removes its profile', async () => {
    const port = await freePort();
    const server = await startServer({ port });
    const pages = await startPageServer();
    const launcher = spawn(process.execPath, [CLI, 'launch', '--browser', 'firefox', '--headless', '--userscripts', TEST_USERSCRIPTS, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => launcher.on('exit', resolve));
    let stdout = '';
    launcher.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    try {
      await waitFor(() => stdout.includes('Connected to the any server'), 20_000, () => stdout);
      assert.match(stdout, /\/firefox[^ ]*\) with a temporary profile/);
      assert.match(stdout, new RegExp(`Connected to the any server on port ${port} as "firefox"\\.`));
      assert.equal(await call(pages.url('/launched'), 'add', { a: 1, b: 2 }, { port }), 3);
      const pid = Number(/pid (\d+)/.exec(stdout)![1]);
      const workDir = /temporary profile in (\S+)\./.exec(stdout)![1]!;
      launcher.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.equal(processGroupAlive(pid), false, 'Firefox and its child processes are gone');
      assert.equal(existsSync(workDir), false, 'its profile is removed');
    } finally {
      launcher.kill('SIGKILL');
      await server.close();
      await pages.close();
    }
  });
});
