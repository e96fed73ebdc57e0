// Percentiles and summaries of measured times, shared by the benchmarks and the measuring CLIs.

/** The value below which `p` percent of `sorted` (ascending) lie; NaN for no values. */
export const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

export interface Summary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

/** Sorts a copy; a lost sample counts as Infinity, so it lands in the high percentiles. */
export const summarize = (values: readonly number[]): Summary => {
  const sorted = [...values].sort((a, b) => a - b);
  const finite = sorted.filter(Number.isFinite);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted[sorted.length - 1] ?? NaN,
    mean: finite.reduce((sum, v) => sum + v, 0) / Math.max(1, finite.length),
  };
};
