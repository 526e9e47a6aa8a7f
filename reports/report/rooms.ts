/**
 * What the report shows of --scenario rooms: per series and client level, room messages'
 * latency and delivery against the membership the nodes reported. Medians across trials, as
 * every figure. Rendering is figure-rooms.ts's and markdown.ts's; everything here is data.
 */
import type { ReportCell } from '../read/read';
import { acrossTrials, numbersOf, type Across, type CellNumbers } from './metrics';

/** The rooms runs of one series at one client level. */
export interface RoomRow {
  label: string;
  lib: string;
  clients: number;
  cells: ReportCell[];
  /** `100 rooms of 10, a message every 5000 ms, 200 B` (+ `, all but the sender`) */
  shape: string;
  p50: Across | null;
  p90: Across | null;
  p99: Across | null;
  deliveredPct: Across | null;
  expected: Across | null;
  received: Across | null;
  missed: Across | null;
  duplicates: Across | null;
  outOfOrder: Across | null;
  deliveredPerSecond: Across | null;
}

/** One row per series and client level of the rooms runs, in the report's order. */
export function roomRows(cells: readonly ReportCell[]): RoomRow[] {
  const groups = new Map<string, ReportCell[]>();
  for (const c of cells) {
    if (numbersOf(c).rooms === null) continue;
    const key = `${c.series}\u0000${c.clients}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups.values()].map((group) => {
    const k = numbersOf(group[0]!).rooms!;
    const at = (pick: (n: CellNumbers) => number | null | undefined) => acrossTrials(group, (n) => pick(n) ?? null);
    const checked = (pick: (r: NonNullable<CellNumbers['rooms']>) => number | null) =>
      at((n) => (n.rooms && n.rooms.expected !== null ? pick(n.rooms) : null));
    return {
      label: group[0]!.series,
      lib: group[0]!.lib,
      clients: group[0]!.clients,
      cells: group,
      shape: `${k.rooms} rooms of ${k.roomSize}, a message every ${k.publishEveryMs} ms, ${k.messageBytes} B${k.exceptSender ? ', all but the sender' : ''}${(k.namespaces ?? 1) > 1 ? `, ${k.namespaces} namespaces` : ''}`,
      p50: at((n) => n.roomMs?.p50),
      p90: at((n) => n.roomMs?.p90),
      p99: at((n) => n.roomMs?.p99),
      deliveredPct: checked((r) => r.deliveredPct),
      expected: checked((r) => r.expected),
      received: checked((r) => r.received),
      missed: checked((r) => r.missed),
      duplicates: at((n) => n.rooms?.duplicates),
      outOfOrder: at((n) => n.rooms?.outOfOrder),
      deliveredPerSecond: at((n) => n.rooms?.deliveredPerSecond),
    };
  });
}
