/**
 * Contenders measured in alternating rounds. A round measures every contender once, back to back:
 * in the listed order in odd rounds (1, 3, …) and in reverse in even ones, so that none always goes
 * first or last. Each figure is then compared with Playwright's from the same round (bench/lib/stats.mjs),
 * which cancels the drift of a busy machine that both saw; absolute figures are pooled over all rounds.
 *
 * Every entry of a result: the pooled figures, `rounds` (the figures of each round) and, except for
 * Playwright, `vsPlaywright` (per metric, the median of the per-round ratios, their min and max).
 */
import { sequential, throughput } from './measure.mjs';
import { ratiosByRound, round, summarize } from './stats.mjs';

export const BASELINE = 'Playwright page.evaluate';

/** Runs `measure(contender)` for every contender in every round; returns [{ name: result }] in listed order. */
export async function alternate(contenders, rounds, measure) {
  const names = Object.keys(contenders);
  const results = [];
  for (let r = 0; r < rounds; r++) {
    const got = {};
    for (const name of r % 2 === 0 ? names : [...names].reverse()) got[name] = await measure(contenders[name]);
    results.push(Object.fromEntries(names.map((name) => [name, got[name]])));
  }
  return results;
}

/** Latency: `calls` sequential calls per contender per round. A contender is (method, params, count) → ms[]. */
export async function latencyInRounds(contenders, { rounds, calls, method, params }) {
  const samples = await alternate(contenders, rounds, (times) => times(method, params, calls));
  const perRound = samples.map((got) => mapValues(got, summarize));
  const ratios = ratiosByRound(perRound, BASELINE, ['p50', 'p90', 'p99']);
  return mapValues(contenders, (_, name) => ({
    ...summarize(samples.flatMap((got) => got[name])),
    rounds: perRound.map((got) => got[name]),
    vsPlaywright: ratios[name],
  }));
}

/** Throughput: `calls` echo calls per contender per round, `inFlight` at a time. A contender is (method, params) → result. */
export async function throughputInRounds(contenders, { rounds, calls, inFlight }) {
  const bursts = await alternate(contenders, rounds, (callIt) => throughput(callIt, inFlight, calls));
  const perRound = bursts.map((got) => mapValues(got, (b) => ({ callsPerSecond: b.calls / b.seconds })));
  const ratios = ratiosByRound(perRound, BASELINE, ['callsPerSecond']);
  const sum = (name, key) => bursts.reduce((total, got) => total + got[name][key], 0);
  return mapValues(contenders, (_, name) => ({
    callsPerSecond: round(sum(name, 'calls') / sum(name, 'seconds'), 0),
    rounds: perRound.map((got) => ({ callsPerSecond: round(got[name].callsPerSecond, 0) })),
    vsPlaywright: ratios[name],
  }));
}

/**
 * Each of `names` against another contender of the same result (`baseline`, in place of Playwright),
 * from their figures of each round: { name: { metric: { median, min, max, rounds } } }.
 */
export function ratiosTo(result, baseline, names, metrics) {
  const perRound = result[baseline].rounds.map((_, r) => Object.fromEntries([baseline, ...names].map((name) => [name, result[name].rounds[r]])));
  return ratiosByRound(perRound, baseline, metrics);
}

/** A wrapper that makes a caller (method, params) → result into a latency contender; a slow one may make `share` of the calls. */
export const timed = (callIt, share = 1) => (method, params, count) => sequential(callIt, method, params, Math.max(1, Math.round(count * share)));

const mapValues = (object, f) => Object.fromEntries(Object.entries(object).map(([key, value]) => [key, f(value, key)]));
