import { studentTQuantile } from '../runner/metrics/student-t';

export { incompleteBeta, studentTCdf, studentTQuantile } from '../runner/metrics/student-t';

/**
 * Two-sample statistics for comparing benchmark trials: the Mann-Whitney U test and a seeded
 * bootstrap of the difference (and ratio) of medians. Samples are small (a handful of trials),
 * so nothing here assumes normal data. Values keep whatever unit the caller gives them.
 */
/** Middle value (mean of the two middle ones for an even count); null for no values. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Result of a two-sided Mann-Whitney U test of `x` against `y`. */
export interface MannWhitneyResult {
  /** U of the first sample: pairs (x, y) with x > y, plus half the tied pairs */
  u: number;
  n1: number;
  n2: number;
  /** two-sided; 1 when the samples cannot be told apart */
  pValue: number;
  /** exact null distribution (no ties, both samples under 50), else normal approximation */
  method: 'exact' | 'normal';
}

/** Below this size on both sides, and without ties, the p-value is exact (as in R's wilcox.test). */
export const EXACT_BELOW = 50;

/** Ranks 1..n with tied values sharing their average rank, and the sizes of the tie groups. */
function rank(values: readonly number[]): { ranks: number[]; ties: number[] } {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(values.length);
  const ties: number[] = [];
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && order[end]!.v === order[start]!.v) end++;
    const shared = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]!.i] = shared;
    if (end - start > 1) ties.push(end - start);
    start = end;
  }
  return { ranks, ties };
}

/**
 * How many arrangements of n1 + n2 distinct values give each U (index = U): the coefficients of
 * the Gaussian binomial [n1 + n2 choose n1]. Exact in BigInt, however large the counts.
 */
function uCounts(n1: number, n2: number): bigint[] {
  const size = n1 * n2 + 1;
  let poly = new Array<bigint>(size).fill(0n);
  poly[0] = 1n;
  // ∏_{i=1..n1} (1 − q^(n2+i)) / (1 − q^i); each division is exact.
  for (let i = 1; i <= n1; i++) {
    const next = [...poly];
    for (let k = size - 1; k >= n2 + i; k--) next[k]! -= poly[k - n2 - i]!;
    for (let k = i; k < size; k++) next[k]! += next[k - i]!;
    poly = next;
  }
  return poly;
}

/** Two-sided exact p-value of U (no ties): twice the smaller tail, at most 1. */
function exactP(u: number, n1: number, n2: number): number {
  const counts = uCounts(n1, n2);
  const total = counts.reduce((a, b) => a + b, 0n);
  // The distribution is symmetric around n1·n2/2, so the smaller tail is the one beyond the farther U.
  const far = Math.max(u, n1 * n2 - u);
  let tail = 0n;
  for (let k = far; k <= n1 * n2; k++) tail += counts[k]!;
  return Math.min(1, (2 * Number(tail)) / Number(total));
}

/**
 * Complementary error function (Numerical Recipes' erfcc, Chebyshev fit): relative error below
 * 1.2e-7 everywhere, plenty for a p-value compared with alpha.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** P(Z > z) for a standard normal Z. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/**
 * Two-sided Mann-Whitney U test (Wilcoxon rank-sum) of `x` against `y`. Exact when there are no
 * ties and both samples have fewer than {@link EXACT_BELOW} values; otherwise the normal
 * approximation with tie correction and continuity correction (as R's wilcox.test and
 * scipy.stats.mannwhitneyu do by default). `method` forces one or the other. Throws on an empty
 * sample, or when an exact p-value is asked for tied values.
 */
export function mannWhitneyU(
  x: readonly number[],
  y: readonly number[],
  options: { method?: 'auto' | 'exact' | 'normal' } = {},
): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('mannWhitneyU needs at least one value in each sample');
  if ([...x, ...y].some((v) => !Number.isFinite(v))) throw new RangeError('mannWhitneyU takes finite numbers only');
  const { ranks, ties } = rank([...x, ...y]);
  const rankSum = ranks.slice(0, n1).reduce((a, b) => a + b, 0);
  const u = rankSum - (n1 * (n1 + 1)) / 2;
  const method = options.method ?? 'auto';
  if (method === 'exact' && ties.length > 0) throw new RangeError('mannWhitneyU: no exact p-value with tied values');
  if (method === 'exact' || (method === 'auto' && ties.length === 0 && n1 < EXACT_BELOW && n2 < EXACT_BELOW)) {
    return { u, n1, n2, pValue: exactP(u, n1, n2), method: 'exact' };
  }
  const n = n1 + n2;
  const tieTerm = ties.reduce((a, t) => a + t ** 3 - t, 0) / (n * (n - 1));
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm));
  const distance = Math.abs(u - (n1 * n2) / 2);
  // Every value equal: no evidence either way.
  if (sigma === 0) return { u, n1, n2, pValue: 1, method: 'normal' };
  const z = Math.max(0, distance - 0.5) / sigma;
  return { u, n1, n2, pValue: Math.min(1, 2 * normalSf(z)), method: 'normal' };
}

/** The smallest two-sided p-value the exact test can give for these sample sizes (complete separation). */
export function smallestExactP(n1: number, n2: number): number {
  // 2 / C(n1 + n2, n1), computed as a product to stay in floating point.
  let c = 1;
  for (let i = 1; i <= n1; i++) c = (c * (n2 + i)) / i;
  return Math.min(1, 2 / c);
}

/**
 * The fewest trials a side (up to `max`) whose complete separation gives an exact two-sided
 * p-value below `target`; null when even `max` is not enough.
 */
export function trialsToReach(target: number, max = 50): number | null {
  for (let n = 1; n <= max; n++) if (smallestExactP(n, n) < target) return n;
  return null;
}

/**
 * Cliff's delta of `current` against `baseline`: P(current > baseline) − P(current < baseline)
 * over every pair, from −1 (every current value lower) to +1 (every one higher). It is the effect
 * size that goes with Mann-Whitney U (δ = 2U/(n1·n2) − 1), and like it assumes no distribution.
 */
export function cliffsDelta(baseline: readonly number[], current: readonly number[]): number {
  if (baseline.length === 0 || current.length === 0) throw new RangeError('cliffsDelta needs values on both sides');
  let score = 0;
  for (const c of current) for (const b of baseline) score += c > b ? 1 : c < b ? -1 : 0;
  return score / (baseline.length * current.length);
}

/**
 * Holm–Bonferroni adjusted p-values, in the order given (as R's `p.adjust(p, "holm")`): the
 * k-th smallest is multiplied by m − k + 1, kept at least as large as the one before it, at most 1.
 * Rejecting where the adjusted p is below alpha keeps the chance of any false alarm among the m
 * comparisons under alpha.
 */
export function holm(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    out[i] = running;
  });
  return out;
}

/**
 * A seeded pseudo-random generator (mulberry32): uniform in [0, 1), the same sequence for the
 * same seed on every platform. For resampling, not for anything secret.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Quantile of sorted values with linear interpolation between order statistics (R's type 7). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of no values');
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export interface BootstrapOptions {
  /** resamples; default 2000 */
  iterations?: number;
  /** two-sided confidence level of the interval, in (0, 1); default 0.95 */
  confidence?: number;
  /** PRNG seed, so the same data always gives the same interval; default 1 */
  seed?: number;
}

/** A point estimate and its percentile bootstrap interval, in the unit of the estimate. */
export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

export interface MedianBootstrap {
  /** median(current) − median(baseline), in the samples' unit */
  difference: Interval;
  /** median(current) / median(baseline); null when a baseline median (observed or resampled) is 0 or below */
  ratio: Interval | null;
  iterations: number;
  confidence: number;
  seed: number;
}

export const BOOTSTRAP_DEFAULTS = { iterations: 2000, confidence: 0.95, seed: 1 } as const;

function resampledMedian(values: readonly number[], random: () => number, scratch: number[]): number {
  for (let i = 0; i < values.length; i++) scratch[i] = values[Math.floor(random() * values.length)]!;
  scratch.sort((a, b) => a - b);
  const mid = scratch.length >> 1;
  return scratch.length % 2 ? scratch[mid]! : (scratch[mid - 1]! + scratch[mid]!) / 2;
}

/**
 * Percentile bootstrap confidence interval of the difference and the ratio of medians
 * (current against baseline): each iteration resamples both samples with replacement.
 * Deterministic for a given seed. Throws on an empty sample or out-of-range options.
 */
export function bootstrapMedians(
  baseline: readonly number[],
  current: readonly number[],
  options: BootstrapOptions = {},
): MedianBootstrap {
  const iterations = options.iterations ?? BOOTSTRAP_DEFAULTS.iterations;
  const confidence = options.confidence ?? BOOTSTRAP_DEFAULTS.confidence;
  const seed = options.seed ?? BOOTSTRAP_DEFAULTS.seed;
  if (baseline.length === 0 || current.length === 0)
    throw new RangeError('bootstrapMedians needs values on both sides');
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError('iterations must be a whole number ≥ 1');
  if (!(confidence > 0 && confidence < 1)) throw new RangeError('confidence must be between 0 and 1');
  const random = seededRandom(seed);
  const b = new Array<number>(baseline.length);
  const c = new Array<number>(current.length);
  const diffs = new Array<number>(iterations);
  const ratios: number[] = [];
  let ratioDefined = true;
  for (let i = 0; i < iterations; i++) {
    const mb = resampledMedian(baseline, random, b);
    const mc = resampledMedian(current, random, c);
    diffs[i] = mc - mb;
    if (mb > 0) ratios.push(mc / mb);
    else ratioDefined = false;
  }
  const tail = (1 - confidence) / 2;
  const interval = (estimate: number, values: number[]): Interval => {
    values.sort((x, y) => x - y);
    return { estimate, low: quantile(values, tail), high: quantile(values, 1 - tail) };
  };
  const mb = median(baseline)!;
  const mc = median(current)!;
  return {
    difference: interval(mc - mb, diffs),
    ratio: ratioDefined && mb > 0 ? interval(mc / mb, ratios) : null,
    iterations,
    confidence,
    seed,
  };
}

/**
 * Mean of paired differences with its two-sided Student-t confidence interval. Pairs cancel what
 * drifts slowly between runs (the machine warming, ports in TIME_WAIT), which two separate samples
 * would count as a difference. Null with fewer than 2 pairs.
 */
export function pairedMeanInterval(differences: readonly number[], confidence: number): Interval | null {
  const n = differences.length;
  if (n < 2) return null;
  const mean = differences.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(differences.reduce((a, d) => a + (d - mean) ** 2, 0) / (n - 1));
  const half = studentTQuantile(1 - (1 - confidence) / 2, n - 1) * (sd / Math.sqrt(n));
  return { estimate: mean, low: mean - half, high: mean + half };
}
