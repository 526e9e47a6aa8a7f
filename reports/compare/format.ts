/** `bench compare`'s report as text (stderr) and Markdown (a PR comment). */
import { bytes, fmt, signedPct } from '../../runner/metrics/units';
import { escapeMarkdown as md } from '../report/escape';
import { table } from '../table';
import type { CompareReport } from './compare';
import type { MetricDecision } from './decide';

const value = (v: number | null, unit: MetricDecision['unit']) =>
  v === null ? '–' : unit === 'ms' ? `${fmt(v)} ms` : bytes(v);

function row(d: MetricDecision): string[] {
  return [
    d.metric,
    value(d.baselineMean, d.unit),
    value(d.currentMean, d.unit),
    d.change ? signedPct(d.change.estimate) : '–',
    d.change ? `${signedPct(d.change.low)} … ${signedPct(d.change.high)}` : '–',
    Number.isFinite(d.limitPct) ? `±${d.limitPct.toFixed(0)} %` : '–',
    d.pairs === 0 && d.outcome !== 'regressed'
      ? 'not measured'
      : d.gated
        ? d.outcome.toUpperCase()
        : `${d.outcome} (tail: shown, not decided on)`,
  ];
}

const HEAD = (r: CompareReport) => [
  'metric',
  'baseline',
  'current',
  'change',
  `${Math.round(r.confidence * 100)} % CI`,
  'limit',
  'result',
];

const sideText = (s: CompareReport['baseline']) => `${s.given}${s.args.length ? ` (${s.args.join(' ')})` : ''}`;

/** How the runs went: `A B, B A, …` and what was left out. */
function runsLine(r: CompareReport): string {
  const letters = r.runs.map((x) => (x.side === 'baseline' ? 'A' : 'B')).join('');
  return `runs (A baseline, B current, in order): ${letters || 'none'}; ${r.pairs} complete pairs of ${r.runs.length} runs (budget ${r.minRuns}–${r.maxRuns})`;
}

export function formatCompareText(r: CompareReport): string {
  const lines = [`bench compare: ${r.summary}`];
  lines.push(`  baseline: ${sideText(r.baseline)}`, `  current:  ${sideText(r.current)}`);
  lines.push(`  bench run ${r.run.join(' ')}`, `  ${runsLine(r)}`);
  if (r.aborted) lines.push('  interrupted: the decisions are over the pairs completed before the signal');
  lines.push('', table([HEAD(r), ...r.decisions.map(row)], '  '));
  for (const [title, list] of [
    ['failures', r.failures],
    ['notes', r.notes],
  ] as const) {
    if (list.length) lines.push('', `  ${title}:`, ...list.map((x) => `    ${x}`));
  }
  return lines.join('\n') + '\n';
}

const HEADINGS: Record<CompareReport['verdict'], string> = {
  same: '## ✅ bench compare: same',
  improved: '## ✅ bench compare: improved',
  unsure: '## ❔ bench compare: unsure',
  regressed: '## ❌ bench compare: regressed',
};

export function formatCompareMarkdown(r: CompareReport): string {
  const mdRow = (cells: readonly string[]) => `| ${cells.map(md).join(' | ')} |`;
  const out = [HEADINGS[r.verdict], '', `${md(r.summary)}.`, ''];
  out.push(
    `Baseline \`${sideText(r.baseline).replace(/`/g, "'")}\`, current \`${sideText(r.current).replace(/`/g, "'")}\`; \`bench run ${r.run.join(' ').replace(/`/g, "'")}\`; ${md(runsLine(r))}.`,
    '',
  );
  out.push(mdRow(HEAD(r)), mdRow(HEAD(r).map(() => '---')), ...r.decisions.map((d) => mdRow(row(d))), '');
  for (const f of r.failures) out.push(`- **failure**: ${md(f)}`);
  for (const n of r.notes) out.push(`- ${md(n)}`);
  return out.join('\n').trimEnd() + '\n';
}
