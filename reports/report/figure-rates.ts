/** The arrival-rate figure: connect latency and time to first message against how fast the clients arrive. */
import { rateRank, rateText, type ReportCell } from '../read/read';
import type { ChartSeries, ChartStudyPoint } from '../browser/figure-data';
import { escapeHtml as h } from './escape';
import { cellName, linePoints, p, studyLabel, type FigureView } from './figure-view';
import { flagReason, groupCells, isFlagged, numbersOf, type CellNumbers } from './metrics';
import { fmtClients } from './numbers';
import { LIB_COLORS, rgba, seriesStyles } from './styles';
import { STUDY_2020_POINTS } from './study-2020';

/** The client level of the arrival-rate figure: the highest run at two rates or more; null when none is. */
function rateLevel(cells: readonly ReportCell[]): number | null {
  const rates = new Map<number, Set<string>>();
  for (const c of cells) {
    if (c.arrivalRate === null) continue;
    if (!rates.has(c.clients)) rates.set(c.clients, new Set());
    rates.get(c.clients)!.add(rateText(c.arrivalRate));
  }
  const levels = [...rates].filter(([, r]) => r.size >= 2).map(([level]) => level);
  return levels.length ? Math.max(...levels) : null;
}

/**
 * Connect latency and time to first message against the arrival rate at one client level, one
 * pair of lines per library (its series without the rate). Null unless the inputs hold more than
 * one rate at one level.
 */
export function arrivalRateFigure(cells: readonly ReportCell[]): FigureView | null {
  const level = rateLevel(cells);
  if (level === null) return null;
  const at = cells.filter((c) => c.clients === level && c.arrivalRate !== null);
  const rates = [...new Map(at.map((c) => [rateText(c.arrivalRate), c.arrivalRate!])).values()].sort(
    (a, b) => rateRank(a) - rateRank(b),
  );
  const categories = rates.map((r) => rateText(r));
  const xOf = (c: { arrivalRate: ReportCell['arrivalRate'] }) => categories.indexOf(rateText(c.arrivalRate));
  const groups = groupCells(at);
  const families = [...new Map(at.map((c) => [c.family, c.lib])).entries()];
  const styles = seriesStyles(families.map(([family, lib]) => ({ series: family, lib })));
  const connect = p((n) => n.connectMs, 'p50');
  const toFirst = p((n) => n.timeToFirstMessageMs, 'p50');
  const series = families.flatMap(([family]): ChartSeries[] => {
    const { color, dash } = styles.get(family)!;
    const mine = groups.filter((g) => g.family === family);
    const line = (pick: (n: CellNumbers) => number | null) => linePoints(mine, pick, xOf).sort((a, b) => a.x - b.x);
    const base = { color, fill: rgba(color, 0.18), dash, group: family };
    const lines: ChartSeries[] = [{ ...base, name: family, tip: `${family} connect p50`, points: line(connect) }];
    const second = line(toFirst);
    if (second.length) {
      lines.push({
        ...base,
        name: `${family} time to first message p50`,
        dashPattern: [2, 3],
        pointStyle: 'triangle',
        points: second,
      });
    }
    return lines;
  });
  const flagged = at.filter(isFlagged);
  const studyHere = STUDY_2020_POINTS.filter(
    (s) => s.clients === level && (s.figure === 'connect' || s.figure === 'firstMessage'),
  );
  const study: ChartStudyPoint[] = studyHere.map((s) => {
    const what = s.figure === 'connect' ? 'connect' : 'first message';
    return {
      x: 0,
      y: s.value,
      color: LIB_COLORS[s.lib] ?? '#555555',
      label: `${studyLabel(s)} (${what})`,
      text: `2020 study, ${s.lib} ${what} at ${fmtClients(s.clients)} clients: ${s.value} ${s.unit}, at an arrival rate it did not publish${s.note ? ` (${s.note})` : ''}`,
      across: true,
    };
  });
  const notes = [
    studyHere.length
      ? `2020 study: it published neither its method nor its arrival rate, so its points at ${fmtClients(level)} clients are drawn as horizontal lines across every rate; where one of our lines crosses one is the arrival rate that reproduces it on this machine.`
      : `2020 study: it published no point at ${fmtClients(level)} clients (nor its method, nor its arrival rate).`,
  ];
  if (series.every((s) => !s.name.endsWith('time to first message p50'))) {
    notes.push('No result has a time to first message: the runs predate it (result schemaVersion 1).');
  }
  return {
    id: 'fig-arrival-rate',
    figure: 'arrival-rate',
    title: `Connect latency and time to first message against arrival rate, ${fmtClients(level)} clients`,
    explain: `At ${h(fmtClients(level))} clients, the highest level run at more than one arrival rate: how fast the clients arrive, in clients per second; <em>burst</em>: every client due at once. Circles and the solid line are the connect latency p50, triangles and the dotted line the time to first message p50, both from when each arrival was due; one colour per library, whose legend entry shows and hides both. Connect latency at N clients means little without the arrival rate.`,
    notes,
    flagged,
    data: {
      kind: 'line',
      id: 'fig-arrival-rate',
      figure: 'arrival-rate',
      unit: 'ms',
      xTitle: 'arrival rate (clients/s)',
      xLog: false,
      xUnit: ['', ''],
      xCategories: categories,
      yTitle: 'p50 (ms, log scale)',
      yLog: true,
      band: null,
      levels: categories.map((_c, i) => i),
      series,
      failures: flagged.map((c) => ({ x: xOf(c), y: connect(numbersOf(c)), text: `${cellName(c)}: ${flagReason(c)}` })),
      study,
    },
  };
}
