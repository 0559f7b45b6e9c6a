/**
 * Is a benchmark slower than its baseline beyond noise? Pure: two samples of latencies (ms) → a verdict.
 *
 * The effect is the ratio of the medians (latency distributions have long right tails: the median is
 * what a slowdown moves, the mean is what one preempted run moves). Noise is judged two ways, and a
 * regression needs both, plus an effect past the threshold:
 *  - a one-sided Mann-Whitney U test (rank-based: no normality assumed), normal approximation with the
 *    tie correction, which is accurate from about 10 runs per side;
 *  - a percentile bootstrap interval of the median ratio, seeded so that the same samples always give
 *    the same verdict, whose lower bound must be above 1 (and upper bound below 1 for an improvement).
 * A machine that was busier during one run than the other is a real difference these tests cannot tell
 * from a slower model: the result carries both runs' coefficients of variation so a reader can tell.
 */
import { rng } from './inputs';
import { quantileSorted, thinEvenly } from './stats';

export type Verdict = 'regression' | 'improvement' | 'unchanged' | 'inconclusive';

export interface RegressionOptions {
  /** Smallest slowdown that counts, as a fraction (0.1 = 10 % slower). */
  threshold: number;
  /** One-sided significance level of the U test. */
  alpha: number;
  /** Bootstrap resamples. */
  resamples: number;
  seed: number;
}

export const DEFAULT_REGRESSION: RegressionOptions = { threshold: 0.1, alpha: 0.01, resamples: 1000, seed: 1 };

/** Fewer runs than this on either side: no verdict. */
export const MIN_SAMPLES = 10;
/** Samples beyond this are thinned evenly before the bootstrap (it sorts each resample). */
const MAX_BOOTSTRAP_SAMPLES = 1000;

export interface Comparison {
  verdict: Verdict;
  /** median(current) / median(baseline): 1.3 = 30 % slower */
  ratio: number;
  /** 95 % bootstrap interval of the ratio */
  ratioLow: number;
  ratioHigh: number;
  /** one-sided p-value that current is slower (Mann-Whitney U) */
  pSlower: number;
  /** one-sided p-value that current is faster */
  pFaster: number;
  baseline: { runs: number; p50: number; cv: number };
  current: { runs: number; p50: number; cv: number };
  threshold: number;
  /** one sentence: the verdict and the figures that decided it */
  reason: string;
}

const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

function cv(xs: readonly number[]): number {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  if (!(mean > 0) || xs.length < 2) return 0;
  const sq = xs.reduce((s, x) => s + (x - mean) ** 2, 0);
  return Math.sqrt(sq / (xs.length - 1)) / mean;
}

/** Standard normal upper-tail probability, P(Z > z) (Abramowitz-Stegun 7.1.26 on erfc: |error| < 1.5e-7). */
export function normalUpperTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/**
 * One-sided Mann-Whitney U test that `a` tends to be larger than `b`: its p-value (normal approximation
 * with tie correction and continuity correction).
 */
export function mannWhitneyGreater(a: readonly number[], b: readonly number[]): number {
  const n1 = a.length, n2 = b.length;
  const all = [...a.map((v) => ({ v, a: true })), ...b.map((v) => ({ v, a: false }))].sort((x, y) => x.v - y.v);
  let rankSumA = 0, tieTerm = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && all[j + 1].v === all[i].v) j++;
    const rank = (i + j) / 2 + 1; // average rank of the tied run, 1-based
    const t = j - i + 1;
    if (t > 1) tieTerm += t ** 3 - t;
    for (let k = i; k <= j; k++) if (all[k].a) rankSumA += rank;
    i = j + 1;
  }
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const n = n1 + n2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return u > mean ? 0 : 1; // every value tied
  const z = (u - mean - 0.5) / Math.sqrt(variance);
  return normalUpperTail(z);
}

/** 95 % percentile-bootstrap interval of median(cur) / median(base). */
export function bootstrapRatio(base: readonly number[], cur: readonly number[], resamples: number, seed: number): [number, number] {
  const b = thinEvenly(base, MAX_BOOTSTRAP_SAMPLES), c = thinEvenly(cur, MAX_BOOTSTRAP_SAMPLES);
  const rand = rng(seed);
  const pick = (xs: number[], into: Float64Array): number => {
    for (let i = 0; i < into.length; i++) into[i] = xs[Math.floor(rand() * xs.length)];
    into.sort();
    return quantileSorted(into as unknown as number[], 0.5);
  };
  const bb = new Float64Array(b.length), cc = new Float64Array(c.length);
  const ratios: number[] = [];
  for (let r = 0; r < resamples; r++) ratios.push(pick(c, cc) / pick(b, bb));
  ratios.sort((x, y) => x - y);
  return [quantileSorted(ratios, 0.025), quantileSorted(ratios, 0.975)];
}

const pct = (r: number): string => `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)} %`;

/** A comparison that could not be made, and why (what is known of it kept). */
export function inconclusive(reason: string, known: Partial<Pick<Comparison, 'ratio' | 'baseline' | 'current' | 'threshold'>> = {}): Comparison {
  const side = { runs: 0, p50: NaN, cv: NaN };
  return {
    ratio: NaN, baseline: side, current: side, threshold: NaN, ...known,
    verdict: 'inconclusive', ratioLow: NaN, ratioHigh: NaN, pSlower: NaN, pFaster: NaN, reason: `inconclusive: ${reason}`,
  };
}

/** Compares the current run's latencies with the baseline's. */
export function compareLatencies(baseline: readonly number[], current: readonly number[], opts: Partial<RegressionOptions> = {}): Comparison {
  const o = { ...DEFAULT_REGRESSION, ...opts };
  const bs = sorted(baseline), cs = sorted(current);
  const side = (xs: number[], raw: readonly number[]) => ({ runs: xs.length, p50: quantileSorted(xs, 0.5), cv: cv(raw) });
  const base = side(bs, baseline), cur = side(cs, current);
  // The effect from the same (thinned) samples the bootstrap resamples, so the interval is about this estimate.
  const b = thinEvenly(baseline, MAX_BOOTSTRAP_SAMPLES), c = thinEvenly(current, MAX_BOOTSTRAP_SAMPLES);
  const ratio = quantileSorted(sorted(c), 0.5) / quantileSorted(sorted(b), 0.5);
  const common = { ratio, baseline: base, current: cur, threshold: o.threshold };
  if (bs.length < MIN_SAMPLES || cs.length < MIN_SAMPLES || !(base.p50 > 0)) {
    return inconclusive(`too few runs to compare (${bs.length} baseline, ${cs.length} now; at least ${MIN_SAMPLES} each)`, common);
  }
  const pSlower = mannWhitneyGreater(current, baseline);
  const pFaster = mannWhitneyGreater(baseline, current);
  const [ratioLow, ratioHigh] = bootstrapRatio(b, c, o.resamples, o.seed);
  const figures = `median ${cur.p50.toFixed(3)} ms vs ${base.p50.toFixed(3)} ms (${pct(ratio)}, 95 % interval ${pct(ratioLow)} … ${pct(ratioHigh)})`;
  let verdict: Verdict = 'unchanged';
  let why: string;
  if (ratio >= 1 + o.threshold && ratioLow > 1 && pSlower < o.alpha) {
    verdict = 'regression';
    why = `slower past the ${(o.threshold * 100).toFixed(0)} % threshold, beyond noise (p = ${pSlower.toExponential(1)})`;
  } else if (ratio <= 1 / (1 + o.threshold) && ratioHigh < 1 && pFaster < o.alpha) {
    verdict = 'improvement';
    why = `faster past the ${(o.threshold * 100).toFixed(0)} % threshold, beyond noise (p = ${pFaster.toExponential(1)})`;
  } else if (ratio >= 1 + o.threshold) {
    why = `slower past the threshold, but not beyond noise (p = ${pSlower.toPrecision(2)}, interval reaches ${pct(ratioLow)})`;
  } else {
    why = `within the ${(o.threshold * 100).toFixed(0)} % threshold`;
  }
  return { ...common, verdict, ratioLow, ratioHigh, pSlower, pFaster, reason: `${verdict}: ${why}; ${figures}` };
}
