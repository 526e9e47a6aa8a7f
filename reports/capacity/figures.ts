/** The capacity page's figures: each series' measured points, its fitted model and where a limit is reached. */
import type { CapacityLimit, CapacityReport, GrowthModel, SeriesCapacity, SloMetric } from './capacity';
import { describeModel, predict } from './capacity';
import { bytes, MIB } from '../../runner/metrics/units';
import type { PlotFigure, PlotSeries, XY } from '../browser/figure-data';
import { PALETTES } from '../report/styles';

/** A prediction further out than this many times the largest measured level is cut off the chart. */
const MAX_CHART_REACH = 1000;

function colours(report: CapacityReport): Map<string, string> {
  const used: Record<string, number> = {};
  const out = new Map<string, string>();
  for (const s of report.series) {
    const family = PALETTES[s.lib] ? s.lib : 'other';
    const i = used[family] ?? 0;
    used[family] = i + 1;
    out.set(s.series, PALETTES[family]![i % PALETTES[family]!.length]!);
  }
  return out;
}

/** Geometric steps from lo to hi, so the curve is smooth on log axes too. */
function steps(lo: number, hi: number, n = 80): number[] {
  if (!(hi > lo)) return [lo];
  const r = Math.log(hi / lo) / (n - 1);
  return Array.from({ length: n }, (_, i) => lo * Math.exp(r * i));
}

function xRange(report: CapacityReport, limitOf: (s: SeriesCapacity) => number | null): [number, number] {
  const measured = report.series.flatMap((s) => s.points.map((p) => p.clients));
  if (measured.length === 0) return [1, 10];
  const lo = Math.max(1, Math.min(...measured) / 2);
  const top = Math.max(...measured);
  const limits = report.series.flatMap((s) => {
    const l = limitOf(s);
    return l !== null && l > 0 ? [Math.min(l, top * MAX_CHART_REACH)] : [];
  });
  return [lo, Math.max(top, ...limits) * 1.15];
}

const limitFor = (s: SeriesCapacity, constraint: CapacityLimit['constraint'], name?: string) =>
  s.limits.find((l) => l.constraint === constraint && (name === undefined || l.name === name))?.maxClients ?? null;

function figure(
  report: CapacityReport,
  id: string,
  def: {
    figure: string;
    unit: string;
    yTitle: string;
    scale: number;
    limitY: number | null;
    limitLabel: string | null;
    y: (s: SeriesCapacity) => XY[];
    model: (s: SeriesCapacity) => GrowthModel | null;
    fitLabel: (m: GrowthModel) => string;
    limitX: (s: SeriesCapacity) => number | null;
  },
  colour: Map<string, string>,
): PlotFigure {
  const [xMin, xMax] = xRange(report, def.limitX);
  const series = report.series.map((s): PlotSeries => {
    const model = def.model(s);
    return {
      name: s.series,
      color: colour.get(s.series)!,
      points: def.y(s).map((p) => ({ x: p.x, y: p.y / def.scale })),
      fit: model ? steps(xMin, xMax).map((x) => ({ x, y: predict(model, x) / def.scale })) : [],
      fitLabel: model ? def.fitLabel(model) : '',
      limitX: def.limitX(s),
    };
  });
  return {
    id,
    figure: def.figure,
    unit: def.unit,
    yTitle: def.yTitle,
    series,
    limitY: def.limitY === null ? null : def.limitY / def.scale,
    limitLabel: def.limitLabel,
    xMin,
    xMax,
  };
}

const linear = (f: { intercept: number; slope: number; r2: number; n: number } | null): GrowthModel | null =>
  f && { kind: 'linear', intercept: f.intercept, slope: f.slope, r2: f.r2, n: f.n };

export function capacityFigures(report: CapacityReport): PlotFigure[] {
  const colour = colours(report);
  const out: PlotFigure[] = [];
  const memoryName = report.memoryBytes === null ? null : `memory ${bytes(report.memoryBytes)}`;
  out.push(
    figure(
      report,
      'fig-memory',
      {
        figure: 'memory',
        unit: 'MiB',
        yTitle: 'server RSS, steady (MiB)',
        scale: MIB,
        limitY: report.memoryBytes,
        limitLabel: memoryName,
        y: (s) => s.points.flatMap((p) => (p.rssSteadyBytes === null ? [] : [{ x: p.clients, y: p.rssSteadyBytes }])),
        model: (s) => linear(s.memory),
        fitLabel: (m) => `${describeModel(m, 'RSS', 'bytes')}, R² ${m.r2.toFixed(3)}`,
        limitX: (s) => limitFor(s, 'memory'),
      },
      colour,
    ),
  );
  const latencies: SloMetric[] = report.slos.length
    ? [...new Set(report.slos.map((s) => s.metric))]
    : ['connect.p99', 'timeToFirstMessage.p99'];
  for (const metric of latencies) {
    const slos = report.slos.filter((s) => s.metric === metric);
    const tightest = slos.length ? slos.reduce((a, b) => (b.limitMs < a.limitMs ? b : a)) : null;
    out.push(
      figure(
        report,
        `fig-${metric.replace('.', '-')}`,
        {
          figure: metric,
          unit: 'ms',
          yTitle: `${metric} latency (ms)`,
          scale: 1,
          limitY: tightest?.limitMs ?? null,
          limitLabel: tightest ? `SLO ${tightest.expression}` : null,
          y: (s) =>
            s.points.flatMap((p) =>
              p.latencyMs[metric] === undefined ? [] : [{ x: p.clients, y: p.latencyMs[metric]! }],
            ),
          model: (s) => s.latency.find((l) => l.metric === metric)?.model ?? null,
          fitLabel: (m) => `${m.kind}: ${describeModel(m, metric, 'ms')}, R² ${m.r2.toFixed(3)}`,
          limitX: (s) => (tightest ? limitFor(s, 'slo', tightest.expression) : null),
        },
        colour,
      ),
    );
  }
  return out;
}
