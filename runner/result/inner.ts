import type { InnerSample, NodeInner } from './measurements';
import type { InnerSummary, RssSummary } from './schema';
import { summariseBy, type IdleWindow } from './series';

type Combine = (values: number[]) => number;
const sum: Combine = (v) => v.reduce((a, b) => a + b, 0);
const max: Combine = (v) => Math.max(...v);

/** Each part over the nodes; null where any node has none (a partial sum would read as less). */
function across(parts: RssSummary[], combine: Combine): RssSummary {
  const of = (k: keyof RssSummary) => (parts.every((p) => p[k] !== null) ? combine(parts.map((p) => p[k]!)) : null);
  return { idle: of('idle'), steady: of('steady'), peak: of('peak') };
}

/** The run's inner summary; null when no node sent a sample. */
export function summariseInner(
  nodes: readonly NodeInner[],
  idleAt: IdleWindow,
  window: [number, number] | null,
): InnerSummary | null {
  const sampled = nodes.filter((n) => n.samples.length > 0);
  if (sampled.length === 0) return null;
  const by = (value: (s: InnerSample) => number, combine: Combine) =>
    across(
      sampled.map((n) => summariseBy(n.samples, value, idleAt, window)),
      combine,
    );
  const all = sampled.flatMap((n) => n.samples);
  const steadyGc = window ? all.filter((s) => s.t > window[0] && s.t <= window[1]) : [];
  const windowSeconds = window ? (window[1] - window[0]) / 1000 : 0;
  const afterGc = nodes.map((n) => n.heapAfterGc.at(-1));
  return {
    samples: all.length,
    heapBytes: {
      used: by((s) => s.heapUsedBytes, sum),
      total: by((s) => s.heapTotalBytes, sum),
      external: by((s) => s.externalBytes, sum),
      arrayBuffers: by((s) => s.arrayBuffersBytes, sum),
    },
    eventLoop: {
      utilization: by((s) => s.elu, max),
      delayMs: by((s) => s.delayMeanMs, max),
      delayMaxMs: max(all.map((s) => s.delayMaxMs)),
    },
    gc: {
      count: sum(all.map((s) => s.gcCount)),
      pauseMs: round3(sum(all.map((s) => s.gcPauseMs))),
      steadyPauseMsPerSecond:
        windowSeconds > 0 && steadyGc.length > 0 ? round3(sum(steadyGc.map((s) => s.gcPauseMs)) / windowSeconds) : null,
    },
    heapAfterGcBytes: afterGc.every((h) => h !== undefined) ? sum(afterGc as number[]) : null,
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
