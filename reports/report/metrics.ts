import { median, type RunResult } from '../../runner/result/build';
import type { ArrivalRate } from '../../runner/config/run-options';
import { isFlagged } from '../read/cell';
import { bytesPerClientBelow, latencyOf, readMetric, type ReadLatency } from '../../runner/metrics/registry';
import type { ReportCell } from '../read/read';
import type { FlapReport, NodeRestart, RollingRestartFault, RoomsReport } from '../../runner/result/schema';
import type { SlowClientsReport } from '../../runner/result/slow-schema';

export { flagReason, isFlagged } from '../read/cell';

// Binary, as everywhere (see metrics/units.ts); the report's labels call them MB and KB.
export { MIB as MB, KIB as KB } from '../../runner/metrics/units';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** What a report shows of one cell; null where the cell has no such number. */
export interface CellNumbers {
  requested: number | null;
  connected: number | null;
  failed: number | null;
  /** from when the arrival was due (schemaVersion 2); from the client's start in schemaVersion 1 */
  connectMs: ReadLatency | null;
  /** from the client's actual start; null before schemaVersion 2 */
  connectServiceMs: ReadLatency | null;
  /** arrival due → welcome; null before schemaVersion 2 */
  timeToFirstMessageMs: ReadLatency | null;
  firstMessageMs: ReadLatency | null;
  echoMs: ReadLatency | null;
  probeConnectMs: ReadLatency | null;
  probeFirstMessageMs: ReadLatency | null;
  rssIdleBytes: number | null;
  rssSteadyBytes: number | null;
  rssPeakBytes: number | null;
  bytesPerClient: number | null;
  /** the floor the memory per client stayed below (bytes) when the run could not resolve it; else null */
  bytesPerClientBelow: number | null;
  /** heap used inside the server, steady (bench serve's own samples); null in older results */
  heapSteadyBytes: number | null;
  /** server send → client receive of a broadcast (ms), across nodes when there are several */
  broadcastMs: ReadLatency | null;
  /** broadcast delivery; null without broadcasts */
  broadcast: Omit<NonNullable<RunResult['broadcast']>, 'latencyMs'> | null;
  /** what --flap cost; null without flaps */
  flaps: FlapReport | null;
  /** --rolling-restart: each node's restart, in order; null without one */
  restarts: NodeRestart[] | null;
  /** --scenario rooms: room messages and their latency; null for other scenarios */
  rooms: RoomsReport | null;
  roomMs: ReadLatency | null;
  /** --slow-clients: what the slow clients got and cost; null without */
  slow: SlowClientsReport | null;
  /** --polling-share: each transport's clients; null without */
  byTransport: NonNullable<RunResult['byTransport']> | null;
}

/** The rolling restart a run made, when its result has a readable one. */
function restartsOf(r: RunResult | null): NodeRestart[] | null {
  const faults = Array.isArray(r?.faults) ? r.faults : [];
  const f = faults.find((x): x is RollingRestartFault => x?.kind === 'rolling-restart');
  return f && Array.isArray(f.restarts) ? f.restarts : null;
}

/** Reads a cell's numbers through the metric registry, without trusting the result file's shape. */
export function numbersOf(cell: ReportCell): CellNumbers {
  const r = cell.result;
  return {
    requested: num(r?.clients?.requested) ?? (r ? null : cell.clients),
    connected: readMetric('connected', r),
    failed: readMetric('failed', r),
    connectMs: latencyOf('connect', r),
    connectServiceMs: latencyOf('connectService', r),
    timeToFirstMessageMs: latencyOf('timeToFirstMessage', r),
    firstMessageMs: latencyOf('firstMessage', r),
    echoMs: latencyOf('echo', r),
    probeConnectMs: latencyOf('probe.connect', r),
    probeFirstMessageMs: latencyOf('probe.firstMessage', r),
    rssIdleBytes: readMetric('rss.idle', r),
    rssSteadyBytes: readMetric('rss.steady', r),
    rssPeakBytes: readMetric('rss.peak', r),
    bytesPerClient: readMetric('bytesPerClient', r),
    bytesPerClientBelow: bytesPerClientBelow(r),
    heapSteadyBytes: readMetric('heap.steady', r),
    broadcastMs: latencyOf('broadcast', r),
    broadcast:
      r?.broadcast && typeof r.broadcast.expectedDeliveries === 'number'
        ? {
            sent: r.broadcast.sent,
            expectedDeliveries: r.broadcast.expectedDeliveries,
            delivered: r.broadcast.delivered,
            lost: r.broadcast.lost,
            outOfOrder: r.broadcast.outOfOrder,
            duplicates: r.broadcast.duplicates,
          }
        : null,
    flaps: r?.flaps && typeof r.flaps.intended === 'number' ? r.flaps : null,
    restarts: restartsOf(r),
    rooms: r?.rooms && typeof r.rooms.published === 'number' ? r.rooms : null,
    roomMs: latencyOf('room', r),
    slow: r?.slowClients && typeof r.slowClients.slow === 'number' ? r.slowClients : null,
    byTransport: r?.byTransport && typeof r.byTransport.pollingSharePct === 'number' ? r.byTransport : null,
  };
}

/** The trials of one series at one client level. */
export interface CellGroup {
  scenario: string;
  series: string;
  /** the series without its arrival rate */
  family: string;
  lib: string;
  clients: number;
  arrivalRate: ArrivalRate | null;
  cells: ReportCell[];
}

/** Groups cells by scenario, series (which names the arrival rate when it varies) and client level, keeping the cells' order. */
export function groupCells(cells: readonly ReportCell[]): CellGroup[] {
  const groups = new Map<string, CellGroup>();
  for (const c of cells) {
    const key = `${c.scenario}\u0000${c.series}\u0000${c.clients}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        scenario: c.scenario,
        series: c.series,
        family: c.family,
        lib: c.lib,
        clients: c.clients,
        arrivalRate: c.arrivalRate,
        cells: [],
      };
      groups.set(key, g);
    }
    g.cells.push(c);
  }
  return [...groups.values()];
}

/** A number across a group's trials. */
export interface Across {
  /** median across the trials used */
  value: number;
  /** trials the median is over */
  trials: number;
  /** true when no completed, valid trial had the number, so flagged trials were used */
  flagged: boolean;
}

/**
 * Median of a number across trials: over the completed, valid trials that have it; when there
 * are none, over every trial that has it, marked as flagged.
 */
export function acrossTrials(cells: readonly ReportCell[], pick: (n: CellNumbers) => number | null): Across | null {
  const withValue = cells.flatMap((c) => {
    const v = pick(numbersOf(c));
    return v === null ? [] : [{ c, v }];
  });
  const good = withValue.filter((x) => !isFlagged(x.c));
  const used = good.length > 0 ? good : withValue;
  const m = median(used.map((x) => x.v));
  return m === null ? null : { value: m, trials: used.length, flagged: good.length === 0 };
}
