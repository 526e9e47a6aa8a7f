/** The report's fixed figures (connect, first message, memory, memory per client, probe connect) against clients. */
import type { ReportCell } from '../read/read';
import type { ChartFailure, ChartPoint, ChartSeries, ChartStudyPoint, LineFigureData } from '../browser/figure-data';
import { cellName, linePoints, p, studyLabel, type FigureView } from './figure-view';
import { acrossTrials, flagReason, isFlagged, KB, MB, numbersOf, type CellGroup, type CellNumbers } from './metrics';
import { fmtClients } from './numbers';
import { LIB_COLORS, rgba, seriesStyles } from './styles';
import { SOCKJS_FAILED_ABOVE, STUDY_2020_POINTS, type StudyFigure } from './study-2020';

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

const mb = (v: number | null) => (v === null ? null : v / MB);

export const FIGURES: FigureDef[] = [
  {
    id: 'fig-connect',
    figure: 'connect',
    title: 'Connect latency, from when each arrival was due',
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
    title: 'Time to first message, from when each arrival was due',
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

/** One of the fixed figures, with the notes its data and the 2020 study call for. */
export function figureView(def: FigureDef, groups: CellGroup[], cells: readonly ReportCell[]): FigureView {
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
  if (def.figure === 'bytes-per-client') {
    const below = cells.filter((c) => numbersOf(c).bytesPerClientBelow !== null).length;
    if (below > 0) {
      notes.push(
        `${below === 1 ? '1 run' : `${below} runs`} added less memory than the noise of ${below === 1 ? 'its' : 'their'} RSS samples: below what ${below === 1 ? 'it resolves' : 'they resolve'}, so not drawn; the table gives each floor.`,
      );
    }
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
