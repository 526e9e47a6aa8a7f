import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  bootstrapMedians,
  cliffsDelta,
  erfc,
  holm,
  mannWhitneyU,
  median,
  quantile,
  seededRandom,
  smallestExactP,
  trialsToReach,
} from '../../reports/stats';
import { linearFit } from '../../runner/metrics/fit';

const close = (actual: number, expected: number, tolerance: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what} ${actual} is not within ${tolerance} of ${expected}`);

describe('mannWhitneyU', () => {
  // scipy.stats.mannwhitneyu documentation example (ages of male and female subjects):
  //   mannwhitneyu(males, females, method="exact")      → statistic=17.0, pvalue=0.1111111111111111
  //   mannwhitneyu(males, females, method="asymptotic") → statistic=17.0, pvalue=0.11134688653314041
  const males = [19, 22, 16, 29, 24];
  const females = [20, 11, 17, 12];

  it('gives the exact p-value of small samples without ties (scipy docs)', () => {
    const r = mannWhitneyU(males, females);
    assert.equal(r.method, 'exact');
    assert.equal(r.u, 17);
    close(r.pValue, 0.1111111111111111, 1e-12);
  });

  it('gives the normal approximation with continuity correction (scipy docs)', () => {
    const r = mannWhitneyU(males, females, { method: 'normal' });
    assert.equal(r.method, 'normal');
    close(r.pValue, 0.11134688653314041, 1e-6);
  });

  it("matches R's wilcox.test example (W = 35, one-sided p = 0.1272, so two-sided 0.2544)", () => {
    // ?wilcox.test: x <- c(0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46)
    //               y <- c(1.15, 0.88, 0.90, 0.74, 1.21); wilcox.test(x, y, alternative = "g")
    // scipy (method="exact", two-sided): statistic=35.0, pvalue=0.2544122544122544
    const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const y = [1.15, 0.88, 0.9, 0.74, 1.21];
    const r = mannWhitneyU(x, y);
    assert.equal(r.u, 35);
    assert.equal(r.method, 'exact');
    close(r.pValue, 0.2544122544122544, 1e-12);
    // The same test the other way round gives U' = n1·n2 − U and the same p-value.
    const back = mannWhitneyU(y, x);
    assert.equal(back.u, 50 - 35);
    close(back.pValue, r.pValue, 1e-12);
  });

  it('corrects for ties (scipy asymptotic: statistic=7.5, pvalue=0.006373133838085873)', () => {
    const r = mannWhitneyU([1, 2, 2, 3, 3, 3, 4, 5], [3, 4, 4, 5, 5, 6, 7, 7, 8]);
    assert.equal(r.method, 'normal');
    assert.equal(r.u, 7.5);
    close(r.pValue, 0.006373133838085873, 1e-7);
    assert.throws(() => mannWhitneyU([1, 2], [2, 3], { method: 'exact' }), /no exact p-value with tied values/);
  });

  it('is exact for mid-sized samples (20 vs 23; scipy exact: 206.0, 0.5708785532299654)', () => {
    const x = Array.from({ length: 20 }, (_, i) => ((i + 1) * 7) % 41);
    const y = Array.from({ length: 23 }, (_, i) => (((i + 1) * 11) % 43) + 0.5);
    const r = mannWhitneyU(x, y);
    assert.equal(r.method, 'exact');
    assert.equal(r.u, 206);
    close(r.pValue, 0.5708785532299654, 1e-12);
    // scipy asymptotic on the same data: 0.5671816878628384
    close(mannWhitneyU(x, y, { method: 'normal' }).pValue, 0.5671816878628384, 1e-6);
  });

  it('switches to the normal approximation from 50 values a side (scipy: 1741.0, 0.6123634200895356)', () => {
    const x = Array.from({ length: 60 }, (_, i) => i * 2);
    const y = Array.from({ length: 55 }, (_, i) => i * 2 + 0.5 + (i % 3 === 0 ? 3 : 0));
    const r = mannWhitneyU(x, y);
    assert.equal(r.method, 'normal');
    assert.equal(r.u, 1741);
    close(r.pValue, 0.6123634200895356, 1e-6);
  });

  it('gives the smallest possible p for complete separation (3 vs 3: 0.1; 4 vs 4: 0.0286)', () => {
    close(mannWhitneyU([1, 2, 3], [4, 5, 6]).pValue, 0.1, 1e-12);
    close(mannWhitneyU([1, 2, 3, 4], [5, 6, 7, 8]).pValue, 0.02857142857142857, 1e-12);
    close(smallestExactP(3, 3), 0.1, 1e-12);
    close(smallestExactP(4, 4), 2 / 70, 1e-12);
    close(smallestExactP(3, 5), 2 / 56, 1e-12);
  });

  it('gives p = 1 when every value is equal, and rejects empty or non-finite samples', () => {
    assert.equal(mannWhitneyU([5, 5, 5], [5, 5, 5]).pValue, 1);
    // scipy: mannwhitneyu([1000]*3, [990]*3) → statistic=9.0, pvalue=0.04685417760387376
    close(mannWhitneyU([1000, 1000, 1000], [990, 990, 990]).pValue, 0.04685417760387376, 1e-7);
    assert.throws(() => mannWhitneyU([], [1]), RangeError);
    assert.throws(() => mannWhitneyU([NaN], [1]), RangeError);
  });
});

describe('erfc', () => {
  it('matches known values to 1.2e-7 relative (Python math.erfc)', () => {
    for (const [x, v] of [
      [0, 1],
      [0.1, 0.8875370839817152],
      [1, 0.15729920705028513],
      [3, 2.2090496998585438e-5],
      [-1, 1.8427007929497148],
    ] as const) {
      close(erfc(x), v, v * 1.2e-7, `erfc(${x})`);
    }
  });
});

describe('median and quantile', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([]), null);
  });
  it("interpolates like R's quantile type 7", () => {
    // R: quantile(c(1, 2, 3, 4), c(0.5, 0.9)) → 2.5, 3.7
    assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
    close(quantile([1, 2, 3, 4], 0.9), 3.7, 1e-12);
    assert.equal(quantile([7], 0.025), 7);
  });
});

describe('seededRandom', () => {
  it('repeats its sequence for a seed and stays in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const first = Array.from({ length: 1000 }, () => a());
    assert.deepEqual(
      first,
      Array.from({ length: 1000 }, () => b()),
    );
    assert.ok(first.every((v) => v >= 0 && v < 1));
    assert.notDeepEqual(first.slice(0, 5), Array.from({ length: 5 }, seededRandom(43)));
    const mean = first.reduce((s, v) => s + v, 0) / first.length;
    close(mean, 0.5, 0.05, 'mean of 1000 draws');
  });
});

describe('bootstrapMedians', () => {
  it('is deterministic for a seed', () => {
    // Enough distinct values that two seeds are most unlikely to give the same interval.
    const b = Array.from({ length: 15 }, (_, i) => 10 + ((i * 37) % 17) / 7);
    const c = Array.from({ length: 15 }, (_, i) => 11 + ((i * 29) % 19) / 5);
    assert.deepEqual(bootstrapMedians(b, c, { seed: 7 }), bootstrapMedians(b, c, { seed: 7 }));
    // Medians of resamples take few values, so neighbouring seeds may agree; five seeds do not all.
    const intervals = new Set(
      [1, 2, 3, 4, 5].map((seed) => JSON.stringify(bootstrapMedians(b, c, { seed }).difference)),
    );
    assert.ok(intervals.size > 1, 'the seed changes the resampling');
  });

  it('puts a clear shift outside 0 and brackets the estimate', () => {
    const r = bootstrapMedians([10, 11, 12], [20, 21, 22]);
    assert.equal(r.iterations, 2000);
    assert.equal(r.confidence, 0.95);
    assert.equal(r.difference.estimate, 10);
    // Resampled medians of three values are one of the three, so the difference lies in [8, 12].
    assert.ok(r.difference.low >= 8 && r.difference.low <= 10, `low ${r.difference.low}`);
    assert.ok(r.difference.high >= 10 && r.difference.high <= 12, `high ${r.difference.high}`);
    close(r.ratio!.estimate, 21 / 11, 1e-12);
    assert.ok(r.ratio!.low > 1);
  });

  it('keeps 0 inside the interval for overlapping samples', () => {
    const r = bootstrapMedians([10, 12, 11, 13, 9, 10.5], [11, 10, 12.5, 9.5, 13, 10.8]);
    assert.ok(r.difference.low < 0 && r.difference.high > 0, JSON.stringify(r.difference));
  });

  it('has no ratio when the baseline median can be 0, and checks its options', () => {
    assert.equal(bootstrapMedians([0, 0, 1], [1, 2, 3]).ratio, null);
    assert.throws(() => bootstrapMedians([], [1]), RangeError);
    assert.throws(() => bootstrapMedians([1], [1], { confidence: 1 }), RangeError);
    assert.throws(() => bootstrapMedians([1], [1], { iterations: 0 }), RangeError);
  });
});

describe('linearFit', () => {
  it('recovers an exact line with R² = 1', () => {
    const f = linearFit([100, 1000, 5000, 10000], [3 + 2 * 100, 3 + 2 * 1000, 3 + 2 * 5000, 3 + 2 * 10000])!;
    close(f.slope, 2, 1e-12);
    close(f.intercept, 3, 1e-8);
    assert.equal(f.r2, 1);
    assert.equal(f.n, 4);
  });
  it('matches the textbook example (x 1..5, y 2 4 5 4 5: slope 0.6, intercept 2.2, R² 0.6)', () => {
    const f = linearFit([1, 2, 3, 4, 5], [2, 4, 5, 4, 5])!;
    close(f.slope, 0.6, 1e-12);
    close(f.intercept, 2.2, 1e-12);
    close(f.r2, 0.6, 1e-12);
  });
  it('needs two distinct x', () => {
    assert.equal(linearFit([5, 5], [1, 2]), null);
    assert.equal(linearFit([5], [1]), null);
  });
});

describe('holm', () => {
  it("matches R's p.adjust(c(0.01, 0.04, 0.03, 0.005), 'holm')", () => {
    // R: 0.03 0.06 0.06 0.02 (the 0.04 is raised to the 0.06 before it: adjusted p never fall)
    const adjusted = holm([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((want, i) => close(adjusted[i]!, want, 1e-12, `p[${i}]`));
  });

  it('caps at 1 and leaves a single p alone', () => {
    assert.deepEqual(holm([0.5, 0.9]), [1, 1]);
    assert.deepEqual(holm([0.1]), [0.1]);
    assert.deepEqual(holm([]), []);
  });
});

describe('cliffsDelta', () => {
  it('counts pairs above minus pairs below, ties as neither', () => {
    // current over baseline: 6 pairs above, 1 below, 2 tied of 9.
    close(cliffsDelta([1, 2, 3], [2, 3, 4]), 5 / 9, 1e-12);
    assert.equal(cliffsDelta([1, 2], [3, 4]), 1);
    assert.equal(cliffsDelta([3, 4], [1, 2]), -1);
    assert.equal(cliffsDelta([5, 5], [5, 5]), 0);
  });

  it('is 2U/(n1·n2) − 1 of the Mann-Whitney U of current against baseline', () => {
    const b = [19, 22, 16, 29, 24];
    const c = [20, 11, 17, 12];
    close(cliffsDelta(b, c), (2 * mannWhitneyU(c, b).u) / (b.length * c.length) - 1, 1e-12);
  });

  it('throws on an empty side', () => {
    assert.throws(() => cliffsDelta([], [1]), RangeError);
  });
});

describe('trialsToReach', () => {
  it('gives the fewest trials a side whose complete separation beats the level', () => {
    // 2/C(2n, n): n = 3 → 0.1, 4 → 0.029, 5 → 0.0079, 6 → 0.0022, 7 → 0.00058
    assert.equal(trialsToReach(0.05), 4);
    assert.equal(trialsToReach(0.05 / 8), 6);
    assert.equal(trialsToReach(0.05 / 48), 7);
    assert.equal(trialsToReach(1e-300, 5), null);
  });
});
