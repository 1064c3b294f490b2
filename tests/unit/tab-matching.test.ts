import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EXACT_MATCH, matchPage, NO_MATCH, pageKey, PREFIX_MATCH, queryPatternFor } from '../../src/protocol/tab-matching.js';

describe('which open tab a page runs in', () => {
  const table: [string, string, number][] = [
    ['https://chatgpt.com/', 'https://chatgpt.com/', EXACT_MATCH],
    ['https://chatgpt.com/', 'https://chatgpt.com/#top', EXACT_MATCH],
    ['https://chatgpt.com/', 'https://chatgpt.com/c/123', PREFIX_MATCH],
    ['https://chatgpt.com', 'https://chatgpt.com/c/123', PREFIX_MATCH],
    ['https://x.com/a', 'https://x.com/a', EXACT_MATCH],
    ['https://x.com/a', 'https://x.com/a/b', PREFIX_MATCH],
    ['https://x.com/a', 'https://x.com/a?q=1', PREFIX_MATCH],
    ['https://x.com/a/', 'https://x.com/a/b', PREFIX_MATCH],
    ['https://x.com/a', 'https://x.com/ab', NO_MATCH],
    ['https://x.com/a/b', 'https://x.com/a', NO_MATCH],
    ['https://x.com/a?q=1', 'https://x.com/a?q=1', EXACT_MATCH],
    ['https://x.com/a?q=1', 'https://x.com/a?q=2', NO_MATCH],
    ['https://x.com/a?q=1', 'https://x.com/a', NO_MATCH],
    ['https://x.com/', 'http://x.com/', NO_MATCH],
    ['https://x.com/', 'https://www.x.com/', NO_MATCH],
    ['http://127.0.0.1:8000/', 'http://127.0.0.1:8001/', NO_MATCH],
    ['https://x.com/', 'chrome://newtab/', NO_MATCH],
    ['https://x.com/', undefined as unknown as string, NO_MATCH],
  ];
  for (const [page, tabUrl, expected] of table) {
    test(`${page} against a tab at ${tabUrl}: ${['no match', 'prefix', 'exact'][expected]}`, () => {
      assert.equal(matchPage(page, tabUrl), expected);
    });
  }

  test('tabs are listed by a match pattern for any port and path of the host', () => {
    assert.equal(queryPatternFor('http://127.0.0.1:8000/a?b#c'), 'http://127.0.0.1/*');
    assert.equal(queryPatternFor('https://chatgpt.com/c/1'), 'https://chatgpt.com/*');
  });

  test('calls for a page with and without a fragment share the tab being opened', () => {
    assert.equal(pageKey('https://x.com/a#one'), pageKey('https://x.com/a#two'));
    assert.notEqual(pageKey('https://x.com/a'), pageKey('https://x.com/b'));
  });
});
