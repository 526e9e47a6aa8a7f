/**
 * `bench soak` results in a report: a figure each of the server's memory after a full GC against
 * connection cycles, with the fitted lines, and a row each of slopes per 1,000 connections.
 */
import type { LoadedSoak } from '../read/read';
import type { SoakFit, SoakResult, SoakSample } from '../../runner/result/soak-schema';
import type { SoakFigureData, SoakSeries, XY } from '../browser/figure-data';
import { bytes, count, KIB, kibNumber as kib, MIB } from '../../runner/metrics/units';
import { escapeHtml as h, escapeMarkdown as md } from './escape';
import { LIB_COLORS, rgba } from './styles';

const RSS_COLOR = '#7f7f7f';

/**
 * The fit's line over the points it was fitted on, from the first cycle to the last: through their
 * mean (x̄, ȳ) with the fit's slope (y units per cycle). The fit is memory = a + b · cycles +
 * c · open, and the result keeps only b. Least squares passes through the means of all its
 * variables, so with the population held at its mean the fitted memory is ȳ + b · (x − x̄): the
 * partial slope through the mean, the line the verdict is about. A line fitted to cycles alone
 * would tilt with any drift in the population.
 */
export function lineThroughMean(points: readonly XY[], slope: number): [XY, XY] | null {
  if (points.length === 0 || !Number.isFinite(slope)) return null;
  const mean = (v: (p: XY) => number) => points.reduce((a, p) => a + v(p), 0) / points.length;
  const mx = mean((p) => p.x);
  const my = mean((p) => p.y);
  const xs = points.map((p) => p.x);
  const at = (x: number): XY => ({ x, y: my + slope * (x - mx) });
  return [at(Math.min(...xs)), at(Math.max(...xs))];
}

/** KiB under 1 MiB, else MiB: both binary, as the axis says. */
export function memoryUnit(maxBytes: number): { name: 'KiB' | 'MiB'; bytes: number } {
  return maxBytes >= MIB ? { name: 'MiB', bytes: MIB } : { name: 'KiB', bytes: KIB };
}

/** Heap used + external after the GC, what the verdict fits (null when the server did not say). */
const heapAndExternal = (s: SoakSample) => (s.externalBytes === null ? null : s.heapUsedBytes + s.externalBytes);

/** `polling fallback on · deflate off`, plus the test-only leak when it was on. */
export function soakOptions(r: SoakResult): string {
  const c = r.config;
  return [
    ...(c.transport === 'polling' ? ['polling fallback on'] : r.lib === 'socketio' ? ['websocket only'] : []),
    `deflate ${c.deflate ? 'on' : 'off'}`,
    ...(c.retainPerConnectionBytes > 0 ? [`test leak of ${bytes(c.retainPerConnectionBytes)} per connection`] : []),
  ].join(' · ');
}

/** `16,010.3 (15,950.2 to 16,070.4)`: KiB per 1,000 connections with its 95 % interval; '–' when not fitted. */
export function slopeText(fit: SoakFit | null): string {
  return fit ? `${kib(fit.slopePer1000)} (${kib(fit.ci95[0])} to ${kib(fit.ci95[1])})` : '–';
}

/** What the soak concluded, short; a soak that did not complete says so first. */
export function verdictCell(r: SoakResult): string {
  const v = r.verdict;
  const said = v.kind === 'leak' ? 'leaks' : v.kind === 'no-growth' ? 'no growth detected' : v.text;
  if (r.status === 'completed') return said;
  const why = `${r.status}: ${r.error ?? 'no reason recorded'}`;
  return r.fit ? `${why}; over the ${r.fit.n} samples fitted before it stopped, ${said}` : `${why}; ${said}`;
}

const HEAD = [
  'library',
  'options',
  'clients × churn',
  'duration',
  'cycles (abrupt)',
  'heap + external (KiB per 1,000, 95 % CI)',
  'detectable (KiB per 1,000)',
  'RSS (KiB per 1,000, 95 % CI)',
  'verdict',
];

/** One soak's table row, plain text; slopes only where they were fitted. */
export function soakCells(r: SoakResult): string[] {
  const c = r.config;
  return [
    r.lib,
    soakOptions(r),
    `${count(c.clients)} × ${count(c.churnPerSecond)}/s`,
    `${c.warmupSeconds} s warm-up + ${c.durationSeconds} s`,
    `${count(r.cyclesCompleted)} (${count(r.cyclesAbrupt)})`,
    slopeText(r.fit),
    r.fit ? kib(r.fit.detectablePer1000) : '–',
    slopeText(r.rssFit),
    verdictCell(r),
  ];
}

export function soaksMarkdown(soaks: readonly LoadedSoak[]): string[] {
  if (soaks.length === 0) return [];
  return [
    '### Memory per 1,000 connections (bench soak)',
    '',
    `| ${HEAD.join(' | ')} |`,
    '|---|---|--:|--:|--:|--:|--:|--:|---|',
    ...soaks.map(({ result }) => `| ${soakCells(result).map(md).join(' | ')} |`),
    '',
    '_Memory after a full GC against connection cycles, by least squares from when each fit starts (after the warm-up and the fill), the population held constant; KiB = 1,024 bytes. Detectable: the smallest slope the soak would have found 4 times in 5._',
    '',
  ];
}

const figureId = (i: number) => `fig-soak-${i + 1}`;

/** One memory figure as a series: the samples before the fit faded, the fitted ones, the fit's line. */
function series(
  r: SoakResult,
  name: string,
  color: string,
  pointStyle: string,
  y: (s: SoakSample) => number | null,
  fit: SoakFit | null,
  unit: { name: string; bytes: number },
): SoakSeries {
  const drawn = r.series.flatMap((s) => {
    const v = y(s);
    return v === null ? [] : [{ t: s.t, xy: { x: s.cycles, y: v / unit.bytes } }];
  });
  // The same samples the fit took: from fitFromSeconds on (runner/run/soak-verdict.ts).
  const fitted = drawn.filter((d) => d.t >= r.config.fitFromSeconds).map((d) => d.xy);
  return {
    name,
    color,
    fade: rgba(color, 0.3),
    pointStyle,
    warmup: drawn.filter((d) => d.t < r.config.fitFromSeconds).map((d) => d.xy),
    fitted,
    line: fit ? lineThroughMean(fitted, fit.slopePer1000 / 1000 / unit.bytes) : null,
    lineLabel: fit ? `${name}, fitted: ${kib(fit.slopePer1000)} KiB per 1,000 cycles` : `${name}: not fitted`,
  };
}

export function soakFigure(r: SoakResult, id: string): SoakFigureData {
  const values = r.series.flatMap((s) => [heapAndExternal(s), s.rssBytes].filter((v): v is number => v !== null));
  const unit = memoryUnit(Math.max(0, ...values));
  return {
    kind: 'soak',
    id,
    figure: 'soak',
    unit: unit.name,
    yTitle: `server memory after a full GC (${unit.name})`,
    series: [
      series(r, 'heap used + external', LIB_COLORS[r.lib] ?? '#9467bd', 'circle', heapAndExternal, r.fit, unit),
      series(r, 'RSS', RSS_COLOR, 'rect', (s) => s.rssBytes, r.rssFit, unit),
    ],
  };
}

export const soakFigures = (soaks: readonly LoadedSoak[]) => soaks.map((s, i) => soakFigure(s.result, figureId(i)));

function caption(r: SoakResult): string {
  const c = r.config;
  const status =
    r.status === 'completed' ? '' : ` <strong>${h(r.status)}: ${h(r.error ?? 'no reason recorded')}</strong>`;
  return `${h(r.lib)} · ${h(soakOptions(r))}: ${h(count(c.clients))} clients, ${h(count(c.churnPerSecond))} replaced a second for ${h(c.warmupSeconds)} s of warm-up + ${h(c.durationSeconds)} s, ${h(count(r.cyclesCompleted))} connection cycles (${h(count(r.cyclesAbrupt))} abrupt), fitted from ${h(c.fitFromSeconds)} s on.${status} <strong>${h(r.verdict.text)}</strong>.`;
}

export function soaksHtml(soaks: readonly LoadedSoak[]): string {
  if (soaks.length === 0) return '';
  const figures = soaks.map(({ result: r }, i) => {
    const title = `${r.lib}, ${soakOptions(r)}`;
    return `<section class="figure">
<h3>${h(title)}</h3>
<div class="chart-box"><canvas id="${figureId(i)}" data-figure="soak" role="img" aria-label="${h(`Memory over connection cycles: ${title}`)}"></canvas></div>
<p class="note">${caption(r)}</p>
</section>`;
  });
  const rows = soaks.map(
    ({ result }) =>
      `<tr>${soakCells(result)
        .map((c) => `<td>${h(c)}</td>`)
        .join('')}</tr>`,
  );
  return `<section id="soaks"><h2>Memory over connection cycles (bench soak)</h2>
<p class="explain">Each <code>bench soak</code> result: the server’s memory right after a forced full GC, once a sample interval, against the connection cycles it had seen close. Circles are heap used + external (what the verdict fits), squares RSS; faded points are the warm-up and the fill, before the fit starts. Each line is a fit over the points it was fitted on: its slope with the population held constant, drawn through the mean of those points (the fit’s intercept is not kept). KiB = 1,024 bytes, MiB = 1,048,576.</p>
<div class="figures">
${figures.join('\n')}
</div>
<div class="scroll"><table><thead><tr>${HEAD.map((c) => `<th>${h(c)}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table></div>
</section>`;
}
