/**
 * The capacity report as one self-contained HTML page: chart.js and the data inlined, nothing
 * loaded from anywhere (the CSP forbids it), every text from a result escaped.
 */
import type { CapacityLimit, CapacityReport, GrowthModel, SeriesCapacity, SloMetric } from '../analysis/capacity';
import { describeModel, predict } from '../analysis/capacity';
import { bytes, count, fmt, MIB } from '../result/units';
import { pageStart } from './report/page';
import { escapeHtml as h, jsonForScript, scriptSource } from './report/escape';
import { chartJsSource } from './report/html';

const PALETTE: Record<string, string[]> = {
  ws: ['#1f77b4', '#08519c', '#6baed6'],
  socketio: ['#ff7f0e', '#a63603', '#fd8d3c'],
  sockjs: ['#2ca02c', '#006d2c', '#74c476'],
  other: ['#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'],
};

/** A prediction further out than this many times the largest measured level is cut off the chart. */
const MAX_CHART_REACH = 1000;

interface XY {
  x: number;
  y: number;
}

interface PlotSeries {
  name: string;
  color: string;
  points: XY[];
  /** the fitted model, sampled along the x range; empty when there is none */
  fit: XY[];
  fitLabel: string;
  /** clients at which this figure's limit is reached; null when it is not */
  limitX: number | null;
}

interface PlotFigure {
  id: string;
  figure: string;
  unit: string;
  yTitle: string;
  series: PlotSeries[];
  /** the limit on y (memory, CPU share or SLO), drawn as a horizontal line */
  limitY: number | null;
  limitLabel: string | null;
  xMin: number;
  xMax: number;
}

function colours(report: CapacityReport): Map<string, string> {
  const used: Record<string, number> = {};
  const out = new Map<string, string>();
  for (const s of report.series) {
    const family = PALETTE[s.lib] ? s.lib : 'other';
    const i = used[family] ?? 0;
    used[family] = i + 1;
    out.set(s.series, PALETTE[family]![i % PALETTE[family]!.length]!);
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

function figures(report: CapacityReport): PlotFigure[] {
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
    : ['connect.p99', 'firstMessage.p99'];
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

const FIGURE_TITLES: Record<string, string> = {
  memory: 'Server memory against connected clients',
  cpu: 'Server CPU against connected clients',
};

function figureSection(f: PlotFigure): string {
  const title = FIGURE_TITLES[f.figure] ?? `${f.figure} latency against connected clients`;
  const fits = f.series
    .filter((s) => s.fitLabel)
    .map((s) => `<li><b>${h(s.name)}</b>: ${h(s.fitLabel)}</li>`)
    .join('');
  return `<section class="figure">
<h3>${h(title)}</h3>
<div class="chart-box"><canvas id="${h(f.id)}" data-figure="${h(f.figure)}" role="img" aria-label="${h(title)}"></canvas></div>
${fits ? `<ul class="note">${fits}</ul>` : '<p class="note">No fit: needs completed, valid runs at 2 or more client levels.</p>'}
</section>`;
}

const td = (text: string, cls = '') => `<td${cls ? ` class="${cls}"` : ''}>${h(text)}</td>`;

function summaryTable(report: CapacityReport): string {
  const rows = report.series.map((s) => {
    const limits = s.limits
      .map(
        (l) =>
          `<div>${h(l.name)}: <b>${h(l.unusable !== null ? 'fit unusable' : l.maxClients === null ? 'no limit' : count(l.maxClients))}</b> — ${h(l.detail)}</div>`,
      )
      .join('');
    return `<tr>${td(s.series)}${td(`${s.points.length} used, ${s.dropped.length} dropped`)}${td(count(s.maxMeasuredClients), 'num')}<td class="num"><b>${h(s.unpredicted !== null ? 'not predicted' : s.maxClients === null ? 'no limit' : count(s.maxClients))}</b>${s.unpredicted !== null ? `<div class="note">${h(s.unpredicted)}</div>` : ''}</td>${td(s.plannedClients === null ? '–' : count(s.plannedClients), 'num')}${td(s.binding?.name ?? '–')}${report.users === null ? '' : td(s.serversNeeded === null ? '–' : count(s.serversNeeded), 'num')}<td>${limits}</td></tr>`;
  });
  const users = report.users === null ? '' : `<th>servers for ${h(count(report.users))} users</th>`;
  return `<div class="scroll"><table><thead><tr><th>series</th><th>runs</th><th>largest measured level</th><th>max clients per server</th><th>planned (headroom)</th><th>binding constraint</th>${users}<th>every limit</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function warningsSection(report: CapacityReport): string {
  const items = report.series.flatMap((s) => [
    ...s.warnings.map((w) => `<li class="warn"><b>${h(s.series)}</b>: ${h(w)}</li>`),
    ...s.dropped.map(
      (d) =>
        `<li><b>${h(s.series)}</b>: dropped ${h(count(d.clients))} clients, trial ${h(d.trial)}: ${h(d.reason)}</li>`,
    ),
  ]);
  const notes = report.notes.map((n) => `<li>${h(n)}</li>`);
  if (items.length + notes.length === 0) return '';
  return `<section id="warnings"><h2>Warnings, dropped runs and notes</h2><ul>${[...items, ...notes].join('')}</ul></section>`;
}

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1f24; margin: 0 auto; padding: 16px 24px 48px; max-width: 1400px; background: #fff; }
h1 { font-size: 24px; margin: 8px 0 4px; } h2 { font-size: 19px; margin-top: 32px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; } h3 { font-size: 16px; margin: 18px 0 6px; }
.lead { color: #444; margin-top: 0; }
.controls { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: 6px 12px; margin: 12px 0; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 8px 28px; }
.figure { min-width: 0; } .chart-box { position: relative; height: 380px; }
.note { font-size: 12.5px; color: #555; margin: 4px 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 12.5px; margin: 6px 0; }
th, td { border: 1px solid #d0d7de; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.warn { color: #8a4b00; }
`;

/** Builds every chart from the embedded data. */
const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('capacity-data').textContent);
  Chart.defaults.animation = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", sans-serif';
  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    var a = Math.abs(v);
    return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : String(Number(v.toPrecision(2)));
  }
  function compact(n) {
    return n >= 1e6 ? fmt(n / 1e6) + 'M' : n >= 1000 ? fmt(n / 1000) + 'k' : fmt(n);
  }
  // On log axes only 1, 2 and 5 of each decade get a label, so labels never collide.
  function tick(log, text) {
    return function (v) {
      v = Number(v);
      if (log) {
        var m = v / Math.pow(10, Math.floor(Math.log10(v) + 1e-9));
        if (![1, 2, 5].some(function (l) { return Math.abs(m - l) < 1e-6; })) return '';
      }
      return text(v);
    };
  }
  function build(f, log) {
    var datasets = [], ys = [];
    f.series.forEach(function (s) {
      s.points.forEach(function (p) { ys.push(p.y); });
      datasets.push({ label: s.name + ' (measured)', data: s.points, showLine: false, pointRadius: 5, pointStyle: 'circle',
        borderColor: s.color, backgroundColor: s.color, order: 0 });
      if (s.fit.length) {
        datasets.push({ label: s.name + ' (fit)', data: s.fit, pointRadius: 0, pointStyle: 'line', borderWidth: 2, borderDash: [6, 4],
          borderColor: s.color, backgroundColor: s.color, fitLabel: s.fitLabel, order: 1 });
      }
    });
    var positive = ys.filter(function (y) { return y > 0; });
    if (f.limitY !== null) positive.push(f.limitY);
    var yMin = positive.length ? Math.min.apply(null, positive) / 2 : 0.1;
    var yMax = positive.length ? Math.max.apply(null, positive) * 1.5 : 1;
    f.series.forEach(function (s) {
      if (s.limitX === null || s.limitX <= 0 || s.limitX > f.xMax) return;
      datasets.push({ label: s.name + ' limit: ' + Math.round(s.limitX).toLocaleString('en-US') + ' clients',
        data: [{ x: s.limitX, y: log ? yMin : 0 }, { x: s.limitX, y: yMax }], pointRadius: 0, pointStyle: 'line', borderWidth: 2,
        borderDash: [2, 3], borderColor: s.color, backgroundColor: s.color, order: 2 });
    });
    if (f.limitY !== null) {
      datasets.push({ label: f.limitLabel, data: [{ x: f.xMin, y: f.limitY }, { x: f.xMax, y: f.limitY }],
        pointRadius: 0, pointStyle: 'line', borderWidth: 2, borderDash: [8, 4], borderColor: '#d62728', backgroundColor: '#d62728', order: 3 });
    }
    return new Chart(document.getElementById(f.id), {
      type: 'line',
      data: { datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, parsing: true,
        interaction: { mode: 'nearest', intersect: true },
        scales: {
          x: { type: log ? 'logarithmic' : 'linear', min: log ? f.xMin : 0, max: f.xMax,
            title: { display: true, text: 'clients connected' + (log ? ' (log scale)' : '') },
            ticks: { maxRotation: 0, callback: tick(log, compact) } },
          y: { type: log ? 'logarithmic' : 'linear', min: log ? yMin : 0, max: yMax,
            title: { display: true, text: f.yTitle + (log ? ' (log scale)' : '') },
            ticks: { callback: tick(log, fmt) } }
        },
        plugins: {
          legend: { position: 'bottom', labels: { boxHeight: 8, usePointStyle: true } },
          tooltip: { callbacks: {
            title: function (items) { return items.length ? Math.round(items[0].raw.x).toLocaleString('en-US') + ' clients' : ''; },
            label: function (ctx) { return ctx.dataset.label + ': ' + fmt(ctx.raw.y) + ' ' + f.unit; }
          } }
        }
      }
    });
  }
  var box = document.getElementById('toggle-log');
  var charts = [];
  function draw() {
    charts.forEach(function (c) { c.destroy(); });
    charts = data.figures.map(function (f) { return build(f, box.checked); });
    window.__benchReportCharts = charts;
  }
  box.addEventListener('change', draw);
  draw();
  window.__benchReportReady = true;
})();
`;

function conditionsList(report: CapacityReport): string {
  const items: [string, string][] = [
    ['inputs', report.inputs.join(', ')],
    [
      'memory limit',
      report.memoryBytes === null
        ? 'none (give --memory)'
        : `${bytes(report.memoryBytes)}${report.memorySource === 'sweep machine' ? ' (the machine that ran the sweep)' : ''}`,
    ],
    ['headroom', `servers planned at ${fmt(report.cpuHeadroom * 100)} % of their measured limit (--cpu-headroom)`],
    ['SLOs', report.slos.map((s) => s.expression).join(', ') || 'none'],
    ['users', report.users === null ? '–' : count(report.users)],
  ];
  return `<ul>${items.map(([k, v]) => `<li>${h(k)}: ${h(v)}</li>`).join('')}</ul>`;
}

/** One self-contained HTML page of a capacity analysis. */
export function renderCapacityHtml(report: CapacityReport): string {
  const figs = figures(report);
  const title = 'realtime-bench capacity';
  return `${pageStart(title, CSS)}
<h1>${h(title)}</h1>
<p class="lead">Least-squares fits of each library’s measured runs against connected clients (dots: runs; dashed: fit; dotted: where a limit is reached; red: the limit). Predictions beyond the largest measured level are extrapolations and say so below.</p>
${conditionsList(report)}
<section id="summary"><h2>How many clients per server</h2>
${summaryTable(report)}
</section>
${warningsSection(report)}
<div class="controls"><label><input type="checkbox" id="toggle-log" checked> Log scales</label></div>
<section id="figures"><h2>Fits</h2>
<div class="figures">
${figs.map(figureSection).join('\n')}
</div>
</section>
<script>${scriptSource(chartJsSource())}</script>
<script type="application/json" id="capacity-data">${jsonForScript({ figures: figs })}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
