import { ARTILLERY_METRIC, LIB_COUNTER_PREFIX, LIBS, type Lib, type MetricName } from 'artillery-engine-bench/protocol';
import type { LatencyStats } from '../../runner/metrics/histograms';
import { SCHEMA_VERSION, type RunResult } from '../../runner/result/schema';

/**
 * An Artillery report (`artillery run --output`, or what `run-fargate` / `run-lambda` write after
 * merging their generators) of a script on our engine, as a result `bench report` can show. It
 * has Artillery's summaries of our latencies and counters, nothing of the server, and no verdict.
 */
export interface ArtilleryReport {
  aggregate: {
    counters: Record<string, number>;
    summaries: Record<string, Record<string, number>>;
    firstCounterAt?: number;
    lastCounterAt?: number;
  };
}

export function isArtilleryReport(v: unknown): v is ArtilleryReport {
  if (typeof v !== 'object' || v === null) return false;
  const a = (v as { aggregate?: unknown }).aggregate;
  if (typeof a !== 'object' || a === null) return false;
  const { counters, summaries } = a as Record<string, unknown>;
  return typeof counters === 'object' && counters !== null && typeof summaries === 'object' && summaries !== null;
}

/** The library our engine counted itself under (`bench.lib.<lib>`); null for another engine's report. */
export function reportLib(r: ArtilleryReport): Lib | null {
  const found = LIBS.filter((lib) => (r.aggregate.counters[`${LIB_COUNTER_PREFIX}${lib}`] ?? 0) > 0);
  return found.length === 1 ? found[0]! : null;
}

function statsOf(s: Record<string, number> | undefined): LatencyStats | null {
  if (!s || typeof s.count !== 'number' || s.count === 0) return null;
  const n = (k: string) => (typeof s[k] === 'number' ? s[k] : NaN);
  const stats = { p50: n('p50'), p90: n('p90'), p99: n('p99'), max: n('max'), mean: n('mean'), count: s.count };
  return Object.values(stats).every(Number.isFinite) ? stats : null;
}

/** The result-file view of a report: null when it is not from our engine (no single `bench.lib.*`). */
export function resultFromArtilleryReport(r: ArtilleryReport, file: string): RunResult | null {
  const lib = reportLib(r);
  if (lib === null) return null;
  const c = r.aggregate.counters;
  const latency = (m: MetricName) => statsOf(r.aggregate.summaries[ARTILLERY_METRIC[m]]);
  const at = (ms: number | undefined) => (typeof ms === 'number' ? new Date(ms).toISOString() : null);
  const result = {
    schemaVersion: SCHEMA_VERSION,
    lib,
    scenario: 'artillery-report',
    status: 'completed',
    startedAt: at(r.aggregate.firstCounterAt),
    finishedAt: at(r.aggregate.lastCounterAt),
    source: { kind: 'artillery-report', file, generators: c[`${LIB_COUNTER_PREFIX}${lib}`] },
    options: { clients: null, arrivalRate: null },
    clients: { requested: null, connected: c['bench.connected'] ?? 0, failed: c['bench.failed'] ?? 0 },
    connectMs: latency('connectMs'),
    connectServiceMs: latency('connectServiceMs'),
    arrivalLagMs: latency('arrivalLagMs'),
    firstMessageMs: latency('firstMessageMs'),
    timeToFirstMessageMs: latency('timeToFirstMessageMs'),
    echoMs: latency('echoMs'),
    broadcastMs: latency('broadcastMs'),
    probe: {
      requested: null,
      connected: c['bench.probe.connected'] ?? 0,
      failed: c['bench.probe.failed'] ?? 0,
      connectMs: latency('probeConnectMs'),
      firstMessageMs: latency('probeFirstMessageMs'),
    },
    errors: Object.fromEntries(
      Object.entries(c)
        .filter(([k]) => k.startsWith('errors.'))
        .map(([k, v]) => [k.slice('errors.'.length), v]),
    ),
  };
  // Only what a report carries: the report readers go through the metric registry, which
  // reads a missing part (server, loadgen, env) as no number.
  return result as unknown as RunResult;
}
