/** The texts every gate format shows for one comparison, so the formats never disagree. */
import { worseDirection, type GateCell, type GateComparison, type GateReport, type GateSoakComparison } from './gate';
import { kibInterval, kibText, signedKib } from './soaks';
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
  if (r.verdict === 'unsure' && r.cells.some((c) => c.comparisons.some((x) => x.unsure))) lines.push(UNSURE_HINT);
  if (r.verdict === 'unsure' && r.soaks.some((x) => x.unsure)) lines.push(SOAK_UNSURE_HINT);
  return lines;
}

/** `3 runs`, or `0 runs, 1 soak` when a side has soaks. */
export const sideCounts = (side: GateReport['baseline']) =>
  side.soaks ? `${side.runs} runs, ${side.soaks} soak${side.soaks === 1 ? '' : 's'}` : `${side.runs} runs`;

/** What to do when two soaks cannot tell. */
export const SOAK_UNSURE_HINT =
  "to decide, soak both sides longer: a slope's interval narrows as the cycles grow (docs/gate-and-capacity.md#gating-a-leak-two-soaks)";

/** A soak pair's outcome: `REGRESSED`, `improved`, `same`, `UNSURE (…)`. */
export function soakResultText(x: GateSoakComparison): string {
  if (x.outcome === 'regressed') return 'REGRESSED';
  if (x.outcome === 'unsure') return `UNSURE (${x.reason.replace(/^unsure: /, '')})`;
  return x.outcome;
}

/** `+64,498 KiB per 1,000 (95 % CI 64,375 to 64,621)`: one side's slope. */
export const soakSlopeText = (s: GateSoakComparison['baseline'], unit = ' KiB per 1,000') =>
  `${signedKib(s.slopePer1000)}${unit} (95 % CI ${kibInterval(s.ci95)})`;

/** `+64,483 (95 % CI 64,309 to 64,657)`: the difference of the slopes. */
export const soakDifferenceText = (x: GateSoakComparison) =>
  `${signedKib(x.differencePer1000)} (95 % CI ${kibInterval(x.differenceCi95)})`;

/** `±16`: the allowed difference, KiB per 1,000. */
export const soakLimitText = (x: GateSoakComparison) => `±${kibText(x.thresholdPer1000)}`;

/**
 * One line per soak pair: `soak ws · 200 clients × 200/s: heap+external +64,498 KiB per 1,000
 * (95 % CI …) vs baseline +14.7 (95 % CI …); difference +64,483 (95 % CI …), limit ±16: REGRESSED`.
 */
export const soakLine = (x: GateSoakComparison) =>
  `${x.label}: heap+external ${soakSlopeText(x.current)} vs baseline ${soakSlopeText(x.baseline, '')}; difference ${soakDifferenceText(x)}, limit ${soakLimitText(x)}: ${soakResultText(x)}`;

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
