/**
 * The managed browser: Chromium (or Firefox) with a fresh temporary profile (or one the user
 * keeps), the any extension (pointed at the server's port) and the user's userscripts. Closing it
 * removes every file it made, but never a profile the user named.
 */
import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { askBrowserToClose } from '../client/server-control.js';
import { FIREFOX_EXTENSION_ID, MANAGED_FIREFOX_UUID, PINNED_EXTENSION_ID } from '../extension-identity.js';
import { DEFAULT_PORT } from '../protocol/index.js';
import { SETTINGS_FILE, type ExtensionSettings } from '../protocol/extension-settings.js';
import { builtExtensionDir, builtFirefoxExtensionDir, webmcpMirrorFile } from '../paths.js';
import type { BrowserProcess } from './browser-process.js';
import { startChromium, type ExtensionLoading } from './chromium.js';
import { isFirefox, startFirefox, type FirefoxExtension } from './firefox.js';
import { profileHolder } from './profile-lock.js';
import { allowUserScripts } from './user-scripts-toggle.js';
import { findUserscripts, writeUserscriptsExtension, type LoadedUserscript, type UserscriptToLoad } from './userscripts-extension.js';

/**
 * Turns on Chromium's WebMCP: `document.modelContext`, with the `getTools` and `executeTool` the
 * mirror lists and calls tools with (Chromium 156 gives the same with `WebMCP` or
 * `--enable-experimental-web-platform-features`).
 */
export const WEBMCP_FEATURE_FLAG = '--enable-features=WebMCPTesting';

export interface LaunchOptions {
  /** The any server port the extension connects to. */
  port?: number;
  headless?: boolean;
  /** A folder of `*.user.js` files, or one such file. */
  userscripts?: string;
  /**
   * The browser: a Chromium or Chrome executable (Debian's /usr/bin/chromium by default), or
   * `firefox` (Firefox ESR, found in the usual places) or a Firefox executable.
   */
  browser?: string;
  /** More Chromium command-line flags. */
  browserArgs?: string[];
  /**
   * Turn on Chromium's WebMCP (`document.modelContext`) and load the WebMCP mirror userscript on
   * every page, so the pages' WebMCP tools are methods too (`webmcp:<tool name>`).
   */
  webmcp?: boolean;
  /** More unpacked extensions to load (folders with a manifest.json). */
  extensions?: string[];
  /**
   * How Chromium gets the extensions: `flags` (`--load-extension`) or `pipe`
   * (`Extensions.loadUnpacked` over `--remote-debugging-pipe`). Absent: `pipe` for branded Google
   * Chrome 137+, which ignores `--load-extension`, `flags` for every other browser.
   */
  extensionLoading?: ExtensionLoading;
  /**
   * A profile folder to use and keep (`any launch --profile`), created if missing, so that what
   * the user logs in to stays for later launches; absent: a fresh temporary profile, removed on
   * close. Refused while another browser runs on it.
   */
  profile?: string;
  /**
   * The name it asks the server for (`any launch --name`); absent: named after its brand, as an
   * everyday browser is (`chromium`, `chromium-2`, …).
   */
  name?: string;
  /**
   * Load the extension exactly as a user's everyday browser does — its own settings but the
   * port: no name, not marked managed, an id of its own kept in the profile. For tests of how
   * everyday browsers are named.
   */
  asEveryday?: boolean;
}

export interface ManagedBrowser {
  readonly pid: number;
  readonly executable: string;
  readonly extensionId: string;
  /** The `installId` its extension says hello with: how to find it in `GET /health`. */
  readonly installId: string | undefined;
  /** The temporary folder holding the extensions' copies (and the profile, unless `profile` was given); removed by close(). */
  readonly workDir: string;
  /** The profile folder: in workDir, or the `profile` given, which close() keeps. */
  readonly profileDir: string;
  readonly userscripts: LoadedUserscript[];
  /** How its extensions came in (Chromium); undefined for Firefox, whose profile holds them. */
  readonly extensionLoading: ExtensionLoading | undefined;
  /** Resolves when the browser process has exited, by close() or on its own. */
  readonly exited: Promise<number | null>;
  recentOutput(): string;
  /** Stops the browser and removes its temporary profile. */
  close(): Promise<void>;
}

/**
 * How long a Firefox on a kept profile has to quit once its extension has closed its windows
 * (about 2 s here) before it is stopped with a signal.
 */
export const FIREFOX_QUIT_MS = 10_000;

export async function launchBrowser(options: LaunchOptions = {}): Promise<ManagedBrowser> {
  const port = options.port ?? DEFAULT_PORT;
  const firefox = isFirefox(options.browser);
  if (firefox && options.webmcp) throw new Error('--webmcp needs Chromium: Firefox has no WebMCP (document.modelContext) yet.');
  if (firefox && options.browserArgs?.length) throw new Error('--browser-arg passes Chromium flags; Firefox takes none here.');
  if (firefox && options.extensionLoading) throw new Error('--extension-loading is Chromium\'s: Firefox gets its extensions in the profile.');
  const kept = options.profile === undefined ? undefined : resolve(options.profile);
  if (kept) {
    const holder = profileHolder(kept);
    if (holder) {
      throw new Error(`The profile ${kept} is in use by a running ${holder.browser} (pid ${holder.pid}). ` +
        'Close that browser first, or give another --profile (a second browser on one profile would hand its start to the first, without the any extension).');
    }
  }
  const workDir = mkdtempSync(join(tmpdir(), 'any-browser-'));
  const removeWorkDir = () => rmSync(workDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  try {
    const extensionDir = join(workDir, 'extension');
    cpSync(firefox ? builtFirefoxExtensionDir() : builtExtensionDir(), extensionDir, { recursive: true });
    const installId = options.asEveryday ? undefined : randomUUID();
    writeFileSync(join(extensionDir, SETTINGS_FILE), settingsFile(port, options.asEveryday ? undefined : { installId: installId!, name: options.name }));

    const extensionDirs = [extensionDir, ...(options.extensions ?? [])];
    let userscripts: LoadedUserscript[] = [];
    const scripts: UserscriptToLoad[] = options.webmcp ? [{ file: webmcpMirrorFile(), everyPage: true }] : [];
    if (options.userscripts) {
      scripts.push(...(statSync(options.userscripts).isDirectory() ? findUserscripts(options.userscripts) : [options.userscripts]));
    }
    if (scripts.length) {
      const userscriptsDir = join(workDir, 'userscripts');
      userscripts = writeUserscriptsExtension(scripts, userscriptsDir, { firefox });
      extensionDirs.push(userscriptsDir);
    }

    const profileDir = kept ?? join(workDir, 'profile');
    mkdirSync(profileDir, { recursive: true });
    // The user's own extensions (a userscript manager) get "Allow User Scripts", as the user would give it.
    if (!firefox) allowUserScripts(profileDir, options.extensions ?? []);
    const browser: BrowserProcess & { extensionLoading?: ExtensionLoading } = firefox
      ? startFirefox({
        executable: options.browser,
        headless: options.headless ?? false,
        profileDir,
        extensions: extensionDirs.map(withGeckoId),
        // An everyday profile's extension gets a random origin, which the server finds in the profile.
        anyExtensionUuid: options.asEveryday ? undefined : MANAGED_FIREFOX_UUID,
      })
      : await startChromium({
        executable: options.browser,
        headless: options.headless ?? false,
        profileDir,
        extensionDirs,
        // A kept profile is closed with the pipe's Browser.close, the only close after which
        // Chromium has written its cookies (on SIGTERM it drops those of the last 30 s).
        extensionLoading: options.extensionLoading ?? (kept ? 'pipe' : undefined),
        extraArgs: [...(options.webmcp ? [WEBMCP_FEATURE_FLAG] : []), ...(options.browserArgs ?? [])],
      });
    let closing: Promise<void> | undefined;
    return {
      pid: browser.pid,
      executable: browser.executable,
      extensionId: firefox ? FIREFOX_EXTENSION_ID : PINNED_EXTENSION_ID,
      installId,
      workDir,
      profileDir,
      userscripts,
      extensionLoading: browser.extensionLoading,
      exited: browser.exited,
      recentOutput: browser.recentOutput,
      close() {
        // Firefox writes what pages stored (localStorage, …) only when it quits as its user quits
        // it: every signal ends it at once. For a kept profile, where that matters, its extension
        // closes its windows first, through the server (Chromium's pipe does the same for Chromium).
        closing ??= (async () => {
          if (firefox && kept && installId) await quitThroughExtension(port, installId, browser.exited);
          await browser.stop();
          removeWorkDir();
        })();
        return closing;
      },
    };
  } catch (error) {
    removeWorkDir();
    throw error;
  }
}

/** Has the browser's extension close its windows, and waits (up to FIREFOX_QUIT_MS) for the browser to quit. */
async function quitThroughExtension(port: number, installId: string, exited: Promise<unknown>): Promise<void> {
  if (!(await askBrowserToClose(port, installId))) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, FIREFOX_QUIT_MS)))]);
  clearTimeout(timer);
}

/** An unpacked extension for Firefox, known by the gecko id its manifest gives. */
function withGeckoId(dir: string): FirefoxExtension {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { browser_specific_settings?: { gecko?: { id?: unknown } } };
  const id = manifest.browser_specific_settings?.gecko?.id;
  if (typeof id !== 'string' || !id) throw new Error(`${dir}: a Firefox extension needs browser_specific_settings.gecko.id in its manifest.json.`);
  return { id, dir };
}

/** settings.json for the extension's copy (src/protocol/extension-settings.ts): the port, and the launch's identity if managed. */
export function settingsFile(port: number, managed: { installId: string; name: string | undefined } | undefined): string {
  const settings: ExtensionSettings = managed
    ? { port, managed: true, installId: managed.installId, ...(managed.name === undefined ? {} : { name: managed.name }) }
    : { port, managed: false };
  return `${JSON.stringify(settings)}\n`;
}
