/** What `bench gate` returns: the formats in this folder render it, `--json` prints it whole. */
import type { Interval } from '../stats';
import type { Machine } from './machine';
import type { GateMetric, MetricKind } from './options';
import type { GateKey } from './pairing';

/** One metric of one cell, baseline against current. */
export interface GateComparison {
  metric: GateMetric;
  unit: 'ms' | 'bytes' | 'clients';
  kind: MetricKind;
  /** per-trial values, in `unit` */
  baseline: number[];
  current: number[];
  baselineMedian: number | null;
  currentMedian: number | null;
  /**
   * (current − baseline) / baseline in percent; for `failed`, the change in percent of the
   * requested clients. Null when it cannot be computed (a side unmeasured, or a baseline of 0).
   */
  changePct: number | null;
  /** the allowed worsening (percent) */
  thresholdPct: number;
  /** the change is in the worse direction and beyond the threshold (and the absolute floor) */
  beyondThreshold: boolean;
  /** false when the trials cannot support a verdict on this metric (a tail without a test) */
  gated: boolean;
  /** two-sided Mann-Whitney U p-value; null with fewer than 3 values on a side */
  pValue: number | null;
  /** pValue after Holm–Bonferroni over every tested comparison of this gate run; null when not tested */
  adjustedP: number | null;
  /** Cliff's delta of current against baseline, −1 … +1; null with fewer than 3 values on a side */
  effect: number | null;
  /** bootstrap interval of median(current) − median(baseline), in `unit`; null with fewer than 3 values */
  difference: Interval | null;
  /** `mann-whitney` when the test decided; null when thresholds and noise floors alone decide */
  test: 'mann-whitney' | null;
  /** adjustedP < alpha; null when not tested */
  significant: boolean | null;
  regressed: boolean;
  /**
   * worse beyond the threshold, but the trials cannot tell the change from noise (within the noise
   * floor, overlapping trials, or not significant): neither a regression nor a pass
   */
  unsure: boolean;
  /** why, in a few words: `regressed`, `within threshold`, `unsure: …`, `not gated: …` */
  reason: string;
}

/** The trials of one run configuration on both sides. */
export interface GateCell {
  /** stable identity of the key (JSON of its fields) */
  id: string;
  label: string;
  key: GateKey;
  /** trials compared (completed, valid, every client connected) */
  baselineTrials: number;
  currentTrials: number;
  /** `significance`: the test decides; `thresholds`: too few trials for it, so tails are not gated */
  mode: 'significance' | 'thresholds';
  /** one line: what decides in this cell and why */
  modeNote: string;
  comparisons: GateComparison[];
}

/**
 * The soak options that change what is measured: soaks pair only when all of them match. Not the
 * duration (the slope is per connection; a longer soak narrows its interval, which the decision
 * uses) and not the test-only leak switch (`retainPerConnectionBytes`): as the run gate leaves
 * `serverTest` (`--echo-delay`, `--retain-per-connection`) out of its key, a soak with an
 * injected leak pairs with one without, which is how the gate is shown to catch a leak.
 */
export interface SoakKey {
  lib: string;
  clients: number;
  churnPerSecond: number;
  transport: string;
  deflate: boolean;
  abruptShare: number;
}

/** One side of a soak comparison: the `bench soak` result compared and its heap + external slope. */
export interface GateSoakSide {
  file: string;
  /** heap used + external after GC against connection cycles, bytes per 1,000 cycles */
  slopePer1000: number;
  /** the fit's 95 % interval, bytes per 1,000 cycles */
  ci95: [number, number];
  /** the slope's standard error read back from its interval: (hi − lo) / 2 / 1.96 */
  standardError: number;
  /** the smallest slope the soak would have found, bytes per 1,000 cycles */
  detectablePer1000: number;
  cyclesCompleted: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** the test-only leak switch (0: off); not part of the pairing */
  retainPerConnectionBytes: number;
}

/** Two soaks of one configuration: does the current server leak more per connection? */
export interface GateSoakComparison {
  /** stable identity of the key (JSON of its fields) */
  id: string;
  /** `soak ws · 200 clients × 200/s` */
  label: string;
  key: SoakKey;
  baseline: GateSoakSide;
  current: GateSoakSide;
  /** current slope − baseline slope, bytes per 1,000 cycles */
  differencePer1000: number;
  /** its 95 % interval: ± 1.96 √(SEb² + SEc²) */
  differenceCi95: [number, number];
  /** the allowed difference either way, bytes per 1,000 cycles */
  thresholdPer1000: number;
  /**
   * `regressed`: the whole interval above the threshold; `improved`: wholly below minus it;
   * `same`: wholly within ± it; `unsure`: none of these
   */
  outcome: 'regressed' | 'improved' | 'same' | 'unsure';
  regressed: boolean;
  unsure: boolean;
  /** why, in a few words, with the numbers */
  reason: string;
}

/** Something that fails the gate besides a regressed metric. */
export interface GateFailure {
  kind: 'invalid' | 'missing' | 'empty';
  /** the cell's label (or `–` for a report-wide failure) */
  cell: string;
  message: string;
}

export interface GateReport {
  /** `unsure`: nothing regressed, but some change beyond its threshold could be noise */
  verdict: 'pass' | 'unsure' | 'regression';
  /** one line: the verdict and why */
  summary: string;
  /** `runs`: `bench run` results read; `soaks`: `bench soak` results read */
  baseline: { inputs: string[]; runs: number; soaks: number; machines: Machine[] };
  current: { inputs: string[]; runs: number; soaks: number; machines: Machine[] };
  /** `WARNING: baseline and current ran on different machines: …` (with --ignore-option machine); else null */
  warning: string | null;
  thresholds: Record<GateMetric, number>;
  alpha: number;
  /** comparisons that a test could decide with enough trials: the m a cell's trials must beat */
  testable: number;
  /** comparisons the test decided: the family of the Holm correction */
  tested: number;
  /** trials a side at which the test can reach alpha over `testable` comparisons */
  trialsNeeded: number;
  /** `bench sweep --trials N …` for the cells without a test; empty when every cell was tested */
  moreTrials: string[];
  bootstrap: { iterations: number; confidence: number; seed: number };
  minChangeMs: number;
  minChangeBytes: number;
  cells: GateCell[];
  /** two soaks per configuration, compared on their leak slope */
  soaks: GateSoakComparison[];
  /** the allowed difference of two soaks' slopes, bytes per 1,000 connection cycles */
  soakThresholdPer1000: number;
  failures: GateFailure[];
  /** what was left out and why, new cells in current: not failures */
  notes: string[];
}
