import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  BackgroundToContent,
  CallRequest,
  ContentToBackground,
  ContentToPage,
  DEFAULT_PORT,
  ERROR_CODE_LIST,
  ERROR_CODES,
  ErrorPayload,
  errorShape,
  ExtensionToServer,
  PageToContent,
  parse,
  ServerToExtension,
  Status,
} from '../../src/protocol/index.js';
import * as errorClasses from '../../src/protocol/error-classes.js';
import * as clientErrors from '../../src/client/errors.js';
import * as publicApi from '../../src/index.js';
import { extensionIdFromKey, PINNED_EXTENSION_ID } from '../../src/extension-identity.js';
import { DEFAULT_SETTINGS, parseSettings, SETTINGS_FILE } from '../../src/protocol/extension-settings.js';
import { settingsFile } from '../../src/launcher/launch.js';
import { builtExtensionDir } from '../../src/paths.js';

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

describe('the error shape and the error classes', () => {
  test('the error shape every receiver validates is what errorShape() builds, for every code', () => {
    for (const code of ERROR_CODE_LIST) {
      const shape = errorShape(code, 'went wrong', code === 'METHOD_NOT_FOUND' ? { methods: ['a'] } : {});
      assert.deepEqual(parse(ErrorPayload, shape), { ok: true, value: shape }, code);
    }
    assert.equal(parse(ErrorPayload, { name: 'E', message: 'm', code: 'NOPE' }).ok, false);
    assert.equal(parse(ErrorPayload, { name: 'E', code: 'INTERNAL' }).ok, false);
    assert.equal(parse(ErrorPayload, { name: 'E'.repeat(257), message: 'm', code: 'INTERNAL' }).ok, false);
  });

  test('each code has its own class, named as ERROR_CODES says, keeping code, methods and the page\'s stack', () => {
    const classes = new Set<unknown>();
    for (const code of ERROR_CODE_LIST) {
      const error = errorClasses.toAnyError(errorShape(code, 'went wrong', { methods: ['a'], stack: 'at page.js:1' }));
      assert.ok(error instanceof errorClasses.AnyError, code);
      assert.equal(error.constructor.name, ERROR_CODES[code].name, code);
      assert.equal(error.name, ERROR_CODES[code].name, code);
      assert.equal(error.code, code);
      assert.equal(error.message, 'went wrong');
      assert.deepEqual(error.methods, ['a']);
      assert.equal(error.stack, 'at page.js:1');
      classes.add(error.constructor);
    }
    assert.equal(classes.size, ERROR_CODE_LIST.length, 'no two codes share a class');
    // METHOD_THREW keeps the page's own name.
    assert.equal(errorClasses.toAnyError({ name: 'TypeError', message: 'x', code: 'METHOD_THREW' }).name, 'TypeError');
  });

  test('the client and the package export the very classes the server throws, so instanceof holds across them', () => {
    for (const [name, value] of Object.entries(errorClasses)) {
      assert.equal((clientErrors as Record<string, unknown>)[name], value, `src/client/errors.ts ${name}`);
      assert.equal((publicApi as Record<string, unknown>)[name], value, `src/index.ts ${name}`);
    }
    assert.deepEqual(Object.keys(clientErrors).sort(), Object.keys(errorClasses).sort());
    for (const { name } of Object.values(ERROR_CODES)) assert.equal(typeof (publicApi as Record<string, unknown>)[name], 'function', `\`import { ${name} } from 'any'\``);
  });

  test('GET /status\'s calls are validated as the server builds them', () => {
    const status = {
      ok: true, v: 1, service: 'any', version: '0.1.0', pid: 1, port: 8765, extension: false, browsers: [], callsInFlight: 0,
      calls: [
        { id: 'a', page: 'https://a.b/', phase: 'waiting-for-browser', route: 'default', elapsedMs: 3 },
        { id: 'b', page: 'https://a.b/', method: 'm', phase: 'in-browser', browser: 'work', route: 'named', elapsedMs: 0 },
      ],
    };
    assert.ok(parse(Status, status).ok);
    assert.equal(parse(Status, { ...status, calls: [{ ...status.calls[0], phase: 'running' }] }).ok, false);
    assert.equal(parse(Status, { ...status, calls: [{ ...status.calls[0], route: 'newest' }] }).ok, false);
  });
});

describe('constants shared by every part', () => {
  test('every error code has a name and an HTTP error status', () => {
    for (const [code, { name, status }] of Object.entries(ERROR_CODES)) {
      assert.match(name, /Error$/, code);
      assert.ok(status >= 400 && status < 600, code);
    }
  });

  test('the extension takes its port and the launch\'s identity from settings.json, which `any launch` writes whole', () => {
    const managed = parseSettings(JSON.parse(settingsFile(9123, { installId: 'launch-1', name: 'work "a"' })));
    assert.deepEqual(managed, { port: 9123, managed: true, installId: 'launch-1', name: 'work "a"' });
    assert.deepEqual(parseSettings(JSON.parse(settingsFile(9124, undefined))), { port: 9124, managed: false });
    // The built extension's file, and anything malformed, are an everyday browser's defaults.
    assert.deepEqual(parseSettings(JSON.parse(readFileSync(join(builtExtensionDir(), SETTINGS_FILE), 'utf8'))), DEFAULT_SETTINGS);
    for (const bad of [null, 'x', { port: 0 }, { port: 70000 }, { port: '8765' }, { managed: 'yes', name: 5, installId: '' }]) {
      assert.deepEqual(parseSettings(bad), DEFAULT_SETTINGS, JSON.stringify(bad));
    }
  });

  test('the extension ID is pinned by the manifest key (the README and users rely on it)', () => {
    assert.equal(PINNED_EXTENSION_ID, 'bjjkfdedohhbafioncflnjdjacebcifc');
    const manifest = JSON.parse(readFileSync(new URL('../../src/extension/manifest.json', import.meta.url), 'utf8'));
    assert.equal(extensionIdFromKey(manifest.key), PINNED_EXTENSION_ID);
  });
});
