/**
 * Starts a Firefox (ESR, Developer Edition or Nightly: release Firefox refuses unsigned
 * extensions) with a profile made for `any launch --browser firefox`: the extensions installed
 * as `.xpi` files in the profile's `extensions/` folder, named by their gecko ids, and a
 * `user.js` that lets them run unsigned, enables them without asking, gives the any extension
 * its pinned origin (MANAGED_FIREFOX_UUID), and keeps Firefox off the network it has no business
 * with. No remote-debugging connection, for the same reason as on Chromium (chromium.ts).
 *
 * A profile the user keeps (`--profile`) is started the same way every time: the extensions are
 * written again (their settings hold the launch's port and identity), Firefox's own records of
 * the profile's add-ons are dropped so it finds them anew, and every extension keeps the origin
 * Firefox gave it, so what they stored stays theirs.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIREFOX_EXTENSION_ID, MANAGED_FIREFOX_UUID } from '../extension-identity.js';
import { extensionUuidsInPrefs } from '../firefox-prefs.js';
import { isExecutable, spawnBrowser, type BrowserProcess } from './browser-process.js';
import { zipFolder } from './zip.js';

/** Where Firefox lives, tried in this order for `--browser firefox`: ESR first (it runs unsigned extensions). */
export const FIREFOX_CANDIDATES = [
  '/usr/bin/firefox-esr',
  '/usr/bin/firefox',
  '/snap/bin/firefox',
  '/Applications/Firefox.app/Contents/MacOS/firefox',
  '/Applications/Firefox Developer Edition.app/Contents/MacOS/firefox',
];

/** Whether `browser` (a --browser value) names Firefox: the word itself, or an executable called so. */
export function isFirefox(browser: string | undefined): boolean {
  return browser !== undefined && /(^|\/)firefox[^/]*$/i.test(browser);
}

export function findFirefox(explicit?: string): string {
  if (explicit && explicit !== 'firefox') {
    if (explicit.includes('/') && !isExecutable(explicit)) throw new Error(`No browser at "${explicit}": --browser must name a Firefox executable.`);
    return explicit;
  }
  const found = FIREFOX_CANDIDATES.find(isExecutable);
  if (found) return found;
  throw new Error(`No Firefox found (looked at ${FIREFOX_CANDIDATES.slice(0, 3).join(', ')}, …). Install Firefox ESR ` +
    '(Debian/Ubuntu: `sudo apt-get install -y firefox-esr`) or name one with --browser <path>.');
}

/** An unpacked extension to install, by its gecko id (its manifest's browser_specific_settings.gecko.id). */
export interface FirefoxExtension {
  id: string;
  dir: string;
}

export interface FirefoxOptions {
  executable?: string;
  /**
   * The uuid of the any extension's origin (MANAGED_FIREFOX_UUID for a managed browser);
   * undefined: Firefox picks one at random, as in an everyday profile.
   */
  anyExtensionUuid: string | undefined;
  headless: boolean;
  profileDir: string;
  extensions: FirefoxExtension[];
  startUrl?: string;
}

/**
 * The profile's preferences, as user.js sets them at every start. `keptUuids`: the origins a kept
 * profile's extensions already have (its prefs.js), which user.js must repeat, since it replaces
 * the whole pref at every start and an extension given a new origin loses what it stored.
 */
export function managedFirefoxPrefs(anyExtensionUuid: string | undefined, keptUuids: Record<string, string> = {}): Record<string, string | number | boolean> {
  return {
    // Unsigned extensions in the profile's own folder, enabled without a prompt (ESR, Developer Edition, Nightly).
    'xpinstall.signatures.required': false,
    'extensions.autoDisableScopes': 0,
    'extensions.enabledScopes': 15,
    // The any extension's moz-extension:// origin, which the server admits (docs/security.md).
    ...(anyExtensionUuid ? { 'extensions.webextensions.uuids': JSON.stringify({ ...keptUuids, [FIREFOX_EXTENSION_ID]: anyExtensionUuid }) } : {}),
    // Local traffic never goes through a system proxy.
    'network.proxy.type': 0,
    // Calls mostly go to tabs in the background: Firefox would hold their timers to one a second
    // (as the Chromium launcher keeps Chromium from throttling them).
    'dom.min_background_timeout_value': 4,
    'dom.min_background_timeout_value_without_budget_throttling': 4,
    'dom.timeout.enable_budget_timer_throttling': false,
    // Quiet: no first-run pages, updates, telemetry or remote settings.
    'browser.shell.checkDefaultBrowser': false,
    'browser.startup.homepage_override.mstone': 'ignore',
    'browser.aboutwelcome.enabled': false,
    'app.update.enabled': false,
    'app.normandy.enabled': false,
    'extensions.update.enabled': false,
    'extensions.getAddons.cache.enabled': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'datareporting.healthreport.uploadEnabled': false,
    'toolkit.telemetry.reportingpolicy.firstRun': false,
    'browser.safebrowsing.malware.enabled': false,
    'browser.safebrowsing.phishing.enabled': false,
    'browser.newtabpage.activity-stream.feeds.topsites': false,
    'browser.newtabpage.activity-stream.feeds.system.topstories': false,
  };
}

/**
 * Firefox's records of a profile's add-ons and how they last started. Dropped before every start,
 * so Firefox finds the add-ons in `extensions/` as on the profile's first start. Why: a profile
 * whose first Firefox was closed within seconds (before it wrote addonStartup.json.lz4) never ran
 * the any extension's background again in later starts, whose rewritten .xpi Firefox then took
 * for an update (Firefox ESR 140, here); dropping these three brought it back, and nothing else
 * did. What the add-ons stored (storage, granted permissions) is kept elsewhere, and stays.
 */
export const ADDON_RECORDS = ['extensions.json', 'addonStartup.json.lz4', 'startupCache'];

export function startFirefox(options: FirefoxOptions): BrowserProcess {
  const executable = findFirefox(options.executable);
  const { profileDir } = options;
  for (const record of ADDON_RECORDS) rmSync(join(profileDir, record), { recursive: true, force: true });
  mkdirSync(join(profileDir, 'extensions'), { recursive: true });
  for (const extension of options.extensions) zipFolder(extension.dir, join(profileDir, 'extensions', `${extension.id}.xpi`));
  const prefsFile = join(profileDir, 'prefs.js');
  const keptUuids = existsSync(prefsFile) ? extensionUuidsInPrefs(readFileSync(prefsFile, 'utf8')) : {};
  const prefs = Object.entries(managedFirefoxPrefs(options.anyExtensionUuid, keptUuids)).map(([name, value]) => `user_pref(${JSON.stringify(name)}, ${JSON.stringify(value)});`);
  writeFileSync(join(profileDir, 'user.js'), `${prefs.join('\n')}\n`);
  return spawnBrowser(executable, [
    '--no-remote',
    '--profile', profileDir,
    ...(options.headless ? ['--headless'] : []),
    options.startUrl ?? 'about:blank',
  ]);
}
