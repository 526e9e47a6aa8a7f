/**
 * What the report shows of clients that are not like the rest: --slow-clients (what the node
 * held for each slow reader, what the fast ones' latency was) and --polling-share (each
 * transport's message latency and what it received out of order). Medians across trials, as
 * every figure; rendering is figure-clients.ts's and markdown.ts's.
 */
import type { ReportCell } from '../read/read';
import { acrossTrials, numbersOf, type Across, type CellNumbers } from './metrics';

/** Cells grouped by series and client level, those with `has`, in the report's order. */
function groups(cells: readonly ReportCell[], has: (n: CellNumbers) => boolean): ReportCell[][] {
  const out = new Map<string, ReportCell[]>();
  for (const c of cells) {
    if (!has(numbersOf(c))) continue;
    const key = `${c.series}\u0000${c.clients}`;
    out.set(key, [...(out.get(key) ?? []), c]);
  }
  return [...out.values()];
}

/** The slow-client runs of one series at one client level. */
export interface SlowRow {
  label: string;
  lib: string;
  clients: number;
  cells: ReportCell[];
  /** `10 % at 2,000 B/s` */
  slow: string;
  /** bytes the nodes held per slow client at most, and of it in the kernel's send queues */
  heldPerSlowClient: Across | null;
  kernel: Across | null;
  /** the fast clients' message latency (broadcast, else room, else echo) p50 and p99 */
  fastP50: Across | null;
  fastP99: Across | null;
  /** messages the slow clients received (broadcasts + room messages + echoes) */
  slowReceived: Across | null;
  closed: Across | null;
}

/** The fast clients' message latency in a run: broadcasts, else room messages, else echoes. */
const fastLatency = (n: CellNumbers) => n.broadcastMs ?? n.roomMs ?? n.echoMs;

export function slowRows(cells: readonly ReportCell[]): SlowRow[] {
  return groups(cells, (n) => n.slow !== null).map((group) => {
    const first = numbersOf(group[0]!).slow!;
    const at = (pick: (n: CellNumbers) => number | null | undefined) => acrossTrials(group, (n) => pick(n) ?? null);
    return {
      label: group[0]!.series,
      lib: group[0]!.lib,
      clients: group[0]!.clients,
      cells: group,
      slow: `${first.sharePct} % at ${first.bytesPerSecond.toLocaleString('en-US')} B/s`,
      heldPerSlowClient: at((n) => n.slow?.buffered?.max.perSlowClient),
      kernel: at((n) => n.slow?.buffered?.max.kernel),
      fastP50: at((n) => fastLatency(n)?.p50),
      fastP99: at((n) => fastLatency(n)?.p99),
      slowReceived: at((n) => {
        const r = n.slow?.received.slow;
        return r ? r.broadcasts + r.roomMessages + r.echoes : null;
      }),
      closed: at((n) => n.slow?.closedDuringHold),
    };
  });
}

/** The runs with a long-polling share of one series at one client level. */
export interface PollingRow {
  label: string;
  lib: string;
  clients: number;
  cells: ReportCell[];
  sharePct: number;
  /** each transport's message latency (broadcast, else room, else echo) p50 and p99 */
  websocketP50: Across | null;
  websocketP99: Across | null;
  pollingP50: Across | null;
  pollingP99: Across | null;
  /** broadcasts and room messages received out of order, per transport */
  websocketOutOfOrder: Across | null;
  pollingOutOfOrder: Across | null;
}

export function pollingRows(cells: readonly ReportCell[]): PollingRow[] {
  return groups(cells, (n) => n.byTransport !== null).map((group) => {
    const at = (pick: (n: CellNumbers) => number | null | undefined) => acrossTrials(group, (n) => pick(n) ?? null);
    type T = NonNullable<CellNumbers['byTransport']>['polling'];
    const latency = (t: T | undefined) => t?.broadcastMs ?? t?.roomMs ?? t?.echoMs ?? null;
    const ooo = (t: T | undefined) => (t ? t.broadcasts.outOfOrder + t.rooms.outOfOrder : null);
    return {
      label: group[0]!.series,
      lib: group[0]!.lib,
      clients: group[0]!.clients,
      cells: group,
      sharePct: numbersOf(group[0]!).byTransport!.pollingSharePct,
      websocketP50: at((n) => latency(n.byTransport?.websocket)?.p50),
      websocketP99: at((n) => latency(n.byTransport?.websocket)?.p99),
      pollingP50: at((n) => latency(n.byTransport?.polling)?.p50),
      pollingP99: at((n) => latency(n.byTransport?.polling)?.p99),
      websocketOutOfOrder: at((n) => ooo(n.byTransport?.websocket)),
      pollingOutOfOrder: at((n) => ooo(n.byTransport?.polling)),
    };
  });
}
