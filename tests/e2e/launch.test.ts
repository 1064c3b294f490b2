/**
 * `any launch` and the README's demo, as processes: they start a real browser, work, and leave
 * nothing behind (no browser process, no temporary profile).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { call } from '../../src/client/call.js';
import { startServer } from '../../src/server/server.js';
import { CLI, freePort, processGroupAlive, runCli, startPageServer, TEST_USERSCRIPTS, waitFor } from './harness.js';

describe('any launch', () => {
  test('starts a browser that connects to a server started after it; SIGTERM closes it and removes its profile', async () => {
    const port = await freePort();
    const launcher = spawn(process.execPath, [CLI, 'launch', '--headless', '--userscripts', TEST_USERSCRIPTS, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => launcher.on('exit', resolve));
    let stdout = '';
    let stderr = '';
    launcher.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    launcher.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const pages = await startPageServer();
    let server;
    let pid = 0;
    let workDir = '';
    try {
      await waitFor(() => stdout.includes('Ctrl-C'), 15_000, () => stdout);
      pid = Number(/pid (\d+)/.exec(stdout)![1]);
      workDir = /temporary profile in (\S+)\./.exec(stdout)![1]!;
      for (const name of ['any test methods', 'any test: @match and @exclude', 'any test: @include']) assert.ok(stdout.includes(name), name);
      assert.ok(existsSync(workDir));
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // it asks for a server that is not there yet…
      assert.equal(stderr, '', 'quietly');

      server = await startServer({ port });
      await waitFor(() => server!.dispatcher.browsers.length === 1, 10_000, () => 'the launched browser did not connect');
      assert.equal(await call(pages.url('/launched'), 'add', { a: 20, b: 22 }, { port }), 42);
      // …and says once that it connected, under the name the server gave it (its brand's, without --name).
      const name = server.dispatcher.browsers[0]!.name;
      await waitFor(() => stdout.includes('Connected'), 5_000, () => stdout);
      assert.ok(stdout.endsWith(`Press Ctrl-C to close it.\nConnected to the any server on port ${port} as "${name}".\n`), stdout);
    } finally {
      launcher.kill('SIGTERM');
      await server?.close();
      await pages.close();
    }
    assert.equal(await exited, 0);
    assert.equal(processGroupAlive(pid), false, 'no browser process is left');
    assert.equal(existsSync(workDir), false, 'the temporary profile is removed');
  });

  test('--name: the browser goes by that name; a name a connected browser has is refused; a malformed one too', async () => {
    const server = await startServer({ port: 0 });
    const port = String(server.port);
    const launcher = spawn(process.execPath, [CLI, 'launch', '--headless', '--name', 'x', '--port', port], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => launcher.on('exit', resolve));
    let stdout = '';
    launcher.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    try {
      await waitFor(() => stdout.includes('Connected'), 20_000, () => stdout);
      assert.match(stdout, new RegExp(`\nConnected to the any server on port ${port} as "x"\\.\n$`));
      assert.deepEqual(server.dispatcher.browsers.map((info) => [info.name, info.kind]), [['x', 'managed']]);

      const taken = await runCli(['launch', '--headless', '--name', 'x', '--port', port]);
      assert.equal(taken.code, 2);
      assert.equal(taken.stdout, '', 'no browser was started');
      assert.match(taken.stderr, new RegExp(`^error: a browser named "x" is already connected to the any server on port ${port} \\(managed .*\\)\\. ` +
        'Choose another name, such as --name x-2, or close that browser first\\.\n'));

      const malformed = await runCli(['launch', '--headless', '--name', 'two words', '--port', port]);
      assert.equal(malformed.code, 2);
      assert.equal(malformed.stdout, '');
      assert.match(malformed.stderr, /--name <name>.*browser must be a name such as "chrome" or "work"/);
      assert.equal(server.dispatcher.browsers.length, 1);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(stdout.split('Connected to').length, 2, 'said once');
    } finally {
      launcher.kill('SIGTERM');
      await server.close();
    }
    assert.equal(await exited, 0);
  });

  test('a browser that cannot start is reported, with its output', async () => {
    const port = await freePort();
    const launcher = spawn(process.execPath, [CLI, 'launch', '--headless', '--browser', '/bin/false', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    launcher.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => launcher.on('exit', resolve));
    assert.equal(code, 1);
    assert.match(stderr, /The browser exited by itself \(code 1\)/);
  });

  test('a missing browser executable is named, with how to install one', async () => {
    const port = await freePort();
    const launcher = spawn(process.execPath, [CLI, 'launch', '--browser', '/nonexistent/chrome', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    launcher.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => launcher.on('exit', resolve));
    assert.equal(code, 1);
    assert.match(stderr, /No browser at "\/nonexistent\/chrome"/);
  });
});

describe('npm run demo (the README\'s main job)', () => {
  test('prints pageInfo from a local page in a managed headless browser, then a streamed chat answer, and leaves no process behind', async () => {
    const demo = spawn(process.execPath, [fileURLToPath(new URL('../../examples/demo.mjs', import.meta.url))], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    demo.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    demo.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => demo.on('exit', resolve));
    assert.equal(code, 0, stderr);
    const result = JSON.parse(stdout.slice(stdout.indexOf('\n{'), stdout.indexOf('\n}\n') + 2));
    assert.equal(result.title, 'any demo page');
    assert.match(result.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(result.readyState, 'complete');
    // Then the chat page's answer, streamed word by word, and the whole of it as the result.
    const streamed = /"ask", \{"prompt":"What does any do\?"\}\) →\n(.*)\nresult: (.*)\n/.exec(stdout);
    assert.ok(streamed, stdout);
    assert.match(streamed[1]!, /^You asked: "What does any do\?"\. .* marks the answer done\.$/);
    assert.equal(JSON.parse(streamed[2]!), streamed[1]);
    const pid = Number(/Chromium \(pid (\d+)\)/.exec(stdout)![1]);
    assert.equal(processGroupAlive(pid), false);
  });
});
