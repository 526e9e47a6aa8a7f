/**
 * From a `bench soak` series to its verdict: memory after a full GC fitted against connection
 * cycles completed, by least squares, with a Student-t interval on the slope. Pure, for tests.
 */
import { slopeFit } from '../metrics/fit';
import { kibNumber as kib } from '../metrics/units';
import type { SoakFit, SoakSample, SoakVerdict } from '../result/soak-schema';

const PER = 1_000;

/** Heap used + external after the GC: V8's objects and the off-heap Buffers they hold. */
const heapAndExternal = (s: SoakSample): number | null =>
  s.externalBytes === null ? null : s.heapUsedBytes + s.externalBytes;

function fitOf(
  series: readonly SoakSample[],
  fromSeconds: number,
  metric: SoakFit['metric'],
  y: (s: SoakSample) => number | null,
): SoakFit | null {
  const points = series.filter((s) => s.t >= fromSeconds && y(s) !== null);
  const f = slopeFit(
    points.map((s) => s.cycles),
    points.map((s) => y(s)!),
    { control: points.map((s) => s.open) },
  );
  if (f === null) return null;
  return {
    metric,
    slopePer1000: f.slope * PER,
    ci95: [f.low * PER, f.high * PER],
    detectablePer1000: f.detectable * PER,
    r2: f.r2,
    n: f.n,
  };
}

/** The verdict's fit (heap + external after GC) and RSS's, over the samples from `fromSeconds` on. */
export function soakFits(
  series: readonly SoakSample[],
  fromSeconds: number,
): { fit: SoakFit | null; rssFit: SoakFit | null } {
  return {
    fit: fitOf(series, fromSeconds, 'heapAndExternalAfterGc', heapAndExternal),
    rssFit: fitOf(series, fromSeconds, 'rss', (s) => s.rssBytes),
  };
}

/**
 * A leak when the slope's whole 95 % interval is above 0; else no growth, above what this run
 * could have detected (the fit's detectable slope), never a bare "no leak".
 */
export function soakVerdict(fit: SoakFit | null, cycles: number): SoakVerdict {
  if (fit === null) {
    return {
      kind: 'unfit',
      text: `no slope could be fitted (${cycles.toLocaleString('en-US')} connection cycles, too few samples after the population filled)`,
    };
  }
  const [lo, hi] = fit.ci95;
  if (lo > 0) {
    return {
      kind: 'leak',
      text: `leaks about ${kib(fit.slopePer1000)} KiB per 1,000 connections (95 % CI ${kib(lo)}–${kib(hi)})`,
    };
  }
  return {
    kind: 'no-growth',
    text: `no growth detected above ${kib(fit.detectablePer1000)} KiB per 1,000 connections`,
  };
}
