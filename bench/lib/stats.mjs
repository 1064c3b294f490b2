/** The benchmark's statistics: percentiles of latency samples, and ratios taken round by round. */

/** Percentiles and mean of latency samples (milliseconds). */
export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const mean = sorted.reduce((sum, x) => sum + x, 0) / sorted.length;
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), mean };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Each contender's figures divided by the baseline's from the same round, for every round; then the
 * median of those ratios and their range. `rounds` is a list of { contender: { metric: value } };
 * returns { contender: { metric: { median, min, max, rounds } } } for every contender but the baseline.
 */
export function ratiosByRound(rounds, baseline, metrics) {
  const names = Object.keys(rounds[0]).filter((name) => name !== baseline);
  return Object.fromEntries(names.map((name) => [name, Object.fromEntries(metrics.map((metric) => {
    const ratios = rounds.map((round) => round[name][metric] / round[baseline][metric]);
    return [metric, { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), rounds: ratios }];
  }))]));
}

export const round = (x, digits = 2) => (x === undefined || x === null ? x : Number(x.toFixed(digits)));
