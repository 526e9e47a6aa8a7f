import * as hdr from 'hdr-histogram-js';

/** Latency statistics (ms). The same keys everywhere a latency is reported. */
export interface LatencyStats {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  count: number;
}

/** The engine records microseconds; this range covers 1 µs to one hour at 3 significant digits. */
export function buildHistogram(): hdr.Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

/**
 * Merges encoded histograms (one per engine worker) by adding their counts, never by averaging
 * percentiles. Returns null when there is nothing to merge.
 */
export function mergeEncoded(encoded: readonly string[]): hdr.Histogram | null {
  if (encoded.length === 0) return null;
  const merged = buildHistogram();
  for (const e of encoded) merged.add(hdr.decodeFromCompressedBase64(e));
  return merged;
}

const ms = (us: number) => Math.round(us) / 1000;

/** p50/p90/p99/max/mean (ms) and count of a µs histogram; null when it holds no value. */
export function toStats(h: hdr.Histogram | null): LatencyStats | null {
  if (h === null || h.totalCount === 0) return null;
  return {
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    max: ms(h.maxValue),
    mean: ms(h.mean),
    count: h.totalCount,
  };
}

/** p50/p95/p99/max (ms) and count of a µs histogram, for times whose p95 is asked for; null when empty. */
export function toTailStats(
  h: hdr.Histogram | null,
): { p50: number; p95: number; p99: number; max: number; count: number } | null {
  if (h === null || h.totalCount === 0) return null;
  return {
    p50: ms(h.getValueAtPercentile(50)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    max: ms(h.maxValue),
    count: h.totalCount,
  };
}
