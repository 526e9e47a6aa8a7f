/**
 * The capacity report as one self-contained HTML page: chart.js and the data inlined, nothing
 * loaded from anywhere (the CSP forbids it), every text from a result escaped.
 */
import type { CapacityReport } from './capacity';
import { bytes, count, fmt } from '../../runner/metrics/units';
import type { PlotFigure } from '../browser/figure-data';
import { capacityFigures } from './figures';
import { pageStart } from '../report/page';
import { escapeHtml as h } from '../report/escape';
import { pageScripts } from '../report/scripts';

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
  const figs = capacityFigures(report);
  const title = 'realtime-bench capacity';
  return `${pageStart(title, CSS, report.schemaVersions)}
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
${pageScripts('capacity-page', { figures: figs })}
</body>
</html>
`;
}
