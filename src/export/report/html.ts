import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LatencyStats } from '../../result/histograms';
import { profileName, type RunEnv } from '../../result/env';
import {
  adapterTables,
  broadcastRuns,
  broadcastSeries,
  deliveredRatio,
  nodesVary,
  ratioText,
  type AdapterTable,
  type BroadcastRun,
  type BroadcastSeries,
  type DeliveryRow,
  type NodeDelivery,
} from './broadcast';
import { pageStart } from './page';
import { escapeHtml as h, jsonForScript, scriptSource } from './escape';
import { rateRank, rateText, type LoadedReport, type ReportCell, type RunOptions } from './load';
import {
  acrossTrials,
  flagReason,
  groupCells,
  isFlagged,
  KB,
  MB,
  numbersOf,
  type CellGroup,
  type CellNumbers,
} from './metrics';
import {
  SOCKJS_FAILED_ABOVE,
  STUDY_2020_CITATION,
  STUDY_2020_POINTS,
  type StudyFigure,
  type StudyPoint,
} from './study-2020';
import { manifestRunArgs } from '../../result/manifest';

/** chart.js's UMD build, read when a report is rendered so the report carries the installed version. */
export function chartJsSource(): string {
  const file = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.js');
  return fs.readFileSync(file, 'utf8');
}

interface ChartPoint {
  x: number;
  y: number;
  lo: number | null;
  hi: number | null;
  trials: number;
  /** only errored or invalid trials had this number */
  flagged: boolean;
}

interface ChartSeries {
  name: string;
  color: string;
  fill: string;
  dash: boolean;
  /** overrides `dash` (the p99 lines of the cross-node figure are dotted) */
  dashPattern?: number[];
  /** chart.js point style; circle when absent */
  pointStyle?: string;
  /** series of one group share the first one's legend entry, which shows and hides them together */
  group?: string;
  /** the series' name in tooltips, when the legend's is not enough */
  tip?: string;
  points: ChartPoint[];
}

/** An errored or invalid cell, drawn as a red cross; y null when it measured nothing. */
interface ChartFailure {
  x: number;
  y: number | null;
  text: string;
}

interface ChartStudyPoint {
  x: number;
  y: number;
  color: string;
  label: string;
  text: string;
  /** drawn as a horizontal line across the x axis, labelled at its left end: its x is not known */
  across?: boolean;
}

/** What the page script needs to draw one line figure. */
interface LineFigureData {
  kind: 'line';
  id: string;
  figure: string;
  unit: string;
  xTitle: string;
  xLog: boolean;
  /** what x counts, singular and plural, for the tooltips */
  xUnit: [string, string];
  /** a category axis: x is the index into these names */
  xCategories?: string[];
  yTitle: string;
  yLog: boolean;
  /** name of the shaded band, or null for none */
  band: string | null;
  levels: number[];
  series: ChartSeries[];
  failures: ChartFailure[];
  study: ChartStudyPoint[];
}

/** One bar of a bar figure: its height and what its tooltip and label say. */
interface ChartBar {
  /** the bar's name on the category axis */
  category: string;
  value: number;
  /** written at the end of the bar */
  label: string;
  /** the tooltip */
  text: string;
  color: string;
  fill: string;
  /** only errored or invalid trials had this number */
  flagged: boolean;
}

/** A horizontal bar figure: one bar per category, top to bottom. */
interface BarFigureData {
  kind: 'bar';
  id: string;
  figure: string;
  valueTitle: string;
  /** the value axis runs from 0 to at least this */
  valueMax: number;
  bars: ChartBar[];
}

type FigureData = LineFigureData | BarFigureData;

/** A figure as the page shows it: numbered at render, in the order drawn. */
interface FigureView {
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

interface FigureDef {
  id: string;
  figure: string;
  title: string;
  unit: string;
  yTitle: string;
  yLog: boolean;
  band: string | null;
  line: (n: CellNumbers) => number | null;
  lo?: (n: CellNumbers) => number | null;
  hi?: (n: CellNumbers) => number | null;
  study: StudyFigure | null;
  explain: string;
  /** a second line per series (dotted, triangles) that shares the series' legend entry */
  second?: { name: string; line: (n: CellNumbers) => number | null };
  /** the main line's name in tooltips, with `second` */
  lineName?: string;
}

const p = (pick: (n: CellNumbers) => LatencyStats | null, key: keyof LatencyStats) => (n: CellNumbers) =>
  pick(n)?.[key] ?? null;
const mb = (v: number | null) => (v === null ? null : v / MB);

const FIGURES: FigureDef[] = [
  {
    id: 'fig-connect',
    figure: 'connect',
    title: 'Connect latency',
    unit: 'ms',
    yTitle: 'connect latency (ms, log scale)',
    yLog: true,
    band: 'p90–p99',
    line: p((n) => n.connectMs, 'p50'),
    lo: p((n) => n.connectMs, 'p90'),
    hi: p((n) => n.connectMs, 'p99'),
    lineName: 'connect p50',
    second: { name: 'connect service p50', line: p((n) => n.connectServiceMs, 'p50') },
    study: 'connect',
    explain:
      'From when the client’s arrival was due by the schedule to the library’s own connected event: <code>open</code> for ws and SockJS (SockJS includes its <code>/info</code> request), <code>connect</code> for Socket.IO (the Engine.IO handshake plus the namespace CONNECT); it includes any time the client waited because the load generator was behind. Measured for every client of the ramp; circles and the solid line are the p50, the shaded band runs from p90 to p99. Triangles and the dotted line are <em>connect service</em>, the p50 from the client’s actual start: connect without the generator’s lag. A legend entry shows and hides both.',
  },
  {
    id: 'fig-first-message',
    figure: 'first-message',
    title: 'Time to first message',
    unit: 'ms',
    yTitle: 'time to first message (ms, log scale)',
    yLog: true,
    band: 'p90–p99',
    line: p((n) => n.timeToFirstMessageMs, 'p50'),
    lo: p((n) => n.timeToFirstMessageMs, 'p90'),
    hi: p((n) => n.timeToFirstMessageMs, 'p99'),
    study: 'firstMessage',
    explain:
      'From when the client’s arrival was due to the arrival of the server’s <code>welcome</code> message, which every server sends as soon as a client connects: what a user of an app waits for. (From the connected event to the welcome is near zero by construction; the table lists it as first message.) The line is the p50, the shaded band runs from p90 to p99.',
  },
  {
    id: 'fig-memory',
    figure: 'memory',
    title: 'Server memory (RSS)',
    unit: 'MB',
    yTitle: 'server RSS (MB, log scale)',
    yLog: true,
    band: 'idle–peak',
    line: (n) => mb(n.rssSteadyBytes),
    lo: (n) => mb(n.rssIdleBytes),
    hi: (n) => mb(n.rssPeakBytes),
    study: 'memory',
    explain:
      'The server process’s resident set, read from outside (<code>/proc/&lt;pid&gt;/status</code> VmRSS) at a fixed interval. The line is the steady RSS (median of the samples in the second half of the hold, all clients connected); the shaded band runs from idle (before any client) to the peak. MB = 1,048,576 bytes.',
  },
  {
    id: 'fig-bytes-per-client',
    figure: 'bytes-per-client',
    title: 'Server memory per client',
    unit: 'KB',
    yTitle: 'server memory per client (KB)',
    yLog: false,
    band: null,
    line: (n) => (n.bytesPerClient === null ? null : n.bytesPerClient / KB),
    study: null,
    explain:
      'What one more connected client costs the server: (steady RSS − idle RSS) / connected clients. KB = 1,024 bytes.',
  },
  {
    id: 'fig-probe-connect',
    figure: 'probe-connect',
    title: 'Connect latency of a new client with N connected',
    unit: 'ms',
    yTitle: 'probe connect latency p50 (ms, log scale)',
    yLog: true,
    band: null,
    line: p((n) => n.probeConnectMs, 'p50'),
    study: null,
    explain:
      'After the hold, a few probe clients connect one at a time while all the others stay connected: how long does a new connection take with N clients connected? Unlike figure 1, no other client is arriving at the same time. The line is the p50 over the probes.',
  },
];

const PALETTES: Record<string, string[]> = {
  ws: ['#1f77b4', '#08519c', '#6baed6'],
  socketio: ['#ff7f0e', '#a63603', '#fd8d3c'],
  sockjs: ['#2ca02c', '#006d2c', '#74c476'],
  other: ['#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'],
};

const LIB_COLORS: Record<string, string> = { ws: '#1f77b4', socketio: '#ff7f0e', sockjs: '#2ca02c' };

function rgba(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

interface SeriesStyle {
  color: string;
  dash: boolean;
}

/** A colour per series from its library's palette, in order; the library's second and later series are dashed. */
function seriesStyles(items: readonly { series: string; lib: string }[]): Map<string, SeriesStyle> {
  const styles = new Map<string, SeriesStyle>();
  const used: Record<string, number> = {};
  for (const c of items) {
    if (styles.has(c.series)) continue;
    const family = PALETTES[c.lib] ? c.lib : 'other';
    const palette = PALETTES[family]!;
    const i = used[family] ?? 0;
    used[family] = i + 1;
    styles.set(c.series, { color: palette[i % palette.length]!, dash: family !== 'other' && i > 0 });
  }
  return styles;
}

const fmtClients = (n: number) => n.toLocaleString('en-US');

function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

const cellName = (c: ReportCell) => `${c.series} × ${fmtClients(c.clients)} clients, trial ${c.trial}`;

function studyLabel(s: StudyPoint): string {
  const lib = { ws: 'ws', socketio: 'Socket.IO', sockjs: 'SockJS' }[s.lib] ?? s.lib;
  const approx = s.note?.startsWith('approximate') ? '≈' : '';
  const at =
    s.lib === 'sockjs' && s.clients === SOCKJS_FAILED_ABOVE ? ` @${SOCKJS_FAILED_ABOVE / 1000}k, failed above` : '';
  return `2020 ${lib} ${approx}${s.value} ${s.unit}${at}`;
}

/** The p50 of `pick` across trials, one point per group, at `x(group)`. */
function linePoints(
  groups: readonly CellGroup[],
  pick: (n: CellNumbers) => number | null,
  x: (g: CellGroup) => number,
): ChartPoint[] {
  return groups.flatMap((g) => {
    const a = acrossTrials(g.cells, pick);
    return a ? [{ x: x(g), y: a.value, lo: null, hi: null, trials: a.trials, flagged: a.flagged }] : [];
  });
}

/** The dotted second line of a series (`second`), in its legend group; null when no result has it. */
function secondLine(
  second: NonNullable<FigureDef['second']>,
  groups: readonly CellGroup[],
  main: ChartSeries,
): ChartSeries | null {
  const points = linePoints(
    groups.filter((g) => g.series === main.name),
    second.line,
    (g) => g.clients,
  );
  if (points.length === 0) return null;
  return {
    ...main,
    name: `${main.name} ${second.name}`,
    group: main.name,
    dashPattern: [2, 3],
    pointStyle: 'triangle',
    points: points.sort((a, b) => a.x - b.x),
  };
}

function figureData(def: FigureDef, groups: CellGroup[], cells: readonly ReportCell[]): LineFigureData {
  const styles = seriesStyles(cells);
  const bySeries = new Map<string, ChartPoint[]>();
  for (const g of groups) {
    const line = acrossTrials(g.cells, def.line);
    if (!bySeries.has(g.series)) bySeries.set(g.series, []);
    if (!line) continue;
    const lo = def.lo ? acrossTrials(g.cells, def.lo) : null;
    const hi = def.hi ? acrossTrials(g.cells, def.hi) : null;
    bySeries.get(g.series)!.push({
      x: g.clients,
      y: line.value,
      lo: lo?.value ?? null,
      hi: hi?.value ?? null,
      trials: line.trials,
      flagged: line.flagged,
    });
  }
  const main: ChartSeries[] = [...bySeries].map(([name, points]) => {
    const style = styles.get(name)!;
    return {
      name,
      color: style.color,
      fill: rgba(style.color, def.figure === 'memory' ? 0.1 : 0.18),
      dash: style.dash,
      points: points.sort((a, b) => a.x - b.x),
    };
  });
  const series = main.flatMap((m) => {
    const extra = def.second ? secondLine(def.second, groups, m) : null;
    return extra ? [{ ...m, group: m.name, tip: `${m.name} ${def.lineName ?? ''}`.trim() }, extra] : [m];
  });
  const failures: ChartFailure[] = cells.filter(isFlagged).map((c) => ({
    x: c.clients,
    y: def.line(numbersOf(c)),
    text: `${cellName(c)}: ${flagReason(c)}`,
  }));
  const study: ChartStudyPoint[] = def.study
    ? STUDY_2020_POINTS.filter((s) => s.figure === def.study).map((s) => ({
        x: s.clients,
        y: s.value,
        color: LIB_COLORS[s.lib] ?? '#555555',
        label: studyLabel(s),
        text: `2020 study, ${s.lib} at ${fmtClients(s.clients)} clients: ${s.value} ${s.unit}${s.note ? ` (${s.note})` : ''}`,
      }))
    : [];
  const levels = [...new Set([...cells.map((c) => c.clients), ...study.map((s) => s.x)])]
    .filter((x) => x > 0)
    .sort((a, b) => a - b);
  return {
    kind: 'line',
    id: def.id,
    figure: def.figure,
    unit: def.unit,
    xTitle: 'clients connected (log scale)',
    xLog: true,
    xUnit: ['client', 'clients'],
    yTitle: def.yTitle,
    yLog: def.yLog,
    band: def.band,
    levels,
    series,
    failures,
    study,
  };
}

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
function broadcastFigures(cells: readonly ReportCell[]): FigureView[] {
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

const statusBadge = (status: string) => `<span class="badge status-${h(status)}">${h(status)}</span>`;

function validBadge(c: ReportCell): string {
  if (c.valid === null) return '<span class="badge unknown">–</span>';
  return c.valid ? '<span class="badge valid">yes</span>' : '<span class="badge invalid">INVALID</span>';
}

const td = (text: string, cls = 'num') => `<td class="${cls}">${h(text)}</td>`;
const bytesMb = (b: number | null) => (b === null ? '–' : (b / MB).toFixed(1));

function cellRow(c: ReportCell): string {
  const n = numbersOf(c);
  const cls = [c.status !== 'completed' ? 'row-errored' : '', c.valid === false ? 'row-invalid' : '']
    .filter(Boolean)
    .join(' ');
  const reasons = [...(c.error ? [`${c.status}: ${c.error}`] : []), ...c.invalidReasons.map((r) => `invalid: ${r}`)];
  const lat = (s: LatencyStats | null) => [td(fmt(s?.p50)), td(fmt(s?.p99))].join('');
  const connected =
    n.connected === null ? '–' : `${fmtClients(n.connected)} / ${n.failed === null ? '–' : fmtClients(n.failed)}`;
  return `<tr class="${cls}">
<td>${h(c.series)}</td>${td(fmtClients(c.clients))}${td(rateText(c.arrivalRate))}${td(String(c.trial))}<td>${statusBadge(c.status)}</td><td>${validBadge(c)}</td>${td(connected)}${lat(n.connectMs)}${lat(n.connectServiceMs)}${lat(n.timeToFirstMessageMs)}${lat(n.firstMessageMs)}${lat(n.echoMs)}${td(bytesMb(n.rssIdleBytes))}${td(bytesMb(n.rssSteadyBytes))}${td(bytesMb(n.rssPeakBytes))}${td(n.bytesPerClient === null ? '–' : (n.bytesPerClient / KB).toFixed(1))}
<td class="reasons">${reasons.map((r) => `<div>${h(r)}</div>`).join('')}</td></tr>`;
}

function cellsTable(cells: readonly ReportCell[]): string {
  return `<div class="scroll"><table class="cells">
<thead>
<tr><th rowspan="2">library</th><th rowspan="2">clients</th><th rowspan="2">arrival rate</th><th rowspan="2">trial</th><th rowspan="2">status</th><th rowspan="2">valid</th><th rowspan="2">connected / failed</th><th colspan="2">connect (ms)</th><th colspan="2">connect service (ms)</th><th colspan="2">time to first message (ms)</th><th colspan="2">first message (ms)</th><th colspan="2">echo (ms)</th><th colspan="3">server RSS (MB)</th><th rowspan="2">KB / client</th><th rowspan="2">error / invalid reasons</th></tr>
<tr><th>p50</th><th>p99</th><th>p50</th><th>p99</th><th>p50</th><th>p99</th><th>p50</th><th>p99</th><th>p50</th><th>p99</th><th>idle</th><th>steady</th><th>peak</th></tr>
</thead>
<tbody>
${cells.map(cellRow).join('\n')}
</tbody>
</table></div>`;
}

const count = (v: number | null) => (v === null ? '–' : fmtClients(v));

/** Each node's deliveries, the killed one marked. */
function nodeDeliveries(nodes: readonly NodeDelivery[]): string {
  if (!nodes.some((n) => n.deliveries !== null || n.killed)) return '–';
  return nodes
    .map(
      (n) =>
        `<div>${h(n.nodeId)} ${h(count(n.deliveries))}${n.killed ? ' <span class="badge invalid">killed</span>' : ''}</div>`,
    )
    .join('');
}

const EXPECTED_FROM: Record<'nodes' | 'control', string> = { nodes: 'node logs', control: 'publisher' };

function deliveryRow(row: DeliveryRow, has: AdapterTable['has']): string {
  const { run } = row;
  const b = run.numbers.broadcast;
  const c = run.cell;
  const cls =
    c.status !== 'completed'
      ? ' class="row-errored"'
      : b && (b.lost !== 0 || b.outOfOrder > 0 || b.duplicates > 0)
        ? ' class="row-invalid"'
        : '';
  const rc = row.reconnect;
  const cells = [
    `<td>${h(row.library)}</td>`,
    `<td>${h(run.transport)}</td>`,
    td(String(run.nodes)),
    td(fmtClients(run.clients)),
    td(String(c.trial)),
    td(count(b?.sent ?? null)),
    td(count(b?.expectedDeliveries ?? null)),
    ...(has.expectedFrom ? [`<td>${h(row.expectedFrom ? EXPECTED_FROM[row.expectedFrom] : '–')}</td>`] : []),
    td(count(b?.delivered ?? null)),
    td(count(b?.lost ?? null)),
    td(count(b?.outOfOrder ?? null)),
    td(count(b?.duplicates ?? null)),
    ...(has.gaps ? [td(count(row.gaps))] : []),
    ...(has.missedWhileReconnecting ? [td(count(row.missedWhileReconnecting))] : []),
    td(ratioText(row.ratio)),
    td(fmt(run.numbers.broadcastMs?.p50)),
    td(fmt(run.numbers.broadcastMs?.p99)),
    ...(has.reconnect
      ? [
          td(rc ? `${fmtClients(rc.reconnected)} / ${fmtClients(rc.lost)}` : '–'),
          td(rc ? fmtClients(rc.failed) : '–'),
          td(fmt(row.reconnectMs?.p50)),
          td(fmt(row.reconnectMs?.p99)),
        ]
      : []),
    ...(has.nodes ? [`<td class="nodes">${nodeDeliveries(row.nodes)}</td>`] : []),
    ...(has.faults ? [`<td class="faults">${row.faults.map((f) => `<div>${h(f)}</div>`).join('') || '–'}</td>`] : []),
  ];
  return `<tr${cls}>${cells.join('')}</tr>`;
}

/** How the clients of a table's runs reconnect, once per distinct setting. */
function reconnectNote(rows: readonly DeliveryRow[]): string {
  const texts = new Set(
    rows.flatMap((r) => {
      const s = r.reconnect?.settings;
      if (!s) return [];
      return [
        `up to ${fmtClients(s.attempts)} attempts per lost connection, the first after ${fmtClients(s.delayMs)} ms, each further delay doubled up to ${fmtClients(s.delayMaxMs)} ms, ± ${Math.round(s.jitter * 100)} % at random`,
      ];
    }),
  );
  return texts.size ? `<p class="note">Clients reconnect with ${[...texts].map(h).join('; or ')}.</p>` : '';
}

const ADAPTER_TITLE: Record<string, string> = {
  none: 'No adapter (one node)',
  redis: 'Adapter <code>redis</code>',
  postgres: 'Adapter <code>postgres</code>',
  cluster: 'Adapter <code>cluster</code>',
};

function adapterTable(t: AdapterTable): string {
  const { has } = t;
  const head = [
    'library',
    'transport',
    'nodes',
    'clients',
    'trial',
    'sent',
    'expected',
    ...(has.expectedFrom ? ['expected from'] : []),
    'delivered',
    'lost',
    'out of order',
    'duplicates',
    ...(has.gaps ? ['gaps'] : []),
    ...(has.missedWhileReconnecting ? ['missed while reconnecting'] : []),
    'delivered ratio',
    'broadcast p50 (ms)',
    'broadcast p99 (ms)',
    ...(has.reconnect ? ['reconnected / lost', 'gave up', 'reconnect p50 (ms)', 'reconnect p99 (ms)'] : []),
    ...(has.nodes ? ['deliveries per node'] : []),
    ...(has.faults ? ['faults'] : []),
  ];
  const title = ADAPTER_TITLE[t.adapter] ?? `Adapter <code>${h(t.adapter)}</code>`;
  return `<h3 id="delivery-${h(t.adapter)}">${title}</h3>
<div class="scroll"><table class="cells" data-adapter="${h(t.adapter)}">
<thead><tr>${head.map((x) => `<th>${h(x)}</th>`).join('')}</tr></thead>
<tbody>
${t.rows.map((r) => deliveryRow(r, has)).join('\n')}
</tbody>
</table></div>
${reconnectNote(t.rows)}`;
}

/** Broadcast delivery per run, one table per adapter: what the publisher sent, what the clients got, and what went wrong. */
function deliverySection(cells: readonly ReportCell[]): string {
  const tables = adapterTables(cells);
  if (tables.length === 0) return '';
  return `<section id="delivery"><h2>Broadcast delivery</h2>
<p>One table per adapter, one row per run. Sent counts the broadcasts; expected, the deliveries the nodes made (the clients each node wrote each broadcast to; <em>expected from</em> says whether each node’s own log counted them, or, for a remote target, the publisher’s answers); delivered, what the clients got: each (client, seq) counted once; a seq below the highest already seen counts as out of order, a seq seen before as a duplicate. delivered + lost = expected. Gaps are seqs missing between the first and the last one a client received; missed while reconnecting are those a client never got between losing its connection and reconnecting (those its node wrote before dying are also lost). Gave up counts lost connections still closed after the last reconnect attempt; reconnect time runs from the lost connection to the welcome on the new one. Yellow rows lost, reordered or repeated something; red rows did not complete.</p>
${tables.map(adapterTable).join('\n')}
</section>`;
}

const dl = (rows: [string, string][]) =>
  `<dl>${rows.map(([k, v]) => `<dt>${h(k)}</dt><dd>${h(v)}</dd>`).join('')}</dl>`;

function optionsTable(options: Record<string, RunOptions>): string {
  const rows = Object.entries(options);
  if (rows.length === 0) return '<p>No result file records its run options.</p>';
  const head = [
    'series',
    'scenario file',
    'transport',
    'deflate',
    'arrival rate (clients/s)',
    'warm-up clients',
    'hold (s)',
    'probes',
    'ping interval (ms)',
    'echo every (ms)',
    'connect timeout (ms)',
    'target',
  ];
  const body = rows.map(([series, o]) => {
    const cells = [
      series,
      o.scenarioFile ? path.basename(String(o.scenarioFile)) : '–',
      o.transport,
      o.deflate ? 'on' : 'off',
      o.arrivalRate,
      o.warmup,
      o.holdSeconds,
      o.probes,
      o.pingIntervalMs,
      o.echoEveryMs,
      o.connectTimeoutMs,
      o.target ?? 'local server',
    ];
    return `<tr>${cells.map((v) => `<td>${h(v ?? '–')}</td>`).join('')}</tr>`;
  });
  return `<div class="scroll"><table><thead><tr>${head.map((x) => `<th>${h(x)}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table></div>`;
}

/** bench calibrate's score for the machine, or how to get one. */
function calibrationText(env: RunEnv): string {
  const c = env.calibration;
  if (!c) return 'not measured: run bench calibrate on that machine, then rerun';
  return `CPU ${c.cpu.roundsPerSecond} rounds/s (${c.cpu.workload}); ${c.connections.perSecond} ws connections/s on loopback; measured ${c.measuredAt}`;
}

/** What the hardware profile applied and skipped on the machine that ran. */
function profileSection(env: RunEnv): string {
  if (typeof env.profile === 'string' || (!env.profile.applied.length && !env.profile.skipped.length)) {
    return `<p>Profile <code>${h(profileName(env))}</code>: nothing applied; server and load generator shared this machine as it is.</p>`;
  }
  const { applied, skipped } = env.profile;
  const li = (what: string, text: string) => `<li><b>${h(what)}</b>: ${h(text)}</li>`;
  return [
    `<h3>Profile <code>${h(env.profile.name)}</code></h3>`,
    applied.length
      ? `<p>Applied:</p><ul>${applied.map((a) => li(a.what, a.detail)).join('')}</ul>`
      : '<p>Nothing applied.</p>',
    skipped.length
      ? `<p class="warn">Skipped:</p><ul class="warn">${skipped.map((a) => li(a.what, a.reason)).join('')}</ul>`
      : '<p>Nothing skipped.</p>',
  ].join('');
}

function conditions(report: LoadedReport): string {
  const { env, options, differs } = report.conditions;
  const parts: string[] = ['<section id="conditions"><h2>Conditions</h2>'];
  if (env) {
    parts.push('<h3>Machine and software</h3>');
    parts.push(
      dl([
        ['Node', env.node],
        ['CPU', env.cpu],
        ['cores', String(env.cores)],
        ['memory', typeof env.memoryBytes === 'number' ? `${(env.memoryBytes / 1024 ** 3).toFixed(1)} GiB` : '–'],
        ['OS', env.os],
        ['kernel', env.kernel],
        ['arch', env.arch],
        ['fingerprint', env.fingerprint ?? '–'],
        ['calibration', calibrationText(env)],
        ['profile', profileName(env)],
      ]),
    );
    parts.push(profileSection(env));
    const versions = Object.entries(env.versions ?? {});
    parts.push('<h3>Versions</h3>');
    parts.push(
      versions.length
        ? `<ul class="versions">${versions.map(([k, v]) => `<li><code>${h(k)}</code> ${h(v)}</li>`).join('')}</ul>`
        : '<p>No versions recorded.</p>',
    );
  } else {
    parts.push('<p>No result file or manifest records the machine.</p>');
  }
  const diff = Object.entries(differs);
  if (diff.length) {
    parts.push('<h3 class="warn">Not the same in every result</h3><ul class="warn">');
    parts.push(...diff.map(([k, v]) => `<li><code>${h(k)}</code>: ${v.map(h).join(' | ')}</li>`));
    parts.push('</ul>');
  }
  parts.push('<h3>Run options</h3>', optionsTable(options));
  for (const { folder, manifest: m } of report.sweeps) {
    parts.push(`<h3>Sweep <code>${h(path.basename(folder))}</code></h3>`);
    parts.push(
      dl([
        ['preset', m.preset ?? 'none'],
        ['libraries', (m.options?.libs ?? []).join(', ')],
        ['client levels', (m.options?.clients ?? []).map(fmtClients).join(', ')],
        ...(Array.isArray(m.options?.arrivalRates)
          ? [['arrival rates', m.options.arrivalRates.map((r) => rateText(r)).join(', ')] as [string, string]]
          : []),
        ['trials', String(m.options?.trials ?? '–')],
        ['scenario', String(m.options?.scenario ?? '–')],
        ['bench run flags', manifestRunArgs(m.options).join(' ') || '(none)'],
        ['created', String(m.createdAt ?? '–')],
        ['updated', String(m.updatedAt ?? '–')],
        ['wall time', typeof m.wallSeconds === 'number' ? `${m.wallSeconds.toFixed(0)} s` : '–'],
      ]),
    );
    if (Array.isArray(m.assumptions) && m.assumptions.length) {
      parts.push('<p>What the preset assumes:</p><ul>', ...m.assumptions.map((a) => `<li>${h(a)}</li>`), '</ul>');
    }
    if (m.fixedCost) {
      const f = m.fixedCost;
      parts.push(
        `<p>Fixed cost per cell (medians over ${h(f.cells)} cells, not measurement): start-up ${h(fmt(f.startupSeconds))} s, teardown ${h(fmt(f.teardownSeconds))} s, overhead besides the scripted phases ${h(fmt(f.overheadSeconds))} s.</p>`,
      );
    }
  }
  parts.push(
    `<h3>Inputs</h3><ul>${report.inputs.map((i) => `<li><code>${h(i)}</code></li>`).join('')}</ul>`,
    '</section>',
  );
  return parts.join('\n');
}

/** One of the fixed figures, with the notes its data and the 2020 study call for. */
function figureView(def: FigureDef, groups: CellGroup[], cells: readonly ReportCell[]): FigureView {
  const data = figureData(def, groups, cells);
  const notes: string[] = [];
  const v1 = cells.filter((c) => c.result && c.result.schemaVersion < 2).length;
  const none = data.series.every((s) => s.points.length === 0);
  if (none) {
    notes.push(
      def.figure === 'first-message' && v1 > 0
        ? 'No result has this number: the runs predate it (result schemaVersion 1).'
        : 'No result has this number.',
    );
  } else if (v1 > 0 && (def.figure === 'connect' || def.figure === 'first-message')) {
    notes.push(
      def.figure === 'connect'
        ? `${v1} of these runs predate result schemaVersion 2: their connect latency runs from the client’s start (connect service, as it is now called), and they have no dotted line.`
        : `${v1} of these runs predate result schemaVersion 2 and have no time to first message.`,
    );
  }
  if (def.study === 'firstMessage') {
    notes.push(
      '2020 study: its method for the time to the first message was not published; its points give orders of magnitude only.',
    );
  }
  if (def.study === 'connect' || def.study === 'memory') {
    notes.push(
      `2020 study: SockJS failed above ${fmtClients(SOCKJS_FAILED_ABOVE)} clients, so its points are at ${fmtClients(SOCKJS_FAILED_ABOVE)}.`,
    );
  }
  if (def.study === 'memory')
    notes.push('2020 study: Socket.IO at 10,000 clients was published as “almost 2 GB”, drawn at 2,000 MB.');
  return {
    id: def.id,
    figure: def.figure,
    title: def.title,
    explain: def.explain,
    notes,
    flagged: cells.filter(isFlagged),
    data,
  };
}

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

function figureSection(view: FigureView, number: number): string {
  const title = `${number}. ${view.title}`;
  // A bar figure grows with its bars; the CSS height fits the line figures.
  const height = view.data.kind === 'bar' ? ` style="height: ${Math.max(200, 80 + 34 * view.data.bars.length)}px"` : '';
  const marked =
    view.data.kind === 'bar' ? 'bars outlined in red' : 'red ×; a run that measured nothing is drawn at the bottom';
  const failed = view.flagged.length
    ? `<div class="note failed"><strong>Errored or invalid runs</strong> (${marked}):<ul>${view.flagged
        .map((c) => `<li>${h(cellName(c))}: ${h(flagReason(c))}</li>`)
        .join('')}</ul></div>`
    : '';
  return `<section class="figure">
<h3>${h(title)}</h3>
<p class="explain">${view.explain}</p>
<div class="chart-box"${height}><canvas id="${h(view.id)}" data-figure="${h(view.figure)}" role="img" aria-label="${h(title)}"></canvas></div>
${view.notes.map((n) => `<p class="note">${h(n)}</p>`).join('')}
${failed}
</section>`;
}

function summaryLine(report: LoadedReport): string {
  const cells = report.cells;
  const libs = [...new Set(cells.map((c) => c.series))];
  const levels = [...new Set(cells.map((c) => c.clients))].sort((a, b) => a - b);
  const scenarios = [...new Set(cells.map((c) => c.scenario))];
  const rates = [...new Map(cells.map((c) => [rateText(c.arrivalRate), c.arrivalRate])).values()].sort(
    (a, b) => rateRank(a) - rateRank(b),
  );
  const at = rates.length > 1 ? ` at arrival rates ${rates.map(rateText).join(', ')}` : '';
  const completed = cells.filter((c) => c.status === 'completed').length;
  const invalid = cells.filter((c) => c.valid === false).length;
  const starts = cells.flatMap((c) => (c.result?.startedAt ? [String(c.result.startedAt)] : [])).sort();
  const when = starts.length ? `, started between ${starts[0]} and ${starts[starts.length - 1]}` : '';
  return `${cells.length} runs (${completed} completed, ${cells.length - completed} not, ${invalid} invalid) of ${libs.join(', ')} at ${levels.map(fmtClients).join(', ')} clients${at}; scenario ${scenarios.join(', ')}${when}.`;
}

function studySection(): string {
  const rows = STUDY_2020_POINTS.map(
    (s) =>
      `<tr><td>${h(s.figure)}</td><td>${h(s.lib)}</td><td class="num">${h(fmtClients(s.clients))}</td><td class="num">${h(String(s.value))} ${h(s.unit)}</td><td>${h(s.note ?? '')}</td></tr>`,
  ).join('');
  return `<section id="study"><h2>The 2020 study's published points</h2>
<p>${h(STUDY_2020_CITATION)}.</p>
<p>Drawn as triangles on figures 1–3 in the library’s colour, and as horizontal lines on the arrival-rate figure when there is one. They come from other machines, Socket.IO 2.x and a method that is only loosely described and was never published, nor was its arrival rate (its “time to establish a connection” may include waiting behind other arriving clients, as our connect latency from when each arrival was due does), so they give orders of magnitude, not a baseline. <strong>SockJS failed above ${h(fmtClients(SOCKJS_FAILED_ABOVE))} clients in the study</strong>; its points are at ${h(fmtClients(SOCKJS_FAILED_ABOVE))}.</p>
<div class="scroll"><table><thead><tr><th>figure</th><th>library</th><th>clients</th><th>value</th><th>note</th></tr></thead><tbody>${rows}</tbody></table></div>
</section>`;
}

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1f24; margin: 0 auto; padding: 16px 24px 48px; max-width: 1400px; background: #fff; }
h1 { font-size: 24px; margin: 8px 0 4px; } h2 { font-size: 19px; margin-top: 32px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; } h3 { font-size: 16px; margin: 18px 0 6px; }
.lead { color: #444; margin-top: 0; }
.controls { position: sticky; top: 0; background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: 6px 12px; margin: 12px 0; z-index: 1; display: flex; gap: 24px; flex-wrap: wrap; }
.controls label { cursor: pointer; user-select: none; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 8px 28px; }
.figure { min-width: 0; }
.chart-box { position: relative; height: 380px; }
.explain { color: #333; margin: 0 0 8px; font-size: 13px; }
.note { font-size: 12.5px; color: #555; margin: 4px 0; }
.note.failed { color: #8a1c1c; } .note ul { margin: 2px 0 0; padding-left: 20px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 12.5px; margin: 6px 0; }
th, td { border: 1px solid #d0d7de; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.reasons { max-width: 480px; color: #8a1c1c; }
td.nodes { white-space: nowrap; } td.faults { min-width: 300px; }
tr.row-errored td { background: #fdecec; } tr.row-invalid td { background: #fff4d6; }
.badge { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: 11.5px; font-weight: 600; white-space: nowrap; }
.status-completed, .valid { background: #dafbe1; color: #116329; }
.status-errored, .status-aborted, .invalid { background: #d62728; color: #fff; }
.status-pending, .status-running, .unknown { background: #eaeef2; color: #57606a; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 4px 0; } dt { color: #57606a; } dd { margin: 0; }
ul.versions { columns: 3 220px; padding-left: 20px; }
.warn { color: #8a4b00; }
code { font-size: 12.5px; background: #f6f8fa; padding: 0 3px; border-radius: 3px; }
`;

/** The page's own script: builds every chart from the embedded data. */
const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var report = JSON.parse(document.getElementById('report-data').textContent);
  Chart.defaults.animation = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", sans-serif';
  Chart.defaults.color = '#333';

  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    var a = Math.abs(v);
    return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : String(Number(v.toPrecision(2)));
  }
  function compact(n) {
    return n >= 1000 && n % 1000 === 0 ? n / 1000 + 'k' : n >= 1000 ? (n / 1000).toFixed(1) + 'k' : String(n);
  }
  function wrap(text, width) {
    var words = String(text).split(' '), lines = [], line = '';
    words.forEach(function (w) {
      if (line && (line + ' ' + w).length > width) { lines.push(line); line = w; } else { line = line ? line + ' ' + w : w; }
    });
    if (line) lines.push(line);
    return lines;
  }
  // Each study point's label beside it: left of points in the right half, right of the others,
  // moved down until it overlaps no label already placed.
  var studyLabels = {
    id: 'studyLabels',
    afterDatasetsDraw: function (chart) {
      var area = chart.chartArea, ctx = chart.ctx, items = [], placed = [];
      chart.data.datasets.forEach(function (ds, i) {
        if (!ds.study || !chart.isDatasetVisible(i)) return;
        chart.getDatasetMeta(i).data.forEach(function (el, j) {
          if (!ds.data[j].quiet) items.push({ x: el.x, y: el.y, lift: 0, s: ds.data[j].s });
        });
      });
      ctx.save();
      ctx.font = '600 11px ' + Chart.defaults.font.family;
      ctx.textBaseline = 'middle';
      // Lines across the axis are labelled off themselves: the top one above, the next below, …
      var across = 0;
      items.sort(function (a, b) { return a.y - b.y; }).forEach(function (it) {
        if (it.s.across) it.lift = across++ % 2 === 0 ? 9 : -9;
        var width = ctx.measureText(it.s.label).width;
        var right = it.x > (area.left + area.right) / 2;
        var x0 = right ? it.x - 11 - width : it.x + 11, x1 = x0 + width, y = it.y - it.lift;
        for (var moved = true; moved; ) {
          moved = false;
          placed.forEach(function (b) {
            if (x0 < b.x1 && b.x0 < x1 && Math.abs(y - b.y) < 12.5) { y = b.y + 13; moved = true; }
          });
        }
        placed.push({ x0: x0, x1: x1, y: y });
        if (Math.abs(y - it.y + it.lift) > 6) {
          ctx.strokeStyle = it.s.color;
          ctx.lineWidth = 1;
          ctx.beginPath();
          ctx.moveTo(it.x + (right ? -6 : 6), it.y);
          ctx.lineTo(right ? x1 + 2 : x0 - 2, y);
          ctx.stroke();
        }
        ctx.fillStyle = it.s.color;
        ctx.textAlign = 'left';
        ctx.fillText(it.s.label, x0, y);
      });
      ctx.restore();
    }
  };

  function buildChart(spec) {
    var canvas = document.getElementById(spec.id);
    // A category axis (the arrival rates) puts its names at 0, 1, 2, …
    function xName(v) {
      if (!spec.xCategories) return compact(v);
      return Number.isInteger(v) && spec.xCategories[v] !== undefined ? spec.xCategories[v] : '';
    }
    var datasets = [];
    var ys = [];
    var clampY = function (y) { return spec.yLog ? Math.max(y, 0.001) : y; };
    spec.series.forEach(function (s) {
      s.points.forEach(function (p) { ys.push(p.y); if (p.lo !== null) ys.push(p.lo); if (p.hi !== null) ys.push(p.hi); });
      datasets.push({
        label: s.name, role: 'line', group: s.group, tip: s.tip,
        data: s.points.map(function (p) { return { x: p.x, y: clampY(p.y), p: p }; }),
        borderColor: s.color, backgroundColor: s.color, borderDash: s.dashPattern || (s.dash ? [6, 4] : []),
        pointStyle: s.pointStyle || 'circle',
        borderWidth: 2, pointRadius: 4, pointHoverRadius: 6, tension: 0, order: 1
      });
      var band = s.points.filter(function (p) { return p.lo !== null && p.hi !== null; });
      if (spec.band && band.length) {
        datasets.push({
          label: s.name + ' ' + spec.band + ' (low)', role: 'band',
          data: band.map(function (p) { return { x: p.x, y: clampY(p.lo) }; }),
          borderWidth: 0, pointRadius: 0, pointHitRadius: 0, fill: false, order: 3
        });
        datasets.push({
          label: s.name + ' ' + spec.band, role: 'band',
          data: band.map(function (p) { return { x: p.x, y: clampY(p.hi) }; }),
          borderWidth: 0, pointRadius: 0, pointHitRadius: 0, backgroundColor: s.fill, fill: '-1', order: 3
        });
      }
    });
    spec.study.forEach(function (s) { ys.push(s.y); });
    var positive = ys.filter(function (y) { return y > 0; });
    var bottom = spec.yLog ? (positive.length ? Math.min.apply(null, positive) / 2 : 0.1) : 0;
    if (spec.failures.length) {
      datasets.push({
        label: 'errored / invalid run', role: 'failure',
        data: spec.failures.map(function (f) { return { x: f.x, y: f.y === null ? bottom : clampY(f.y), f: f }; }),
        showLine: false, pointStyle: 'crossRot', pointRadius: 9, pointHoverRadius: 11, borderWidth: 3,
        borderColor: '#d62728', backgroundColor: '#d62728', order: 0
      });
    }
    var levels = spec.levels.length ? spec.levels : [1];
    var xmin = Math.min.apply(null, levels), xmax = Math.max.apply(null, levels);
    var points = spec.study.filter(function (s) { return !s.across; });
    // A point whose x is not known: a line across the axis, the triangle and label at its left end.
    spec.study.filter(function (s) { return s.across; }).forEach(function (s) {
      datasets.push({
        label: s.label, role: 'study', study: true,
        data: [{ x: xmin, y: s.y, s: s }, { x: xmax, y: s.y, s: s, quiet: true }],
        showLine: true, borderDash: [5, 4], borderWidth: 1.5, borderColor: s.color, backgroundColor: s.color,
        pointStyle: 'triangle', pointRadius: [8, 0], pointHoverRadius: [10, 0],
        pointBackgroundColor: s.color, pointBorderColor: '#222', order: 0
      });
    });
    if (points.length) {
      datasets.push({
        label: '2020 study (published)', role: 'study', study: true,
        data: points.map(function (s) { return { x: s.x, y: s.y, s: s }; }),
        showLine: false, pointStyle: 'triangle', pointRadius: 8, pointHoverRadius: 10, borderWidth: 1,
        pointBackgroundColor: points.map(function (s) { return s.color; }),
        pointBorderColor: '#222', backgroundColor: '#999', borderColor: '#222', order: 0
      });
    }
    // Log axes get room above and below the data (chart.js adds none), and the bottom markers fit.
    if (spec.failures.some(function (f) { return f.y === null; })) positive.push(bottom);
    var ymin = spec.yLog && positive.length ? Math.min.apply(null, positive) / 1.3 : undefined;
    var ymax = spec.yLog && positive.length ? Math.max.apply(null, positive) * 1.3 : undefined;
    // Which log ticks get a label: all of them over a narrow range, fewer as the range grows.
    var decades = ymin && ymax ? Math.log10(ymax / ymin) : 3;
    var labelled = decades < 1 ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : decades < 2.5 ? [1, 2, 3, 5] : [1, 2, 5];
    return new Chart(canvas, {
      type: 'line',
      data: { datasets: datasets },
      plugins: [studyLabels],
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        layout: { padding: { right: 8 } },
        interaction: { mode: 'nearest', intersect: true },
        scales: {
          x: {
            type: spec.xLog ? 'logarithmic' : 'linear',
            min: spec.xLog ? xmin / 1.35 : xmin - 0.5, max: spec.xLog ? xmax * 1.35 : xmax + 0.5,
            title: { display: true, text: spec.xTitle },
            afterBuildTicks: function (axis) { axis.ticks = levels.map(function (v) { return { value: v }; }); },
            ticks: { autoSkip: false, maxRotation: 0, callback: function (v) { return xName(Number(v)); } },
            grid: { color: '#e6e6e6' }
          },
          y: {
            type: spec.yLog ? 'logarithmic' : 'linear', beginAtZero: !spec.yLog,
            min: spec.yLog ? ymin : 0, max: ymax, grace: spec.yLog ? undefined : '5%',
            title: { display: true, text: spec.yTitle },
            ticks: {
              callback: function (v) {
                if (spec.yLog) {
                  var m = Number(v) / Math.pow(10, Math.floor(Math.log10(Number(v)) + 1e-9));
                  if (!labelled.some(function (l) { return Math.abs(m - l) < 1e-6; })) return '';
                }
                return String(Number(Number(v).toPrecision(3)));
              }
            },
            grid: { color: '#e6e6e6' }
          }
        },
        plugins: {
          legend: {
            position: 'bottom',
            labels: {
              usePointStyle: true, boxHeight: 8,
              filter: function (item, data) {
                var ds = data.datasets[item.datasetIndex];
                if (ds.role === 'band') return false;
                return !ds.group || data.datasets.findIndex(function (d) { return d.group === ds.group; }) === item.datasetIndex;
              }
            },
            onClick: function (e, item, legend) {
              var chart = legend.chart, ds = chart.data.datasets[item.datasetIndex];
              var show = !chart.isDatasetVisible(item.datasetIndex);
              chart.data.datasets.forEach(function (d, i) {
                if (i === item.datasetIndex || (ds.group && d.group === ds.group)) chart.setDatasetVisibility(i, show);
              });
              chart.update();
            }
          },
          tooltip: {
            callbacks: {
              title: function (items) {
                if (!items.length) return '';
                var x = Number(items[0].raw.x);
                if (spec.xCategories) return xName(x);
                return x.toLocaleString('en-US') + ' ' + spec.xUnit[x === 1 ? 0 : 1];
              },
              label: function (ctx) {
                var ds = ctx.dataset, raw = ctx.raw;
                if (ds.role === 'study') return wrap(raw.s.text, 70);
                if (ds.role === 'failure') return wrap(raw.f.text + (raw.f.y === null ? ' (measured nothing)' : ''), 70);
                if (ds.role === 'band') return ds.label + ': ' + fmt(raw.y) + ' ' + spec.unit;
                var p = raw.p, t = (ds.tip || ds.label) + ': ' + fmt(p.y) + ' ' + spec.unit;
                if (spec.band && p.lo !== null && p.hi !== null) t += ' (' + spec.band + ' ' + fmt(p.lo) + '–' + fmt(p.hi) + ')';
                if (p.trials > 1) t += ', median of ' + p.trials + ' trials';
                if (p.flagged) t += ' — only errored or invalid runs measured this';
                return t;
              }
            }
          }
        }
      }
    });
  }

  // Each bar's value at its end: bars of 99 % and 100 % look alike.
  var barLabels = {
    id: 'barLabels',
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx, ds = chart.data.datasets[0];
      ctx.save();
      ctx.font = '11px ' + Chart.defaults.font.family;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'middle';
      ctx.fillStyle = '#333';
      chart.getDatasetMeta(0).data.forEach(function (el, i) { ctx.fillText(ds.bars[i].label, el.x + 4, el.y); });
      ctx.restore();
    }
  };

  // A long bar name goes on two lines, split at a ' · ' near its middle.
  function barLines(text) {
    if (text.length <= 36) return [text];
    var parts = text.split(' · '), first = [], rest = [], len = 0;
    parts.forEach(function (p) {
      if (rest.length === 0 && (first.length === 0 || len + p.length <= text.length / 2)) { first.push(p); len += p.length + 3; }
      else rest.push(p);
    });
    return rest.length ? [first.join(' · '), rest.join(' · ')] : [text];
  }

  function buildBarChart(spec) {
    var bars = spec.bars;
    return new Chart(document.getElementById(spec.id), {
      type: 'bar',
      data: {
        labels: bars.map(function (b) { return barLines(b.category); }),
        datasets: [{
          label: spec.valueTitle, role: 'bar', bars: bars,
          data: bars.map(function (b) { return b.value; }),
          backgroundColor: bars.map(function (b) { return b.fill; }),
          borderColor: bars.map(function (b) { return b.flagged ? '#d62728' : b.color; }),
          borderWidth: bars.map(function (b) { return b.flagged ? 3 : 1; }),
          maxBarThickness: 22
        }]
      },
      plugins: [barLabels],
      options: {
        indexAxis: 'y', animation: false, responsive: true, maintainAspectRatio: false,
        layout: { padding: { left: 4, right: 64 } },
        scales: {
          x: {
            min: 0, max: Math.ceil(spec.valueMax), title: { display: true, text: spec.valueTitle },
            ticks: { callback: function (v) { return v + ' %'; } },
            grid: { color: '#e6e6e6' }
          },
          // Each bar names its run; an axis title would take the width long names need, and
          // chart.js would leave them less than that.
          y: {
            grid: { display: false },
            afterFit: function (axis) {
              var ctx = axis.ctx;
              ctx.save();
              ctx.font = Chart.helpers.toFont(axis.options.ticks.font).string;
              var widest = Math.max.apply(null, bars.map(function (b) {
                return Math.max.apply(null, barLines(b.category).map(function (l) { return ctx.measureText(l).width; }));
              }));
              ctx.restore();
              axis.width = Math.min(Math.max(axis.width, widest + 16), axis.chart.width * 0.6);
            }
          }
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (ctx) { return wrap(bars[ctx.dataIndex].text, 70); }
            }
          }
        }
      }
    });
  }

  var charts = report.figures.map(function (spec) { return spec.kind === 'bar' ? buildBarChart(spec) : buildChart(spec); });
  function toggle(id, test) {
    var box = document.getElementById(id);
    box.addEventListener('change', function () {
      charts.forEach(function (chart) {
        chart.data.datasets.forEach(function (ds, i) { if (test(ds)) chart.setDatasetVisibility(i, box.checked); });
        chart.update('none');
      });
    });
  }
  toggle('toggle-study', function (ds) { return ds.study === true; });
  toggle('toggle-bands', function (ds) { return ds.role === 'band'; });
  window.__benchReportCharts = charts;
  window.__benchReportReady = true;
})();
`;

/** One self-contained HTML file: chart.js and the data inlined, nothing loaded from anywhere. */
export function renderHtml(report: LoadedReport): string {
  const groups = groupCells(report.cells);
  const rates = arrivalRateFigure(report.cells);
  const figures = [
    ...FIGURES.map((def) => figureView(def, groups, report.cells)),
    ...(rates ? [rates] : []),
    ...broadcastFigures(report.cells),
  ];
  const title = 'realtime-bench report';
  return `${pageStart(title, CSS)}
<h1>${h(title)}: Socket.IO, SockJS and ws</h1>
<p class="lead">${h(summaryLine(report))} Lines are medians across trials; points of errored or invalid runs are marked with a red ×. Click a legend entry to hide that line.</p>
<div class="controls">
<label><input type="checkbox" id="toggle-study" checked> Show the 2020 study's published points</label>
<label><input type="checkbox" id="toggle-bands" checked> Show the shaded bands (p90–p99; for memory idle–peak)</label>
</div>
<section id="figures"><h2>Figures</h2>
<div class="figures">
${figures.map((f, i) => figureSection(f, i + 1)).join('\n')}
</div>
</section>
<section id="cells"><h2>Every run</h2>
<p>One row per run. Red rows errored, were aborted or left no result; yellow rows were marked invalid (the load generator fell behind its schedule or was saturated, or more connections failed than allowed; the last column says which), so their numbers do not measure what was asked. Connected / failed counts the clients of the ramp.</p>
${cellsTable(report.cells)}
</section>
${deliverySection(report.cells)}
${conditions(report)}
${studySection()}
<script>${scriptSource(chartJsSource())}</script>
<script type="application/json" id="report-data">${jsonForScript({ figures: figures.map((f) => f.data) })}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
