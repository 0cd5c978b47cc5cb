// The order statistics every bench reports: medians of runs, percentiles of latencies.

/** The median of `values` (the upper one of an even count); `values` is left as it was. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The `p` quantile (0 to 1) of `sorted` (ascending), by rank floor(n * p); NaN when empty. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}
