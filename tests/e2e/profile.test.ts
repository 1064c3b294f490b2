/**
 * `any launch --profile <dir>`: a profile that remembers. What a page keeps (localStorage, a
 * cookie, as a login does) is still there after the browser is closed and launched again on the
 * same folder, which close() never removes; a second browser on a profile in use is refused
 * before it starts (a second Chromium would hand its start to the first, without the extension).
 * Both engines: Firefox writes localStorage only when it quits as its user quits it, and a
 * relaunched Firefox must start the any extension again (src/launcher/firefox.ts says why each
 * needed work).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { call } from '../../src/client/call.js';
import { launchBrowser, type ManagedBrowser } from '../../src/launcher/launch.js';
import { startServer, type AnyServer } from '../../src/server/server.js';
import { BROWSERS, CLI, startPageServer, waitFor, type PageServer } from './harness.js';

const REMEMBER = fileURLToPath(new URL('../fixtures/userscripts-profile/', import.meta.url));

for (const { label, browser: engine } of BROWSERS) describe(`a profile kept between launches: ${label}`, () => {
  let pages: PageServer;
  let server: AnyServer;
  let profile: string;
  before(async () => {
    // One page server for both launches: localStorage and cookies belong to its origin (its port).
    pages = await startPageServer();
    server = await startServer({ port: 0 });
    profile = join(mkdtempSync(join(tmpdir(), 'any-kept-')), 'profile'); // not there yet: the launch creates it
  });
  after(async () => {
    await server?.close();
    await pages?.close();
    rmSync(join(profile, '..'), { recursive: true, force: true });
  });

  const launchOn = async () => {
    const browser = await launchBrowser({ port: server.port, headless: true, userscripts: REMEMBER, browser: engine, profile });
    try {
      await waitFor(() => server.dispatcher.browsers.some((info) => info.installId === browser.installId), 20_000, () => browser.recentOutput());
    } catch (error) {
      await browser.close();
      throw error;
    }
    return browser;
  };
  const run = (method: string, params: Record<string, unknown> = {}) => call(pages.url('/account'), method, params, { port: server.port });

  test('what a page kept is there after a close and a new launch; the folder is never removed', async () => {
    let browser: ManagedBrowser | undefined = await launchOn();
    try {
      assert.equal(browser.profileDir, profile);
      assert.deepEqual(await run('recall'), { stored: null, cookie: null });
      assert.equal(await run('remember', { value: 'logged-in' }), true);
      await browser.close();
      assert.equal(await browser.exited, 0, 'it quit as when its user quits it (a signal would have ended it with null)');
      browser = undefined;
      assert.ok(existsSync(profile) && readdirSync(profile).length > 0, 'the profile is kept');

      browser = await launchOn();
      assert.deepEqual(await run('recall'), { stored: 'logged-in', cookie: 'logged-in' });
    } finally {
      await browser?.close();
    }
    assert.ok(existsSync(profile));
  });

  test('a second launch on a profile a browser runs on is refused, naming it', async () => {
    const first = await launchOn();
    try {
      await assert.rejects(launchBrowser({ port: server.port, headless: true, browser: engine, profile }),
        new RegExp(`The profile ${profile} is in use by a running ${engine ? 'Firefox' : 'Chromium'} \\(pid \\d+\\)`));
      assert.equal(server.dispatcher.browsers.length, 1, 'no second browser came up');
    } finally {
      await first.close();
    }
  });

  test('any launch --profile says the profile is kept, and keeps it after SIGTERM', async () => {
    const launcher = spawn(process.execPath, [CLI, 'launch', '--headless', '--profile', profile, '--port', String(server.port), ...(engine ? ['--browser', engine] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => launcher.on('exit', resolve));
    let stdout = '';
    launcher.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    try {
      await waitFor(() => stdout.includes('Connected to the any server'), 20_000, () => stdout);
      assert.ok(stdout.includes(`with the profile in ${profile} (kept).`), stdout);
    } finally {
      launcher.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
    assert.ok(existsSync(profile));
  });
});
