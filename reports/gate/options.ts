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
 * How much faster the current server's heap + external after GC may grow per connection than the
 * baseline's before two soaks are a regression: bytes per 1,000 connection cycles (16 KiB per
 * 1,000 is 16 bytes a connection). `--soak-threshold` gives it in KiB per 1,000.
 *
 * Why 16: it is a leak worth failing a build for (a server cycling 100 connections a second
 * grows by about 130 MiB a day), and two soaks of the length CI can afford can decide it either
 * way. A 5-minute soak at 50/s (15,000 cycles, 1,000 clients) measured here had a detection
 * floor of 2–6 KiB per 1,000 and intervals of ±1–4 (`npm run bench:soak`, docs/soak.md), so the
 * difference's 95 % interval is about ±2–6: inside ±16 for two equal servers ("same"; two runs
 * of the same code gave −4 and +0.5), above 16 for a leak of a few dozen bytes a connection. A
 * smaller T would leave 5-minute soaks "unsure" on unchanged code.
 * A fresh ws server's own warm-up tail (15–45 KiB per 1,000 after a 10 s warm-up, seen here) is
 * on both sides alike and cancels in the difference, when both soaks warm up as long.
 */
export const GATE_SOAK_THRESHOLD_PER_1000 = 16 * 1024;

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
  /** two soaks' allowed difference of slope, bytes per 1,000 cycles; see {@link GATE_SOAK_THRESHOLD_PER_1000} */
  soakThresholdPer1000?: number;
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
  soakThreshold?: unknown;
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
  return {
    baseline,
    current,
    thresholds: resolveThresholds(stringList(raw.threshold)),
    ignore,
    ...(raw.soakThreshold !== undefined && { soakThresholdPer1000: soakThreshold(raw.soakThreshold) }),
  };
}

/** `--soak-threshold KIB_PER_1000`, a number 0 or more, to bytes per 1,000 cycles. */
function soakThreshold(raw: unknown): number {
  const text = String(Array.isArray(raw) ? raw[raw.length - 1] : raw).trim();
  const kib = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(kib) || kib > 1_000_000) {
    throw new UsageError(
      `--soak-threshold must be KiB per 1,000 connections, a number from 0 to 1000000 (got "${text}"). Example: --soak-threshold ${GATE_SOAK_THRESHOLD_PER_1000 / 1024}`,
    );
  }
  return kib * 1024;
}
