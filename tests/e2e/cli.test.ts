/**
 * The `any` command line, run as a user runs it, against the real server and browser.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, freePort, runCli, startStack, waitFor, type Stack } from './harness.js';
import { serverHealth } from '../../src/client/call.js';

describe('any call / status (with a browser connected)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.close();
  });

  test('prints the result as JSON on stdout and exits 0', async () => {
    const outcome = await runCli(['call', stack.pages.url('/cli'), 'echo', '{"greeting": "hi", "n": [1, 2]}', '--port', String(stack.port)]);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.deepEqual(JSON.parse(outcome.stdout), { greeting: 'hi', n: [1, 2] });
    assert.equal(outcome.stderr, '');
  });

  test('params are optional', async () => {
    const outcome = await runCli(['call', stack.pages.url('/cli'), 'pageTitle', '--port', String(stack.port)]);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal(JSON.parse(outcome.stdout), 'Test page /cli');
  });

  test('a method that throws: "Name: message (CODE)" on stderr, exit 6', async () => {
    const outcome = await runCli(['call', stack.pages.url('/cli'), 'throwTypeError', '{"message": "x"}', '-p', String(stack.port)]);
    assert.equal(outcome.code, 6);
    assert.equal(outcome.stdout, '');
    assert.equal(outcome.stderr, 'TypeError: x (METHOD_THREW)\n');
  });

  test('an unknown method lists the methods, exit 5', async () => {
    const outcome = await runCli(['call', stack.pages.url('/cli'), 'nope', '-p', String(stack.port)]);
    assert.equal(outcome.code, 5);
    assert.match(outcome.stderr, /^MethodNotFoundError: __any__\.nope is not a method .*Methods here: .*echo.* \(METHOD_NOT_FOUND\)\n$/);
  });

  test('--timeout ends a slow call with a timeout, exit 7', async () => {
    const started = Date.now();
    const outcome = await runCli(['call', stack.pages.url('/cli'), 'sleep', '{"ms": 5000}', '--timeout', '300', '-p', String(stack.port)]);
    assert.equal(outcome.code, 7);
    assert.match(outcome.stderr, /^TimeoutError: .*300 ms.*\(TIMEOUT\)\n$/);
    assert.ok(Date.now() - started < 4_000);
  });

  test('params that are not a JSON object are a usage error naming the problem, exit 2', async () => {
    for (const params of ['{not json', '[1, 2]']) {
      const outcome = await runCli(['call', stack.pages.url('/cli'), 'echo', params, '-p', String(stack.port)]);
      assert.equal(outcome.code, 2);
      assert.match(outcome.stderr, /params must be/);
    }
  });

  test('a bad flag value is a usage error, exit 2', async () => {
    const outcome = await runCli(['call', stack.pages.url('/cli'), 'echo', '--timeout', '0', '-p', String(stack.port)]);
    assert.equal(outcome.code, 2);
    assert.match(outcome.stderr, /--timeout must be a whole number/);
  });

  test('a page that is not http(s) is refused before anything runs, exit 2', async () => {
    const outcome = await runCli(['call', 'javascript:alert(1)', 'echo', '-p', String(stack.port)]);
    assert.equal(outcome.code, 2);
    assert.match(outcome.stderr, /BadRequestError: .*http: or https:/);
  });

  test('any status shows the server and the connected browser', async () => {
    const outcome = await runCli(['status', '--port', String(stack.port)]);
    assert.equal(outcome.code, 0);
    assert.match(outcome.stdout, new RegExp(`server: +running on http://127.0.0.1:${stack.port}`));
    assert.match(outcome.stdout, /browser: +connected since .*HeadlessChrome/);
  });
});

describe('any serve / stop / status (no browser)', () => {
  test('serve prints its ready line; status sees it; stop ends it and exits 0', async () => {
    const port = await freePort();
    const server = spawn(process.execPath, [CLI, 'serve', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => server.on('exit', resolve));
    let stdout = '';
    server.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    await waitFor(() => stdout.includes('\n'), 10_000, () => 'no ready line');
    assert.equal(stdout, `any server listening on http://127.0.0.1:${port}\n`);

    const status = await runCli(['status', '--port', String(port)]);
    assert.equal(status.code, 0);
    assert.match(status.stdout, /browser: +none connected\. Start one with `npx any launch`/);

    const stop = await runCli(['stop', '--port', String(port)]);
    assert.equal(stop.code, 0);
    assert.match(stop.stdout, new RegExp(`Stopped the any server on port ${port}`));
    assert.equal(await exited, 0);
    assert.equal(await serverHealth(port), undefined);

    const statusAfter = await runCli(['status', '--port', String(port)]);
    assert.equal(statusAfter.code, 1);
    assert.match(statusAfter.stdout, /not running/);
    const stopAgain = await runCli(['stop', '--port', String(port)]);
    assert.match(stopAgain.stdout, /No any server is running/);
  });

  test('serve on a port another program holds fails, naming the port and --port', async () => {
    const squatter = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as { port: number }).port;
    try {
      const outcome = await runCli(['serve', '--port', String(port)]);
      assert.equal(outcome.code, 1);
      assert.match(outcome.stderr, new RegExp(`Port ${port} is in use by another program.*--port`));
    } finally {
      squatter.close();
    }
  });
});

describe('any extension / --help', () => {
  test('extension prints the built extension folder as the last line', async () => {
    const outcome = await runCli(['extension']);
    assert.equal(outcome.code, 0);
    const folder = outcome.stdout.trim().split('\n').at(-1)!;
    assert.ok(existsSync(join(folder, 'manifest.json')), folder);
    assert.ok(existsSync(join(folder, 'background.js')), folder);
  });

  test('every command has --help', async () => {
    for (const command of [[], ['call'], ['serve'], ['stop'], ['status'], ['extension'], ['launch']]) {
      const outcome = await runCli([...command, '--help']);
      assert.equal(outcome.code, 0, command.join(' '));
      assert.match(outcome.stdout, /^Usage: any/, command.join(' '));
    }
  });
});
