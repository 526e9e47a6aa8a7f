/** The texts every gate format shows for one comparison, so the formats never disagree. */
import { worseDirection, type GateCell, type GateComparison, type GateReport } from './gate';
import { bytes, count, fmt, signedPct } from '../../runner/metrics/units';

export function value(v: number | null, unit: GateComparison['unit']): string {
  if (v === null) return '–';
  if (unit === 'ms') return `${fmt(v)} ms`;
  if (unit === 'bytes') return bytes(v);
  return count(v);
}

export function change(x: GateComparison): string {
  if (x.changePct === null) return x.baselineMedian === 0 && x.currentMedian !== null ? 'from 0' : '–';
  return x.metric === 'failed' ? `${signedPct(x.changePct)} of clients` : signedPct(x.changePct);
}

/** The allowed change: `+10 %`, `any drop`, `any rise`. */
export function limit(x: GateComparison): string {
  const worse = worseDirection(x.metric);
  if (x.thresholdPct === 0) return worse === 'higher' ? 'any rise' : 'any drop';
  const sign = worse === 'higher' ? '+' : '-';
  return `${sign}${x.thresholdPct} %${x.metric === 'failed' ? ' of clients' : ''}`;
}

function signed(v: number, unit: GateComparison['unit']): string {
  const s = value(Math.abs(v), unit);
  return `${v < 0 ? '-' : '+'}${s}`;
}

export function intervalText(x: GateComparison): string {
  if (!x.difference) return '–';
  return `${signed(x.difference.low, x.unit)} to ${signed(x.difference.high, x.unit)}`;
}

/** Cliff's δ, signed: `+1.00`, `-0.33`. */
export const effectText = (d: number | null) => (d === null ? '–' : `${d < 0 ? '-' : '+'}${Math.abs(d).toFixed(2)}`);

// "significant" appears only where the corrected p is below alpha, so never beside p = 0.100.
export function resultText(x: GateComparison, alpha: number): string {
  if (x.unsure) return `UNSURE (${x.reason.replace(/^unsure: /, '')})`;
  if (!x.regressed) return x.reason;
  if (x.test === 'mann-whitney') return `REGRESSED (significant: Holm p < ${alpha})`;
  if (x.baselineMedian !== null && x.currentMedian === null) return `REGRESSED (${x.reason})`;
  return x.kind === 'count' ? 'REGRESSED' : 'REGRESSED (no test: beyond threshold and noise floor)';
}

/** The first lines after the verdict: what decided, and how to run enough trials for a test. */
export function trialLines(r: GateReport): string[] {
  const lines = modeLines(r);
  for (const c of r.moreTrials) lines.push(`for a test, run each side with ${r.trialsNeeded} trials: ${c}`);
  if (r.verdict === 'unsure') lines.push(UNSURE_HINT);
  return lines;
}

/** What to do when the folders cannot tell. */
export const UNSURE_HINT =
  'to decide, run both builds alternately until the difference is clear: bench compare --baseline <checkout> --current <checkout> (docs/gate-and-capacity.md)';

export function allRegressions(r: GateReport): { cell: GateCell; x: GateComparison }[] {
  return r.cells.flatMap((cell) => cell.comparisons.filter((x) => x.regressed).map((x) => ({ cell, x })));
}

/** Notes for the trial counts: once when every cell has the same, else per cell. */
function modeLines(r: GateReport): string[] {
  const notes = [...new Set(r.cells.map((c) => c.modeNote))];
  if (notes.length <= 1) return notes;
  return r.cells.map((c) => `${c.label}: ${c.modeNote}`);
}
