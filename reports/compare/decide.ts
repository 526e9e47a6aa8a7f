/**
 * `bench compare`'s statistics: runs of two builds taken in pairs, each pair one run of each side
 * back to back, and a metric decided when the confidence interval of the paired change lies
 * wholly beyond its limit (regressed, improved) or wholly within it (same). Until then: unsure,
 * with about how many more pairs would decide it. Pure: the loop in compare.ts feeds it.
 */
import { bytesPerClientBelow, metric, readMetric, type ResultFile } from '../../runner/metrics/registry';
import { GATE_METRICS, GATE_MIN_CHANGE_BYTES, GATE_MIN_CHANGE_MS, ruleOf, type GateMetric } from '../gate/options';
import { pairedMeanInterval, type Interval } from '../stats';

export type CompareOutcome = 'regressed' | 'improved' | 'same' | 'unsure';

/** One metric over every complete pair so far. */
export interface MetricDecision {
  metric: GateMetric;
  unit: 'ms' | 'bytes';
  /** in the verdict (medians and memory, when measured); tails are shown, not decided on */
  gated: boolean;
  pairs: number;
  baselineMean: number | null;
  currentMean: number | null;
  /**
   * (current − baseline) per pair, in percent of the baseline mean, averaged over the pairs, with
   * its confidence interval; positive is higher. Null with fewer than 2 pairs.
   */
  change: Interval | null;
  /** the change allowed either way, in percent: the threshold, or the absolute floor where larger */
  limitPct: number;
  outcome: CompareOutcome;
  /** when unsure: pairs more that would likely decide it at the spread seen so far (null: cannot say) */
  morePairs: number | null;
}

export interface DecideSettings {
  /** percent per metric */
  thresholds: Record<GateMetric, number>;
  /** two-sided, e.g. 0.95 */
  confidence: number;
  minChangeMs?: number;
  minChangeBytes?: number;
}

/** The metrics compare looks at: the gate's, less the client counts (a run that lost clients is invalid). */
export const COMPARE_METRICS: readonly GateMetric[] = GATE_METRICS.filter((m) => ruleOf(m).kind !== 'count');

/** One complete pair: the baseline's result and the current's, run back to back. */
export type Pair = readonly [baseline: ResultFile, current: ResultFile];

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Beyond this many pairs, "needs about N more" is not worth saying: call it many. */
export const MANY_PAIRS = 1000;

/** Whether a run left the metric out because it was below what the run could resolve. */
const belowFloor = (name: GateMetric, r: ResultFile): boolean =>
  name === 'bytesPerClient' && bytesPerClientBelow(r) !== null;

/** The decision on one metric from the pairs whose both runs measured it. */
export function decideMetric(name: GateMetric, pairs: readonly Pair[], s: DecideSettings): MetricDecision {
  const rule = ruleOf(name);
  const unit = rule.unit === 'bytes' ? 'bytes' : 'ms';
  const values = pairs.flatMap(([b, c]) => {
    const vb = readMetric(name, b);
    const vc = readMetric(name, c);
    return vb === null || vc === null ? [] : [[vb, vc] as const];
  });
  // A metric the baseline measured and the current build no longer does: something stopped working.
  // Not a memory per client below what its run could resolve (null, with its floor): that is RSS
  // noise, which either side meets at random, and says nothing about the build.
  const lost = pairs.some(
    ([b, c]) => readMetric(name, b) !== null && readMetric(name, c) === null && !belowFloor(name, c),
  );
  const measured = values.length > 0 || lost;
  const gated = measured && (rule.kind === 'median' || rule.kind === 'memory');
  const base = { metric: name, unit, gated, pairs: values.length } as const;
  if (values.length === 0) {
    return {
      ...base,
      baselineMean: null,
      currentMean: null,
      change: null,
      limitPct: s.thresholds[name],
      outcome: lost ? 'regressed' : 'unsure',
      morePairs: null,
    };
  }
  const baselineMean = mean(values.map(([b]) => b));
  const currentMean = mean(values.map(([, c]) => c));
  const scale = Math.abs(baselineMean);
  // The absolute floors of the gate, as a percent of this baseline: a 0.2 ms change of a 1 ms
  // median is 20 %, and still below what loopback timing can be trusted with.
  const clients = Number(metric('connected')?.read(pairs[0]![0]) ?? 1) || 1;
  const floorAbs =
    unit === 'ms'
      ? (s.minChangeMs ?? GATE_MIN_CHANGE_MS)
      : (s.minChangeBytes ?? GATE_MIN_CHANGE_BYTES) / (name === 'bytesPerClient' ? clients : 1);
  const limitPct = Math.max(s.thresholds[name], scale > 0 ? (floorAbs / scale) * 100 : Infinity);
  const change =
    scale > 0
      ? pairedMeanInterval(
          values.map(([b, c]) => ((c - b) / scale) * 100),
          s.confidence,
        )
      : null;
  const outcome = outcomeOf(change, limitPct, rule.worse);
  return {
    ...base,
    baselineMean,
    currentMean,
    change,
    limitPct,
    outcome,
    morePairs: outcome === 'unsure' && change ? morePairsFor(change, limitPct, values.length) : null,
  };
}

/** Where the interval lies against ±limit; `worse` says which side is a regression. */
export function outcomeOf(change: Interval | null, limitPct: number, worse: 'higher' | 'lower'): CompareOutcome {
  if (change === null || !Number.isFinite(limitPct)) return 'unsure';
  const sign = worse === 'higher' ? 1 : -1;
  const low = Math.min(sign * change.low, sign * change.high);
  const high = Math.max(sign * change.low, sign * change.high);
  if (low > limitPct) return 'regressed';
  if (high < -limitPct) return 'improved';
  if (low > -limitPct && high < limitPct) return 'same';
  return 'unsure';
}

/**
 * Pairs more after which the interval, narrowing as 1/√n at the spread seen, would clear the
 * nearest decision: the estimate must be at least a half-width from ±limit.
 */
export function morePairsFor(change: Interval, limitPct: number, pairs: number): number {
  const m = change.estimate;
  const half = (change.high - change.low) / 2;
  const room = Math.abs(m) > limitPct ? Math.abs(m) - limitPct : limitPct - Math.abs(m);
  if (room <= 0) return MANY_PAIRS;
  const needed = Math.ceil(pairs * (half / room) ** 2) - pairs;
  return Math.min(MANY_PAIRS, Math.max(1, needed));
}

/** The verdict over the gated metrics: any regression, else any unsure, else any improvement, else same. */
export function overallOutcome(decisions: readonly MetricDecision[]): CompareOutcome {
  const gated = decisions.filter((d) => d.gated);
  for (const o of ['regressed', 'unsure', 'improved'] as const) if (gated.some((d) => d.outcome === o)) return o;
  return 'same';
}
