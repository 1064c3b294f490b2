/**
 * The content script's check of every answer from the page (src/extension/isolated/page-answers.ts):
 * what a page script bent or forged is contained to the call it claims to answer.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkPageAnswer } from '../../src/extension/isolated/page-answers.js';
import type { PageResult } from '../../src/protocol/index.js';

const inFlight = new Map([['call-1', 'call' as const]]);

describe('checkPageAnswer', () => {
  test('passes a well-formed result and a well-formed error on as they came', () => {
    assert.deepEqual(checkPageAnswer({ type: 'result', id: 'call-1', json: '{"a":[1,2]}' }, inFlight), { type: 'result', id: 'call-1', json: '{"a":[1,2]}' });
    const error = { name: 'TypeError', message: 'x', code: 'METHOD_THREW', stack: 'at page' };
    assert.deepEqual(checkPageAnswer({ type: 'result', id: 'call-1', error }, inFlight), { type: 'result', id: 'call-1', error });
  });

  test('drops answers to calls that are not in flight here, and messages without an id', () => {
    assert.equal(checkPageAnswer({ type: 'result', id: 'call-2', json: '1' }, inFlight), undefined);
    assert.equal(checkPageAnswer({ type: 'result', json: '1' }, inFlight), undefined);
    assert.equal(checkPageAnswer('{"id":"call-1"}', inFlight), undefined);
    assert.equal(checkPageAnswer(null, inFlight), undefined);
    assert.equal(checkPageAnswer(Object.create({ id: 'call-1', type: 'result', json: '1' }), inFlight), undefined, 'an inherited id is not an id');
  });

  const malformed: [string, unknown, RegExp][] = [
    ['result text that is not JSON', { type: 'result', id: 'call-1', json: '{"a":1}, "smuggled": {' }, /not JSON/],
    ['two JSON values', { type: 'result', id: 'call-1', json: '1 2' }, /not JSON/],
    ['empty result text', { type: 'result', id: 'call-1', json: '' }, /not JSON/],
    ['a result and an error at once', { type: 'result', id: 'call-1', json: '1', error: { name: 'E', message: 'm', code: 'INTERNAL' } }, /exactly one/],
    ['neither result nor error', { type: 'result', id: 'call-1' }, /exactly one/],
    ['an error with an unknown code', { type: 'result', id: 'call-1', error: { name: 'E', message: 'm', code: 'PWNED' } }, /code/i],
    ['an error without a message', { type: 'result', id: 'call-1', error: { name: 'E', code: 'INTERNAL' } }, /message/],
    ['a result as a number', { type: 'result', id: 'call-1', json: 42 }, /json/i],
    ['an unknown field', { type: 'result', id: 'call-1', json: '1', extra: true }, /unknown field "extra"/],
    ['a wrong type', { type: 'ready', id: 'call-1', url: 'x' }, /.+/],
  ];
  for (const [what, message, problem] of malformed) {
    test(`turns ${what} into a BAD_RESULT error for that call alone`, () => {
      const answer = checkPageAnswer(message, inFlight) as PageResult | undefined;
      assert.equal(answer?.id, 'call-1');
      assert.equal(answer?.json, undefined);
      assert.equal(answer?.error?.code, 'BAD_RESULT');
      assert.match(answer!.error!.message, problem);
      assert.match(answer!.error!.message, /reload the tab/);
    });
  }

  test('a result over the size limit is TOO_LARGE', () => {
    const answer = checkPageAnswer({ type: 'result', id: 'call-1', json: '"0123456789"' }, inFlight, 10) as PageResult | undefined;
    assert.equal(answer?.error?.code, 'TOO_LARGE');
    assert.match(answer!.error!.message, /12 characters of JSON, more than the 10/);
  });
});

describe('checkPageAnswer: progress values', () => {
  test('passes a well-formed progress value of a call in flight, which stays in flight', () => {
    assert.deepEqual(checkPageAnswer({ type: 'progress', id: 'call-1', json: '{"words":"Hello"}' }, inFlight), { type: 'progress', id: 'call-1', json: '{"words":"Hello"}' });
  });

  test('drops progress for calls not in flight here', () => {
    assert.equal(checkPageAnswer({ type: 'progress', id: 'call-9', json: '1' }, inFlight), undefined);
  });

  test('a progress value that is not JSON, or too large, ends its call with an error result', () => {
    const broken = checkPageAnswer({ type: 'progress', id: 'call-1', json: '{"x":' }, inFlight) as PageResult;
    assert.equal(broken.type, 'result');
    assert.equal(broken.error?.code, 'BAD_RESULT');
    assert.match(broken.error!.message, /a progress value is not JSON/);
    const large = checkPageAnswer({ type: 'progress', id: 'call-1', json: '"0123456789"' }, inFlight, 10) as PageResult;
    assert.equal(large.error?.code, 'TOO_LARGE');
    assert.match(large.error!.message, /progress value of 12 characters/);
    const shapeless = checkPageAnswer({ type: 'progress', id: 'call-1' }, inFlight) as PageResult;
    assert.equal(shapeless.error?.code, 'BAD_RESULT');
  });

  test('a listing must be a list of methods whose source follows from the name: a page tool cannot pass as a userscript method', () => {
    const listing = new Map([['list-1', 'list' as const]]);
    const good = [
      { name: 'ask', source: 'userscript', title: 'Ask', annotations: { readOnlyHint: false }, outputSchema: { type: 'object' } },
      { name: 'webmcp:search', source: 'webmcp', description: 'The page\'s search.', inputSchema: { type: 'object' } },
    ];
    assert.deepEqual(checkPageAnswer({ type: 'result', id: 'list-1', json: JSON.stringify(good) }, listing), { type: 'result', id: 'list-1', json: JSON.stringify(good) });
    for (const forged of [
      [{ name: 'webmcp:search', source: 'userscript' }],
      [{ name: 'ask', source: 'webmcp' }],
      [{ name: 'ask' }],
      [{ name: 'ask', source: 'userscript', annotations: { readOnlyHint: 'yes' } }],
      [{ name: 'ask', source: 'userscript', annotations: { madeUpHint: true } }],
      [{ name: 'ask', source: 'userscript', extra: 1 }],
      { name: 'ask', source: 'userscript' },
    ]) {
      const answer = checkPageAnswer({ type: 'result', id: 'list-1', json: JSON.stringify(forged) }, listing) as PageResult;
      assert.equal(answer.error?.code, 'BAD_RESULT', JSON.stringify(forged));
      assert.match(answer.error!.message, /list of methods is not well formed/);
    }
    // A call's result is the method's own business: the same JSON passes as a result.
    assert.equal((checkPageAnswer({ type: 'result', id: 'call-1', json: '[{"name":"ask"}]' }, inFlight) as PageResult).error, undefined);
  });
});
