/** The report's broadcast delivery tables, one per adapter. */
import type { ReportCell } from '../read/read';
import { adapterTables, ratioText, type AdapterTable, type DeliveryRow, type NodeDelivery } from './broadcast';
import { td } from './cells-table';
import { escapeHtml as h } from './escape';
import { count, fmt, fmtClients } from './numbers';

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
export function deliverySection(cells: readonly ReportCell[]): string {
  const tables = adapterTables(cells);
  if (tables.length === 0) return '';
  return `<section id="delivery"><h2>Broadcast delivery</h2>
<p>One table per adapter, one row per run. Sent counts the broadcasts; expected, the deliveries the nodes made (the clients each node wrote each broadcast to; <em>expected from</em> says whether each node’s own log counted them, or, for a remote target, the publisher’s answers); delivered, what the clients got: each (client, seq) counted once; a seq below the highest already seen counts as out of order, a seq seen before as a duplicate. delivered + lost = expected. Gaps are seqs missing between the first and the last one a client received; missed while reconnecting are those a client never got between losing its connection and reconnecting (those its node wrote before dying are also lost). Gave up counts lost connections still closed after the last reconnect attempt; reconnect time runs from the lost connection to the welcome on the new one. Yellow rows lost, reordered or repeated something; red rows did not complete.</p>
${tables.map(adapterTable).join('\n')}
</section>`;
}
