/** `bench limit` results in a report: the answer, then a row per step. */
import type { LoadedLimit } from '../read/read';
import type { LimitStep } from '../../runner/result/limit-schema';
import { count, mib } from '../../runner/metrics/units';
import { escapeHtml as h, escapeMarkdown as md } from './escape';

const HEAD = [
  'clients',
  'open',
  'failed',
  'probe connect p50 (ms)',
  'probe connect p95 (ms)',
  'traffic p50 (ms)',
  'traffic p95 (ms)',
  'server RSS',
  'server CPU %',
  'server open files',
  'ok',
];

function cells(s: LimitStep): string[] {
  const traffic = s.echo ?? s.broadcast;
  const v = (x: number | null | undefined) => (x === null || x === undefined ? '–' : String(x));
  return [
    count(s.clients),
    count(s.open),
    count(s.failed),
    v(s.probe.connect?.p50),
    v(s.p95.probeConnect),
    v(traffic?.p50),
    v(s.p95.echo ?? s.p95.broadcast),
    mib(s.server.rssBytes),
    v(s.server.cpuPercent),
    s.server.openFiles === null ? '–' : `${count(s.server.openFiles)} / ${count(s.server.openFilesLimit ?? 0)}`,
    s.ok ? 'yes' : 'no',
  ];
}

export function limitsMarkdown(limits: readonly LoadedLimit[]): string {
  const out: string[] = [];
  for (const { result: r } of limits) {
    out.push(`### bench limit: ${md(r.lib)}, scenario \`${r.scenario}\``, '', `**${md(r.answer)}**`, '');
    out.push(`| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '--:').join('|')}|`);
    for (const s of r.steps) out.push(`| ${cells(s).join(' | ')} |`);
    out.push('', `_Traffic: ${r.scenario} during each step's hold, ${r.config.holdSeconds} s._`, '');
  }
  return out.join('\n');
}

export function limitsHtml(limits: readonly LoadedLimit[]): string {
  if (limits.length === 0) return '';
  const tables = limits.map(({ result: r }) => {
    const rows = r.steps
      .map(
        (s) =>
          `<tr>${cells(s)
            .map((c) => `<td>${h(c)}</td>`)
            .join('')}</tr>`,
      )
      .join('\n');
    return `<h3>${h(r.lib)}, scenario ${h(r.scenario)}</h3>
<p><strong>${h(r.answer)}</strong></p>
<table><thead><tr>${HEAD.map((c) => `<th>${h(c)}</th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody></table>`;
  });
  return `<section id="limits"><h2>bench limit</h2>
<p>One server, clients added in steps and held; each row is one step, measured while every earlier client stayed connected.</p>
${tables.join('\n')}
</section>`;
}
