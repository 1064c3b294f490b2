/**
 * The first user's job, streamed: ask a chat page a question and see the answer as it arrives.
 * The example chat page (examples/chat/, served at /chat/) types its answer word by word; the
 * example userscript's `ask` (examples/userscripts/chat.user.js) sends each new piece as progress.
 * Then what goes wrong mid-stream, in each real browser (Chromium and Firefox ESR): the tab closes,
 * or a caller stops reading.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { after, before, describe, test } from 'node:test';
import { call, methods, stream } from '../../src/client/call.js';
import { MAX_PENDING_PROGRESS_BYTES } from '../../src/protocol/constants.js';
import { BROWSERS, EXAMPLE_USERSCRIPTS, startStack, TEST_CONTROL_EXTENSION, TEST_USERSCRIPTS, waitFor, type Stack } from './harness.js';

const MiB = 1024 * 1024;

/** The chat page's answer to `question` (examples/chat/app.js). */
const answerTo = (question: string) =>
  `You asked: "${question}". This page is not ChatGPT, but it answers the same way: word by word, as if it were typing, then it marks the answer done.`;

/** Collects garbage, so that memory measured afterwards is what is still held. */
const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

for (const { label, browser } of BROWSERS) describe(`streaming a chat answer, and its failures: ${label}`, () => {
  let stack: Stack;
  let userscripts: string;
  before(async () => {
    // The example chat userscript, with the test methods (`control`, `countUp`) beside it.
    userscripts = mkdtempSync(join(tmpdir(), 'any-streaming-'));
    copyFileSync(join(EXAMPLE_USERSCRIPTS, 'chat.user.js'), join(userscripts, 'chat.user.js'));
    for (const name of ['test-methods.user.js', 'progress.user.js']) copyFileSync(join(TEST_USERSCRIPTS, name), join(userscripts, name));
    stack = await startStack({ browser, userscripts, extensions: [TEST_CONTROL_EXTENSION] });
  });
  after(async () => {
    await stack?.close();
    if (userscripts) rmSync(userscripts, { recursive: true, force: true });
  });
  const page = (path: string) => stack.pages.url(path);

  test('ask streams the answer as the page types it; the parts, concatenated, are the answer it returns', async () => {
    const prompt = 'What is the capital of France?';
    const answer = stream<string, string>(page('/chat/ask'), 'ask', { prompt }, { port: stack.port });
    const parts: string[] = [];
    const times: number[] = [];
    for await (const part of answer) {
      parts.push(part);
      times.push(Date.now());
    }
    const whole = await answer.result;
    assert.equal(whole, answerTo(prompt));
    assert.equal(parts.join(''), whole);
    // Word by word, over time: not one lump at the end.
    assert.ok(parts.length >= 10, `${parts.length} parts`);
    assert.ok(times.at(-1)! - times[0]! >= 1_000, `the parts came within ${times.at(-1)! - times[0]!} ms`);

    // Asked again in the same tab: only the new answer streams.
    const again: string[] = [];
    assert.equal(await call(page('/chat/ask'), 'ask', { prompt: 'And of Italy?' }, { port: stack.port, onProgress: (part) => again.push(part as string) }), answerTo('And of Italy?'));
    assert.equal(again.join(''), answerTo('And of Italy?'));

    // It describes itself, for `any methods` and agents.
    const ask = (await methods(page('/chat/ask'), { port: stack.port })).find((method) => method.name === 'ask');
    assert.match(ask?.description ?? '', /streams the answer/);
    assert.deepEqual((ask?.inputSchema as { required?: string[] }).required, ['prompt']);
  });

  test('the tab closed mid-answer: the call fails with TAB_CLOSED, after the parts that came', async () => {
    const url = page('/chat/closing?wordMs=250');
    const prompt = 'Tell me a long story';
    const parts: string[] = [];
    const answer = call(url, 'ask', { prompt }, { port: stack.port, onProgress: (part) => parts.push(part as string) });
    await waitFor(() => parts.length >= 3, 10_000, () => `only ${parts.length} parts came`);
    const closedAt = Date.now();
    await call(url, 'control', { action: 'close-tab' }, { port: stack.port });
    await assert.rejects(answer, { code: 'TAB_CLOSED', message: /was closed/ });
    assert.ok(Date.now() - closedAt < 3_000, 'the call failed promptly');
    const heard = parts.join('');
    assert.ok(parts.length >= 3 && heard.length < answerTo(prompt).length, `${parts.length} parts: ${heard}`);
    assert.ok(answerTo(prompt).startsWith(heard), heard);
  });

  test('an HTTP caller that stops reading: the server holds at most the bound, then fails the call, saying why', async () => {
    const size = MiB;
    const n = 32; // 32 MiB of progress, twice the bound (and more than the kernel's socket buffers add to it)
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    collectGarbage();
    const baseline = process.memoryUsage().arrayBuffers;

    // Open the streamed call and read nothing: the response stays paused until later.
    const incoming = await new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = request({
        host: '127.0.0.1',
        port: stack.port,
        method: 'POST',
        path: '/call',
        headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
      }, resolve);
      outgoing.on('error', reject);
      outgoing.end(JSON.stringify({ page: page('/progress/slow-reader'), method: 'countUp', params: { n, size }, timeout: 20_000 }));
    });
    assert.equal(incoming.statusCode, 200);
    await waitFor(() => stack.server.dispatcher.calls.length > 0, 5_000, () => 'the call did not start');
    await waitFor(() => stack.server.dispatcher.callsInFlight === 0, 15_000, () => 'the call did not end while its caller did not read');

    // The call is over, its caller still reads nothing: what waits for it is within the bound.
    // This process is the server and the caller: the caller's side holds only what its paused
    // socket took in, a few 64 KiB reads; the kernel's socket buffers are not in it. What waits
    // cannot shrink while nobody reads, so the least of a few samples is it, without the progress
    // the browser had already sent, which arrives meanwhile and is dropped.
    let held = Infinity;
    for (let sample = 0; sample < 5; sample++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      collectGarbage();
      held = Math.min(held, process.memoryUsage().arrayBuffers - baseline);
    }
    assert.ok(held <= MAX_PENDING_PROGRESS_BYTES + 4 * MiB, `held ${(held / MiB).toFixed(1)} MiB`);
    assert.ok(held >= MAX_PENDING_PROGRESS_BYTES / 2, `held only ${(held / MiB).toFixed(1)} MiB: the measurement missed the waiting progress`);

    // Reading again, the caller gets what waited, in order and without gaps, then the reason.
    let text = '';
    incoming.setEncoding('utf8');
    incoming.on('data', (chunk: string) => (text += chunk));
    await new Promise((resolve) => incoming.on('end', resolve));
    const lines = text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { progress?: { i: number; pad: string }; error?: { code: string; message: string } });
    const last = lines.at(-1)!;
    assert.equal(last.error?.code, 'CANCELLED');
    assert.match(last.error!.message, /did not read the progress of its call fast enough/);
    const progress = lines.slice(0, -1).map((line) => line.progress!);
    assert.deepEqual(progress.map((part) => part.i), Array.from({ length: progress.length }, (_, i) => i + 1));
    assert.ok(progress.length >= 16 && progress.length < n, `${progress.length} progress values came`);
    assert.ok(text.length <= MAX_PENDING_PROGRESS_BYTES + 8 * MiB, `${(text.length / MiB).toFixed(1)} MiB came`);

    // The server goes on serving; writing the stream left no listeners piling up on the response.
    assert.deepEqual(await call(page('/progress/slow-reader'), 'countUp', { n: 2 }, { port: stack.port }), { counted: 2 });
    process.off('warning', onWarning);
    assert.deepEqual(warnings.filter((warning) => warning.includes('MaxListenersExceeded')), []);
  });
});
