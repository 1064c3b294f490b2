/**
 * Why a managed browser's extension did not connect, in words a user can act on: which browser
 * and version, how its extensions were loaded, what it said, and what to do. Pure, so that each
 * case is tested without a browser; `any launch` carries out the verdict (cli/commands/launch.ts).
 */
import type { ExtensionLoading } from './chromium.js';

/** What Google Chrome 137+ logs when it drops `--load-extension` (Chromium's extensions PSA). */
const LOAD_EXTENSION_IGNORED = /--load-extension is not allowed in Google Chrome, ignoring/i;

export interface UnconnectedLaunch {
  executable: string;
  /** The browser's `--version` line ("Google Chrome 140.0.7339.80"), when it gave one. */
  version: string | undefined;
  /** Undefined for Firefox. */
  extensionLoading: ExtensionLoading | undefined;
  /** The browser's last lines on stderr. */
  recentOutput: string;
  port: number;
  waitedMs: number;
}

export interface LaunchDiagnosis {
  /** What to tell the user. */
  message: string;
  /** Whether trying again with the extensions over the DevTools pipe may help. */
  retryOverPipe: boolean;
}

export function diagnoseUnconnectedLaunch(launch: UnconnectedLaunch): LaunchDiagnosis {
  const browser = `${launch.version ?? 'the browser'} (${launch.executable})`;
  const head = `${browser} started, but its any extension did not connect to the any server on port ${launch.port} within ${Math.round(launch.waitedMs / 1000)} s.`;
  const output = launch.recentOutput.trim() ? `\nIts last output:\n${indent(launch.recentOutput.trim())}` : '';
  if (launch.extensionLoading === 'flags' && LOAD_EXTENSION_IGNORED.test(launch.recentOutput)) {
    return {
      message: `${head} This brand ignores --load-extension (Google Chrome does since version 137), so the extension never loaded. ` +
        'Loading it over the DevTools pipe instead (`--extension-loading pipe`).',
      retryOverPipe: true,
    };
  }
  if (launch.extensionLoading === 'flags') {
    return {
      message: `${head} The extension was passed with --load-extension; a browser that ignores that flag (Google Chrome 137+ does, ` +
        'and some managed browsers forbid unpacked extensions by policy) never loads it. Try `--extension-loading pipe`, or a ' +
        `Chromium, Chrome for Testing, Edge or Brave (--browser <path>).${output}`,
      retryOverPipe: false,
    };
  }
  if (launch.extensionLoading === 'pipe') {
    return {
      message: `${head} The browser took the extension over its DevTools pipe, but it did not connect: check that nothing else holds ` +
        `port ${launch.port} and that the browser may reach 127.0.0.1 (a policy can block it).${output}`,
      retryOverPipe: false,
    };
  }
  return {
    message: `${head} Firefox loads it from the profile only if it runs unsigned extensions: use Firefox ESR, Developer Edition or ` +
      `Nightly (release Firefox refuses them).${output}`,
    retryOverPipe: false,
  };
}

const indent = (text: string) => text.split('\n').map((line) => `  ${line}`).join('\n');
