/**
 * Whether a managed browser's extension has connected, asked of the server (its install id in
 * `GET /health`), and told to the server as it goes (`POST /launch`), so that a call waiting for a
 * browser waits for this one and, if it never connects, hears the launch's explanation.
 *
 * While no server answers, it waits quietly: the extension keeps retrying, and so does this. Once
 * one has answered, the extension has `timeoutMs` to connect.
 */
import { randomUUID } from 'node:crypto';
import { reportLaunch, serverHealth } from '../client/server-control.js';
import type { ManagedBrowser } from './launch.js';

/** How often the watch asks the server whether the browser has connected yet. */
const CONNECTED_POLL_MS = 250;

export interface ConnectionWatch {
  /** Resolves with the time waited once the server has answered for `timeoutMs` without the browser in it. */
  readonly unconnected: Promise<number>;
  stop(): void;
}

/**
 * One `any launch`, over the browsers it starts (a retry starts another): the server hears of each
 * under the same launch id, so its latest report replaces the last.
 */
export class LaunchReporter {
  readonly #id = randomUUID();
  readonly #port: number;
  readonly #name: string | undefined;

  constructor(port: number, name: string | undefined) {
    this.#port = port;
    this.#name = name;
  }

  starting(browser: ManagedBrowser, description: string, connectWithinMs: number): Promise<boolean> {
    if (browser.installId === undefined) return Promise.resolve(false); // loaded as an everyday browser: nothing to match it by
    return reportLaunch(this.#port, {
      launch: this.#id, state: 'starting', installId: browser.installId, browser: description, connectWithinMs, ...this.#named(),
    });
  }

  failed(problem: string): Promise<boolean> {
    return reportLaunch(this.#port, { launch: this.#id, state: 'failed', problem, ...this.#named() });
  }

  closed(): Promise<boolean> {
    return reportLaunch(this.#port, { launch: this.#id, state: 'closed' });
  }

  #named(): { name?: string } {
    return this.#name === undefined ? {} : { name: this.#name };
  }
}

export interface WatchOptions {
  port: number;
  timeoutMs: number;
  reporter: LaunchReporter;
  /** The browser in a few words for the server to pass on ("Chromium 156 (/usr/bin/chromium), pid 42"); asked once. */
  describe(): string;
  /** Its extension connected, under the name the server gave it. */
  onConnected(name: string): void;
}

export function watchForConnection(browser: ManagedBrowser, options: WatchOptions): ConnectionWatch {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let serverSeenAt: number | undefined;
  /** The server (by pid) that has heard of this browser: a restarted one is told again. */
  let toldServer: number | undefined;
  let description: string | undefined;
  let reportUnconnected: (waitedMs: number) => void = () => {};
  const unconnected = new Promise<number>((resolve) => (reportUnconnected = resolve));
  const check = async () => {
    const health = await serverHealth(options.port);
    if (stopped) return;
    const mine = health?.browsers.find((info) => info.installId === browser.installId);
    if (mine) {
      stopped = true;
      options.onConnected(mine.name);
      return;
    }
    if (health) {
      serverSeenAt ??= Date.now();
      if (toldServer !== health.pid) {
        toldServer = health.pid;
        description ??= options.describe();
        void options.reporter.starting(browser, description, Math.max(1, options.timeoutMs - (Date.now() - serverSeenAt)));
      }
    }
    if (serverSeenAt !== undefined && Date.now() - serverSeenAt >= options.timeoutMs) {
      stopped = true;
      reportUnconnected(Date.now() - serverSeenAt);
      return;
    }
    timer = setTimeout(() => void check(), CONNECTED_POLL_MS).unref(); // the browser holds the process open, not this
  };
  void check();
  return {
    unconnected,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
