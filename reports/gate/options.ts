/**
 * What `bench gate` compares and how strictly: each metric's rule from the registry, the
 * thresholds and absolute floors, and the options as the CLI gives them.
 */
import { UsageError } from '../../runner/errors';
import { parseThreshold } from '../../runner/metrics/expr';
import { GATE_METRICS, metric, type GateKind, type GateRule, type MetricName } from '../../runner/metrics/registry';
import type { BootstrapOptions } from '../stats';
import { GATE_IGNORABLE, type GateIgnore } from './pairing';

export { GATE_METRICS };

/** A metric the gate compares, named as in `--ensure`: one of {@link GATE_METRICS}. */
export type GateMetric = MetricName;

/** See {@link GateKind}. */
export type MetricKind = GateKind;

/** A compared metric's rule and unit ('clients' for counts, as the report has always said). */
export function ruleOf(name: GateMetric): GateRule & { unit: 'ms' | 'bytes' | 'clients'; worse: 'higher' | 'lower' } {
  const m = metric(name)!;
  const unit = m.unit === 'ms' || m.unit === 'bytes' ? m.unit : 'clients';
  return { ...m.gate!, unit, worse: m.better === 'lower' ? 'higher' : 'lower' };
}

/** The kind of a metric (see {@link MetricKind}). */
export const metricKind = (m: GateMetric): MetricKind => ruleOf(m).kind;

/** Which direction of a metric is a regression. */
export const worseDirection = (m: GateMetric): 'higher' | 'lower' => ruleOf(m).worse;

const byMetric = (pick: (r: GateRule) => number) =>
  Object.fromEntries(GATE_METRICS.map((m) => [m, pick(ruleOf(m))])) as Readonly<Record<GateMetric, number>>;

/**
 * How much worse a metric may get before the gate fails (percent; a change must exceed it), from
 * the registry. For `failed` the change is counted in percent of the requested clients, because
 * the baseline usually has no failure at all and a relative change from 0 means nothing.
 */
export const GATE_DEFAULT_THRESHOLDS = byMetric((r) => r.thresholdPct);

/**
 * A latency change smaller than this (ms) is never a regression, whatever its percentage: the
 * first-message p50 on loopback is about 0.05 ms, where timer and scheduler jitter alone make
 * tens of percent.
 */
export const GATE_MIN_CHANGE_MS = 0.5;

/**
 * A memory change smaller than this (bytes of server RSS) is never a regression: RSS read from
 * outside moves by a few MiB with GC timing, which at a few hundred clients is tens of percent of
 * the per-client figure. For bytesPerClient the change is counted over all the cell's clients.
 */
export const GATE_MIN_CHANGE_BYTES = 4 * 1024 * 1024;

/**
 * Without a test, a median or memory change must also exceed this many percent, whatever a
 * --threshold says: one run's own noise (see the registry). The absolute parts of the floor are
 * {@link GATE_MIN_CHANGE_MS} and {@link GATE_MIN_CHANGE_BYTES}.
 */
export const GATE_NOISE_FLOOR_PCT = byMetric((r) => r.noiseFloorPct);

/** Significance level of the noise test, for all comparisons of one gate run together (Holm). */
export const GATE_ALPHA = 0.05;

/** Trials on each side below which nothing is tested (and tails are not gated). */
export const GATE_MIN_TRIALS = 3;

/**
 * The thresholds to use: the defaults, overridden by `metric=pct` texts (each may hold several,
 * separated by commas). A metric given twice is an error.
 */
export function resolveThresholds(texts: readonly string[] = []): Record<GateMetric, number> {
  const out: Record<GateMetric, number> = { ...GATE_DEFAULT_THRESHOLDS };
  const seen = new Map<GateMetric, string>();
  for (const text of texts.flatMap((t) => t.split(',')).filter((t) => t.trim() !== '')) {
    const { metric, pct } = parseThreshold(text);
    const before = seen.get(metric);
    if (before !== undefined) {
      throw new UsageError(`--threshold ${metric} is given twice ("${before}" and "${text}"). Give it once.`);
    }
    seen.set(metric, text);
    out[metric] = pct;
  }
  return out;
}

/** What `bench gate` needs, resolved. */
export interface GateOptions {
  /** sweep folders, folders of result files, or result files */
  baseline: string[];
  current: string[];
  /** percent per metric; see {@link GATE_DEFAULT_THRESHOLDS} */
  thresholds: Record<GateMetric, number>;
  /** significance level; default {@link GATE_ALPHA} */
  alpha?: number;
  /** bootstrap settings; defaults 2000 iterations, 95 %, seed 1 */
  bootstrap?: BootstrapOptions;
  /** see {@link GATE_MIN_CHANGE_MS} */
  minChangeMs?: number;
  /** see {@link GATE_MIN_CHANGE_BYTES} */
  minChangeBytes?: number;
  /**
   * run options left out of the pairing, to compare two configurations (e.g. deflate off → on);
   * `machine` compares runs of different machines, with a warning, instead of refusing
   */
  ignore?: GateIgnore[];
}

function stringList(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  const items = Array.isArray(raw) ? raw : [raw];
  return items.map((x) => String(x).trim()).filter((x) => x.length > 0);
}

/** Validates `bench gate` options as the CLI parsed them (`threshold` may repeat). */
export function resolveGateOptions(raw: {
  baseline?: unknown;
  current?: unknown;
  threshold?: unknown;
  ignoreOption?: unknown;
}): GateOptions {
  const baseline = stringList(raw.baseline);
  const current = stringList(raw.current);
  for (const [flag, list] of [
    ['baseline', baseline],
    ['current', current],
  ] as const) {
    if (list.length === 0) {
      throw new UsageError(
        `Missing --${flag}. Give a sweep folder or result files on each side, e.g. bench gate --baseline results/main --current results/pr.`,
      );
    }
  }
  const ignore = stringList(raw.ignoreOption).map((f) => {
    if (!(GATE_IGNORABLE as readonly string[]).includes(f)) {
      throw new UsageError(
        `--ignore-option must be one of ${GATE_IGNORABLE.join(', ')} (got "${f}"). Example: --ignore-option deflate`,
      );
    }
    return f as GateIgnore;
  });
  return { baseline, current, thresholds: resolveThresholds(stringList(raw.threshold)), ignore };
}
