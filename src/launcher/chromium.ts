/**
 * Starts and stops a Chromium process. No DevTools session and never a remote-debugging port:
 * a DevTools session keeps MV3 service workers alive and so hides the bugs users hit
 * (docs/chromium-facts.md), and a debugging port would hand the browser to any local process.
 *
 * Extensions come in by `--load-extension`, which Chromium, Chrome for Testing, Edge and Brave
 * honour. Branded Google Chrome ignores it since 137; there they come in over
 * `--remote-debugging-pipe` with `Extensions.loadUnpacked` and nothing else (devtools-pipe.ts).
 */
import { homedir } from 'node:os';
import { basename, posix, win32 } from 'node:path';
import { isExecutable, spawnBrowser, versionLine, type BrowserProcess } from './browser-process.js';
import { loadUnpackedExtensions } from './devtools-pipe.js';

/**
 * Where Chromium-family browsers live, tried in this order when no --browser is given: first
 * those that honour `--load-extension` (Chromium, then Brave and Edge), then Google Chrome, whose
 * extensions must come in over the DevTools pipe. Windows' per-user installs are under the home.
 */
export function browserCandidates(platform: NodeJS.Platform = process.platform, home = homedir()): string[] {
  const join = platform === 'win32' ? win32.join : posix.join;
  if (platform === 'darwin') {
    return [
      '/Applications/Chromium.app/Contents/MacOS/Chromium',
      '/Applications/Brave Browser.app/Contents/MacOS/Brave Browser',
      '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
      join(home, 'Applications/Google Chrome.app/Contents/MacOS/Google Chrome'),
    ];
  }
  if (platform === 'win32') {
    const local = join(home, 'AppData', 'Local');
    return [
      join(local, 'Chromium', 'Application', 'chrome.exe'),
      'C:\\Program Files\\BraveSoftware\\Brave-Browser\\Application\\brave.exe',
      join(local, 'BraveSoftware', 'Brave-Browser', 'Application', 'brave.exe'),
      'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
      'C:\\Program Files\\Microsoft\\Edge\\Application\\msedge.exe',
      'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
      join(local, 'Google', 'Chrome', 'Application', 'chrome.exe'),
    ];
  }
  return [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/snap/bin/chromium',
    '/usr/bin/brave-browser',
    '/usr/bin/microsoft-edge',
    '/usr/bin/microsoft-edge-stable',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/opt/google/chrome/chrome',
  ];
}

/**
 * Flags for a quiet, self-contained browser. Without the background-networking ones Chromium
 * keeps opening connections to Google services, which a closed network refuses by the dozen.
 */
const QUIET_FLAGS = [
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--disable-default-apps',
  '--password-store=basic',
  // Calls mostly go to tabs in the background: keep their renderers at normal priority and
  // their timers unthrottled, as Playwright and Puppeteer do for the browsers they drive.
  '--disable-renderer-backgrounding',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--use-mock-keychain',
];

/**
 * How the extensions come in: `flags` (`--load-extension`) or `pipe` (`Extensions.loadUnpacked`
 * over `--remote-debugging-pipe`, for branded Chrome 137+).
 */
export type ExtensionLoading = 'flags' | 'pipe';
export const EXTENSION_LOADINGS: readonly ExtensionLoading[] = ['flags', 'pipe'];

/** The first Google Chrome that ignores `--load-extension` (its "not allowed in Google Chrome, ignoring"). */
export const FIRST_CHROME_IGNORING_LOAD_EXTENSION = 137;

export interface ChromiumOptions {
  executable?: string;
  headless: boolean;
  profileDir: string;
  extensionDirs: string[];
  /** Absent: `pipe` for a branded Google Chrome 137 or later, else `flags` (extensionLoadingFor). */
  extensionLoading?: ExtensionLoading;
  extraArgs?: string[];
  startUrl?: string;
}

export type ChromiumProcess = BrowserProcess & { readonly extensionLoading: ExtensionLoading };

/** The browser to run: `explicit` (a path, or a command name spawn finds on PATH) or the first installed candidate. */
export function findBrowser(explicit?: string): string {
  if (explicit) {
    if (explicit.includes('/') && !isExecutable(explicit)) {
      throw new Error(`No browser at "${explicit}": --browser must name a Chromium or Chrome executable.`);
    }
    return explicit;
  }
  const candidates = browserCandidates();
  const found = candidates.find(isExecutable);
  if (found) return found;
  throw new Error(
    `No Chromium-family browser found (looked at ${candidates.join(', ')}). Install Chromium ` +
    '(Debian/Ubuntu: `sudo apt-get install -y chromium`) or name one with --browser <path>.');
}

/**
 * What a Chromium-family executable is, as far as loading extensions goes: whether it is branded
 * Google Chrome (not Chrome for Testing, Chromium, Edge or Brave) and its major version, read from
 * `--version` ("Google Chrome 140.0.7339.80"); undefined when it cannot say.
 */
export function chromeBrandOf(executable: string): { googleChrome: boolean; major: number | undefined } {
  const byPath = /google-chrome|google[/\\]chrome[/\\]|Google Chrome(?! for Testing)/i.test(executable);
  // A name that says which browser it is spares asking (Debian's chromium takes ~0.2 s to answer).
  if (/chromium|edge|brave/i.test(basename(executable))) return { googleChrome: false, major: undefined };
  // Without an answer (Windows, or an executable that cannot say), the path has to do.
  const named = /^(Google Chrome|Chromium|Microsoft Edge|Brave Browser)( for Testing)?\s+(\d+)\./.exec(versionLine(executable) ?? '');
  if (!named) return { googleChrome: byPath, major: undefined };
  return { googleChrome: named[1] === 'Google Chrome' && !named[2], major: Number(named[3]) };
}

/** `pipe` where `--load-extension` is ignored (branded Google Chrome 137+, or of unknown version), else `flags`. */
export function extensionLoadingFor(executable: string): ExtensionLoading {
  const { googleChrome, major } = chromeBrandOf(executable);
  return googleChrome && (major === undefined || major >= FIRST_CHROME_IGNORING_LOAD_EXTENSION) ? 'pipe' : 'flags';
}

export async function startChromium(options: ChromiumOptions): Promise<ChromiumProcess> {
  const executable = findBrowser(options.executable);
  const extensionLoading = options.extensionLoading ?? extensionLoadingFor(executable);
  const extensionFlags = extensionLoading === 'pipe'
    ? ['--remote-debugging-pipe', '--enable-unsafe-extension-debugging']
    : [`--disable-extensions-except=${options.extensionDirs.join(',')}`, `--load-extension=${options.extensionDirs.join(',')}`];
  const args = [
    ...QUIET_FLAGS,
    `--user-data-dir=${options.profileDir}`,
    ...extensionFlags,
    ...(options.headless ? ['--headless', '--disable-gpu'] : []),
    // Chromium refuses to start as root with its sandbox on (containers, CI).
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    ...(options.extraArgs ?? []),
    options.startUrl ?? 'about:blank',
  ];
  const browser = spawnBrowser(executable, args, { devtoolsPipe: extensionLoading === 'pipe' });
  if (browser.pipe) {
    try {
      await loadUnpackedExtensions(browser.pipe, options.extensionDirs);
    } catch (error) {
      await browser.stop();
      throw new Error(`${(error as Error).message}\n${browser.recentOutput()}`.trim());
    }
  }
  return { ...browser, extensionLoading };
}
