/**
 * What the report shows of broadcast runs across nodes: the series of the cross-node figures,
 * the delivered ratio, one delivery table per adapter, and the faults a run injected, in words.
 * Rendering is html.ts's; everything here is data.
 */
import { LIBS } from 'artillery-engine-bench/protocol';
import { latencyOf, type ReadLatency } from '../../runner/metrics/registry';
import type { ReconnectReport, RunResult } from '../../runner/result/build';
import { faultLabel, faultText } from '../../runner/result/faults';
import type { ReportCell } from '../read/read';
import { numbersOf, type CellNumbers } from './metrics';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The options that place a run in the cross-node figures and tables. */
export interface RunShape {
  transport: string;
  nodes: number;
  /** `none` for one node and for results written before scale-out */
  adapter: string;
  deflate: boolean;
  /** the faults the run injected, short (`node killed at 3 s`); '' when none */
  fault: string;
}

export function shapeOf(result: RunResult): RunShape {
  const o = result.options;
  const perNode = Array.isArray(result.nodes) ? result.nodes.length : 0;
  return {
    transport: typeof o?.transport === 'string' ? o.transport : 'websocket',
    nodes: num(o?.nodes) ?? (perNode > 0 ? perNode : 1),
    adapter: typeof o?.adapter === 'string' ? o.adapter : 'none',
    deflate: o?.deflate === true,
    fault: faultLabel(result),
  };
}

/** A run with a result that broadcast, or was meant to. */
export interface BroadcastRun extends RunShape {
  cell: ReportCell;
  lib: string;
  clients: number;
  numbers: CellNumbers;
}

/** Runs with broadcast numbers, or of the broadcast scenario (an errored one may have none). */
export function broadcastRuns(cells: readonly ReportCell[]): BroadcastRun[] {
  return cells.flatMap((cell) => {
    if (!cell.result) return [];
    const numbers = numbersOf(cell);
    if (!numbers.broadcast && !numbers.broadcastMs && cell.scenario !== 'broadcast') return [];
    return [{ cell, lib: cell.lib, clients: cell.clients, numbers, ...shapeOf(cell.result) }];
  });
}

/** delivered / expected deliveries; null when nothing was expected. */
export function deliveredRatio(b: CellNumbers['broadcast']): number | null {
  return b && b.expectedDeliveries > 0 ? b.delivered / b.expectedDeliveries : null;
}

/** The ratio as the tables print it. */
export const ratioText = (ratio: number | null): string => (ratio === null ? '–' : `${(ratio * 100).toFixed(2)} %`);

/** The adapters in the order they are shown: none first, then as scale-out adds them. */
export const ADAPTER_ORDER = ['none', 'redis', 'redis-streams', 'postgres', 'amqp', 'nats', 'cluster'];

function adapterRank(adapter: string): number {
  const i = ADAPTER_ORDER.indexOf(adapter);
  return i < 0 ? ADAPTER_ORDER.length : i;
}

function libRank(lib: string): number {
  const i = (LIBS as readonly string[]).indexOf(lib);
  return i < 0 ? LIBS.length : i;
}

const plural = (n: number, one: string, many: string) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** One line of a cross-node figure: its points, each the trials at one x. */
export interface BroadcastSeries {
  name: string;
  lib: string;
  points: { x: number; cells: ReportCell[] }[];
}

/**
 * The series of a cross-node figure. Against `clients`: one per library, adapter and node count;
 * against `nodes`: one per library and adapter, so a line shows what each node added. Transport
 * is named when it is not websocket, deflate when broadcast runs differ in it, and, against
 * nodes, the client level when the runs have several (points at one x are trials). Only runs
 * that `has` the number drawn take part (by default the broadcast latency).
 */
export function broadcastSeries(
  runs: readonly BroadcastRun[],
  x: 'clients' | 'nodes',
  has: (n: CellNumbers) => boolean = (n) => n.broadcastMs !== null,
): BroadcastSeries[] {
  const measured = runs.filter((r) => has(r.numbers));
  const deflateDiffers = new Set(runs.map((r) => r.deflate)).size > 1;
  const levelsDiffer = new Set(measured.map((r) => r.clients)).size > 1;
  const byName = new Map<string, { run: BroadcastRun; series: BroadcastSeries }>();
  for (const run of measured) {
    const parts = [run.lib];
    if (x === 'clients') {
      if (run.adapter !== 'none') parts.push(run.adapter);
      parts.push(plural(run.nodes, 'node', 'nodes'));
    } else {
      parts.push(run.adapter === 'none' ? 'no adapter' : run.adapter);
    }
    if (run.transport !== 'websocket') parts.push(run.transport);
    if (run.fault) parts.push(run.fault);
    if (deflateDiffers) parts.push(run.deflate ? 'deflate on' : 'deflate off');
    if (x === 'nodes' && levelsDiffer) parts.push(plural(run.clients, 'client', 'clients'));
    const name = parts.join(' · ');
    let entry = byName.get(name);
    if (!entry) {
      entry = { run, series: { name, lib: run.lib, points: [] } };
      byName.set(name, entry);
    }
    const at = x === 'clients' ? run.clients : run.nodes;
    let point = entry.series.points.find((p) => p.x === at);
    if (!point) {
      point = { x: at, cells: [] };
      entry.series.points.push(point);
    }
    point.cells.push(run.cell);
  }
  const order = (a: BroadcastRun, b: BroadcastRun) =>
    libRank(a.lib) - libRank(b.lib) ||
    adapterRank(a.adapter) - adapterRank(b.adapter) ||
    a.adapter.localeCompare(b.adapter) ||
    (x === 'clients' ? a.nodes - b.nodes : a.clients - b.clients) ||
    a.transport.localeCompare(b.transport) ||
    a.fault.localeCompare(b.fault) ||
    Number(a.deflate) - Number(b.deflate);
  return [...byName.values()]
    .sort((a, b) => order(a.run, b.run) || a.series.name.localeCompare(b.series.name))
    .map(({ series }) => ({ ...series, points: series.points.sort((a, b) => a.x - b.x) }));
}

/** True when some series of `broadcastSeries(runs, 'nodes')` has two node counts or more. */
export function nodesVary(series: readonly BroadcastSeries[]): boolean {
  return series.some((s) => s.points.length > 1);
}

/** One node's share of the broadcast deliveries. */
export interface NodeDelivery {
  nodeId: string;
  /** null when the node did not log its deliveries */
  deliveries: number | null;
  killed: boolean;
}

/** One run in its adapter's delivery table. */
export interface DeliveryRow {
  run: BroadcastRun;
  /** the library, plus deflate when broadcast runs differ in it */
  library: string;
  ratio: number | null;
  expectedFrom: 'nodes' | 'control' | null;
  gaps: number | null;
  missedWhileReconnecting: number | null;
  reconnect: ReconnectReport | null;
  reconnectMs: ReadLatency | null;
  /** empty with one node */
  nodes: NodeDelivery[];
  faults: string[];
}

/** The delivery table of one adapter, and which of the optional columns any of its rows fills. */
export interface AdapterTable {
  adapter: string;
  rows: DeliveryRow[];
  has: {
    expectedFrom: boolean;
    gaps: boolean;
    missedWhileReconnecting: boolean;
    reconnect: boolean;
    nodes: boolean;
    faults: boolean;
  };
}

function reconnectOf(r: RunResult): ReconnectReport | null {
  const c = r.reconnect;
  return c && typeof c === 'object' && num(c.lost) !== null ? c : null;
}

function nodesOf(r: RunResult): NodeDelivery[] {
  if (!Array.isArray(r.nodes)) return [];
  return r.nodes.map((n) => ({
    nodeId: String(n.nodeId),
    deliveries: num(n.deliveries),
    killed: n.killed === true,
  }));
}

function rowOf(run: BroadcastRun, deflateDiffers: boolean): DeliveryRow {
  const r = run.cell.result!;
  const b = r.broadcast;
  const reconnect = reconnectOf(r);
  return {
    run,
    library: deflateDiffers ? `${run.lib} · deflate ${run.deflate ? 'on' : 'off'}` : run.lib,
    ratio: deliveredRatio(run.numbers.broadcast),
    expectedFrom: b?.expectedFrom === 'nodes' || b?.expectedFrom === 'control' ? b.expectedFrom : null,
    gaps: num(b?.gaps),
    missedWhileReconnecting: num(b?.missedWhileReconnecting),
    reconnect,
    reconnectMs: reconnect && latencyOf('reconnect', r),
    nodes: nodesOf(r),
    faults: (Array.isArray(r.faults) ? r.faults : []).map((f) => faultText(f, run.adapter)),
  };
}

/** One table per adapter present (none, redis, postgres, cluster, then any other), rows in a stable order. */
export function adapterTables(cells: readonly ReportCell[]): AdapterTable[] {
  const runs = broadcastRuns(cells);
  const deflateDiffers = new Set(runs.map((r) => r.deflate)).size > 1;
  const byAdapter = new Map<string, DeliveryRow[]>();
  for (const run of runs)
    byAdapter.set(run.adapter, [...(byAdapter.get(run.adapter) ?? []), rowOf(run, deflateDiffers)]);
  return [...byAdapter]
    .sort(([a], [b]) => adapterRank(a) - adapterRank(b) || a.localeCompare(b))
    .map(([adapter, rows]) => {
      rows.sort(
        (a, b) =>
          libRank(a.run.lib) - libRank(b.run.lib) ||
          a.library.localeCompare(b.library) ||
          a.run.transport.localeCompare(b.run.transport) ||
          a.run.nodes - b.run.nodes ||
          a.run.clients - b.run.clients ||
          a.run.cell.trial - b.run.cell.trial,
      );
      return {
        adapter,
        rows,
        has: {
          expectedFrom: rows.some((x) => x.expectedFrom !== null),
          gaps: rows.some((x) => x.gaps !== null),
          missedWhileReconnecting: rows.some((x) => x.missedWhileReconnecting !== null),
          reconnect: rows.some((x) => x.reconnect !== null),
          nodes: rows.some((x) => x.nodes.some((n) => n.deliveries !== null || n.killed)),
          faults: rows.some((x) => x.faults.length > 0),
        },
      };
    });
}
