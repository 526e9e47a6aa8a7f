import type { PerClientFloor, RssSummary } from './schema';

// Summaries of sampled values over a run's phases, for RSS and for what the server samples inside.

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export type IdleWindow = { window: [number, number] } | { before: number | null };

/** The samples a summary takes as idle and as steady. */
function windowSamples<T extends { t: number }>(
  samples: readonly T[],
  idleAt: IdleWindow,
  window: [number, number] | null,
): { idle: T[]; steady: T[] } {
  // Before the load, the last few samples: a process still starting up has not settled earlier.
  const idle =
    'window' in idleAt
      ? samples.filter((s) => s.t >= idleAt.window[0] && s.t <= idleAt.window[1])
      : idleAt.before === null
        ? []
        : samples.filter((s) => s.t < idleAt.before!).slice(-3);
  // Only samples inside the window: one taken before it would pass an earlier state for steady.
  const steady = window ? samples.filter((s) => s.t >= window[0] && s.t <= window[1]) : [];
  return { idle, steady };
}

/** The same summary of any sampled value. */
export function summariseBy<T extends { t: number }>(
  samples: readonly T[],
  value: (s: T) => number,
  idleAt: IdleWindow,
  window: [number, number] | null,
): RssSummary {
  if (samples.length === 0) return { idle: null, steady: null, peak: null };
  const w = windowSamples(samples, idleAt, window);
  return {
    idle: median(w.idle.map(value)),
    steady: median(w.steady.map(value)),
    peak: Math.max(...samples.map(value)),
  };
}

/** RSS is counted in pages: no reading resolves less. */
const PAGE_BYTES = 4096;

/**
 * `(steady − idle) / connected`, or, when the clients added no more than the RSS noise, null and
 * the floor they stayed below. The noise is what RSS moves by without a change in clients: the
 * spread of the idle samples and of the steady ones, and a fall from idle to steady (garbage
 * from before the load released meanwhile), at least a page.
 */
export function perClientMemory<T extends { t: number; rssBytes: number }>(
  samples: readonly T[],
  idleAt: IdleWindow,
  window: [number, number] | null,
  connected: number,
): { bytesPerClient: number | null } & Required<PerClientFloor> {
  const rss = summariseBy(samples, (s) => s.rssBytes, idleAt, window);
  if (rss.idle === null || rss.steady === null || connected <= 0) {
    return { bytesPerClient: null, bytesPerClientFloor: null, bytesPerClientBelowFloor: false };
  }
  const w = windowSamples(samples, idleAt, window);
  const spread = (xs: readonly T[]) => Math.max(...xs.map((s) => s.rssBytes)) - Math.min(...xs.map((s) => s.rssBytes));
  const grown = rss.steady - rss.idle;
  const noise = Math.max(PAGE_BYTES, spread(w.idle), spread(w.steady), -grown);
  const below = grown <= noise;
  return {
    bytesPerClient: below ? null : Math.round(grown / connected),
    bytesPerClientFloor: Math.ceil(noise / connected),
    bytesPerClientBelowFloor: below,
  };
}
