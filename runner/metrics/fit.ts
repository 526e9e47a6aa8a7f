/**
 * Least squares: what `bench limit` projects memory with (the RSS each client adds, over its
 * steps) and what `bench capacity` fits its growth with. Here, below both, so the runner can
 * use it without reading reports/.
 */

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
