/** Percentiles and summaries of latency samples (milliseconds). */
export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const mean = sorted.reduce((sum, x) => sum + x, 0) / sorted.length;
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), mean };
}

export const round = (x, digits = 2) => (x === undefined || x === null ? x : Number(x.toFixed(digits)));
