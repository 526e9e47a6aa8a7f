/** The report's rolling-restart table: one row per node restarted, per run that had --rolling-restart. */
import type { ReportCell } from '../read/read';
import type { NodeRestart, RollingRestartFault } from '../../runner/result/schema';
import { td } from './cells-table';
import { escapeHtml as h } from './escape';
import { count, fmt } from './numbers';

const ms = (v: number | null | undefined) => (v === null || v === undefined ? '–' : fmt(v));

function restartRow(c: ReportCell, f: RollingRestartFault, x: NodeRestart, first: boolean): string {
  const r = c.result!;
  const bad = x.neverBack > 0 || x.error !== null || x.downMs === null;
  const end = Object.entries(f.clientsPerNodeAtEnd)
    .map(([id, n]) => `${id} ${n ?? '–'}`)
    .join(', ');
  const rows = f.restarts.length;
  const runCells = first
    ? [
        `<td rowspan="${rows}">${h(r.lib)}</td>`,
        `<td rowspan="${rows}">${h(r.topology?.spread ?? '–')}</td>`,
        `<td rowspan="${rows}" class="num">${h(count(r.options.clients))}</td>`,
      ]
    : [];
  const endCells = first
    ? [`<td rowspan="${rows}">${h(end)}${f.skewAtEnd === null ? '' : ` (${h(fmt(f.skewAtEnd))}×)`}</td>`]
    : [];
  return `<tr${bad ? ' class="row-invalid"' : ''}>${[
    ...runCells,
    `<td>${h(x.nodeId)}${x.publisher ? ' (publisher)' : ''}</td>`,
    td(x.downMs === null ? (x.error ?? 'not back') : fmt(x.downMs / 1000)),
    td(count(x.clientsDisconnected)),
    td(ms(x.reconnectMs?.p50)),
    td(ms(x.reconnectMs?.p95)),
    td(ms(x.reconnectMs?.max)),
    td(count(x.neverBack)),
    td(count(x.connectFailures)),
    td(x.survivors?.cpuPercent == null ? '–' : fmt(x.survivors.cpuPercent)),
    td(x.survivors?.loopDelayMaxMs == null ? '–' : fmt(x.survivors.loopDelayMaxMs)),
    ...endCells,
  ].join('')}</tr>`;
}

/** Every run's rolling restart, one row per node; '' when no run had one. */
export function restartSection(cells: readonly ReportCell[]): string {
  const rows: string[] = [];
  for (const c of cells) {
    const faults = Array.isArray(c.result?.faults) ? c.result.faults : [];
    const f = faults.find((x): x is RollingRestartFault => x.kind === 'rolling-restart');
    if (!f || !Array.isArray(f.restarts)) continue;
    f.restarts.forEach((x, i) => rows.push(restartRow(c, f, x, i === 0)));
  }
  if (rows.length === 0) return '';
  const head = [
    'library',
    'spread',
    'clients',
    'node',
    'away (s)',
    'disconnected',
    'back p50 (ms)',
    'back p95 (ms)',
    'back max (ms)',
    'never back',
    'connect failures',
    'others CPU (%)',
    'others loop max (ms)',
    'clients per node at the end',
  ];
  return `<section id="rolling-restart"><h2>Rolling restarts</h2>
<p>One row per node restarted (<code>--rolling-restart</code>): stopped gracefully, started again on its port, the next once it answered <code>/healthz</code>; the publisher last. Away runs from SIGTERM to <code>/healthz</code>; disconnected counts the clients that lost their connection to it, back the time from that loss to the welcome on a new connection, never back those still without one when the run ended; connect failures are their failed reconnect attempts. The other nodes’ CPU (the busiest one’s mean) and event-loop delay (the longest) cover the storm: from SIGTERM until the last client was back. The last column shows how the clients sat on the nodes at the end of the hold, and the busiest node against an even share. Yellow rows left clients behind or a node away.</p>
<div class="scroll"><table class="cells">
<thead><tr>${head.map((x) => `<th>${h(x)}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table></div>
</section>`;
}
