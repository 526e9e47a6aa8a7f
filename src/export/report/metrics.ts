import type { LatencyStats } from '../../result/histograms';
import { median, type RunResult } from '../../result/build';
import type { ArrivalRate } from '../../config/run-options';
import type { ReportCell } from '../../result/read';

/** Same units as the run summary: MB and KB are powers of 1024. */
export const MB = 1024 * 1024;
export const KB = 1024;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function stats(v: unknown): LatencyStats | null {
  if (typeof v !== 'object' || v === null) return null;
  const s = v as Record<string, unknown>;
  if (num(s.p50) === null) return null;
  return {
    p50: s.p50 as number,
    p90: num(s.p90) ?? (s.p50 as number),
    p99: num(s.p99) ?? (s.p50 as number),
    max: num(s.max) ?? (s.p50 as number),
    mean: num(s.mean) ?? (s.p50 as number),
    count: num(s.count) ?? 0,
  };
}

/** What a report shows of one cell; null where the cell has no such number. */
export interface CellNumbers {
  requested: number | null;
  connected: number | null;
  failed: number | null;
  /** from when the arrival was due (schemaVersion 2); from the client's start in schemaVersion 1 */
  connectMs: LatencyStats | null;
  /** from the client's actual start; null before schemaVersion 2 */
  connectServiceMs: LatencyStats | null;
  /** arrival due → welcome; null before schemaVersion 2 */
  timeToFirstMessageMs: LatencyStats | null;
  firstMessageMs: LatencyStats | null;
  echoMs: LatencyStats | null;
  probeConnectMs: LatencyStats | null;
  probeFirstMessageMs: LatencyStats | null;
  rssIdleBytes: number | null;
  rssSteadyBytes: number | null;
  rssPeakBytes: number | null;
  bytesPerClient: number | null;
  /** server send → client receive of a broadcast (ms), across nodes when there are several */
  broadcastMs: LatencyStats | null;
  /** broadcast delivery; null without broadcasts */
  broadcast: Omit<NonNullable<RunResult['broadcast']>, 'latencyMs'> | null;
}

/** Reads a cell's numbers without trusting the result file's shape. */
export function numbersOf(cell: ReportCell): CellNumbers {
  const r = cell.result;
  const rss = r?.server?.rssBytes;
  return {
    requested: num(r?.clients?.requested) ?? (r ? null : cell.clients),
    connected: num(r?.clients?.connected),
    failed: num(r?.clients?.failed),
    connectMs: stats(r?.connectMs),
    connectServiceMs: stats(r?.connectServiceMs),
    timeToFirstMessageMs: stats(r?.timeToFirstMessageMs),
    firstMessageMs: stats(r?.firstMessageMs),
    echoMs: stats(r?.echoMs),
    probeConnectMs: stats(r?.probe?.connectMs),
    probeFirstMessageMs: stats(r?.probe?.firstMessageMs),
    rssIdleBytes: num(rss?.idle),
    rssSteadyBytes: num(rss?.steady),
    rssPeakBytes: num(rss?.peak),
    bytesPerClient: num(r?.server?.bytesPerClient),
    broadcastMs: stats(r?.broadcast?.latencyMs ?? r?.broadcastMs),
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
  };
}

/** A cell whose numbers are to be shown with a warning: it did not complete, or its run was not valid. */
export function isFlagged(cell: ReportCell): boolean {
  return cell.status !== 'completed' || cell.valid === false;
}

/** Why a flagged cell is flagged, in one line; empty for a good cell. */
export function flagReason(cell: ReportCell): string {
  const parts: string[] = [];
  if (cell.status !== 'completed') parts.push(`${cell.status}${cell.error ? `: ${cell.error}` : ''}`);
  if (cell.valid === false) {
    parts.push(`invalid${cell.invalidReasons.length ? `: ${cell.invalidReasons.join('; ')}` : ''}`);
  }
  return parts.join(' — ');
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
