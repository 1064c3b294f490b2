/**
 * Firefox's pieces that need no browser: the manifest built from Chromium's, the .xpi zip, the
 * prefs.js reading that recognises the any extension of an everyday Firefox, and the origins
 * the server takes. The browser itself is in tests/e2e/firefox.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FIREFOX_EXTENSION_ID, MANAGED_FIREFOX_UUID, PINNED_EXTENSION_ID } from '../../src/extension-identity.js';
import { firefoxManifest } from '../../src/firefox-manifest.js';
import { isFirefox, managedFirefoxPrefs } from '../../src/launcher/firefox.js';
import { zipFolder } from '../../src/launcher/zip.js';
import { extensionOrigins } from '../../src/server/extension-origins.js';
import { extensionUuidsInPrefs } from '../../src/firefox-prefs.js';
import { everydayFirefoxUuids, uuidInPrefs } from '../../src/server/firefox-profiles.js';

const chromiumManifest = JSON.parse(readFileSync(new URL('../../src/extension/manifest.json', import.meta.url), 'utf8'));
const UUID = '3ff0a0a0-74da-44dd-be19-f9fca3f6bf91';
/** A prefs.js line as Firefox ESR 153 wrote it for a profile with the any extension installed. */
const PREFS = `// Mozilla User Preferences
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("extensions.webextensions.uuids", "{\\"formautofill@mozilla.org\\":\\"305efd75-d840-49db-beff-72d4d9f0805a\\",\\"${FIREFOX_EXTENSION_ID}\\":\\"${UUID}\\"}");
`;

describe('the Firefox build', () => {
  test('the manifest: an event page, the gecko id, a CSP that keeps ws://127.0.0.1; everything else as for Chromium', () => {
    const manifest = firefoxManifest(chromiumManifest);
    assert.deepEqual(manifest.background, { scripts: ['background.js'], type: 'module' });
    assert.deepEqual(manifest.browser_specific_settings, { gecko: { id: FIREFOX_EXTENSION_ID, strict_min_version: '128.0' } });
    assert.deepEqual(manifest.content_security_policy, { extension_pages: "script-src 'self'" });
    assert.equal(manifest.key, undefined);
    assert.equal(manifest.minimum_chrome_version, undefined);
    for (const field of ['permissions', 'host_permissions', 'content_scripts', 'name', 'version']) assert.deepEqual(manifest[field], chromiumManifest[field], field);
  });

  test('the .xpi is a zip that another zip reader opens, with every file and its bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'any-zip-test-'));
    try {
      mkdirSync(join(dir, 'folder', 'sub'), { recursive: true });
      writeFileSync(join(dir, 'folder', 'a.js'), 'console.log("a");\n'.repeat(200));
      writeFileSync(join(dir, 'folder', 'sub', 'b.bin'), Buffer.from([0, 1, 2, 255]));
      writeFileSync(join(dir, 'folder', 'é.txt'), 'é');
      zipFolder(join(dir, 'folder'), join(dir, 'out.xpi'));
      const read = execFileSync('python3', ['-c', `import zipfile, json, sys
z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None
print(json.dumps({i.filename: [i.compress_type, z.read(i).hex()] for i in z.infolist()}))`, join(dir, 'out.xpi')], { encoding: 'utf8' });
      const entries = JSON.parse(read) as Record<string, [number, string]>;
      assert.deepEqual(Object.keys(entries).sort(), ['a.js', 'sub/b.bin', 'é.txt']);
      assert.equal(entries['a.js']![0], 8, 'deflated');
      assert.equal(Buffer.from(entries['a.js']![1], 'hex').toString(), 'console.log("a");\n'.repeat(200));
      assert.deepEqual(entries['sub/b.bin'], [0, '000102ff'], 'stored when deflating does not help');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the managed profile pins the any extension\'s uuid, runs it unsigned, and uses no proxy', () => {
    const prefs = managedFirefoxPrefs(MANAGED_FIREFOX_UUID);
    assert.deepEqual(JSON.parse(prefs['extensions.webextensions.uuids'] as string), { [FIREFOX_EXTENSION_ID]: MANAGED_FIREFOX_UUID });
    assert.equal(prefs['xpinstall.signatures.required'], false);
    assert.equal(prefs['network.proxy.type'], 0);
    assert.equal(managedFirefoxPrefs(undefined)['extensions.webextensions.uuids'], undefined, 'an everyday-like profile: Firefox picks the origin');
  });

  test('a kept profile\'s extensions keep the origins its prefs.js gave them, and any keeps its own', () => {
    const kept = extensionUuidsInPrefs(PREFS.replace(UUID, '11111111-2222-4333-8444-555555555555'));
    const prefs = managedFirefoxPrefs(MANAGED_FIREFOX_UUID, kept);
    assert.deepEqual(JSON.parse(prefs['extensions.webextensions.uuids'] as string),
      { 'formautofill@mozilla.org': '305efd75-d840-49db-beff-72d4d9f0805a', [FIREFOX_EXTENSION_ID]: MANAGED_FIREFOX_UUID });
  });

  test('prefs.js gives every extension\'s uuid; a broken pref or a value that is no uuid gives none', () => {
    assert.deepEqual(extensionUuidsInPrefs(PREFS), { 'formautofill@mozilla.org': '305efd75-d840-49db-beff-72d4d9f0805a', [FIREFOX_EXTENSION_ID]: UUID });
    assert.deepEqual(extensionUuidsInPrefs(PREFS.replace(UUID, 'not-a-uuid')), { 'formautofill@mozilla.org': '305efd75-d840-49db-beff-72d4d9f0805a' });
    assert.deepEqual(extensionUuidsInPrefs('user_pref("extensions.webextensions.uuids", "[1]");\n'), {});
    assert.deepEqual(extensionUuidsInPrefs('user_pref("extensions.webextensions.uuids", "{not json");\n'), {});
    assert.deepEqual(extensionUuidsInPrefs(''), {});
  });

  test('--browser names Firefox by the word or an executable called so', () => {
    for (const yes of ['firefox', '/usr/bin/firefox-esr', '/opt/firefox/firefox', 'Firefox']) assert.equal(isFirefox(yes), true, yes);
    for (const no of [undefined, '/usr/bin/chromium', 'google-chrome', '/home/firefox/chromium']) assert.equal(isFirefox(no), false, String(no));
  });
});

describe('recognising the any extension of an everyday Firefox', () => {
  test('prefs.js gives the uuid Firefox chose for any\'s gecko id, and nothing for another id or a broken file', () => {
    assert.equal(uuidInPrefs(PREFS, FIREFOX_EXTENSION_ID), UUID);
    assert.equal(uuidInPrefs(PREFS, 'other@example.com'), undefined);
    assert.equal(uuidInPrefs('user_pref("extensions.webextensions.uuids", "{not json");\n', FIREFOX_EXTENSION_ID), undefined);
    assert.equal(uuidInPrefs(PREFS.replace(UUID, 'not-a-uuid'), FIREFOX_EXTENSION_ID), undefined);
    assert.equal(uuidInPrefs('', FIREFOX_EXTENSION_ID), undefined);
  });

  test('the profiles of this user\'s Firefox (deb, snap, flatpak) are read; others are not', () => {
    const home = mkdtempSync(join(tmpdir(), 'any-home-'));
    try {
      const profile = join(home, '.mozilla', 'firefox', 'abc.default-esr');
      mkdirSync(profile, { recursive: true });
      writeFileSync(join(profile, 'prefs.js'), PREFS);
      const snap = join(home, 'snap', 'firefox', 'common', '.mozilla', 'firefox', 'x.default');
      mkdirSync(snap, { recursive: true });
      writeFileSync(join(snap, 'prefs.js'), PREFS.replace(UUID, '11111111-2222-4333-8444-555555555555'));
      mkdirSync(join(home, 'elsewhere', 'p'), { recursive: true });
      writeFileSync(join(home, 'elsewhere', 'p', 'prefs.js'), PREFS.replace(UUID, '99999999-2222-4333-8444-555555555555'));
      assert.deepEqual([...everydayFirefoxUuids(home, 'linux')].sort(), ['11111111-2222-4333-8444-555555555555', UUID]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('the server takes the pinned origins, and an everyday Firefox\'s only as its profiles record it, looking at most once a second', () => {
    let clock = 0;
    let lookups = 0;
    const origins = extensionOrigins({
      chromeIds: [PINNED_EXTENSION_ID],
      firefoxUuids: [MANAGED_FIREFOX_UUID],
      lookUpFirefoxUuids: () => {
        lookups++;
        return new Set([UUID]);
      },
      now: () => clock,
    });
    assert.equal(origins.has(`chrome-extension://${PINNED_EXTENSION_ID}`), true);
    assert.equal(origins.has(`moz-extension://${MANAGED_FIREFOX_UUID}`), true);
    assert.equal(lookups, 0, 'pinned origins need no lookup');
    assert.equal(origins.has(`moz-extension://${UUID}`), true);
    assert.equal(origins.has('moz-extension://00000000-0000-4000-8000-000000000000'), false, 'another extension of that Firefox');
    assert.equal(lookups, 1, 'once a second at most');
    clock += 1_000;
    assert.equal(origins.has('moz-extension://00000000-0000-4000-8000-000000000000'), false);
    assert.equal(lookups, 2);
    for (const origin of ['http://127.0.0.1:8765', 'chrome-extension://abcdefghijklmnopabcdefghijklmnop', '', 'null']) assert.equal(origins.has(origin), false, origin);
    assert.equal(lookups, 2, 'only moz-extension origins are looked up');
  });
});
