/**
 * Progress values from a page method to its caller, in alternating rounds (bench/lib/rounds.mjs).
 * A streamer is (method, params, onValue) → result, calling onValue(value) as each value arrives.
 * In each round, every streamer runs
 *   - `burst({ n })`: n small values sent as fast as the page can; values per second from the
 *     call's start to its result (so one call's round trip is in it);
 *   - `stamped({ n, gap })`: n values `gap` ms apart, each carrying its send time
 *     (`performance.timeOrigin + performance.now()` in the page); its delay is the arrival time on
 *     the same machine's clock (`performance.timeOrigin + performance.now()` here) minus that.
 * Playwright has no progress channel to compare with: these are any's absolute figures.
 */
import { alternate } from './rounds.mjs';
import { round, summarize } from './stats.mjs';

const now = () => performance.timeOrigin + performance.now();

export async function streamingInRounds(streamers, { rounds, burst, stamped, gapMs }) {
  const samples = await alternate(streamers, rounds, async (streamIt) => {
    let heard = 0;
    const began = performance.now();
    const result = await streamIt('burst', { n: burst }, () => heard++);
    const seconds = (performance.now() - began) / 1000;
    if (heard !== burst || result?.sent !== burst) throw new Error(`burst: sent ${result?.sent}, heard ${heard} of ${burst}`);

    const delays = [];
    await streamIt('stamped', { n: stamped, gap: gapMs }, (value) => delays.push(now() - value.t));
    if (delays.length !== stamped) throw new Error(`stamped: heard ${delays.length} of ${stamped}`);
    return { values: heard, seconds, delays };
  });
  return {
    rounds,
    burstValuesPerCall: burst,
    stampedValuesPerCall: stamped,
    stampedGapMs: gapMs,
    callers: Object.fromEntries(Object.keys(streamers).map((name) => {
      const got = samples.map((s) => s[name]);
      const sum = (key) => got.reduce((total, g) => total + g[key], 0);
      const { count, p50, p90, p99, mean } = summarize(got.flatMap((g) => g.delays));
      return [name, {
        valuesPerSecond: round(sum('values') / sum('seconds'), 0),
        delayMs: { count, p50: round(p50), p90: round(p90), p99: round(p99), mean: round(mean) },
        rounds: got.map((g) => ({ valuesPerSecond: round(g.values / g.seconds, 0), delayP50Ms: round(summarize(g.delays).p50) })),
      }];
    })),
  };
}
