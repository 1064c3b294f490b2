/**
 * The real parts, started for a test file: a page server on 127.0.0.1 with a strict CSP, an any
 * server on a free port, and a managed headless Chromium (spawned directly, no DevTools) with the
 * real extension and the test userscripts, connected to that server.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isFirefox } from '../../src/launcher/firefox.js';
import { launchBrowser, type ManagedBrowser } from '../../src/launcher/launch.js';
import { startServer, type AnyServer } from '../../src/server/server.js';

export const TEST_USERSCRIPTS = fileURLToPath(new URL('../fixtures/userscripts/', import.meta.url));
export const EXAMPLE_USERSCRIPTS = fileURLToPath(new URL('../../examples/userscripts/', import.meta.url));
/** A test-only extension that closes tabs and disables/re-enables any, as a user would by hand. */
export const TEST_CONTROL_EXTENSION = fileURLToPath(new URL('../fixtures/test-control-extension/', import.meta.url));

/** Blocks every script of the page's own, including inline ones: only the extension's worlds run. */
export const STRICT_CSP = "default-src 'none'; script-src 'none'";
/** The chat page's (examples/chat/): only its own script, /chat/app.js, runs. */
export const CHAT_CSP = "default-src 'none'; script-src 'self'";
const CHAT_PAGE = new URL('../../examples/chat/', import.meta.url);
/** The WebMCP test pages': only their own script, the tools, runs. */
export const WEBMCP_CSP = "default-src 'none'; script-src 'self'";
const WEBMCP_TOOLS = new URL('../fixtures/webmcp/tools.js', import.meta.url);
/** Userscripts for the WebMCP suite: a method described like a WebMCP tool, and names that meet the page's tools. */
export const USERSCRIPTS_WEBMCP = fileURLToPath(new URL('../fixtures/userscripts-webmcp/', import.meta.url));

export interface PageServer {
  readonly origin: string;
  /** The path of every request so far, in order: how often a page was loaded. */
  readonly requested: string[];
  url(path: string): string;
  close(): Promise<void>;
}

/**
 * Serves a small HTML page at every path (and `/go`, which redirects to `/landed?from=go`).
 * The page's inline script would change the title if CSP let it run; tests check that it did not.
 * Pages under /no-csp/ come without a CSP; pages under /slow/ take 2.5 s to answer; pages under
 * /chat/ are the example chat page (examples/chat/, its script at /chat/app.js, CHAT_CSP); pages
 * under /webmcp…/ (/webmcp/, /webmcp-elsewhere/) register the WebMCP tools of
 * fixtures/webmcp/tools.js, their only script (WEBMCP_CSP).
 */
export async function startPageServer(): Promise<PageServer> {
  const requested: string[] = [];
  const server: Server = createServer(async (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    requested.push(path ?? '/');
    if (path?.startsWith('/slow/')) await new Promise((resolve) => setTimeout(resolve, 2_500));
    if (path === '/go') {
      response.writeHead(302, { location: '/landed?from=go' });
      return response.end();
    }
    if (path === '/chat/app.js') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      return response.end(readFileSync(new URL('app.js', CHAT_PAGE)));
    }
    if (path?.startsWith('/chat/')) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CHAT_CSP });
      return response.end(readFileSync(new URL('index.html', CHAT_PAGE)));
    }
    if (path === '/webmcp-tools.js') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      return response.end(readFileSync(WEBMCP_TOOLS));
    }
    if (path?.startsWith('/webmcp')) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': WEBMCP_CSP });
      return response.end(`<!doctype html><html><head><title>WebMCP page ${path}</title><script src="/webmcp-tools.js"></script></head><body>Tools</body></html>`);
    }
    // /no-csp/ pages play ordinary web pages, whose scripts may fetch and open WebSockets.
    const csp = path?.startsWith('/no-csp/') ? {} : { 'content-security-policy': STRICT_CSP };
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...csp });
    response.end(`<!doctype html>
<html><head><title>Test page ${path}</title>
<script>document.title = 'inline script ran';</script></head>
<body><h1 id="heading">Heading of ${path}</h1><p class="note">A paragraph.</p></body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requested,
    url: (path) => `${origin}${path}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/**
 * The browsers the suites that run on both are parametrised over: a `--browser` value (undefined:
 * the default Chromium) and the label the tests show.
 */
export const BROWSERS: { label: string; browser: string | undefined }[] = [
  { label: 'Chromium', browser: undefined },
  { label: 'Firefox', browser: 'firefox' },
];

export interface Stack {
  pages: PageServer;
  server: AnyServer;
  /** What the server logged: refusals, connections. */
  serverLog: string[];
  browser: ManagedBrowser;
  port: number;
  close(): Promise<void>;
}

export async function startStack(options: { userscripts?: string; browserWaitMs?: number; extensions?: string[]; webmcp?: boolean; browser?: string } = {}): Promise<Stack> {
  const pages = await startPageServer();
  const serverLog: string[] = [];
  const server = await startServer({ port: 0, browserWaitMs: options.browserWaitMs ?? 15_000, log: (line) => serverLog.push(line) });
  const browser = await launchBrowser({
    port: server.port,
    headless: true,
    userscripts: options.userscripts ?? TEST_USERSCRIPTS,
    extensions: options.extensions,
    webmcp: options.webmcp,
    browser: options.browser,
  });
  await waitFor(() => server.dispatcher.browsers.length > 0, 15_000, () => `the browser did not connect:\n${browser.recentOutput()}`);
  return {
    pages,
    server,
    serverLog,
    browser,
    port: server.port,
    async close() {
      await browser.close();
      await server.close();
      await pages.close();
    },
  };
}

/**
 * One more managed headless browser for `server`, spawned directly like the stack's, and
 * connected: resolves once its extension's hello has reached the server, with the name it got.
 */
export async function launchConnected(
  server: AnyServer,
  options: {
    name?: string; userscripts?: string; extensions?: string[]; asEveryday?: boolean; browserArgs?: string[]; browser?: string;
    /**
     * An everyday Firefox (`asEveryday`) has an origin of its own, which the server takes only once
     * one of this user's profiles records it: the server's `everydayFirefoxHome`, where the
     * browser's profile is then linked as this user's own.
     */
    firefoxHome?: string;
  } = {},
): Promise<{ browser: ManagedBrowser; name: string }> {
  const before = new Set(server.dispatcher.browsers.map((info) => info.installId));
  const browser = await launchBrowser({
    port: server.port,
    headless: true,
    userscripts: options.userscripts ?? TEST_USERSCRIPTS,
    extensions: options.extensions,
    name: options.name,
    asEveryday: options.asEveryday,
    browserArgs: options.browserArgs,
    browser: options.browser,
  });
  if (options.firefoxHome && options.asEveryday && isFirefox(options.browser)) linkAsUsersFirefoxProfile(options.firefoxHome, browser);
  // A managed browser is known by the install id of its launch; an everyday one makes its own.
  const mine = () => server.dispatcher.browsers.find((info) => browser.installId ? info.installId === browser.installId : !before.has(info.installId));
  try {
    await waitFor(() => mine() !== undefined, 15_000, () => `the browser did not connect:\n${browser.recentOutput()}`);
  } catch (error) {
    await browser.close();
    throw error;
  }
  return { browser, name: mine()!.name };
}

/**
 * Links a launched Firefox's profile into `home` where Firefox keeps this user's profiles, so that a
 * server reading that home (`everydayFirefoxHome`) finds the origin Firefox recorded for the extension.
 */
export function linkAsUsersFirefoxProfile(home: string, browser: ManagedBrowser): void {
  const profiles = join(home, '.mozilla', 'firefox');
  mkdirSync(profiles, { recursive: true });
  symlinkSync(browser.profileDir, join(profiles, `${basename(browser.workDir)}.default-esr`));
}

/** Loaded only into the browser named "b" of a two-browser stack: its whoAmI answers 'b' (after `ms`, if given). */
export const USERSCRIPTS_B = fileURLToPath(new URL('../fixtures/userscripts-b/', import.meta.url));

/**
 * The stack, and a second browser named "b" with USERSCRIPTS_B, on one server whose first browser
 * wait (`browserWaitMs`, short) is over: past it, a name no browser has fails at once.
 * `a` is the stack's own browser's name; `close()` closes b too.
 */
export type TwoBrowserStack = Stack & { a: string };

export async function startTwoBrowserStack(browserWaitMs = 1_000): Promise<TwoBrowserStack> {
  const stack = await startStack({ browserWaitMs });
  const serverStartedBy = Date.now();
  const a = stack.server.dispatcher.browsers[0]!.name;
  let b: ManagedBrowser;
  try {
    b = (await launchConnected(stack.server, { name: 'b', userscripts: USERSCRIPTS_B })).browser;
  } catch (error) {
    await stack.close();
    throw error;
  }
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, serverStartedBy + browserWaitMs - Date.now())));
  return {
    ...stack,
    a,
    async close() {
      await b.close();
      await stack.close();
    },
  };
}

/** Polls `condition` every 20 ms; fails with `describe()` after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** POSTs JSON to the any server the way any HTTP client would. */
export async function postJson(port: number, path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() as Record<string, any> };
}

/** GETs a JSON answer (`/health`, `/status`) from the any server the way any HTTP client would. */
export async function getJson(port: number, path: string) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.json() as Record<string, any> };
}

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface CliOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `any` CLI to completion, as a user's shell would. */
export function runCli(args: string[], options: { timeoutMs?: number; stdin?: string } = {}): Promise<CliOutcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (options.stdin !== undefined) child.stdin!.end(options.stdin);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * The processes that host the extensions' background scripts of the browser whose process group
 * is `browserPid`: killing them restarts the workers, as a crash would, without DevTools.
 * Chromium marks its extension renderers `--extension-process`; Firefox (`browser` 'firefox')
 * has one content process for every extension, which names itself `WebExtensions`.
 */
export function extensionProcessesOf(browserPid: number, browser?: string): number[] {
  const firefox = isFirefox(browser);
  const rows = execFileSync('ps', ['-eo', firefox ? 'pid=,pgid=,comm=' : 'pid=,pgid=,args=']).toString().trim().split('\n');
  return rows
    .map((line) => line.trim().split(/\s+/))
    .filter(([, pgid, ...rest]) => Number(pgid) === browserPid && (firefox ? rest.join(' ') === 'WebExtensions' : rest.join(' ').includes('--extension-process')))
    .map(([pid]) => Number(pid));
}

/**
 * Whether a live process is left in the process group `pgid` (a launched browser's group).
 * Zombies do not count: they have exited and only wait for init to collect them.
 */
export function processGroupAlive(pgid: number): boolean {
  const table = execFileSync('ps', ['-eo', 'pgid=,stat=']).toString();
  return table.split('\n').some((line) => {
    const [group, stat] = line.trim().split(/\s+/);
    return Number(group) === pgid && !stat?.startsWith('Z');
  });
}
