import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  BackgroundToContent,
  CallRequest,
  ContentToBackground,
  ContentToPage,
  DEFAULT_PORT,
  ERROR_CODES,
  ExtensionToServer,
  PageToContent,
  parse,
  ServerToExtension,
} from '../../src/protocol/index.js';
import { extensionIdFromKey, PINNED_EXTENSION_ID } from '../../src/extension-identity.js';
import { SERVER_PORT } from '../../src/extension/settings.js';

describe('CallRequest (the POST /call body)', () => {
  const valid = { page: 'https://example.com/app', method: 'ask', params: { prompt: 'hi' }, timeout: 1000 };

  test('accepts the prototype\'s body, with params and timeout optional', () => {
    assert.deepEqual(parse(CallRequest, valid), { ok: true, value: valid });
    assert.ok(parse(CallRequest, { page: 'http://127.0.0.1:8000/', method: 'x' }).ok);
  });

  const refusals: [string, unknown, RegExp][] = [
    ['a body that is not an object', 'text', /expected a JSON object/],
    ['null', null, /expected a JSON object/],
    ['a missing page', { method: 'x' }, /missing field "page"/],
    ['a missing method', { page: 'https://a.b/' }, /missing field "method"/],
    ['an unknown field', { ...valid, extra: 1 }, /unknown field "extra"/],
    ['a relative page', { ...valid, page: '/relative' }, /absolute http: or https: URL/],
    ['a javascript: page', { ...valid, page: 'javascript:alert(1)' }, /absolute http: or https: URL/],
    ['a file: page', { ...valid, page: 'file:///etc/passwd' }, /absolute http: or https: URL/],
    ['a chrome: page', { ...valid, page: 'chrome://settings' }, /absolute http: or https: URL/],
    ['a data: page', { ...valid, page: 'data:text/html,hi' }, /absolute http: or https: URL/],
    ['a page that is not a string', { ...valid, page: 42 }, /page must be a string/],
    ['an empty method', { ...valid, method: '' }, /method must not be empty/],
    ['params as an array', { ...valid, params: [1] }, /params must be a JSON object/],
    ['params as null', { ...valid, params: null }, /params must be a JSON object/],
    ['params as a string', { ...valid, params: 'x' }, /params must be a JSON object/],
    ['a negative timeout', { ...valid, timeout: -1 }, /timeout must be at least 1 ms/],
    ['a fractional timeout', { ...valid, timeout: 1.5 }, /whole number/],
    ['a timeout over an hour', { ...valid, timeout: 3_600_001 }, /at most/],
  ];
  for (const [what, body, problem] of refusals) {
    test(`refuses ${what}, naming the problem`, () => {
      const parsed = parse(CallRequest, body);
      assert.equal(parsed.ok, false);
      assert.match((parsed as { problem: string }).problem, problem);
    });
  }
});

describe('messages are tagged by direction, so no side mistakes its own message for an answer', () => {
  const call = { v: 1, type: 'call', id: 'c1', page: 'https://a.b/', method: 'm', params: {}, timeout: 5 };
  const result = { v: 1, type: 'result', id: 'c1', result: 42 };

  test('the server\'s call is not a valid message from the extension, and the extension\'s result is not one from the server', () => {
    assert.ok(parse(ServerToExtension, call).ok);
    assert.equal(parse(ExtensionToServer, call).ok, false);
    assert.ok(parse(ExtensionToServer, result).ok);
    assert.equal(parse(ServerToExtension, result).ok, false);
  });

  test('the same holds on the port and on the page bridge', () => {
    const portCall = { type: 'call', id: 'c1', method: 'm', params: {} };
    assert.ok(parse(BackgroundToContent, portCall).ok);
    assert.equal(parse(ContentToBackground, portCall).ok, false);
    const bridgeCall = { type: 'call', id: 'c1', method: 'm', params: {} };
    assert.ok(parse(ContentToPage, bridgeCall).ok);
    assert.equal(parse(PageToContent, bridgeCall).ok, false);
    assert.ok(parse(PageToContent, { type: 'result', id: 'c1', json: '42' }).ok);
    assert.equal(parse(ContentToPage, { type: 'result', id: 'c1', json: '42' }).ok, false);
  });

  test('every message carries v: 1 and an id', () => {
    assert.equal(parse(ServerToExtension, { ...call, v: 2 }).ok, false);
    const { id: _id, ...withoutId } = call;
    assert.equal(parse(ServerToExtension, withoutId).ok, false);
    assert.equal(parse(ExtensionToServer, { v: 1, type: 'ping' }).ok, false);
  });

  test('a result carries a result or an error, not both', () => {
    const error = { name: 'TypeError', message: 'x', code: 'METHOD_THREW' };
    assert.ok(parse(ExtensionToServer, { v: 1, type: 'result', id: 'c1', error }).ok);
    assert.equal(parse(ExtensionToServer, { ...result, error }).ok, false);
    assert.equal(parse(ExtensionToServer, { v: 1, type: 'result', id: 'c1', error: { ...error, code: 'NOPE' } }).ok, false);
  });
});

describe('constants shared by every part', () => {
  test('every error code has a name and an HTTP error status', () => {
    for (const [code, { name, status }] of Object.entries(ERROR_CODES)) {
      assert.match(name, /Error$/, code);
      assert.ok(status >= 400 && status < 600, code);
    }
  });

  test('the extension\'s built-in port is the server\'s default port', () => {
    assert.equal(SERVER_PORT, DEFAULT_PORT);
  });

  test('the extension ID is pinned by the manifest key (the README and users rely on it)', () => {
    assert.equal(PINNED_EXTENSION_ID, 'bjjkfdedohhbafioncflnjdjacebcifc');
    const manifest = JSON.parse(readFileSync(new URL('../../src/extension/manifest.json', import.meta.url), 'utf8'));
    assert.equal(extensionIdFromKey(manifest.key), PINNED_EXTENSION_ID);
  });
});
