/**
 * One comparison, decided: the statistics of a difference between two sets of trials (medians,
 * Mann-Whitney U, Cliff's δ, a bootstrap interval) and the verdict they support.
 */
import { readMetric } from '../../runner/metrics/registry';
import { bytes, pValueText } from '../../runner/metrics/units';
import type { ReportCell } from '../read/read';
import { bootstrapMedians, cliffsDelta, mannWhitneyU, median, smallestExactP, type BootstrapOptions } from '../stats';
import { GATE_MIN_TRIALS, GATE_NOISE_FLOOR_PCT, ruleOf, worseDirection, type GateMetric } from './options';
import type { GateKey } from './pairing';
import type { GateComparison } from './report';

export const trialsText = (n: number) => `${n} trial${n === 1 ? '' : 's'}`;
export const sidesText = (nb: number, nc: number) =>
  nb === nc ? `${trialsText(nb)} a side` : `baseline ${trialsText(nb)}, current ${trialsText(nc)}`;

export interface PowerContext {
  alpha: number;
  testable: number;
  tested: number;
  trialsNeeded: number;
}

export function modeNote(nb: number, nc: number, powered: boolean, p: PowerContext): string {
  const sides = sidesText(nb, nc);
  if (powered) {
    return `${sides}: Mann-Whitney U decides, Holm-corrected over ${p.tested} comparisons (corrected p < ${p.alpha} and beyond the threshold); effect size Cliff's δ`;
  }
  const untested = `medians and memory gated on thresholds and noise floors only, p99s not gated (a test needs ${p.trialsNeeded} trials a side)`;
  if (nb < GATE_MIN_TRIALS || nc < GATE_MIN_TRIALS) return `${sides}: no significance test; ${untested}`;
  return `${sides}: too few for Mann-Whitney U to reach p < ${p.alpha} over ${p.testable} comparisons (smallest possible p ${pValueText(smallestExactP(nb, nc))}); ${untested}`;
}

export interface CompareSettings {
  thresholds: Record<GateMetric, number>;
  alpha: number;
  bootstrap: Required<BootstrapOptions>;
  minChangeMs: number;
  minChangeBytes: number;
}

type Decided =
  'changePct' | 'beyondThreshold' | 'gated' | 'adjustedP' | 'test' | 'significant' | 'regressed' | 'unsure' | 'reason';

/** A comparison's numbers before anything is decided. */
export interface Measured {
  base: Omit<GateComparison, Decided>;
  changePct: number | null;
  worse: boolean;
  /** the change in the worse direction, in percent (Infinity from a baseline of 0) */
  worseBy: number;
  underFloor: boolean;
}

export const isTestable = (m: Measured) =>
  m.base.kind !== 'count' && m.base.baselineMedian !== null && m.base.currentMedian !== null;

export function measure(metric: GateMetric, b: ReportCell[], c: ReportCell[], key: GateKey, s: CompareSettings) {
  const def = ruleOf(metric);
  const values = (cells: ReportCell[]) =>
    cells.flatMap((x) => [readMetric(metric, x.result)].filter((v): v is number => v !== null));
  const baseline = values(b);
  const current = values(c);
  if (baseline.length === 0 && current.length === 0) return null;
  const bm = median(baseline);
  const cm = median(current);
  // Counts are functional and never tested, so they get no p-value to misread.
  const enough = def.kind !== 'count' && baseline.length >= GATE_MIN_TRIALS && current.length >= GATE_MIN_TRIALS;
  const base: Measured['base'] = {
    metric,
    unit: def.unit,
    kind: def.kind,
    baseline,
    current,
    baselineMedian: bm,
    currentMedian: cm,
    thresholdPct: s.thresholds[metric],
    pValue: enough ? mannWhitneyU(baseline, current).pValue : null,
    effect: enough ? cliffsDelta(baseline, current) : null,
    difference: enough ? bootstrapMedians(baseline, current, s.bootstrap).difference : null,
  };
  if (bm === null || cm === null) return { base, changePct: null, worse: false, worseBy: 0, underFloor: false };
  const changePct =
    metric === 'failed'
      ? ((cm - bm) / Math.max(key.clients, 1)) * 100
      : bm === 0
        ? cm === 0
          ? 0
          : null
        : ((cm - bm) / bm) * 100;
  const underFloor =
    (def.unit === 'ms' && Math.abs(cm - bm) < s.minChangeMs) ||
    (def.unit === 'bytes' && Math.abs(cm - bm) * (metric === 'bytesPerClient' ? key.clients : 1) < s.minChangeBytes);
  return {
    base,
    changePct,
    worse: def.worse === 'higher' ? cm > bm : cm < bm,
    worseBy: changePct === null ? Infinity : def.worse === 'higher' ? changePct : -changePct,
    underFloor,
  };
}

/** The verdict on one measured comparison: by the test when `adjustedP` is given, else by thresholds and floors. */
export function decide(m: Measured, adjustedP: number | null, notGated: string, s: CompareSettings): GateComparison {
  const { base } = m;
  if (base.baselineMedian === null || base.currentMedian === null) {
    // A metric the baseline had and the current run lost is a regression: something stopped working.
    const lost = base.baselineMedian !== null;
    return {
      ...base,
      changePct: null,
      beyondThreshold: lost,
      gated: true,
      adjustedP: null,
      test: null,
      significant: null,
      regressed: lost,
      unsure: false,
      reason: lost ? 'not measured in current' : 'not measured in baseline',
    };
  }
  const beyondThreshold = m.worse && m.worseBy > base.thresholdPct && !m.underFloor;
  const plain = !m.worse
    ? base.currentMedian === base.baselineMedian
      ? 'unchanged'
      : 'better'
    : m.underFloor && m.worseBy > base.thresholdPct
      ? base.unit === 'ms'
        ? `under ${s.minChangeMs} ms`
        : `under ${bytes(s.minChangeBytes)} of RSS`
      : !beyondThreshold
        ? 'within threshold'
        : null;
  const decided = { ...base, changePct: m.changePct, beyondThreshold };
  if (adjustedP !== null) {
    const significant = adjustedP < s.alpha;
    const regressed = beyondThreshold && significant;
    const unsure = beyondThreshold && !significant;
    const reason = regressed ? 'regressed' : unsure ? 'unsure: not significant' : (plain ?? 'not significant');
    return { ...decided, gated: true, adjustedP, test: 'mann-whitney', significant, regressed, unsure, reason };
  }
  const untested = { ...decided, adjustedP: null, test: null, significant: null };
  if (base.kind === 'tail') return { ...untested, gated: false, regressed: false, unsure: false, reason: notGated };
  const floor = Math.max(base.thresholdPct, GATE_NOISE_FLOOR_PCT[base.metric]);
  // With a few trials but too few for the test, the samples must at least lie apart: the
  // bootstrap interval of the difference of medians excludes 0 on the worse side. Not called
  // significant: that takes the test. A change beyond the threshold that does not also clear the
  // noise floor with the trials apart is one the data cannot tell from noise: unsure, not a pass.
  const d = base.difference;
  const apart = d === null || (worseDirection(base.metric) === 'higher' ? d.low > 0 : d.high < 0);
  const regressed = beyondThreshold && m.worseBy > floor && apart;
  const unsure = beyondThreshold && !regressed;
  const reason = regressed
    ? 'regressed'
    : (plain ??
      (m.worseBy <= floor
        ? `unsure: within the noise floor (${floor} %)`
        : 'unsure: trials overlap (interval includes 0)'));
  return { ...untested, gated: true, regressed, unsure, reason };
}
