/**
 * How the launcher gets extensions into a Chromium-family browser: which browsers need the
 * DevTools pipe (chromeBrandOf, extensionLoadingFor, with small scripts that answer --version as
 * each browser does), and the pipe's framing and answers (devtools-pipe.ts, over in-memory streams).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, test } from 'node:test';
import { browserCandidates, chromeBrandOf, extensionLoadingFor } from '../../src/launcher/chromium.js';
import { devtoolsPipe, loadUnpackedExtensions } from '../../src/launcher/devtools-pipe.js';
import { diagnoseUnconnectedLaunch, type UnconnectedLaunch } from '../../src/launcher/launch-diagnosis.js';

describe('which browsers get their extensions over the pipe', () => {
  const dir = mkdtempSync(join(tmpdir(), 'any-brands-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  /** An executable named `name` that prints `version` for --version, or fails when it is undefined. */
  const fake = (name: string, version: string | undefined) => {
    const path = join(dir, name);
    writeFileSync(path, version === undefined ? '#!/bin/sh\nexit 1\n' : `#!/bin/sh\necho "${version}"\n`);
    chmodSync(path, 0o755);
    return path;
  };

  const cases: [string, string | undefined, 'flags' | 'pipe'][] = [
    ['google-chrome', 'Google Chrome 140.0.7339.80', 'pipe'],
    ['google-chrome-stable', 'Google Chrome 137.0.7151.55 ', 'pipe'],
    ['google-chrome-old', 'Google Chrome 136.0.7103.113', 'flags'],
    ['chrome', 'Google Chrome for Testing 140.0.7339.80', 'flags'],
    ['chromium', 'Chromium 156.0.7557.0 built on Debian', 'flags'],
    ['microsoft-edge', 'Microsoft Edge 140.0.3485.54', 'flags'],
    ['brave-browser', 'Brave Browser 140.1.82.166', 'flags'],
    // Says nothing: the path decides — Google Chrome's is taken for a current one.
    ['google-chrome-silent', undefined, 'pipe'],
    ['some-chromium', undefined, 'flags'],
  ];
  for (const [name, version, expected] of cases) {
    test(`${name} (${version ?? 'no --version'}): ${expected}`, () => {
      assert.equal(extensionLoadingFor(fake(name, version)), expected);
    });
  }

  test('the version is read from --version', () => {
    assert.deepEqual(chromeBrandOf(fake('reads', 'Google Chrome 141.0.1.2')), { googleChrome: true, major: 141 });
    assert.deepEqual(chromeBrandOf(fake('reads-cft', 'Google Chrome for Testing 141.0.1.2')), { googleChrome: false, major: 141 });
  });
});

describe('where the launcher looks for a browser', () => {
  for (const platform of ['linux', 'darwin', 'win32'] as const) {
    test(`${platform}: browsers that honour --load-extension come before Google Chrome, which is there too`, () => {
      const candidates = browserCandidates(platform, platform === 'win32' ? 'C:\\Users\\someone' : '/home/someone');
      // None of these exists here, so the path alone says which is Google Chrome.
      const needsPipe = candidates.map((path) => chromeBrandOf(path).googleChrome);
      assert.ok(needsPipe.includes(true) && needsPipe.includes(false), JSON.stringify(candidates));
      assert.equal(needsPipe.indexOf(true), needsPipe.lastIndexOf(false) + 1, `the Google Chromes come last: ${JSON.stringify(candidates)}`);
      assert.ok(candidates.some((path) => /edge/i.test(path)) && candidates.some((path) => /brave/i.test(path)), 'Edge and Brave are looked for');
    });
  }
});

describe('the DevTools pipe', () => {
  const pair = () => {
    const toBrowser = new PassThrough();
    const fromBrowser = new PassThrough();
    const written: unknown[] = [];
    let text = '';
    toBrowser.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      const parts = text.split('\0');
      text = parts.pop()!;
      written.push(...parts.map((part) => JSON.parse(part)));
    });
    return { pipe: devtoolsPipe(toBrowser, fromBrowser), fromBrowser, written };
  };
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  test('frames each command as JSON and a NUL, and matches answers by id, split or joined in any way', async () => {
    const { pipe, fromBrowser, written } = pair();
    const first = pipe.send('Extensions.loadUnpacked', { path: '/a' });
    const second = pipe.send('Extensions.loadUnpacked', { path: '/b' });
    await settle();
    assert.deepEqual(written, [
      { id: 1, method: 'Extensions.loadUnpacked', params: { path: '/a' } },
      { id: 2, method: 'Extensions.loadUnpacked', params: { path: '/b' } },
    ]);
    // An event, then the second answer and half the first, then the rest: order by id, not arrival.
    fromBrowser.write('{"method":"Target.targetCreated","params":{}}\0{"id":2,"result":{"id":"bbb"}}\0{"id":1,"res');
    fromBrowser.write('ult":{"id":"aaa"}}\0');
    assert.deepEqual(await first, { id: 'aaa' });
    assert.deepEqual(await second, { id: 'bbb' });
  });

  test('an error answer rejects with the browser\'s message; loadUnpackedExtensions names the folder', async () => {
    const { pipe, fromBrowser } = pair();
    const loading = loadUnpackedExtensions(pipe, ['/ok', '/broken']);
    await settle();
    fromBrowser.write('{"id":1,"result":{"id":"okid"}}\0');
    await settle();
    fromBrowser.write('{"id":2,"error":{"code":-32000,"message":"Manifest file is missing or unreadable"}}\0');
    await assert.rejects(loading, /extension in \/broken .*Manifest file is missing or unreadable/);
  });

  test('a browser that closes the pipe fails the commands waiting on it', async () => {
    const { pipe, fromBrowser } = pair();
    const waiting = pipe.send('Extensions.loadUnpacked', { path: '/a' });
    fromBrowser.destroy();
    await assert.rejects(waiting, /closed its DevTools pipe/);
  });
});

describe('why a launched browser did not connect', () => {
  const base: UnconnectedLaunch = { executable: '/usr/bin/google-chrome', version: 'Google Chrome 140.0.7339.80', extensionLoading: 'flags', recentOutput: '', port: 8765, waitedMs: 15_000 };

  test('Chrome\'s own "not allowed" line: say so, and try the pipe', () => {
    const diagnosis = diagnoseUnconnectedLaunch({ ...base, recentOutput: 'ERROR: --load-extension is not allowed in Google Chrome, ignoring.' });
    assert.equal(diagnosis.retryOverPipe, true);
    assert.match(diagnosis.message, /^Google Chrome 140\.0\.7339\.80 \(\/usr\/bin\/google-chrome\) started, but its any extension did not connect to the any server on port 8765 within 15 s\. This brand ignores --load-extension/);
  });

  test('flags and no word from the browser: what may have happened, what to try, and its output', () => {
    const diagnosis = diagnoseUnconnectedLaunch({ ...base, version: undefined, recentOutput: 'some line\nlast line' });
    assert.equal(diagnosis.retryOverPipe, false);
    assert.match(diagnosis.message, /^the browser \(\/usr\/bin\/google-chrome\) started/);
    assert.match(diagnosis.message, /--extension-loading pipe.*Chromium, Chrome for Testing, Edge or Brave/);
    assert.match(diagnosis.message, /Its last output:\n  some line\n  last line$/);
  });

  test('over the pipe, and Firefox: no second try, each its own advice', () => {
    const pipe = diagnoseUnconnectedLaunch({ ...base, extensionLoading: 'pipe' });
    assert.equal(pipe.retryOverPipe, false);
    assert.match(pipe.message, /over its DevTools pipe, but it did not connect: check that nothing else holds port 8765/);
    const firefox = diagnoseUnconnectedLaunch({ ...base, executable: '/usr/bin/firefox', version: 'Mozilla Firefox 153.0', extensionLoading: undefined });
    assert.equal(firefox.retryOverPipe, false);
    assert.match(firefox.message, /^Mozilla Firefox 153\.0 .* Firefox ESR, Developer Edition or Nightly/);
  });
});
