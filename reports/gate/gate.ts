/**
 * `bench gate`: compares a current set of runs with a baseline and says whether anything got
 * worse beyond a threshold, and beyond the noise when there are enough trials to tell.
 * Returns a typed {@link GateReport}; reports/gate/{text,markdown,junit}.ts turn it into text, Markdown and JUnit.
 * What is compared, and each metric's threshold and noise floor, is the metric registry's.
 */
import { faultLabel } from '../../runner/result/faults';
import { UsageError } from '../../runner/errors';
import { loadInputs, type LoadedReport, type ReportCell } from '../read/read';
import { parseThreshold } from '../../runner/metrics/expr';
import {
  GATE_METRICS,
  metric,
  readMetric,
  type GateKind,
  type GateRule,
  type MetricName,
} from '../../runner/metrics/registry';
import { bytes, count, pValueText } from '../../runner/metrics/units';
import { machineDifferences, machineOf, type Machine } from './machine';
import {
  BOOTSTRAP_DEFAULTS,
  bootstrapMedians,
  cliffsDelta,
  holm,
  mannWhitneyU,
  median,
  smallestExactP,
  trialsToReach,
  type BootstrapOptions,
  type Interval,
} from '../stats';
import { manifestRunArgs } from '../../runner/result/manifest';

export { GATE_METRICS };

/** A metric the gate compares, named as in `--ensure`: one of {@link GATE_METRICS}. */
export type GateMetric = MetricName;

/** See {@link GateKind}. */
export type MetricKind = GateKind;

/** A compared metric's rule and unit ('clients' for counts, as the report has always said). */
function ruleOf(name: GateMetric): GateRule & { unit: 'ms' | 'bytes' | 'clients'; worse: 'higher' | 'lower' } {
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

/** The run options that change what is measured: cells pair only when all of them match. */
export interface GateKey {
  lib: string;
  scenario: string;
  /** clients requested */
  clients: number;
  transport: string;
  deflate: boolean;
  /** clients/s */
  arrivalRate: number | 'burst';
  holdSeconds: number;
  pingIntervalMs: number;
  echoEveryMs: number;
  broadcastEveryMs: number;
  /** warm-up clients */
  warmup: number;
  probes: number;
  /** true when the server was a remote --target */
  remote: boolean;
  /** server nodes and what synced them (1 and `none` for results from before scale-out) */
  nodes: number;
  adapter: string;
  /** the faults injected, short ('' for none): a faulted run never pairs with a clean one */
  fault: string;
  /** Socket.IO's tuning options and ws's add-ons (`default`, false, '', `on` for results before them) */
  sioParser: string;
  sioDiscardRequest: boolean;
  sioWsEngine: string;
  wsNative: string;
}

type Loose<T> = { [K in keyof T]?: T[K] | null };

/** The run options `--ignore-option` may leave out of the pairing. */
export const GATE_OPTIONS = [
  'transport',
  'deflate',
  'arrivalRate',
  'holdSeconds',
  'pingIntervalMs',
  'echoEveryMs',
  'broadcastEveryMs',
  'warmup',
  'probes',
  'remote',
  'nodes',
  'adapter',
  'fault',
  'sioParser',
  'sioDiscardRequest',
  'sioWsEngine',
  'wsNative',
] as const satisfies readonly (keyof GateKey)[];
export type GateOption = (typeof GATE_OPTIONS)[number];

/** What `--ignore-option` takes: a run option, or `machine` (see {@link machineOf}). */
export const GATE_IGNORABLE = [...GATE_OPTIONS, 'machine'] as const;
export type GateIgnore = (typeof GATE_IGNORABLE)[number];

const KEY_FIELDS = ['lib', 'scenario', 'clients', ...GATE_OPTIONS] as const satisfies readonly (keyof GateKey)[];

function keyOf(c: ReportCell, ignore: readonly GateIgnore[]): GateKey | null {
  const key = fullKeyOf(c);
  if (!key) return null;
  // An ignored option takes one value on both sides, so cells pair across it.
  for (const f of ignore) if (f !== 'machine') (key as unknown as Record<string, unknown>)[f] = 'any';
  return key;
}

function fullKeyOf(c: ReportCell): GateKey | null {
  if (!c.result) return null;
  const o = (c.result.options ?? {}) as Loose<NonNullable<ReportCell['result']>['options']>;
  return {
    lib: c.lib,
    scenario: c.scenario,
    clients: c.clients,
    transport: String(o.transport ?? 'websocket'),
    deflate: o.deflate === true,
    arrivalRate: o.arrivalRate === 'burst' ? 'burst' : Number(o.arrivalRate),
    holdSeconds: Number(o.holdSeconds),
    pingIntervalMs: Number(o.pingIntervalMs),
    echoEveryMs: Number(o.echoEveryMs),
    broadcastEveryMs: Number(o.broadcastEveryMs),
    warmup: Number(o.warmup),
    probes: Number(o.probes),
    remote: o.target !== null && o.target !== undefined,
    nodes: Number(o.nodes ?? 1),
    adapter: String(o.adapter ?? 'none'),
    fault: faultLabel(c.result),
    sioParser: String(o.sioParser ?? 'default'),
    sioDiscardRequest: o.sioDiscardRequest === true,
    sioWsEngine: String(o.sioWsEngine ?? ''),
    wsNative: String(o.wsNative ?? 'on'),
  };
}

const idOf = (k: GateKey) => JSON.stringify(KEY_FIELDS.map((f) => k[f]));

function describeField(k: GateKey, f: (typeof KEY_FIELDS)[number]): string {
  switch (f) {
    case 'deflate':
      return k.deflate ? 'deflate on' : 'deflate off';
    case 'remote':
      return k.remote ? 'remote server' : 'local server';
    case 'arrivalRate':
      return k.arrivalRate === 'burst' ? 'burst arrivals' : `arrival ${k.arrivalRate}/s`;
    case 'holdSeconds':
      return `hold ${k.holdSeconds} s`;
    case 'pingIntervalMs':
      return `ping every ${k.pingIntervalMs} ms`;
    case 'echoEveryMs':
      return `echo every ${k.echoEveryMs} ms`;
    case 'broadcastEveryMs':
      return `broadcast every ${k.broadcastEveryMs} ms`;
    case 'warmup':
      return `warm-up ${k.warmup}`;
    case 'probes':
      return `${k.probes} probes`;
    case 'nodes':
      return `${k.nodes} node${k.nodes === 1 ? '' : 's'}`;
    case 'adapter':
      return `adapter ${k.adapter}`;
    case 'fault':
      return k.fault || 'no fault';
    case 'sioParser':
      return `${k.sioParser} parser`;
    case 'sioDiscardRequest':
      return k.sioDiscardRequest ? 'request discarded' : 'request kept';
    case 'sioWsEngine':
      return `wsEngine ${k.sioWsEngine || 'engine.io ws'}`;
    case 'wsNative':
      return `ws native ${k.wsNative}`;
    default:
      return String(k[f]);
  }
}

const OPTION_FIELDS = KEY_FIELDS.filter((f) => f !== 'lib' && f !== 'scenario' && f !== 'clients');

/** `ws · echo · 1,000 clients`, plus whichever options are not the same across all keys. */
function labeller(keys: readonly GateKey[]): (k: GateKey) => string {
  const differing = OPTION_FIELDS.filter((f) => new Set(keys.map((k) => String(k[f]))).size > 1);
  return (k) =>
    [k.lib, k.scenario, `${count(k.clients)} clients`, ...differing.map((f) => describeField(k, f))].join(' · ');
}

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
  /** why, in a few words: `regressed`, `within threshold`, `not significant`, `not gated: …` */
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

/** Something that fails the gate besides a regressed metric. */
export interface GateFailure {
  kind: 'invalid' | 'missing' | 'empty';
  /** the cell's label (or `–` for a report-wide failure) */
  cell: string;
  message: string;
}

export interface GateReport {
  verdict: 'pass' | 'regression';
  /** one line: the verdict and why */
  summary: string;
  baseline: { inputs: string[]; runs: number; machines: Machine[] };
  current: { inputs: string[]; runs: number; machines: Machine[] };
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
  failures: GateFailure[];
  /** what was left out and why, new cells in current: not failures */
  notes: string[];
}

/** Why a run cannot be compared; null when it can. */
function unusable(c: ReportCell): string | null {
  const parts: string[] = [];
  if (!c.result) parts.push(`${c.status === 'completed' ? 'errored' : c.status}: ${c.error ?? 'no result file'}`);
  else if (c.status !== 'completed') parts.push(`${c.status}${c.error ? `: ${c.error}` : ''}`);
  if (c.valid === false) {
    parts.push(`invalid${c.invalidReasons.length ? `: ${c.invalidReasons.join('; ')}` : ''}`);
  }
  const connected = readMetric('connected', c.result);
  const requested = c.result?.clients?.requested;
  if (connected !== null && typeof requested === 'number' && Number.isFinite(requested) && connected < requested) {
    parts.push(`connected ${count(connected)} of ${count(requested)} clients`);
  }
  return parts.length ? parts.join(' — ') : null;
}

const trialsText = (n: number) => `${n} trial${n === 1 ? '' : 's'}`;
const sidesText = (nb: number, nc: number) =>
  nb === nc ? `${trialsText(nb)} a side` : `baseline ${trialsText(nb)}, current ${trialsText(nc)}`;

interface PowerContext {
  alpha: number;
  testable: number;
  tested: number;
  trialsNeeded: number;
}

function modeNote(nb: number, nc: number, powered: boolean, p: PowerContext): string {
  const sides = sidesText(nb, nc);
  if (powered) {
    return `${sides}: Mann-Whitney U decides, Holm-corrected over ${p.tested} comparisons (corrected p < ${p.alpha} and beyond the threshold); effect size Cliff's δ`;
  }
  const untested = `medians and memory gated on thresholds and noise floors only, p99s not gated (a test needs ${p.trialsNeeded} trials a side)`;
  if (nb < GATE_MIN_TRIALS || nc < GATE_MIN_TRIALS) return `${sides}: no significance test; ${untested}`;
  return `${sides}: too few for Mann-Whitney U to reach p < ${p.alpha} over ${p.testable} comparisons (smallest possible p ${pValueText(smallestExactP(nb, nc))}); ${untested}`;
}

interface CompareSettings {
  thresholds: Record<GateMetric, number>;
  alpha: number;
  bootstrap: Required<BootstrapOptions>;
  minChangeMs: number;
  minChangeBytes: number;
}

type Decided =
  'changePct' | 'beyondThreshold' | 'gated' | 'adjustedP' | 'test' | 'significant' | 'regressed' | 'reason';

/** A comparison's numbers before anything is decided. */
interface Measured {
  base: Omit<GateComparison, Decided>;
  changePct: number | null;
  worse: boolean;
  /** the change in the worse direction, in percent (Infinity from a baseline of 0) */
  worseBy: number;
  underFloor: boolean;
}

const isTestable = (m: Measured) =>
  m.base.kind !== 'count' && m.base.baselineMedian !== null && m.base.currentMedian !== null;

function measure(metric: GateMetric, b: ReportCell[], c: ReportCell[], key: GateKey, s: CompareSettings) {
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
function decide(m: Measured, adjustedP: number | null, notGated: string, s: CompareSettings): GateComparison {
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
    const reason = regressed ? 'regressed' : (plain ?? 'not significant');
    return { ...decided, gated: true, adjustedP, test: 'mann-whitney', significant, regressed, reason };
  }
  const untested = { ...decided, adjustedP: null, test: null, significant: null };
  if (base.kind === 'tail') return { ...untested, gated: false, regressed: false, reason: notGated };
  const floor = Math.max(base.thresholdPct, GATE_NOISE_FLOOR_PCT[base.metric]);
  // With a few trials but too few for the test, the samples must at least lie apart: the
  // bootstrap interval of the difference of medians excludes 0 on the worse side. Not called
  // significant: that takes the test.
  const d = base.difference;
  const apart = d === null || (worseDirection(base.metric) === 'higher' ? d.low > 0 : d.high < 0);
  const regressed = beyondThreshold && m.worseBy > floor && apart;
  const reason = regressed
    ? 'regressed'
    : (plain ?? (m.worseBy <= floor ? `within the noise floor (${floor} %)` : 'trials overlap (interval includes 0)'));
  return { ...untested, gated: true, regressed, reason };
}

const cellName = (c: ReportCell) => `trial ${c.trial} (${c.file})`;

/** The machines of both sides; throws unless they match or `allow` is set, when it warns instead. */
function checkMachines(b: LoadedReport, c: LoadedReport, allow: boolean, notes: string[]) {
  const of = (r: LoadedReport) => r.cells.filter((x) => x.result).map((x) => machineOf(x.result));
  const known = (ms: (Machine | null)[]) => ms.filter((m): m is Machine => m !== null);
  const all = [...of(b), ...of(c)];
  const unknown = all.filter((m) => m === null).length;
  if (unknown) {
    notes.push(
      `${unknown === 1 ? '1 run records' : `${unknown} runs record`} no machine: cannot tell whether every run had one`,
    );
  }
  const distinct = (ms: Machine[]) => [...new Map(ms.map((m) => [JSON.stringify(m), m])).values()];
  const baseline = distinct(known(of(b)));
  const current = distinct(known(of(c)));
  const diffs = baseline.length && current.length ? machineDifferences(baseline, current) : [];
  let warning: string | null = null;
  if (diffs.length) {
    const what = diffs.join('; ');
    if (!allow) {
      throw new UsageError(
        `baseline and current ran on different machines (${what}): a difference would be the machine's, not the code's. Measure both sides on one machine, or pass --ignore-option machine to compare anyway.`,
      );
    }
    warning = `WARNING: baseline and current ran on different machines: ${what}. A difference may be the machine's, not the code's.`;
  }
  return { baseline, current, warning };
}

const shellWord = (w: string) => (/^[A-Za-z0-9_./:=,@%+-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);

/** `bench sweep --trials N --libs … --clients … --out <dir>` per scenario, for the cells given. */
function sweepCommands(cells: readonly GateCell[], trials: number, runArgs: readonly string[]): string[] {
  const scenarios = [...new Set(cells.map((c) => c.key.scenario))];
  return scenarios.map((scenario) => {
    const these = cells.filter((c) => c.key.scenario === scenario);
    const libs = [...new Set(these.map((c) => c.key.lib))].join(',');
    const levels = [...new Set(these.map((c) => c.key.clients))].sort((x, y) => x - y).join(',');
    const args = runArgs.length ? [...runArgs] : these.some((c) => c.key.deflate === true) ? ['--deflate'] : [];
    const words = ['bench', 'sweep', '--trials', String(trials), '--libs', libs, '--clients', levels];
    if (scenario !== 'echo') words.push('--scenario', scenario);
    return [...words, ...args].map(shellWord).join(' ') + ' --out <dir>';
  });
}

/** Compares loaded runs. Pure: nothing is read or written. Throws a UsageError when the machines differ. */
export function compareRuns(
  baselineRuns: LoadedReport,
  currentRuns: LoadedReport,
  options: Omit<GateOptions, 'baseline' | 'current'>,
): GateReport {
  const s: CompareSettings = {
    thresholds: options.thresholds,
    alpha: options.alpha ?? GATE_ALPHA,
    bootstrap: { ...BOOTSTRAP_DEFAULTS, ...options.bootstrap },
    minChangeMs: options.minChangeMs ?? GATE_MIN_CHANGE_MS,
    minChangeBytes: options.minChangeBytes ?? GATE_MIN_CHANGE_BYTES,
  };
  const ignore = options.ignore ?? [];
  const failures: GateFailure[] = [];
  const notes: string[] = [];
  const machines = checkMachines(baselineRuns, currentRuns, ignore.includes('machine'), notes);

  const group = (cells: readonly ReportCell[]) => {
    const byId = new Map<string, { key: GateKey; cells: ReportCell[] }>();
    const keyless: ReportCell[] = [];
    for (const c of cells) {
      const key = keyOf(c, ignore);
      if (!key) {
        keyless.push(c);
        continue;
      }
      const id = idOf(key);
      if (!byId.has(id)) byId.set(id, { key, cells: [] });
      byId.get(id)!.cells.push(c);
    }
    return { byId, keyless };
  };
  const b = group(baselineRuns.cells);
  const c = group(currentRuns.cells);
  const label = labeller([...[...b.byId.values()].map((g) => g.key), ...[...c.byId.values()].map((g) => g.key)]);
  const looseName = (x: ReportCell) => `${x.series} · ${x.scenario} · ${count(x.clients)} clients`;

  for (const x of c.keyless) {
    failures.push({ kind: 'invalid', cell: looseName(x), message: `current ${cellName(x)}: ${unusable(x)}` });
  }
  for (const x of b.keyless) notes.push(`baseline ${looseName(x)} ${cellName(x)} left out: ${unusable(x)}`);

  const pending: { id: string; name: string; key: GateKey; nb: number; nc: number; measured: Measured[] }[] = [];
  for (const [id, bg] of b.byId) {
    const name = label(bg.key);
    const usableBaseline = bg.cells.filter((x) => {
      const why = unusable(x);
      if (why) notes.push(`baseline ${name} ${cellName(x)} left out: ${why}`);
      return !why;
    });
    const cg = c.byId.get(id);
    if (!cg) {
      const near = [...c.byId.values()].filter(
        (g) => g.key.lib === bg.key.lib && g.key.scenario === bg.key.scenario && g.key.clients === bg.key.clients,
      );
      const hint = near.length
        ? ` (current runs of ${bg.key.lib} at ${count(bg.key.clients)} clients differ in ${[
            ...new Set(
              near.flatMap((g) =>
                OPTION_FIELDS.filter((f) => g.key[f] !== bg.key[f]).map(
                  (f) => `${f}: baseline ${String(bg.key[f])}, current ${String(g.key[f])}`,
                ),
              ),
            ),
          ].join('; ')})`
        : '';
      failures.push({ kind: 'missing', cell: name, message: `missing in current: no run with these options${hint}` });
      continue;
    }
    const usableCurrent = cg.cells.filter((x) => {
      const why = unusable(x);
      if (why) failures.push({ kind: 'invalid', cell: name, message: `current ${cellName(x)}: ${why}` });
      return !why;
    });
    if (usableBaseline.length === 0) {
      notes.push(`${name}: not compared, the baseline has no usable run`);
      continue;
    }
    if (usableCurrent.length === 0) continue;
    const measured = GATE_METRICS.flatMap((m) => {
      const r = measure(m, usableBaseline, usableCurrent, bg.key, s);
      return r ? [r] : [];
    });
    pending.push({ id, name, key: bg.key, nb: usableBaseline.length, nc: usableCurrent.length, measured });
  }

  // A cell is tested only when its trials can reach alpha even if every comparison of the run
  // were in the family; the family itself is what is tested, so the correction is never weaker.
  const testable = pending.reduce((a, p) => a + p.measured.filter(isTestable).length, 0);
  const target = s.alpha / Math.max(1, testable);
  const powered = (nb: number, nc: number) =>
    nb >= GATE_MIN_TRIALS && nc >= GATE_MIN_TRIALS && smallestExactP(nb, nc) < target;
  const family = pending.flatMap((p, ci) =>
    p.measured.flatMap((m, mi) =>
      isTestable(m) && m.base.pValue !== null && powered(m.base.baseline.length, m.base.current.length)
        ? [{ at: `${ci}:${mi}`, p: m.base.pValue }]
        : [],
    ),
  );
  const adjusted = holm(family.map((f) => f.p));
  const adjustedAt = new Map(family.map((f, i) => [f.at, adjusted[i]!]));
  const power: PowerContext = {
    alpha: s.alpha,
    testable,
    tested: family.length,
    trialsNeeded: Math.max(GATE_MIN_TRIALS, trialsToReach(target) ?? 50),
  };
  const cells: GateCell[] = pending.map((p, ci) => ({
    id: p.id,
    label: p.name,
    key: p.key,
    baselineTrials: p.nb,
    currentTrials: p.nc,
    mode: powered(p.nb, p.nc) ? 'significance' : 'thresholds',
    modeNote: modeNote(p.nb, p.nc, powered(p.nb, p.nc), power),
    comparisons: p.measured.map((m, mi) => {
      const stat = m.base.metric.split('.')[1] ?? m.base.metric;
      const notGated = `not gated: ${sidesText(p.nb, p.nc)}; ${stat} needs ≥${power.trialsNeeded}`;
      return decide(m, adjustedAt.get(`${ci}:${mi}`) ?? null, notGated, s);
    }),
  }));

  for (const [id, cg] of c.byId) {
    if (b.byId.has(id)) continue;
    const name = label(cg.key);
    notes.push(`new in current, not compared: ${name} (${trialsText(cg.cells.length)})`);
    for (const x of cg.cells) {
      const why = unusable(x);
      if (why) failures.push({ kind: 'invalid', cell: name, message: `current ${cellName(x)}: ${why}` });
    }
  }
  const all = cells.flatMap((x) => x.comparisons);
  if (all.length === 0 && failures.length === 0) {
    failures.push({
      kind: 'empty',
      cell: '–',
      message:
        'nothing compared: no usable current run matches a baseline run. Check that both sides ran the same options.',
    });
  }
  const gated = all.filter((x) => x.gated).length;
  const regressed = all.filter((x) => x.regressed).length;
  const verdict = regressed === 0 && failures.length === 0 ? 'pass' : 'regression';
  const parts = [
    all.length && !gated ? 'nothing could be gated' : `${regressed} of ${gated} gated comparisons regressed`,
  ];
  if (gated < all.length) parts.push(`${all.length - gated} not gated (too few trials)`);
  const kinds = (k: GateFailure['kind']) => failures.filter((f) => f.kind === k).length;
  if (kinds('invalid')) parts.push(`${kinds('invalid')} unusable current run${kinds('invalid') === 1 ? '' : 's'}`);
  if (kinds('missing'))
    parts.push(`${kinds('missing')} baseline cell${kinds('missing') === 1 ? '' : 's'} missing in current`);
  if (kinds('empty')) parts.push('nothing compared');
  const runArgs = manifestRunArgs((currentRuns.manifest ?? baselineRuns.manifest)?.options);
  const untested = cells.filter((x) => x.mode === 'thresholds');
  return {
    verdict,
    summary: `${verdict}: ${parts.join(', ')} (${cells.length} cell${cells.length === 1 ? '' : 's'})`,
    baseline: { inputs: baselineRuns.inputs, runs: baselineRuns.cells.length, machines: machines.baseline },
    current: { inputs: currentRuns.inputs, runs: currentRuns.cells.length, machines: machines.current },
    warning: machines.warning,
    thresholds: { ...s.thresholds },
    alpha: s.alpha,
    testable,
    tested: family.length,
    trialsNeeded: power.trialsNeeded,
    moreTrials: untested.length ? sweepCommands(untested, power.trialsNeeded, runArgs) : [],
    bootstrap: { ...s.bootstrap },
    minChangeMs: s.minChangeMs,
    minChangeBytes: s.minChangeBytes,
    cells,
    failures,
    notes,
  };
}

function load(side: 'baseline' | 'current', paths: readonly string[]): LoadedReport {
  try {
    return loadInputs(paths);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(err.message.replace(/^report: /, `--${side}: `));
    throw err;
  }
}

/** Reads both sides (sweep folders, result folders or files) and compares them. */
export function runGate(options: GateOptions): GateReport {
  return compareRuns(load('baseline', options.baseline), load('current', options.current), options);
}

/** 0 when the gate passes, 1 on a regression (the CLI maps usage errors to 2 itself). */
export function gateExitCode(report: GateReport): 0 | 1 {
  return report.verdict === 'pass' ? 0 : 1;
}
