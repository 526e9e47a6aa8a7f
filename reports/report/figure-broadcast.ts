/** The cross-node broadcast figures: latency against clients, p99 against nodes, delivered ratio. */
import type { ReportCell } from '../read/read';
import type { ChartBar, ChartFailure, ChartPoint, ChartSeries } from '../browser/figure-data';
import {
  broadcastRuns,
  broadcastSeries,
  deliveredRatio,
  nodesVary,
  ratioText,
  type BroadcastRun,
  type BroadcastSeries,
} from './broadcast';
import { cellName, p, type FigureView } from './figure-view';
import { acrossTrials, flagReason, isFlagged, numbersOf, type CellNumbers } from './metrics';
import { fmtClients } from './numbers';
import { rgba, seriesStyles } from './styles';

const ratioPercent = (n: CellNumbers) => {
  const r = deliveredRatio(n.broadcast);
  return r === null ? null : r * 100;
};

function seriesPoints(s: BroadcastSeries, pick: (n: CellNumbers) => number | null): ChartPoint[] {
  return s.points.flatMap((p) => {
    const a = acrossTrials(p.cells, pick);
    return a ? [{ x: p.x, y: a.value, lo: null, hi: null, trials: a.trials, flagged: a.flagged }] : [];
  });
}

const styleOf = (series: readonly BroadcastSeries[]) =>
  seriesStyles(series.map((s) => ({ series: s.name, lib: s.lib })));

const BROADCAST_EXPLAIN =
  'The broadcast scenario: one node (the publisher) stamps each broadcast and sends it to every client on every node, through the adapter when there are several; the latency runs from that stamp to the client’s receipt (two clocks of one machine).';

/** The cross-node figures: latency against clients, p99 against nodes (when runs vary nodes), delivered ratio. */
export function broadcastFigures(cells: readonly ReportCell[]): FigureView[] {
  const runs = broadcastRuns(cells);
  const flagged = runs.map((r) => r.cell).filter(isFlagged);
  const failures = (x: (r: BroadcastRun) => number, y: (n: CellNumbers) => number | null): ChartFailure[] =>
    runs
      .filter((r) => isFlagged(r.cell))
      .map((r) => ({ x: x(r), y: y(r.numbers), text: `${cellName(r.cell)}: ${flagReason(r.cell)}` }));
  const levels = (xs: number[]) => [...new Set(xs)].filter((x) => x > 0).sort((a, b) => a - b);
  const views: FigureView[] = [];

  const byClients = broadcastSeries(runs, 'clients');
  if (byClients.length > 0) {
    const styles = styleOf(byClients);
    const series = byClients.flatMap((s): ChartSeries[] => {
      const { color, dash } = styles.get(s.name)!;
      const line = { color, fill: rgba(color, 0.18), dash, group: s.name };
      return [
        {
          ...line,
          name: s.name,
          tip: `${s.name} p50`,
          points: seriesPoints(
            s,
            p((n) => n.broadcastMs, 'p50'),
          ),
        },
        {
          ...line,
          name: `${s.name} p99`,
          dashPattern: [2, 3],
          pointStyle: 'triangle',
          points: seriesPoints(
            s,
            p((n) => n.broadcastMs, 'p99'),
          ),
        },
      ];
    });
    views.push({
      id: 'fig-broadcast-latency',
      figure: 'broadcast-latency',
      title: 'Cross-node broadcast latency',
      explain: `${BROADCAST_EXPLAIN} One colour per library, adapter and node count (the transport is named when it is not websocket); circles and the solid line are the p50, triangles and the dotted line the p99; a legend entry shows and hides both.`,
      notes: [],
      flagged,
      data: {
        kind: 'line',
        id: 'fig-broadcast-latency',
        figure: 'broadcast-latency',
        unit: 'ms',
        xTitle: 'clients connected (log scale)',
        xLog: true,
        xUnit: ['client', 'clients'],
        yTitle: 'broadcast latency (ms, log scale)',
        yLog: true,
        band: null,
        levels: levels(runs.map((r) => r.clients)),
        series,
        failures: failures(
          (r) => r.clients,
          p((n) => n.broadcastMs, 'p50'),
        ),
        study: [],
      },
    });
  }

  const byNodes = broadcastSeries(runs, 'nodes');
  if (nodesVary(byNodes)) {
    const styles = styleOf(byNodes);
    const p99 = p((n) => n.broadcastMs, 'p99');
    views.push({
      id: 'fig-broadcast-nodes',
      figure: 'broadcast-nodes',
      title: 'Cross-node broadcast latency p99 against nodes',
      explain:
        'The broadcast latency’s p99 against the number of server nodes, one line per library and adapter (and client level, when the runs have several): what each node added costs the slowest deliveries. One-node runs need no adapter and are named “no adapter”; a series run at one node count is a single point.',
      notes: [],
      flagged,
      data: {
        kind: 'line',
        id: 'fig-broadcast-nodes',
        figure: 'broadcast-nodes',
        unit: 'ms',
        xTitle: 'server nodes',
        xLog: false,
        xUnit: ['node', 'nodes'],
        yTitle: 'broadcast latency p99 (ms, log scale)',
        yLog: true,
        band: null,
        levels: levels(runs.map((r) => r.nodes)),
        series: byNodes.map((s) => {
          const { color, dash } = styles.get(s.name)!;
          return { name: s.name, color, fill: rgba(color, 0.18), dash, points: seriesPoints(s, p99) };
        }),
        failures: failures((r) => r.nodes, p99),
        study: [],
      },
    });
  }

  const byRatio = broadcastSeries(runs, 'clients', (n) => ratioPercent(n) !== null);
  if (byRatio.length > 0) {
    const styles = styleOf(byRatio);
    const bars = byRatio.flatMap((s) => {
      const { color } = styles.get(s.name)!;
      return s.points.flatMap((point): ChartBar[] => {
        const a = acrossTrials(point.cells, ratioPercent);
        if (!a) return [];
        const one = point.cells.length === 1 ? numbersOf(point.cells[0]!).broadcast : null;
        const label = ratioText(a.value / 100);
        const of = one
          ? ` (${fmtClients(one.delivered)} of ${fmtClients(one.expectedDeliveries)} deliveries)`
          : a.trials > 1
            ? `, median of ${a.trials} trials`
            : '';
        const warn = a.flagged ? ' — only errored or invalid runs measured this' : '';
        const category = `${s.name} · ${fmtClients(point.x)} clients`;
        return [
          {
            category,
            value: a.value,
            label,
            text: `${label} delivered${of}${warn}`,
            color,
            fill: rgba(color, 0.75),
            flagged: a.flagged,
          },
        ];
      });
    });
    views.push({
      id: 'fig-broadcast-delivered',
      figure: 'broadcast-delivered',
      title: 'Broadcasts delivered',
      explain:
        'Deliveries the clients got (each client and seq counted once) divided by the deliveries the publisher promised, one bar per library, adapter, node count and client level; the median across trials. 100 % lost nothing. A run that killed a node or paused the adapter loses what was in flight: the tables below name its faults. A bar outlined in red was measured only by errored or invalid runs.',
      notes: [],
      flagged,
      data: {
        kind: 'bar',
        id: 'fig-broadcast-delivered',
        figure: 'broadcast-delivered',
        valueTitle: 'delivered / expected deliveries (%)',
        valueMax: Math.max(100, ...bars.map((b) => b.value)),
        bars,
      },
    });
  }
  return views;
}
