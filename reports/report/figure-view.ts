/** What every figure of the HTML report is built into, and the helpers the figure builders share. */
import type { ReadLatency } from '../../runner/metrics/registry';
import type { ReportCell } from '../read/read';
import type { ChartPoint, FigureData } from '../browser/figure-data';
import { acrossTrials, type CellGroup, type CellNumbers } from './metrics';
import { fmtClients } from './numbers';
import { SOCKJS_FAILED_ABOVE, type StudyPoint } from './study-2020';

/** A figure as the page shows it: numbered at render, in the order drawn. */
export interface FigureView {
  id: string;
  figure: string;
  title: string;
  /** HTML */
  explain: string;
  notes: string[];
  /** the runs listed under the figure as errored or invalid */
  flagged: readonly ReportCell[];
  data: FigureData;
}

/** A latency percentile of the stats `pick` chooses, or null. */
export const p = (pick: (n: CellNumbers) => ReadLatency | null, key: keyof ReadLatency) => (n: CellNumbers) =>
  pick(n)?.[key] ?? null;

export const cellName = (c: ReportCell) => `${c.series} × ${fmtClients(c.clients)} clients, trial ${c.trial}`;

export function studyLabel(s: StudyPoint): string {
  const lib = { ws: 'ws', socketio: 'Socket.IO', sockjs: 'SockJS' }[s.lib] ?? s.lib;
  const approx = s.note?.startsWith('approximate') ? '≈' : '';
  const at =
    s.lib === 'sockjs' && s.clients === SOCKJS_FAILED_ABOVE ? ` @${SOCKJS_FAILED_ABOVE / 1000}k, failed above` : '';
  return `2020 ${lib} ${approx}${s.value} ${s.unit}${at}`;
}

/** The p50 of `pick` across trials, one point per group, at `x(group)`. */
export function linePoints(
  groups: readonly CellGroup[],
  pick: (n: CellNumbers) => number | null,
  x: (g: CellGroup) => number,
): ChartPoint[] {
  return groups.flatMap((g) => {
    const a = acrossTrials(g.cells, pick);
    return a ? [{ x: x(g), y: a.value, lo: null, hi: null, trials: a.trials, flagged: a.flagged }] : [];
  });
}
