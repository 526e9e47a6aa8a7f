import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { slopeFit } from '../../runner/metrics/fit';
import { resolveSoakOptions } from '../../runner/config/soak-options';
import { soakFits, soakVerdict } from '../../runner/run/soak-verdict';
import type { SoakSample } from '../../runner/result/soak-schema';
import { UsageError } from '../../runner/errors';

/** A fixed pseudo-random sequence in [-1, 1): tests stay the same run to run. */
function noise(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return (s / 2 ** 31) * 2 - 1;
  };
}

describe('slopeFit', () => {
  it('gives an exact line a zero-width interval', () => {
    const f = slopeFit([0, 1, 2, 3], [1, 3, 5, 7])!;
    assert.equal(f.slope, 2);
    assert.equal(f.low, 2);
    assert.equal(f.high, 2);
    assert.equal(f.df, 2);
  });

  it('matches the textbook interval for independent points', () => {
    // y = 1 + 2x with residuals ±1, alternating: s² = 8/6, Sxx = 42, t(0.975, 6) = 2.4469.
    const xs = [0, 1, 2, 3, 4, 5, 6, 7];
    const ys = xs.map((x, i) => 1 + 2 * x + (i % 2 === 0 ? 1 : -1));
    const f = slopeFit(xs, ys, { independent: true })!;
    const se = Math.sqrt(((ys.reduce((a, y, i) => a + (y - (f.intercept + f.slope * xs[i]!)) ** 2, 0) / 6) * 1) / 42);
    assert.ok(Math.abs(f.slopeSe - se) < 1e-12);
    assert.ok(Math.abs(f.high - f.slope - 2.4469 * se) < 1e-3);
  });

  it('widens the interval when residuals are correlated', () => {
    const xs = Array.from({ length: 80 }, (_, i) => i);
    // A slow wave on the line: neighbouring residuals alike.
    const ys = xs.map((x) => 5 * x + 30 * Math.sin(x / 1.5));
    const corrected = slopeFit(xs, ys)!;
    const naive = slopeFit(xs, ys, { independent: true })!;
    assert.ok(corrected.lag1 > 0.5, String(corrected.lag1));
    assert.ok(corrected.high - corrected.low > 2 * (naive.high - naive.low));
  });

  it('holds a control variable constant', () => {
    const rand = noise(7);
    const cycles = Array.from({ length: 60 }, (_, i) => i * 50);
    const open = cycles.map(() => 200 + Math.round(rand() * 20));
    // 100 bytes a cycle, 8,000 bytes an open client, a little noise.
    const ys = cycles.map((c, i) => 1e6 + 100 * c + 8_000 * open[i]! + 500 * rand());
    const alone = slopeFit(cycles, ys)!;
    const held = slopeFit(cycles, ys, { control: open })!;
    assert.ok(Math.abs(held.slope - 100) < 1, String(held.slope));
    assert.ok(held.low < 100 && held.high > 100);
    assert.ok(alone.high - alone.low > held.high - held.low);
  });

  it('returns null without enough points or distinct x', () => {
    assert.equal(slopeFit([1, 2], [1, 2]), null);
    assert.equal(slopeFit([1, 1, 1], [1, 2, 3]), null);
  });
});

const sample = (t: number, cycles: number, heap: number, open = 200): SoakSample => ({
  t,
  cycles,
  open,
  heapUsedBytes: heap,
  externalBytes: 1_000_000,
  arrayBuffersBytes: 0,
  rssBytes: 50_000_000 + heap,
});

describe('soak verdict', () => {
  it('says a leak with its interval when the slope is clearly above 0', () => {
    const rand = noise(3);
    const series = Array.from({ length: 30 }, (_, i) => sample(i, i * 100, 6e6 + 65_536 * i * 100 + 1e4 * rand()));
    const { fit } = soakFits(series, 0);
    const v = soakVerdict(fit, 2_900);
    assert.equal(v.kind, 'leak');
    assert.match(v.text, /^leaks about 6[34],\d\d\d\.\d KiB per 1,000 connections \(95 % CI [\d,.]+–[\d,.]+\)$/);
  });

  it('says no growth above what the run could detect when flat', () => {
    const rand = noise(5);
    const series = Array.from({ length: 30 }, (_, i) => sample(i, i * 100, 6e6 + 1e4 * rand()));
    const { fit } = soakFits(series, 0);
    const v = soakVerdict(fit, 2_900);
    assert.equal(v.kind, 'no-growth');
    assert.match(v.text, /^no growth detected above [\d,.]+ KiB per 1,000 connections$/);
  });

  it('fits only from the given second on, and says when it cannot fit', () => {
    const series = [
      sample(0, 0, 1e6),
      sample(1, 0, 9e6),
      sample(2, 100, 6e6),
      sample(3, 200, 6e6),
      sample(4, 300, 6e6),
    ];
    assert.equal(soakFits(series, 2).fit!.n, 3);
    const v = soakVerdict(soakFits(series, 4).fit, 300);
    assert.equal(v.kind, 'unfit');
  });
});

describe('bench soak options', () => {
  it('derives each life from clients ÷ churn and starts the fit after warm-up and fill', () => {
    const o = resolveSoakOptions({ lib: 'ws', clients: '200', churn: '50', duration: '60', warmup: '2' });
    assert.equal(o.meanLifeMs, 4_000);
    assert.equal(o.fitFromSeconds, 6);
    assert.equal(o.abruptShare, 0.5);
    assert.equal(resolveSoakOptions({ lib: 'ws', abrupt: '30%' }).abruptShare, 0.3);
    assert.equal(o.transport, 'websocket');
    assert.equal(o.deflate, false);
  });

  it("takes Socket.IO's polling fallback and deflate, the options the article blames for leaks", () => {
    const o = resolveSoakOptions({ lib: 'socketio', transport: 'polling', deflate: true });
    assert.equal(o.transport, 'polling');
    assert.equal(o.deflate, true);
    assert.throws(() => resolveSoakOptions({ lib: 'sockjs', transport: 'polling' }), UsageError);
  });

  it('refuses a churn the population cannot sustain, and a duration too short to fit', () => {
    assert.throws(() => resolveSoakOptions({ lib: 'ws', clients: '100', churn: '101' }), UsageError);
    assert.throws(
      () => resolveSoakOptions({ lib: 'ws', clients: '200', churn: '50', warmup: '0', duration: '13' }),
      UsageError,
    );
    assert.doesNotThrow(() =>
      resolveSoakOptions({ lib: 'ws', clients: '200', churn: '50', warmup: '0', duration: '14' }),
    );
  });
});
