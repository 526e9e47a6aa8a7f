/** `bench report --html`: one self-contained page of figures and tables. */
import { limitsHtml } from './limits';
import { rateRank, rateText, schemaVersionsOf, type LoadedReport } from '../read/read';
import { cellsTable } from './cells-table';
import { conditions } from './conditions';
import { deliverySection } from './delivery-table';
import { restartSection } from './restart-table';
import { escapeHtml as h } from './escape';
import { broadcastFigures } from './figure-broadcast';
import { dropFigures } from './figure-drops';
import { roomFigures } from './figure-rooms';
import { clientFigures } from './figure-clients';
import { arrivalRateFigure } from './figure-rates';
import { cellName, type FigureView } from './figure-view';
import { FIGURES, figureView } from './figures';
import { flagReason, groupCells } from './metrics';
import { fmtClients } from './numbers';
import { pageStart } from './page';
import { pageScripts } from './scripts';
import { soakFigures, soaksHtml } from './soak';
import { SOCKJS_FAILED_ABOVE, STUDY_2020_CITATION, STUDY_2020_POINTS } from './study-2020';

function figureSection(view: FigureView, number: number): string {
  const title = `${number}. ${view.title}`;
  // A bar figure grows with its bars; the CSS height fits the line figures.
  const d = view.data;
  const rows =
    d.kind === 'bar'
      ? 34 * d.bars.length
      : d.kind === 'bar-groups'
        ? 18 * d.sets.length * d.categories.length + 12 * d.categories.length
        : 0;
  const height = d.kind === 'line' ? '' : ` style="height: ${Math.max(200, 80 + rows)}px"`;
  const marked =
    d.kind === 'line' ? 'red ×; a run that measured nothing is drawn at the bottom' : 'bars outlined in red';
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

/** `1 bench limit result and 2 bench soak results.`, for a report without runs. */
function othersLine(report: LoadedReport): string {
  const n = (k: number, what: string) => (k ? [`${k} ${what} result${k === 1 ? '' : 's'}`] : []);
  return `${[...n(report.limits.length, 'bench limit'), ...n(report.soaks.length, 'bench soak')].join(' and ')}.`;
}

function summaryLine(report: LoadedReport): string {
  const cells = report.cells;
  if (cells.length === 0) return othersLine(report);
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

/** The lead, the figures against clients and the table of every run. */
function runsPart(report: LoadedReport, figures: readonly FigureView[]): string {
  return `<p class="lead">${h(summaryLine(report))} Lines are medians across trials; points of errored or invalid runs are marked with a red ×. Click a legend entry to hide that line.</p>
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
${restartSection(report.cells)}`;
}

/** One self-contained HTML file: chart.js and the data inlined, nothing loaded from anywhere. */
export function renderHtml(report: LoadedReport): string {
  const groups = groupCells(report.cells);
  const rates = arrivalRateFigure(report.cells);
  const figures = [
    ...FIGURES.map((def) => figureView(def, groups, report.cells)),
    ...(rates ? [rates] : []),
    ...broadcastFigures(report.cells),
    ...roomFigures(report.cells),
    ...clientFigures(report.cells),
    ...dropFigures(report.cells),
  ];
  const title = 'realtime-bench report';
  // Only bench limit or bench soak results: no run figures, no table of runs, no study to compare.
  const runs = report.cells.length > 0;
  return `${pageStart(title, CSS, schemaVersionsOf(report))}
<h1>${h(title)}: Socket.IO, SockJS and ws</h1>
${runs ? runsPart(report, figures) : `<p class="lead">${h(summaryLine(report))}</p>`}
${limitsHtml(report.limits)}
${soaksHtml(report.soaks)}
${conditions(report)}
${runs ? studySection() : ''}
${pageScripts('report-page', { figures: runs ? figures.map((f) => f.data) : [], soaks: soakFigures(report.soaks) })}
</body>
</html>
`;
}
