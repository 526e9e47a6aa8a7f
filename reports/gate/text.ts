import type { GateReport } from './gate';
import { pValueText } from '../../runner/metrics/units';
import { change, effectText, limit, resultText, sideCounts, soakLine, trialLines, value } from './cells';
import { table } from '../table';

/** A table for stderr: every comparison, a line per soak pair, then failures and notes. */
export function formatGateText(r: GateReport): string {
  const lines = [...(r.warning ? [r.warning] : []), `bench gate: ${r.summary}`];
  lines.push(`  baseline: ${r.baseline.inputs.join(' ')}  (${sideCounts(r.baseline)})`);
  lines.push(`  current:  ${r.current.inputs.join(' ')}  (${sideCounts(r.current)})`);
  for (const m of trialLines(r)) lines.push(`  ${m}`);
  const rows: string[][] = [['cell', 'metric', 'baseline', 'current', 'change', 'limit', 'p', 'Holm p', 'δ', 'result']];
  for (const cell of r.cells) {
    for (const x of cell.comparisons) {
      rows.push([
        cell.label,
        x.metric,
        value(x.baselineMedian, x.unit),
        value(x.currentMedian, x.unit),
        change(x),
        limit(x),
        pValueText(x.pValue),
        pValueText(x.adjustedP),
        effectText(x.effect),
        resultText(x, r.alpha),
      ]);
    }
  }
  if (rows.length > 1) lines.push('', table(rows, '  '));
  if (r.soaks.length) {
    lines.push('', '  soaks: heap + external after a full GC, KiB per 1,000 connections, current vs baseline:');
    for (const x of r.soaks) lines.push(`    ${soakLine(x)}`);
  }
  if (r.failures.length) {
    lines.push('', '  failures:');
    for (const f of r.failures) lines.push(`    ${f.cell}: ${f.message}`);
  }
  if (r.notes.length) {
    lines.push('', '  notes:');
    for (const n of r.notes) lines.push(`    ${n}`);
  }
  return lines.join('\n') + '\n';
}
