/**
 * What a web page in the user's own browser can do to `any`: aim requests and WebSockets at the
 * local server, and call what is on `__any__`. In real Chromium, with an ordinary page (no CSP)
 * whose scripts are played by a userscript, and a victim page whose counter must not move.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call } from '../../src/client/call.js';
import { serverHealth } from '../../src/client/server-control.js';
import { BROWSERS, startStack, waitFor, type Stack } from '../e2e/harness.js';

for (const { label, browser } of BROWSERS) describe(`web pages against the local server: ${label}`, () => {
  let stack: Stack;
  const run = <T = unknown>(path: string, method: string, params: Record<string, unknown> = {}) =>
    call<T>(stack.pages.url(path), method, params, { port: stack.port });

  before(async () => {
    stack = await startStack({ browser });
  });
  after(async () => {
    await stack?.close();
  });

  test('a page\'s no-cors, CORS, WebSocket and form attacks on the server run nothing and stop nothing', async () => {
    assert.equal(await run('/victim', 'count'), 1);
    const outcomes = await run<Record<string, string>>('/no-csp/attacker', 'attack', { anyPort: stack.port, victim: stack.pages.url('/victim') });

    assert.equal(await run('/victim', 'count'), 2, 'no attack ran the victim\'s method');
    assert.ok((await serverHealth(stack.port))?.ok, 'no attack shut the server down');
    assert.equal(stack.server.dispatcher.browsers.length, 1, 'no page connected as a browser');
    for (const [attack, outcome] of Object.entries(outcomes)) {
      // Simple requests are sent (the browser cannot know better) but refused by the server, and
      // their answers are opaque to the page; everything else is refused outright.
      if (/no-cors|form/.test(attack)) assert.match(outcome, /^sent/, attack);
      else assert.match(outcome, /^refused/, `${attack}: ${outcome}`);
    }
    assert.equal(Object.keys(outcomes).length, 17);
    // The browser did send them: it was the server that refused each one. (The form's frame may
    // report its load before the server has seen the POST: wait for the log to catch up.)
    const refusals = () => stack.serverLog.filter((line) => /^refused .*origin/i.test(line));
    const calls = () => refusals().filter((line) => line.startsWith('refused POST /call')).length;
    await waitFor(() => calls() >= 7, 3_000, () => refusals().join('\n'));
    assert.ok(refusals().some((line) => line.startsWith('refused POST /shutdown')), refusals().join('\n'));
    assert.ok(refusals().some((line) => line.startsWith('refused a WebSocket from origin "http://127.0.0.1:')), refusals().join('\n'));
    assert.ok(refusals().some((line) => /^refused a WebSocket from origin "http:\/\/127\.0\.0\.1:\d+" to \/client/.test(line)), refusals().join('\n'));
  });
});

for (const { label, browser } of BROWSERS) describe(`what a call can reach on __any__: ${label}`, () => {
  let stack: Stack;
  const run = <T = unknown>(method: string, params: Record<string, unknown> = {}) =>
    call<T>(stack.pages.url('/methods'), method, params, { port: stack.port });

  before(async () => {
    stack = await startStack({ browser });
  });
  after(async () => {
    await stack?.close();
  });

  test('only own, enumerable function properties are methods', async () => {
    assert.equal(await run('count'), 1);
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf', 'hiddenMethod', 'notAFunction']) {
      await assert.rejects(run(name), (error: { code: string; methods: string[] }) => {
        assert.equal(error.code, 'METHOD_NOT_FOUND', name);
        assert.ok(!error.methods.includes(name), `${name} is not listed as a method`);
        return true;
      });
    }
    assert.equal(await run('count'), 2, 'nothing else ran');
  });

  test('a result larger than any can carry is a clear TOO_LARGE error, and the page still answers', async () => {
    assert.equal((await run<string>('bigString', { chars: 1024 })).length, 1024);
    await assert.rejects(run('bigString', { chars: 17 * 1024 * 1024 }), { code: 'TOO_LARGE', message: /more than the 16777216/ });
    assert.equal(await run('count'), 3);
  });

  test('several large results at once each arrive (batches stay under Chrome\'s message limits)', async () => {
    const chars = 14 * 1024 * 1024;
    const results = await Promise.all(Array.from({ length: 4 }, () => run<string>('bigString', { chars })));
    assert.deepEqual(results.map((result) => result.length), [chars, chars, chars, chars]);
  });

  test('a page method\'s stack is passed through as the page\'s own data', async () => {
    await assert.rejects(run('throwTypeError', { message: 'from the page' }), (error: Error) => {
      // Each engine writes its own form: V8 starts with the error and "at" lines, SpiderMonkey
      // gives only "function@file:line:column" lines.
      assert.match(error.stack ?? '', browser === 'firefox' ? /^throwTypeError@test-methods\.user\.js:\d+:\d+\n/ : /^TypeError: from the page\n\s+at /);
      assert.doesNotMatch(error.stack ?? '', /node:internal|src\/server|dist\/server/);
      return true;
    });
  });
});
