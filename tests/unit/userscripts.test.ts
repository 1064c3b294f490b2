import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { describe, test } from 'node:test';
import { includeRuleToRegExp, matchPatternToRegExp } from '../../src/launcher/url-patterns.js';
import { parseUserscriptMetadata } from '../../src/launcher/userscript-metadata.js';
import { writeUserscriptsExtension } from '../../src/launcher/userscripts-extension.js';

describe('@match patterns', () => {
  const table: [string, string, boolean][] = [
    ['*://*/*', 'https://example.com/a?b', true],
    ['*://*/*', 'http://127.0.0.1:8000/', true],
    ['*://*/*', 'file:///etc/passwd', false],
    ['<all_urls>', 'file:///tmp/x', true],
    ['https://example.com/*', 'https://example.com/', true],
    ['https://example.com/*', 'http://example.com/', false],
    ['https://example.com/*', 'https://example.com:8443/x', true],
    ['https://example.com/*', 'https://sub.example.com/', false],
    ['https://*.example.com/*', 'https://sub.example.com/', true],
    ['https://*.example.com/*', 'https://example.com/', true],
    ['https://*.example.com/*', 'https://badexample.com/', false],
    ['http://127.0.0.1/only/*', 'http://127.0.0.1:45000/only/x', true],
    ['http://127.0.0.1/only/*', 'http://127.0.0.1:45000/other', false],
    ['http://127.0.0.1:8000/*', 'http://127.0.0.1:8001/', false],
    ['https://example.com/path', 'https://example.com/path?query', false],
    ['https://example.com/path*', 'https://example.com/path?query', true],
  ];
  for (const [pattern, url, expected] of table) {
    test(`${pattern} ${expected ? 'matches' : 'does not match'} ${url}`, () => {
      assert.equal(matchPatternToRegExp(pattern).test(url), expected);
    });
  }

  test('a malformed pattern is an error naming it', () => {
    assert.throws(() => matchPatternToRegExp('example.com'), /"example.com" is not a match pattern/);
  });
});

describe('@include and @exclude rules', () => {
  test('globs match the whole URL, * being any run of characters', () => {
    assert.ok(includeRuleToRegExp('http://127.0.0.1:*/inc/glob*').test('http://127.0.0.1:9/inc/glob-page'));
    assert.ok(!includeRuleToRegExp('http://127.0.0.1:*/inc/glob*').test('http://127.0.0.1:9/inc/other'));
    assert.ok(includeRuleToRegExp('*').test('https://anything/'));
    assert.ok(!includeRuleToRegExp('https://a.com/x.y').test('https://a.com/xzy'), 'a dot is literal');
  });

  test('/…/ is a regular expression, flags included', () => {
    assert.ok(includeRuleToRegExp('/^https://A\\.com//i').test('https://a.com/'));
    assert.ok(!includeRuleToRegExp('/^https://a\\.com$/').test('https://a.com/x'));
  });
});

describe('userscript metadata', () => {
  test('reads the keys a userscript manager honours', () => {
    const metadata = parseUserscriptMetadata(`
// ==UserScript==
// @name         Example
// @match        *://example.com/*
// @match        https://other.org/*
// @include      /foo/
// @exclude      *://example.com/private*
// @exclude-match https://other.org/admin/*
// @run-at       document-start
// @noframes
// @grant        none
// ==/UserScript==
code();`, 'fallback');
    assert.deepEqual(metadata, {
      name: 'Example',
      matches: ['*://example.com/*', 'https://other.org/*'],
      includes: ['/foo/'],
      excludes: ['*://example.com/private*'],
      excludeMatches: ['https://other.org/admin/*'],
      runAt: 'document_start',
      noframes: true,
      grants: ['none'],
    });
  });

  test('defaults: the file name, document-idle, all frames', () => {
    const metadata = parseUserscriptMetadata('// no header\n', 'my-script');
    assert.equal(metadata.name, 'my-script');
    assert.equal(metadata.runAt, 'document_idle');
    assert.equal(metadata.noframes, false);
  });

  test('@run-at values map to Chrome\'s run_at', () => {
    for (const [runAt, expected] of [['document-start', 'document_start'], ['document-body', 'document_end'], ['document-end', 'document_end'], ['document-idle', 'document_idle']]) {
      const source = `// ==UserScript==\n// @run-at ${runAt}\n// ==/UserScript==\n`;
      assert.equal(parseUserscriptMetadata(source, 'x').runAt, expected);
    }
  });
});

describe('the generated userscripts extension', () => {
  const source = `// ==UserScript==
// @name     Guarded
// @match    https://example.com/*
// @exclude  https://example.com/skip*
// @grant    GM_xmlhttpRequest
// @run-at   document-end
// ==/UserScript==
globalThis.ran = (globalThis.ran || 0) + 1;
`;

  test('declares each script for the MAIN world at its @run-at, with warnings for what is not supported', () => {
    const dir = mkdtempSync(join(tmpdir(), 'any-test-'));
    try {
      writeFileSync(join(dir, 'guarded.user.js'), source);
      const loaded = writeUserscriptsExtension([join(dir, 'guarded.user.js')], join(dir, 'out'));
      const manifest = JSON.parse(readFileSync(join(dir, 'out', 'manifest.json'), 'utf8'));
      assert.equal(manifest.manifest_version, 3);
      assert.deepEqual(manifest.content_scripts, [{
        matches: ['<all_urls>'], js: ['scripts/0-guarded.user.js'], run_at: 'document_end', all_frames: true, world: 'MAIN',
      }]);
      assert.match(loaded[0]!.warnings.join(), /GM_xmlhttpRequest/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the guard runs the script only where its rules allow', () => {
    const dir = mkdtempSync(join(tmpdir(), 'any-test-'));
    try {
      writeFileSync(join(dir, 'guarded.user.js'), source);
      writeUserscriptsExtension([join(dir, 'guarded.user.js')], join(dir, 'out'));
      const wrapped = readFileSync(join(dir, 'out', 'scripts', '0-guarded.user.js'), 'utf8');
      const runAt = (href: string) => {
        const page: Record<string, unknown> = { location: { href } };
        page.window = page;
        page.globalThis = page;
        runInNewContext(wrapped, page);
        return page.ran ?? 0;
      };
      assert.equal(runAt('https://example.com/page'), 1);
      assert.equal(runAt('https://example.com/skip/this'), 0);
      assert.equal(runAt('https://other.com/'), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
