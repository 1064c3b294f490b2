/**
 * Starts and stops a Chromium process. No DevTools connection and no remote-debugging port:
 * a DevTools session keeps MV3 service workers alive and so hides the bugs users hit
 * (docs/chromium-facts.md), and a debugging port would hand the browser to any local process.
 */
import { isExecutable, spawnBrowser, type BrowserProcess } from './browser-process.js';

/** Tried in order when no --browser is given: Debian's chromium first. */
const BROWSER_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/snap/bin/chromium',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

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

export interface ChromiumOptions {
  executable?: string;
  headless: boolean;
  profileDir: string;
  extensionDirs: string[];
  extraArgs?: string[];
  startUrl?: string;
}

export type ChromiumProcess = BrowserProcess;

/** The browser to run: `explicit` (a path, or a command name spawn finds on PATH) or the first installed candidate. */
export function findBrowser(explicit?: string): string {
  if (explicit) {
    if (explicit.includes('/') && !isExecutable(explicit)) {
      throw new Error(`No browser at "${explicit}": --browser must name a Chromium or Chrome executable.`);
    }
    return explicit;
  }
  const found = BROWSER_CANDIDATES.find(isExecutable);
  if (found) return found;
  throw new Error(
    `No Chromium found (looked at ${BROWSER_CANDIDATES.slice(0, 4).join(', ')}, …). Install it ` +
    '(Debian/Ubuntu: `sudo apt-get install -y chromium`) or name one with --browser <path>.');
}

export function startChromium(options: ChromiumOptions): ChromiumProcess {
  const executable = findBrowser(options.executable);
  const args = [
    ...QUIET_FLAGS,
    `--user-data-dir=${options.profileDir}`,
    `--disable-extensions-except=${options.extensionDirs.join(',')}`,
    `--load-extension=${options.extensionDirs.join(',')}`,
    ...(options.headless ? ['--headless', '--disable-gpu'] : []),
    // Chromium refuses to start as root with its sandbox on (containers, CI).
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    ...(options.extraArgs ?? []),
    options.startUrl ?? 'about:blank',
  ];
  return spawnBrowser(executable, args);
}
