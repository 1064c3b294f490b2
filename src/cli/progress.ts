/**
 * What a call is waiting for, told on stderr once the wait passes a second: starting the server,
 * waiting for a browser (and how to get one), opening the tab, the method itself. A spinner and
 * the elapsed seconds on a terminal; plain lines, one per change, otherwise.
 */
import { serverStatus } from '../client/server-control.js';
import type { Progress } from '../client/server-connection.js';
import { HOW_TO_CONNECT_A_BROWSER } from '../protocol/index.js';

const QUIET_FOR_MS = 1_000;
const STATUS_EVERY_MS = 1_000;
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface ProgressReporter {
  onStage(stage: Progress): void;
  stop(): void;
}

export function reportProgress(options: { port: number; page: string; method?: string; quiet: boolean }): ProgressReporter {
  if (options.quiet) return { onStage: () => {}, stop: () => {} };
  const terminal = process.stderr.isTTY === true;
  const startedAt = Date.now();
  let message: string | undefined;
  let shown: string | undefined;
  let frame = 0;
  let sentAt: number | undefined;
  const timers: NodeJS.Timeout[] = [];

  const render = () => {
    if (!message || Date.now() - startedAt < QUIET_FOR_MS) return;
    if (terminal) {
      // One line that fits the terminal: a wrapped line would not be cleared by the next repaint.
      const seconds = ` (${Math.round((Date.now() - startedAt) / 1000)} s)`;
      const room = Math.max(10, (process.stderr.columns || 80) - seconds.length - 3);
      const text = message.length > room ? `${message.slice(0, room - 1)}…` : message;
      process.stderr.write(`\r\x1b[2K${SPINNER[frame++ % SPINNER.length]} ${text}${seconds}`);
    } else if (message !== shown) {
      process.stderr.write(`any: ${message}\n`);
    }
    shown = message;
  };
  const every = (ms: number, run: () => void) => {
    const timer = setInterval(run, ms);
    timer.unref();
    timers.push(timer);
  };
  every(terminal ? 100 : 250, render);

  const what = options.method ? `__any__.${options.method}` : 'the list of methods';
  const lookUpStage = async () => {
    if (sentAt === undefined || Date.now() - sentAt < QUIET_FOR_MS) return;
    const status = await serverStatus(options.port);
    if (!status) return;
    const mine = (call: { page: string; method?: string }) => call.page === options.page && call.method === options.method;
    const inBrowser = status.browsers.flatMap((browser) => browser.calls ?? []).find(mine);
    const onServer = status.calls.find(mine);
    if (onServer?.phase === 'waiting-for-browser' || !status.browsers.length) {
      message = `waiting for a browser to connect. ${HOW_TO_CONNECT_A_BROWSER}`;
    } else if (inBrowser?.phase === 'opening-tab') {
      message = `opening a tab for ${options.page}`;
    } else {
      message = `waiting for ${what} to answer`;
    }
  };
  every(STATUS_EVERY_MS, () => void lookUpStage());

  return {
    onStage(stage) {
      if (stage === 'starting-server') message = `starting the any server on port ${options.port}`;
      if (stage === 'sent') sentAt ??= Date.now();
    },
    stop() {
      for (const timer of timers) clearInterval(timer);
      if (terminal && shown) process.stderr.write('\r\x1b[2K');
    },
  };
}
