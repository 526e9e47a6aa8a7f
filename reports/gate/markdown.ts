import { GATE_METRICS, GATE_NOISE_FLOOR_PCT, type GateCell, type GateComparison, type GateReport } from './gate';
import { bytes, pValueText } from '../../runner/metrics/units';
import { escapeMarkdown as md } from '../report/escape';
import {
  allRegressions,
  change,
  effectText,
  intervalText,
  limit,
  resultText,
  sideCounts,
  soakDifferenceText,
  soakLimitText,
  soakResultText,
  soakSlopeText,
  trialLines,
  value,
} from './cells';
import { kibText } from './soaks';

const HEADINGS: Record<GateReport['verdict'], string> = {
  pass: '## ✅ bench gate: pass',
  unsure: '## ❔ bench gate: unsure',
  regression: '## ❌ bench gate: regression',
};

const mdRow = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;

/** Markdown for a PR comment: the verdict, the regressions, and every comparison folded away. */
export function formatGateMarkdown(r: GateReport): string {
  const out: string[] = [];
  out.push(HEADINGS[r.verdict], '');
  if (r.warning) out.push(`> **${md(r.warning)}**`, '');
  out.push(`${md(r.summary)}.`, '');
  out.push(
    `Baseline: ${r.baseline.inputs.map((i) => `\`${i.replace(/`/g, "'")}\``).join(', ')} (${sideCounts(r.baseline)}); current: ${r.current.inputs.map((i) => `\`${i.replace(/`/g, "'")}\``).join(', ')} (${sideCounts(r.current)}).`,
    '',
  );
  for (const m of trialLines(r)) out.push(`- ${md(m)}`);
  if (r.cells.length) out.push('');
  const head = ['cell', 'metric', 'baseline', 'current', 'change', 'limit', 'p-value', 'Holm p', "Cliff's δ"];
  const ci = `${r.bootstrap.confidence * 100} % CI of the difference`;
  const row = (cell: GateCell, x: GateComparison, last: string) =>
    mdRow([
      md(cell.label),
      md(x.metric),
      md(value(x.baselineMedian, x.unit)),
      md(value(x.currentMedian, x.unit)),
      md(change(x)),
      md(limit(x)),
      md(pValueText(x.pValue)),
      md(pValueText(x.adjustedP)),
      md(effectText(x.effect)),
      md(last),
    ]);
  const regressions = allRegressions(r);
  if (regressions.length) {
    out.push('### Regressions', '');
    out.push(mdRow([...head, ci]), mdRow([...head, ci].map(() => '---')));
    for (const { cell, x } of regressions) out.push(row(cell, x, intervalText(x)));
    out.push('');
  }
  if (r.soaks.length) {
    const soakHead = ['soak', 'baseline', 'current', 'difference', 'limit', 'result'];
    out.push('### Soaks', '');
    out.push('Heap + external after a full GC against connection cycles, KiB per 1,000 connections (95 % CI).', '');
    out.push(mdRow(soakHead), mdRow(soakHead.map(() => '---')));
    for (const x of r.soaks) {
      out.push(
        mdRow([
          md(x.label),
          md(soakSlopeText(x.baseline, '')),
          md(soakSlopeText(x.current, '')),
          md(soakDifferenceText(x)),
          md(soakLimitText(x)),
          md(soakResultText(x)),
        ]),
      );
    }
    out.push('');
  }
  if (r.failures.length) {
    out.push('### Failures', '');
    for (const f of r.failures) out.push(`- **${md(f.cell)}**: ${md(f.message)}`);
    out.push('');
  }
  if (r.notes.length) {
    out.push('### Notes', '');
    for (const n of r.notes) out.push(`- ${md(n)}`);
    out.push('');
  }
  const total = r.cells.reduce((a, c) => a + c.comparisons.length, 0);
  if (total) {
    const allHead = [...head, 'result'];
    out.push(`<details><summary>All ${total} comparisons</summary>`, '');
    out.push(mdRow(allHead), mdRow(allHead.map(() => '---')));
    for (const cell of r.cells) for (const x of cell.comparisons) out.push(row(cell, x, resultText(x, r.alpha)));
    out.push('', '</details>', '');
  }
  const t = r.thresholds;
  out.push(
    `<sub>Thresholds: ${GATE_METRICS.map((m) => `${m} ${t[m]} %`).join(', ')}; latency changes under ${r.minChangeMs} ms and memory changes under ${bytes(r.minChangeBytes)} of RSS ignored; without a test, medians and memory must also exceed ${GATE_NOISE_FLOOR_PCT['echo.p50']} %; alpha ${r.alpha}, Holm-corrected over the ${r.tested} tested comparisons; effect size Cliff's δ (current against baseline); bootstrap ${r.bootstrap.iterations} resamples, ${r.bootstrap.confidence * 100} % interval, seed ${r.bootstrap.seed}${r.soaks.length ? `; soaks: the difference of the slopes must lie wholly beyond ±${kibText(r.soakThresholdPer1000)} KiB per 1,000 connections (95 % interval) to be called regressed or improved` : ''}.</sub>`,
  );
  return out.join('\n') + '\n';
}
