/**
 * Latency statistics, pure: samples (ms) → min, max, mean, sample stdev, coefficient of variation and
 * percentiles. Percentiles interpolate linearly between the two nearest order statistics (the
 * definition numpy's `percentile` uses by default), so p50 of an even count is the mean of the middle two.
 */
import type { LatencyStats, Throughput } from './types';

/** The q-quantile (0..1) of ascending-sorted samples, linear interpolation. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Every k-th sample, order kept, so that at most `max` remain (a long run thinned for storage or resampling). */
export function thinEvenly(xs: readonly number[], max: number): number[] {
  const stride = Math.ceil(xs.length / max);
  return stride <= 1 ? [...xs] : xs.filter((_, i) => i % stride === 0);
}

export function latencyStats(samples: readonly number[]): LatencyStats {
  if (!samples.length) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  let sum = 0;
  for (const x of sorted) sum += x;
  const mean = sum / n;
  let sq = 0;
  for (const x of sorted) sq += (x - mean) ** 2;
  // Sample standard deviation (n − 1): the runs are a sample of the machine's behaviour.
  const stdev = n > 1 ? Math.sqrt(sq / (n - 1)) : 0;
  return {
    min: sorted[0], max: sorted[n - 1], mean, stdev, cv: mean > 0 ? stdev / mean : 0,
    p50: quantileSorted(sorted, 0.5), p90: quantileSorted(sorted, 0.9), p95: quantileSorted(sorted, 0.95),
    p99: quantileSorted(sorted, 0.99), p999: quantileSorted(sorted, 0.999),
  };
}

/** Completed inferences over the wall time they took (not 1/mean: with concurrency they overlap). */
export function throughput(inferences: number, wallMs: number, batch: number): Throughput {
  const perSec = wallMs > 0 ? (inferences * 1000) / wallMs : 0;
  return { inferencesPerSec: perSec, itemsPerSec: perSec * batch };
}

/** Above this coefficient of variation the machine is too noisy for the p50 to be trusted. */
export const NOISY_CV = 0.1;

/** Warnings a reader should see next to the figures. */
export function statWarnings(s: LatencyStats, runs: number): string[] {
  const w: string[] = [];
  if (s.cv > NOISY_CV) w.push(`latency varies a lot between runs (cv ${(s.cv * 100).toFixed(1)} % > ${NOISY_CV * 100} %): the machine is too noisy to trust small differences; close other work or raise --min-time`);
  if (runs < 10) w.push(`only ${runs} measured run(s): percentiles above p50 are rough`);
  return w;
}
