/**
 * The browsers `any launch` has started and told this server about (`POST /launch`), until their
 * extension says hello: so that a call waiting for a browser waits as long as such a launch
 * still may connect one, and, when the launch gives up, ends at once with the launch's own
 * explanation of why (which browser, how its extension was loaded, what to do) instead of a bare
 * NO_BROWSER.
 *
 * A launch matches the calls that wait for its `--name`, and those that wait for any browser at all.
 * Pure bookkeeping with the time passed in: the dispatcher owns the waiting calls and their timers.
 */
import type { LaunchStateReport } from '../protocol/index.js';

/**
 * How long past its own deadline a starting launch is still waited for: the launch notices the
 * deadline on its next look at the server (every 250 ms) and then reports why it failed.
 */
export const LAUNCH_REPORT_MARGIN_MS = 2_000;
/** How long a failed launch's explanation is kept for calls that wait for its browser later. */
export const FAILED_LAUNCH_MEMORY_MS = 10 * 60_000;

type Launch =
  | { state: 'starting'; name: string | undefined; installId: string; browser: string; deadline: number }
  | { state: 'failed'; name: string | undefined; problem: string; at: number };

export class Launches {
  /** By launch id, oldest report first. */
  readonly #byId = new Map<string, Launch>();

  report(report: LaunchStateReport, now: number): void {
    this.#byId.delete(report.launch); // re-added last: the newest report is the freshest explanation
    if (report.state === 'starting') {
      this.#byId.set(report.launch, {
        state: 'starting', name: report.name, installId: report.installId, browser: report.browser,
        deadline: now + report.connectWithinMs + LAUNCH_REPORT_MARGIN_MS,
      });
    } else if (report.state === 'failed') {
      this.#byId.set(report.launch, { state: 'failed', name: report.name, problem: report.problem, at: now });
    }
  }

  /** A browser said hello with `installId`: its launch has done its job. */
  connected(installId: string | undefined): void {
    for (const [id, launch] of this.#byId) if (launch.state === 'starting' && launch.installId === installId) this.#byId.delete(id);
  }

  /** Until when a call waiting for `name` (undefined: any browser) waits for a launch still starting; undefined if none is. */
  waitUntil(name: string | undefined, now: number): number | undefined {
    let until: number | undefined;
    for (const launch of this.#matching(name, now)) {
      if (launch.state === 'starting') until = Math.max(until ?? 0, launch.deadline);
    }
    return until;
  }

  /**
   * What the launches say to a call that waited for `name` in vain: the newest failure's
   * explanation, or that a launch is still connecting; undefined when no launch matches.
   */
  explain(name: string | undefined, now: number): string | undefined {
    const matching = this.#matching(name, now);
    const failed = matching.findLast((launch) => launch.state === 'failed');
    if (failed?.state === 'failed') return `\`any launch\` gave up on the browser it started: ${failed.problem}`;
    const starting = matching.findLast((launch) => launch.state === 'starting');
    if (starting?.state === 'starting') {
      return `\`any launch\` has started ${starting.browser}, whose extension has not connected yet ` +
        `(it gives up in ${Math.max(0, Math.ceil((starting.deadline - LAUNCH_REPORT_MARGIN_MS - now) / 1000))} s and then says why).`;
    }
    return undefined;
  }

  #matching(name: string | undefined, now: number): Launch[] {
    this.#prune(now);
    return [...this.#byId.values()].filter((launch) => name === undefined || launch.name === name);
  }

  #prune(now: number): void {
    for (const [id, launch] of this.#byId) {
      const over = launch.state === 'starting' ? launch.deadline <= now : launch.at + FAILED_LAUNCH_MEMORY_MS <= now;
      if (over) this.#byId.delete(id);
    }
  }
}
