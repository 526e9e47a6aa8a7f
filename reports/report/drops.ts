/**
 * What the report shows of connections that drop: per series and client level, what --flap cost
 * in deliveries and how fast clients came back; per node of a --rolling-restart, how fast its
 * clients came back. Medians across trials, as every figure. Rendering is figure-drops.ts's and
 * markdown.ts's; everything here is data.
 */
import { withRecovery, type ReportCell } from '../read/read';
import { acrossTrials, numbersOf, type Across, type CellNumbers } from './metrics';

/**
 * A series' name in these figures: Socket.IO with connection state recovery is named
 * `socketio + recovery`, even when no run of the report without it calls for the series to say.
 */
export function dropLabel(c: ReportCell): string {
  const on = typeof c.result?.options?.sioRecoveryMs === 'number';
  const head = withRecovery(c.lib);
  return on && !c.series.startsWith(head) ? `${head}${c.series.slice(c.lib.length)}` : c.series;
}

/** p50, p95 and max of a reconnect time, each across trials. */
export interface ReconnectAcross {
  p50: Across | null;
  p95: Across | null;
  max: Across | null;
}

/** The flap runs of one series at one client level. */
export interface FlapRow {
  /** the series, `+ recovery` when Socket.IO restored sessions and the series does not say */
  label: string;
  lib: string;
  clients: number;
  /** the trials */
  cells: ReportCell[];
  /** `20 % every 2 s` */
  flaps: string;
  deliveredPct: Across | null;
  intended: Across | null;
  delivered: Across | null;
  missed: Across | null;
  missedWhileReconnecting: Across | null;
  reconnect: ReconnectAcross;
  neverBack: Across | null;
  /** null when recovery was off in every trial */
  sessionsRecovered: Across | null;
  broadcastsRecovered: Across | null;
}

/** One node's restart in the rolling restarts of one series at one client level. */
export interface RestartRow {
  label: string;
  lib: string;
  clients: number;
  cells: ReportCell[];
  nodeId: string;
  publisher: boolean;
  disconnected: Across | null;
  reconnect: ReconnectAcross;
  neverBack: Across | null;
}

/** Cells grouped by label and client level, in the report's order. */
function groupBy(cells: readonly ReportCell[], has: (n: CellNumbers) => boolean): Map<string, ReportCell[]> {
  const groups = new Map<string, ReportCell[]>();
  for (const c of cells) {
    if (!has(numbersOf(c))) continue;
    const key = `${dropLabel(c)}\u0000${c.clients}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return groups;
}

type Stats = { p50: number; p95: number; max: number } | null | undefined;

const reconnectOf = (cells: readonly ReportCell[], pick: (n: CellNumbers) => Stats): ReconnectAcross => ({
  p50: acrossTrials(cells, (n) => pick(n)?.p50 ?? null),
  p95: acrossTrials(cells, (n) => pick(n)?.p95 ?? null),
  max: acrossTrials(cells, (n) => pick(n)?.max ?? null),
});

/** One row per series and client level of the runs with --flap. */
export function flapRows(cells: readonly ReportCell[]): FlapRow[] {
  return [...groupBy(cells, (n) => n.flaps !== null).values()].map((group) => {
    const first = numbersOf(group[0]!).flaps!;
    const at = (pick: (f: NonNullable<CellNumbers['flaps']>) => number | null | undefined) =>
      acrossTrials(group, (n) => (n.flaps ? (pick(n.flaps) ?? null) : null));
    return {
      label: dropLabel(group[0]!),
      lib: group[0]!.lib,
      clients: group[0]!.clients,
      cells: group,
      flaps: `${first.sharePct} % every ${first.everySeconds} s`,
      deliveredPct: at((f) => f.deliveredPct),
      intended: at((f) => (f.deliveredPct === null ? null : f.intended)),
      delivered: at((f) => (f.deliveredPct === null ? null : f.delivered)),
      missed: at((f) => (f.deliveredPct === null ? null : f.missed)),
      missedWhileReconnecting: at((f) => (f.deliveredPct === null ? null : f.missedWhileReconnecting)),
      reconnect: reconnectOf(group, (n) => n.flaps?.reconnectMs),
      neverBack: at((f) => f.neverBack),
      sessionsRecovered: at((f) => f.recovery?.sessionsRecovered),
      broadcastsRecovered: at((f) => f.recovery?.broadcastsRecovered),
    };
  });
}

/** One row per node restarted, per series and client level of the runs with --rolling-restart, in restart order. */
export function restartRows(cells: readonly ReportCell[]): RestartRow[] {
  return [...groupBy(cells, (n) => n.restarts !== null).values()].flatMap((group) => {
    const nodes = new Map<string, boolean>();
    for (const c of group) for (const x of numbersOf(c).restarts!) nodes.set(x.nodeId, x.publisher === true);
    return [...nodes].map(([nodeId, publisher]): RestartRow => {
      const of = (n: CellNumbers) => n.restarts?.find((x) => x.nodeId === nodeId);
      return {
        label: dropLabel(group[0]!),
        lib: group[0]!.lib,
        clients: group[0]!.clients,
        cells: group,
        nodeId,
        publisher,
        disconnected: acrossTrials(group, (n) => of(n)?.clientsDisconnected ?? null),
        reconnect: reconnectOf(group, (n) => of(n)?.reconnectMs),
        neverBack: acrossTrials(group, (n) => of(n)?.neverBack ?? null),
      };
    });
  });
}
