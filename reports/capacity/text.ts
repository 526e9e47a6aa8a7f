import { describeModel, linearModel, type CapacityLimit, type CapacityReport } from './capacity';
import { bytes, count, fmt } from '../../runner/metrics/units';
import { table } from '../table';

function limitText(l: CapacityLimit): string {
  return l.unusable !== null ? 'fit unusable' : l.maxClients === null ? 'no limit' : `${count(l.maxClients)} clients`;
}

/** A table per series for stderr: fits, limits, the answer, warnings and dropped runs. */
export function formatCapacityText(r: CapacityReport): string {
  const lines: string[] = [];
  const conditions = [
    r.memoryBytes === null
      ? 'no memory limit'
      : `memory ${bytes(r.memoryBytes)}${r.memorySource === 'sweep machine' ? ' (sweep machine)' : ''}`,
    `headroom: fill ${fmt(r.cpuHeadroom * 100)} % of each server`,
    ...r.slos.map((s) => `SLO ${s.expression}`),
    ...(r.users === null ? [] : [`${count(r.users)} users`]),
  ];
  lines.push(`bench capacity: ${r.inputs.join(' ')}`, `  ${conditions.join(', ')}`);
  for (const s of r.series) {
    lines.push(
      '',
      `${s.series}: ${s.points.length} run${s.points.length === 1 ? '' : 's'} used, ${s.dropped.length} dropped; largest measured level ${count(s.maxMeasuredClients)} clients`,
    );
    const rows: string[][] = [['fit', 'model', 'R²', 'points']];
    if (s.memory)
      rows.push([
        'memory',
        describeModel(linearModel(s.memory), 'RSS', 'bytes'),
        s.memory.r2.toFixed(3),
        String(s.memory.n),
      ]);
    if (s.cpu) rows.push(['cpu', describeModel(linearModel(s.cpu), 'CPU', '%'), s.cpu.r2.toFixed(3), String(s.cpu.n)]);
    for (const g of s.latency) {
      if (g.model)
        rows.push([
          g.metric,
          `${describeModel(g.model, 'latency', 'ms')} (${g.model.kind})`,
          g.model.r2.toFixed(3),
          String(g.model.n),
        ]);
    }
    if (rows.length > 1) lines.push(table(rows, '  '));
    if (s.limits.length) {
      lines.push(
        '',
        table(
          [['limit', 'max clients per server', 'how'], ...s.limits.map((l) => [l.name, limitText(l), l.detail])],
          '  ',
        ),
      );
    }
    const answer =
      s.unpredicted !== null
        ? `  max per server: not predicted: ${s.unpredicted}`
        : s.binding === null
          ? '  max per server: not limited by any constraint given'
          : `  max per server: ${count(s.maxClients!)} clients (${s.binding.name} binds); planned at ${fmt(r.cpuHeadroom * 100)} %: ${count(s.plannedClients!)}`;
    lines.push(
      '',
      answer + (s.serversNeeded === null ? '' : `; servers for ${count(r.users!)} users: ${count(s.serversNeeded)}`),
    );
    for (const w of s.warnings) lines.push(`  warning: ${w}`);
    for (const d of s.dropped) lines.push(`  dropped: ${count(d.clients)} clients, trial ${d.trial}: ${d.reason}`);
  }
  for (const n of r.notes) lines.push('', `note: ${n}`);
  return lines.join('\n') + '\n';
}
