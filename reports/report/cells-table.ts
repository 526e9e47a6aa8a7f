/** The report's table of every run, one row each, errored and invalid ones marked. */
import type { ReadLatency } from '../../runner/metrics/registry';
import { rateText, type ReportCell } from '../read/read';
import { escapeHtml as h } from './escape';
import { KB, MB, numbersOf, type CellNumbers } from './metrics';
import { fmt, fmtClients } from './numbers';

const statusBadge = (status: string) => `<span class="badge status-${h(status)}">${h(status)}</span>`;

function validBadge(c: ReportCell): string {
  if (c.valid === null) return '<span class="badge unknown">–</span>';
  return c.valid ? '<span class="badge valid">yes</span>' : '<span class="badge invalid">INVALID</span>';
}

export const td = (text: string, cls = 'num') => `<td class="${cls}">${h(text)}</td>`;
const bytesMb = (b: number | null) => (b === null ? '–' : (b / MB).toFixed(1));

/** KB per client, or the floor it stayed below. */
function perClientKb(n: CellNumbers): string {
  if (n.bytesPerClient !== null) return (n.bytesPerClient / KB).toFixed(1);
  return n.bytesPerClientBelow === null ? '–' : `< ${(n.bytesPerClientBelow / KB).toFixed(1)}`;
}

function cellRow(c: ReportCell): string {
  const n = numbersOf(c);
  const cls = [c.status !== 'completed' ? 'row-errored' : '', c.valid === false ? 'row-invalid' : '']
    .filter(Boolean)
    .join(' ');
  const reasons = [...(c.error ? [`${c.status}: ${c.error}`] : []), ...c.invalidReasons.map((r) => `invalid: ${r}`)];
  const lat = (s: ReadLatency | null) => [td(fmt(s?.p50)), td(fmt(s?.p99))].join('');
  const connected =
    n.connected === null ? '–' : `${fmtClients(n.connected)} / ${n.failed === null ? '–' : fmtClients(n.failed)}`;
  return `<tr class="${cls}">
<td>${h(c.series)}</td>${td(fmtClients(c.clients))}${td(rateText(c.arrivalRate))}${td(String(c.trial))}<td>${statusBadge(c.status)}</td><td>${validBadge(c)}</td>${td(connected)}${lat(n.connectMs)}${lat(n.connectServiceMs)}${lat(n.timeToFirstMessageMs)}${lat(n.firstMessageMs)}${lat(n.echoMs)}${td(bytesMb(n.rssIdleBytes))}${td(bytesMb(n.rssSteadyBytes))}${td(bytesMb(n.rssPeakBytes))}${td(perClientKb(n))}${td(bytesMb(n.heapSteadyBytes))}
<td class="reasons">${reasons.map((r) => `<div>${h(r)}</div>`).join('')}</td></tr>`;
}

export function cellsTable(cells: readonly ReportCell[]): string {
  return `<div class="scroll"><table class="cells">
<thead>
<tr><th rowspan="2">library</th><th rowspan="2">clients</th><th rowspan="2">arrival rate</th><th rowspan="2">trial</th><th rowspan="2">status</th><th rowspan="2">valid</th><th rowspan="2">connected / failed</th><th colspan="2">connect (ms)</th><th colspan="2">connect service (ms)</th><th colspan="2">time to first message (ms)</th><th colspan="2">first message (ms)</th><th colspan="2">echo (ms)</th><th colspan="3">server RSS (MB)</th><th rowspan="2">KB / client</th><th rowspan="2">server heap steady (MB)</th><th rowspan="2">error / invalid reasons</th></tr>
<tr><th>p50</th><th>p99</th><th>p50</th><th>p99</th><th>p50</th><th>p99</th><th>p50</th><th>p99</th><th>p50</th><th>p99</th><th>idle</th><th>steady</th><th>peak</th></tr>
</thead>
<tbody>
${cells.map(cellRow).join('\n')}
</tbody>
</table></div>`;
}
