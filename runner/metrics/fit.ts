/**
 * Least squares: what `bench limit` projects memory with (the RSS each client adds, over its
 * steps) and what `bench capacity` fits its growth with. Here, below both, so the runner can
 * use it without reading reports/.
 */

import { studentTQuantile } from './student-t';

/** Least-squares line y = intercept + slope · x, with its coefficient of determination. */
export interface LinearFit {
  slope: number;
  intercept: number;
  /** 1 − SSres / SStot; 1 when the points lie on the line (or all y are equal) */
  r2: number;
  /** points fitted */
  n: number;
}

/** Ordinary least squares. Needs at least two distinct x; returns null otherwise. */
export function linearFit(xs: readonly number[], ys: readonly number[]): LinearFit | null {
  const n = xs.length;
  if (n !== ys.length) throw new RangeError('linearFit needs as many x as y');
  if (n < 2 || new Set(xs).size < 2) return null;
  const mx = xs.reduce((a, v) => a + v, 0) / n;
  const my = ys.reduce((a, v) => a + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  return {
    slope,
    intercept,
    r2: rSquared(
      ys,
      xs.map((x) => intercept + slope * x),
    ),
    n,
  };
}

/** 1 − SSres / SStot of predictions against observations; 1 when both sums are (close to) 0. */
export function rSquared(ys: readonly number[], predicted: readonly number[]): number {
  const my = ys.reduce((a, v) => a + v, 0) / ys.length;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < ys.length; i++) {
    ssRes += (ys[i]! - predicted[i]!) ** 2;
    ssTot += (ys[i]! - my) ** 2;
  }
  // Relative to the data's scale, so rounding noise on a perfect fit still reads as 1.
  const scale = ys.reduce((a, v) => a + v * v, 0);
  if (ssRes <= 1e-20 * Math.max(scale, Number.MIN_VALUE)) return 1;
  return ssTot === 0 ? 0 : 1 - ssRes / ssTot;
}

/** A least-squares line with a confidence interval on its slope. */
export interface SlopeFit extends LinearFit {
  /** the slope's standard error (residuals assumed independent, of one variance) */
  slopeSe: number;
  /** degrees of freedom: effective points − parameters (2, or 3 with a control) */
  df: number;
  /** the residuals' lag-1 autocorrelation (0 when negative, or with `independent`) */
  lag1: number;
  /** points the interval counts: n · (1 − lag1) / (1 + lag1) */
  nEffective: number;
  confidence: number;
  /** the slope's two-sided Student-t interval at `confidence` */
  low: number;
  high: number;
  /**
   * The smallest true slope this fit would have found above 0 with a probability of `power`
   * (the interval's lower end above 0): (t at confidence + t at power) × standard error.
   */
  detectable: number;
}

export interface SlopeFitOptions {
  confidence?: number;
  power?: number;
  /** skip the autocorrelation correction: the points are independent */
  independent?: boolean;
  /**
   * A second variable held constant: y = a + slope · x + c · control. The slope is then what x
   * adds with `control` unchanged (bench soak: memory per connection cycle at a given population).
   */
  control?: readonly number[];
}

/**
 * Least squares with the usual interval on the slope: slope ± t(df) · SE, from the residual
 * variance over n − p (p: 2, or 3 with a control). Points in a series are rarely independent (a
 * heap that swells and shrinks over several samples): the residuals' lag-1 autocorrelation r
 * shrinks the points the interval counts to n (1 − r) / (1 + r), widening it as the dependence
 * warrants (Santer et al. 2000). Null without 2 distinct x, or with too few (effective) points.
 */
export function slopeFit(xs: readonly number[], ys: readonly number[], opts: SlopeFitOptions = {}): SlopeFit | null {
  const { confidence = 0.95, power = 0.8, independent = false } = opts;
  const line = linearFit(xs, ys);
  if (line === null) return null;
  const n = line.n;
  const mean = (v: readonly number[]) => v.reduce((a, x) => a + x, 0) / n;
  const mx = mean(xs);
  const my = mean(ys);
  let s11 = 0;
  let s1y = 0;
  for (let i = 0; i < n; i++) {
    s11 += (xs[i]! - mx) ** 2;
    s1y += (xs[i]! - mx) * (ys[i]! - my);
  }
  let slope = line.slope;
  let c = 0;
  let mz = 0;
  let varFactor = 1 / s11;
  let params = 2;
  const z = opts.control;
  if (z && z.length === n && new Set(z).size > 1) {
    mz = mean(z);
    let s22 = 0;
    let s12 = 0;
    let s2y = 0;
    for (let i = 0; i < n; i++) {
      s22 += (z[i]! - mz) ** 2;
      s12 += (xs[i]! - mx) * (z[i]! - mz);
      s2y += (z[i]! - mz) * (ys[i]! - my);
    }
    const det = s11 * s22 - s12 * s12;
    // x and the control move together: the control cannot be held constant, so fit x alone.
    if (det > 1e-9 * s11 * s22) {
      slope = (s22 * s1y - s12 * s2y) / det;
      c = (s11 * s2y - s12 * s1y) / det;
      varFactor = s22 / det;
      params = 3;
    }
  }
  const intercept = my - slope * mx - c * mz;
  const residual = (i: number) => ys[i]! - (intercept + slope * xs[i]! + (params === 3 ? c * z![i]! : 0));
  let ssRes = 0;
  let lagged = 0;
  for (let i = 0; i < n; i++) {
    ssRes += residual(i) ** 2;
    if (i > 0) lagged += residual(i) * residual(i - 1);
  }
  if (n <= params) return null;
  const lag1 = independent || ssRes === 0 ? 0 : Math.max(0, lagged / ssRes);
  const nEffective = (n * (1 - lag1)) / (1 + lag1);
  if (nEffective <= params) return null;
  const df = nEffective - params;
  const slopeSe = Math.sqrt((ssRes / (n - params)) * varFactor) * Math.sqrt(n / nEffective);
  const t = studentTQuantile(1 - (1 - confidence) / 2, df);
  return {
    slope,
    intercept,
    r2: rSquared(
      ys,
      xs.map((_x, i) => ys[i]! - residual(i)),
    ),
    n,
    slopeSe,
    df,
    lag1,
    nEffective,
    confidence,
    low: slope - t * slopeSe,
    high: slope + t * slopeSe,
    detectable: (t + studentTQuantile(power, df)) * slopeSe,
  };
}
