/**
 * What a call is waiting for, told on stderr once the wait passes a second: starting the server,
 * waiting for a browser (and how to get one), opening the tab, the method itself, and once the
 * method sends progress values, that they are arriving. A spinner, the elapsed seconds and the
 * number of values so far on a terminal; plain lines, one per change, otherwise.
 */
import { serverStatus } from '../client/server-control.js';
import type { Progress } from '../client/server-connection.js';
import { HOW_TO_CONNECT_A_BROWSER } from '../protocol/index.js';

const QUIET_FOR_MS = 1_000;
const STATUS_EVERY_MS = 1_000;
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface ProgressReporter {
  onStage(stage: Progress): void;
  /** A progress value arrived from the method: the display says values are arriving, and how many. */
  onProgress(value: unknown): void;
  /** Ends the display and clears its line on a terminal. Safe to call more than once. */
  stop(): void;
}

export function reportProgress(options: { port: number; page: string; method?: string; quiet: boolean }): ProgressReporter {
  if (options.quiet) return { onStage: () => {}, onProgress: () => {}, stop: () => {} };
  const terminal = process.stderr.isTTY === true;
  const startedAt = Date.now();
  let message: string | undefined;
  let shown: string | undefined;
  let frame = 0;
  let sentAt: number | undefined;
  let values = 0;
  const timers: NodeJS.Timeout[] = [];

  const render = () => {
    if (!message || Date.now() - startedAt < QUIET_FOR_MS) return;
    if (terminal) {
      // One line that fits the terminal: a wrapped line would not be cleared by the next repaint.
      // The count of progress values changes too fast for a line each, so only a terminal shows it.
      const counted = values ? `${message} (${values} ${values === 1 ? 'value' : 'values'})` : message;
      const seconds = ` (${Math.round((Date.now() - startedAt) / 1000)} s)`;
      const room = Math.max(10, (process.stderr.columns || 80) - seconds.length - 3);
      const text = counted.length > room ? `${counted.slice(0, room - 1)}…` : counted;
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
    if (values || sentAt === undefined || Date.now() - sentAt < QUIET_FOR_MS) return;
    const status = await serverStatus(options.port);
    if (!status || values) return; // progress arriving says more than the server's view of the call
    const mine = (call: { page: string; method?: string }) => call.page === options.page && call.method === options.method;
    const inBrowser = status.browsers.flatMap((browser) => browser.calls ?? []).find(mine);
    const onServer = status.calls.find(mine);
    if (onServer?.phase === 'waiting-for-browser' && onServer.browser) {
      message = `waiting for the browser "${onServer.browser}" to connect (the call names it)`;
    } else if (onServer?.phase === 'waiting-for-browser' || !status.browsers.length) {
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
    onProgress() {
      values++;
      message = `receiving progress from ${what}`;
    },
    stop() {
      for (const timer of timers) clearInterval(timer);
      timers.length = 0;
      message = undefined;
      if (terminal && shown) process.stderr.write('\r\x1b[2K');
      shown = undefined;
    },
  };
}
