/**
 * Firefox ESR as a managed browser: `any launch --browser firefox`, the any extension built for
 * Firefox from the same sources, the userscripts as MAIN-world content scripts, spawned directly
 * (no remote debugging), against pages served with the strictest CSP. The first of the suites
 * that run on Firefox; the others still run on Chromium only.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { call, methods, stream } from '../../src/client/call.js';
import { FIREFOX_EXTENSION_ID } from '../../src/extension-identity.js';
import { startServer } from '../../src/server/server.js';
import { CLI, freePort, processGroupAlive, startPageServer, startStack, TEST_USERSCRIPTS, waitFor, type Stack } from './harness.js';

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
