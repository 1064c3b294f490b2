/**
 * The `any` command line, run as a user runs it, against the real server and browser.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BROWSERS, CLI, freePort, postJson, runCli, startStack, startTwoBrowserStack, waitFor, type Stack, type TwoBrowserStack } from './harness.js';
import { EXIT_CODES } from '../../src/cli/exit-codes.js';
import { serverHealth } from '../../src/client/server-control.js';

for (const { label, browser } of BROWSERS) describe(`any call / status (with a browser connected): ${label}`, () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ browser });
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

  test('any status shows the server, the connected browser, its tabs and the calls in flight', async () => {
    const slow = runCli(['call', stack.pages.url('/status-page'), 'sleep', '{"ms": 3000}', '-p', String(stack.port)]);
    await waitFor(() => stack.server.dispatcher.callsInFlight === 1, 5_000, () => 'the call did not start');
    await new Promise((resolve) => setTimeout(resolve, 500)); // its tab opens
    const outcome = await runCli(['status', '--port', String(stack.port)]);
    assert.equal(outcome.code, 0);
    assert.match(outcome.stdout, new RegExp(`server: +running on http://127.0.0.1:${stack.port}`));
    const name = stack.server.dispatcher.browsers[0]!.name;
    assert.match(outcome.stdout, new RegExp(`\nbrowser: +"${name}": managed \\S+ [\\d.]+, extension [\\d.]+, connected since \\S+; \\d+ open tabs?, 1 call in flight\n`));
    assert.match(outcome.stdout, new RegExp(`tab \\d+: ${stack.pages.url('/status-page')} — 1 call\\(s\\) running`));
    assert.match(outcome.stdout, new RegExp(`calls: +1 in flight\n  __any__\\.sleep on .*/status-page: running in "${name}" \\(the default browser\\), \\d\\.\\d s`));
    const json = await runCli(['status', '--json', '--port', String(stack.port)]);
    assert.equal(JSON.parse(json.stdout).calls.length, 1);
    assert.equal((await slow).code, 0);
  });

  test('any methods lists the page\'s methods as JSON', async () => {
    const outcome = await runCli(['methods', stack.pages.url('/cli'), '-p', String(stack.port)]);
    assert.equal(outcome.code, 0, outcome.stderr);
    const list = JSON.parse(outcome.stdout) as { name: string; description?: string }[];
    assert.equal(list.find((method) => method.name === 'add')?.description, 'Adds two numbers.');
  });

  test('--json prints a failure as the JSON error object', async () => {
    const outcome = await runCli(['call', stack.pages.url('/cli'), 'throwTypeError', '{"message": "x"}', '--json', '-p', String(stack.port)]);
    assert.equal(outcome.code, 6);
    const error = JSON.parse(outcome.stderr);
    assert.equal(error.name, 'TypeError');
    assert.equal(error.message, 'x');
    assert.equal(error.code, 'METHOD_THREW');
    // The page's stack in its engine's own form: V8 starts with the error, SpiderMonkey with the frames.
    assert.match(error.stack, browser === undefined ? /^TypeError: x\n\s+at .*throwTypeError/ : /^throwTypeError@/);
  });

  test('params may come from a file (@file.json) or standard input (-)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'any-cli-'));
    try {
      writeFileSync(join(dir, 'params.json'), '{"from": "file"}');
      const fromFile = await runCli(['call', stack.pages.url('/cli'), 'echo', `@${join(dir, 'params.json')}`, '-p', String(stack.port)]);
      assert.deepEqual(JSON.parse(fromFile.stdout), { from: 'file' });
      const fromStdin = await runCli(['call', stack.pages.url('/cli'), 'echo', '-', '-p', String(stack.port)], { stdin: '{"from": "stdin"}' });
      assert.deepEqual(JSON.parse(fromStdin.stdout), { from: 'stdin' });
      const missing = await runCli(['call', stack.pages.url('/cli'), 'echo', `@${join(dir, 'nope.json')}`, '-p', String(stack.port)]);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /cannot read params from .*nope\.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a call that waits longer than a second says what for on stderr; --quiet silences it', async () => {
    const talking = await runCli(['call', stack.pages.url('/cli'), 'sleep', '{"ms": 2500}', '-p', String(stack.port)]);
    assert.equal(talking.code, 0);
    assert.match(talking.stderr, /^any: waiting for __any__\.sleep to answer\n$/);
    const quiet = await runCli(['call', stack.pages.url('/cli'), 'sleep', '{"ms": 2500}', '--quiet', '-p', String(stack.port)]);
    assert.equal(quiet.stderr, '');
  });

  test('--stream prints each progress value as a JSON line, in order, then the result as the last line', async () => {
    const outcome = await runCli(['call', stack.pages.url('/cli/stream'), 'countUp', '{"n": 50, "size": 3}', '--stream', '-p', String(stack.port)]);
    assert.equal(outcome.code, 0, outcome.stderr);
    const lines = outcome.stdout.split('\n');
    assert.equal(lines.pop(), '', 'stdout ends with a newline');
    assert.equal(lines.length, 51);
    assert.ok(lines.every((line) => line === JSON.stringify(JSON.parse(line))), 'every line is compact JSON');
    assert.deepEqual(lines.slice(0, -1).map((line) => JSON.parse(line)), Array.from({ length: 50 }, (_, i) => ({ i: i + 1, pad: 'xxx' })));
    assert.deepEqual(JSON.parse(lines.at(-1)!), { counted: 50 });
    assert.equal(outcome.stderr, '');
  });

  test('--stream writes each value as it comes, not at the end', async () => {
    const child = spawn(process.execPath, [CLI, 'call', stack.pages.url('/cli/stream-live'), 'countUp', '{"n": 2, "delay": 1000}', '--stream', '-q', '-p', String(stack.port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const seen: { at: number; text: string }[] = [];
    child.stdout.setEncoding('utf8').on('data', (text: string) => seen.push({ at: Date.now(), text }));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(killer);
    const exitedAt = Date.now();
    assert.equal(code, 0);
    assert.equal(seen.map((chunk) => chunk.text).join(''), '1\n2\n{"counted":2}\n');
    assert.ok(exitedAt - seen.find((chunk) => chunk.text.startsWith('1\n'))!.at >= 500, 'the first value came a delay before the end');
  });

  test('--stream with a generator method: each yield a line, the return value last', async () => {
    const outcome = await runCli(['call', stack.pages.url('/cli/stream'), 'countGenerator', '{"n": 3}', '--stream', '-p', String(stack.port)]);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal(outcome.stdout, '"part 1"\n"part 2"\n"part 3"\n"all parts"\n');
  });

  test('--stream, progress then a throw: the values on stdout, the error on stderr, exit 6', async () => {
    const outcome = await runCli(['call', stack.pages.url('/cli/stream'), 'progressThenThrow', '{"n": 3}', '--stream', '-p', String(stack.port)]);
    assert.equal(outcome.code, EXIT_CODES.METHOD_THREW);
    assert.equal(outcome.stdout, '1\n2\n3\n');
    assert.equal(outcome.stderr, 'RangeError: after the progress (METHOD_THREW)\n');
  });

  test('--stream: a reader that stops reading cancels the call, quietly', async () => {
    const child = spawn(process.execPath, [CLI, 'call', stack.pages.url('/cli/stream-gone'), 'progressUntilAbort', '--stream', '-q', '-p', String(stack.port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve)).finally(() => clearTimeout(killer));
    const first = await Promise.race([new Promise<string>((resolve) => child.stdout.setEncoding('utf8').once('data', resolve)), exited.then(() => undefined)]);
    assert.match(String(first), /^1\n/, stderr);
    child.stdout.destroy(); // as `| head -n 1` does
    assert.equal(await exited, 0);
    assert.equal(stderr, '');
    await waitFor(async () => (await postJson(stack.port, '/call', { page: stack.pages.url('/cli/stream-gone'), method: 'lastStream' })).body.result?.aborted === true,
      5_000, () => 'the page did not see its call cancelled');
  });

  test('without --stream, stdout is only the result, and stderr says progress is arriving', async () => {
    const outcome = await runCli(['call', stack.pages.url('/cli/progress'), 'countUp', '{"n": 30, "delay": 60}', '-p', String(stack.port)]);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal(outcome.stdout, '{"counted":30}\n');
    assert.match(outcome.stderr, /^(any: .*\n)*any: receiving progress from __any__\.countUp\n$/);
    const quiet = await runCli(['call', stack.pages.url('/cli/progress'), 'countUp', '{"n": 30, "delay": 60}', '--quiet', '-p', String(stack.port)]);
    assert.equal(quiet.stdout, '{"counted":30}\n');
    assert.equal(quiet.stderr, '');
    const thrown = await runCli(['call', stack.pages.url('/cli/progress'), 'progressThenThrow', '{"n": 3}', '-p', String(stack.port)]);
    assert.equal(thrown.code, EXIT_CODES.METHOD_THREW);
    assert.equal(thrown.stdout, '');
    assert.equal(thrown.stderr, 'RangeError: after the progress (METHOD_THREW)\n');
  });

  test('a call whose page is slow to open says it is opening the tab', async () => {
    const outcome = await runCli(['call', stack.pages.url('/slow/page'), 'pageTitle', '-p', String(stack.port)]);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.match(outcome.stderr, /^any: opening a tab for http:\/\/127\.0\.0\.1:\d+\/slow\/page\n/);
  });
});


describe('--browser: two browsers on one server', () => {
  let stack: TwoBrowserStack;
  let a: string;
  before(async () => {
    stack = await startTwoBrowserStack();
    a = stack.a;
  });
  after(() => stack?.close());

  test('any call --browser b runs in b; --browser <a> runs in a', async () => {
    const inB = await runCli(['call', stack.pages.url('/named'), 'whoAmI', '--browser', 'b', '-p', String(stack.port)]);
    assert.equal(inB.code, 0, inB.stderr);
    assert.equal(inB.stdout, '"b"\n');
    const streamed = await runCli(['call', stack.pages.url('/named'), 'whoAmI', '--stream', '--browser', 'b', '-p', String(stack.port)]);
    assert.equal(streamed.stdout, '"b"\n', streamed.stderr);
    const inA = await runCli(['call', stack.pages.url('/named'), 'whoAmI', '--browser', a, '-p', String(stack.port)]);
    assert.equal(inA.code, EXIT_CODES.METHOD_NOT_FOUND);
    assert.match(inA.stderr, /Methods here: .*echo/);
  });

  test('any methods --browser b lists b\'s methods', async () => {
    const outcome = await runCli(['methods', stack.pages.url('/named-methods'), '--browser', 'b', '-p', String(stack.port)]);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.deepEqual(JSON.parse(outcome.stdout), [{ name: 'whoAmI', source: 'userscript' }]);
  });

  test('a name no connected browser has: NoBrowserError listing the connected ones, exit 3, at once', async () => {
    for (const command of [['call', stack.pages.url('/named'), 'echo'], ['methods', stack.pages.url('/named')]]) {
      const started = Date.now();
      const outcome = await runCli([...command, '--browser', 'nope', '-p', String(stack.port)]);
      assert.equal(outcome.code, 3);
      assert.match(outcome.stderr, new RegExp(`^NoBrowserError: No browser named "nope" .*Connected: "${a}" \\(managed .*\\), "b" \\(managed .*\\(NO_BROWSER\\)\n$`));
      assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
    }
  });

  test('a malformed name is a usage error, exit 2, naming the rule', async () => {
    for (const command of [['call', stack.pages.url('/named'), 'echo'], ['methods', stack.pages.url('/named')]]) {
      const outcome = await runCli([...command, '--browser', 'two words', '-p', String(stack.port)]);
      assert.equal(outcome.code, 2);
      assert.match(outcome.stderr, /--browser <name>.*browser must be a name such as "chrome" or "work"/);
    }
  });

  test('any status lists both browsers by name, and each call in flight with its browser and route', async () => {
    const page = stack.pages.url('/status-b');
    const other = stack.pages.url('/status-a');
    const port = String(stack.port);
    assert.equal((await runCli(['call', page, 'whoAmI', '--browser', 'b', '-p', port])).code, 0);
    await waitFor(() => stack.server.dispatcher.browsers.find((info) => info.name === 'b')!.openTabs > 0, 5_000, () => 'b did not report its tab');
    const slow = [
      runCli(['call', page, 'whoAmI', '{"ms": 3000}', '--browser', 'b', '-p', port]),
      runCli(['call', page, 'whoAmI', '{"ms": 3000}', '-p', port]),
      runCli(['call', other, 'sleep', '{"ms": 3000}', '-p', port]),
    ];
    const finished: string[] = [];
    slow.forEach((outcome, i) => void outcome.then((done) => finished.push(`call ${i}: exit ${done.code} ${done.stdout}${done.stderr}`)));
    await waitFor(() => stack.server.dispatcher.callsInFlight === 3, 5_000, () => `the calls did not start: ${JSON.stringify(stack.server.dispatcher.calls)} ${finished.join('; ')}`);
    await new Promise((resolve) => setTimeout(resolve, 500)); // the tab for /status-a opens
    const outcome = await runCli(['status', '-p', port]);
    assert.equal(outcome.code, 0);
    assert.match(outcome.stdout, new RegExp(`\nbrowser: +"${a}": managed \\S+ [\\d.]+, extension [\\d.]+, connected since \\S+; \\d+ open tabs?, 1 call in flight\n`));
    assert.match(outcome.stdout, /\nbrowser: +"b": managed \S+ [\d.]+, extension [\d.]+, connected since \S+; \d+ open tabs?, 2 calls in flight\n/);
    assert.match(outcome.stdout, /\ncalls: +3 in flight\n/);
    const callLines = outcome.stdout.split('\n').filter((line) => line.startsWith('  __any__.')).map((line) => line.replace(/, \d+\.\d s$/, '')).sort();
    assert.deepEqual(callLines, [
      `  __any__.sleep on ${other}: running in "${a}" (the default browser)`,
      `  __any__.whoAmI on ${page}: running in "b" (it holds a tab for the page)`,
      `  __any__.whoAmI on ${page}: running in "b" (named by the call)`,
    ]);
    for (const outcome of await Promise.all(slow)) assert.equal(outcome.code, 0, outcome.stderr);
  });
});

describe('any serve / stop / status (no browser)', () => {
  test('a call with no browser says it waits for one, and how to get one', async () => {
    const port = await freePort();
    const server = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--quiet'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise((resolve) => server.stdout.once('data', resolve));
      const outcome = await runCli(['call', 'http://127.0.0.1:9/', 'echo', '--timeout', '2500', '-p', String(port)]);
      assert.equal(outcome.code, 3);
      assert.match(outcome.stderr, /^any: waiting for a browser to connect\. Start one with `npx any launch`.*\nNoBrowserError: /);
    } finally {
      server.kill();
    }
  });

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
    for (const command of [[], ['call'], ['methods'], ['serve'], ['stop'], ['status'], ['extension'], ['launch']]) {
      const outcome = await runCli([...command, '--help']);
      assert.equal(outcome.code, 0, command.join(' '));
      assert.match(outcome.stdout, /^Usage: any/, command.join(' '));
    }
  });
});
