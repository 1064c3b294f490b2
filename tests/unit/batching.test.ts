import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createBatcher, frameOf, MAX_MESSAGES_PER_FRAME, parseFrame, ServerToExtension } from '../../src/protocol/index.js';

describe('frames and batching', () => {
  test('messages pushed in the same turn leave in one batch; a lone message leaves alone', async () => {
    const batches: number[][] = [];
    const push = createBatcher<number>((items) => batches.push(items), queueMicrotask);
    push(1);
    push(2);
    push(3);
    await Promise.resolve();
    push(4);
    await Promise.resolve();
    assert.deepEqual(batches, [[1, 2, 3], [4]]);
  });

  test('a batch larger than a frame may carry is split', async () => {
    const batches: number[][] = [];
    const push = createBatcher<number>((items) => batches.push(items), queueMicrotask);
    for (let i = 0; i < MAX_MESSAGES_PER_FRAME + 1; i++) push(i);
    await Promise.resolve();
    assert.deepEqual(batches.map((batch) => batch.length), [MAX_MESSAGES_PER_FRAME, 1]);
  });

  test('a frame is one JSON message, or several as a JSON array', () => {
    assert.equal(frameOf(['{"a":1}']), '{"a":1}');
    assert.equal(frameOf(['{"a":1}', '{"b":2}']), '[{"a":1},{"b":2}]');
  });

  test('each message of a frame is validated on its own', () => {
    const call = { v: 1, type: 'call', id: 'c1', page: 'https://a.b/', method: 'm', params: {}, timeout: 5 };
    const outcomes = parseFrame(ServerToExtension, [call, { ...call, id: '' }, { v: 1, type: 'pong', id: 'p' }]);
    assert.deepEqual(outcomes.map((outcome) => outcome.ok), [true, false, true]);
    assert.equal(parseFrame(ServerToExtension, call).length, 1);
    assert.equal(parseFrame(ServerToExtension, Array(MAX_MESSAGES_PER_FRAME + 1).fill(call))[0]?.ok, false);
  });
});
