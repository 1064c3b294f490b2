/**
 * Long calls that talk: progress values from a page method to the caller, in real Chromium — the
 * TypeScript client (`onProgress`, `stream()`), and `POST /call` with and without
 * `Accept: application/x-ndjson`.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { call, MAX_UNREAD_PARTS, stream } from '../../src/client/call.js';
import { BROWSERS, startStack, waitFor, type Stack } from './harness.js';

/** `POST /call` with the headers given; the answer's status, content type and lines. */
function post(port: number, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; type: string; lines: Record<string, unknown>[] }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, method: 'POST', path: '/call', headers: { 'content-type': 'application/json', ...headers } }, (incoming) => {
      let text = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => (text += chunk));
      incoming.on('end', () => resolve({
        status: incoming.statusCode!,
        type: String(incoming.headers['content-type']),
        lines: text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
      }));
    });
    outgoing.on('error', reject);
    outgoing.end(JSON.stringify(body));
  });
}

for (const { label, browser } of BROWSERS) describe(`progress from a page method to its caller: ${label}`, () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ browser });
  });
  after(async () => {
    await stack?.close();
  });
  const page = (path: string) => stack.pages.url(path);

  test('call() with onProgress hears every value, in order, before the result', async () => {
    const heard: unknown[] = [];
    const result = await call(page('/progress/order'), 'countUp', { n: 300 }, { port: stack.port, onProgress: (value) => heard.push(value) });
    assert.deepEqual(result, { counted: 300 });
    assert.deepEqual(heard, Array.from({ length: 300 }, (_, i) => i + 1));
  });

  test('stream() yields the values as they come and exposes the result; large values travel too', async () => {
    const parts: { i: number; pad: string }[] = [];
    const answer = stream<{ i: number; pad: string }>(page('/progress/large'), 'countUp', { n: 5, delay: 20, size: 200_000 }, { port: stack.port });
    for await (const part of answer) parts.push(part);
    assert.deepEqual(parts.map((part) => part.i), [1, 2, 3, 4, 5]);
    assert.equal(parts[0]!.pad.length, 200_000);
    assert.deepEqual(await answer.result, { counted: 5 });
  });

  test('an async generator method: each yield is a progress value, its return value the result', async () => {
    const answer = stream(page('/progress/generator'), 'countGenerator', { n: 4 }, { port: stack.port });
    const parts: unknown[] = [];
    for await (const part of answer) parts.push(part);
    assert.deepEqual(parts, ['part 1', 'part 2', 'part 3', 'part 4']);
    assert.equal(await answer.result, 'all parts');
  });

  test('progress then a throw: the values arrive, then the page\'s own error', async () => {
    const answer = stream(page('/progress/throw'), 'progressThenThrow', { n: 2 }, { port: stack.port });
    const parts: unknown[] = [];
    await assert.rejects((async () => {
      for await (const part of answer) parts.push(part);
    })(), { name: 'RangeError', message: 'after the progress', code: 'METHOD_THREW' });
    assert.deepEqual(parts, [1, 2]);
    await assert.rejects(answer.result, { code: 'METHOD_THREW' });
  });

  test('a progress value JSON cannot carry is a TypeError in the page, where the method made it', async () => {
    await assert.rejects(call(page('/progress/dom'), 'progressDomNode', {}, { port: stack.port }), { name: 'TypeError', code: 'METHOD_THREW', message: /progress a DOM node/ });
  });

  test('cancelling mid-stream reaches the page\'s signal, and progress after the end goes nowhere', async () => {
    const cancel = new AbortController();
    const heard: unknown[] = [];
    const pending = call(page('/progress/cancel'), 'progressUntilAbort', {}, {
      port: stack.port,
      signal: cancel.signal,
      onProgress: (value) => {
        heard.push(value);
        if (heard.length === 5) cancel.abort();
      },
    });
    await assert.rejects(pending, { code: 'CANCELLED' });
    await waitFor(async () => (await call<{ aborted: boolean }>(page('/progress/cancel'), 'lastStream', {}, { port: stack.port })).aborted, 5_000, () => 'the page did not see the abort');
    assert.ok(heard.length >= 5 && heard.length < 8, `heard ${heard.length} values`);
    assert.ok(!heard.includes('after the end'));
  });

  test('a timeout mid-stream ends the call with TIMEOUT after the values that came', async () => {
    // The tab is opened first, so the deadline is spent in the method and not on opening a tab (slow on a busy machine).
    await call(page('/progress/timeout'), 'lastStream', {}, { port: stack.port });
    const heard: unknown[] = [];
    await assert.rejects(call(page('/progress/timeout'), 'progressUntilAbort', {}, { port: stack.port, timeout: 500, onProgress: (value) => heard.push(value) }), { code: 'TIMEOUT' });
    assert.ok(heard.length >= 3, `heard ${heard.length} values`);
  });

  test('a stream() nobody reads keeps at most MAX_UNREAD_PARTS values, then fails the call saying why', async () => {
    const unread = stream(page('/progress/unread'), 'countUp', { n: MAX_UNREAD_PARTS + 500 }, { port: stack.port });
    await assert.rejects(unread.result, { code: 'CANCELLED', message: /fell behind by more than 10000 values/ });
  });

  test('POST /call without new headers answers exactly as before: one JSON body, no progress', async () => {
    const answer = await post(stack.port, { page: page('/progress/plain'), method: 'countUp', params: { n: 50 } });
    assert.equal(answer.status, 200);
    assert.match(answer.type, /^application\/json/);
    assert.equal(answer.lines.length, 1);
    assert.deepEqual(Object.keys(answer.lines[0]!).sort(), ['id', 'result', 'v']);
    assert.deepEqual(answer.lines[0]!.result, { counted: 50 });
  });

  test('POST /call with Accept: application/x-ndjson streams a line per value, then the usual last line', async () => {
    const answer = await post(stack.port, { page: page('/progress/ndjson'), method: 'countUp', params: { n: 20, delay: 5 } }, { accept: 'application/x-ndjson' });
    assert.equal(answer.status, 200);
    assert.match(answer.type, /^application\/x-ndjson/);
    const id = answer.lines[0]!.id;
    assert.deepEqual(answer.lines.slice(0, 20), Array.from({ length: 20 }, (_, i) => ({ v: 1, id, progress: i + 1 })));
    assert.deepEqual(answer.lines[20], { v: 1, id, result: { counted: 20 } });
    assert.equal(answer.lines.length, 21);

    const failed = await post(stack.port, { page: page('/progress/ndjson'), method: 'progressThenThrow', params: { n: 1 } }, { accept: 'application/x-ndjson' });
    assert.equal(failed.lines.length, 2);
    assert.equal((failed.lines[1]!.error as { code: string }).code, 'METHOD_THREW');
  });
});
