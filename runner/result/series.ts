import type { RssSummary } from './schema';

// Summaries of sampled values over a run's phases, for RSS and for what the server samples inside.

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export type IdleWindow = { window: [number, number] } | { before: number | null };

/** The same summary of any sampled value. */
export function summariseBy<T extends { t: number }>(
  samples: readonly T[],
  value: (s: T) => number,
  idleAt: IdleWindow,
  window: [number, number] | null,
): RssSummary {
  if (samples.length === 0) return { idle: null, steady: null, peak: null };
  // Before the load, the last few samples: a process still starting up has not settled earlier.
  const idleSamples =
    'window' in idleAt
      ? samples.filter((s) => s.t >= idleAt.window[0] && s.t <= idleAt.window[1])
      : idleAt.before === null
        ? []
        : samples.filter((s) => s.t < idleAt.before!).slice(-3);
  const idle = median(idleSamples.map(value));
  // Only samples inside the window: one taken before it would pass an earlier state for steady.
  const steady = window ? median(samples.filter((s) => s.t >= window[0] && s.t <= window[1]).map(value)) : null;
  return { idle, steady, peak: Math.max(...samples.map(value)) };
}
