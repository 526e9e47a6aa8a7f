/**
 * `bench limit` options: one server, clients added in steps and held, until an SLO breaks, a
 * resource runs out, the generator saturates or --max is reached.
 */
import { LIBS, type Lib } from 'artillery-engine-bench/protocol';
import { UsageError } from '../errors';
import { parseSize } from '../metrics/expr';
import { DURATION_UNITS, unitFactor, unitList } from '../metrics/units';
import { MAX_CLIENTS, RUN_DEFAULTS } from './defaults';

export interface LimitOptions {
  lib?: string;
  scenario?: string;
  slo?: string | string[];
  step?: string | number;
  max?: string | number;
  hold?: string | number;
  probes?: string | number;
  arrivalRate?: string | number;
  memoryLimit?: string;
  maxLoopDelay?: string | number;
  /** a share of the clients kept on long-polling, e.g. `5%` (Socket.IO, SockJS) */
  pollingShare?: string;
  out?: string;
  json?: boolean;
}

export const LIMIT_DEFAULTS = {
  scenario: 'echo' as LimitScenario,
  step: 1_000,
  max: 20_000,
  /** seconds each step's clients are held, with traffic, before its probes */
  holdSeconds: 5,
  probes: 5,
  arrivalRate: 1_000,
  out: 'results/limit.json',
};

export const LIMIT_SCENARIOS = ['echo', 'broadcast'] as const;
export type LimitScenario = (typeof LIMIT_SCENARIOS)[number];

/** What a step's SLO may name: the latencies a step measures. */
export const LIMIT_SLO_METRICS = ['probe.connect', 'echo', 'broadcast'] as const;
export type LimitSloMetric = (typeof LIMIT_SLO_METRICS)[number];

/** `echo.p95<500ms`: a percentile of one step's latency below a limit. */
export interface LimitSlo {
  expression: string;
  metric: LimitSloMetric;
  /** 50 for p50, 100 for max */
  percentile: number;
  limitMs: number;
}

export interface ResolvedLimitOptions {
  lib: Lib;
  scenario: LimitScenario;
  slos: LimitSlo[];
  step: number;
  max: number;
  holdSeconds: number;
  probes: number;
  arrivalRate: number;
  /** the server's RSS may not pass it; null: the machine's available memory */
  memoryLimitBytes: number | null;
  maxLoopDelayMs: number;
  /** as given; checked with the run's own options (bench run --polling-share) */
  pollingShare: string | null;
  out: string;
  json: boolean;
}

const SLO_EXAMPLE = 'Example: --slo "echo.p95<500ms" or --slo "probe.connect.p99<1s"';

export function parseLimitSlo(expression: string): LimitSlo {
  const text = expression.replace(/\s+/g, '');
  const m = /^([a-z.]+)\.(p\d{1,2}(?:\.\d+)?|max)<([0-9]*\.?[0-9]+)([a-z]*)$/i.exec(text);
  if (!m) throw new UsageError(`--slo "${expression}" is not METRIC.pNN<VALUE[ms|s]. ${SLO_EXAMPLE}`);
  const [, name, stat, value, unit] = m as unknown as [string, string, string, string, string];
  if (!(LIMIT_SLO_METRICS as readonly string[]).includes(name)) {
    throw new UsageError(`--slo "${expression}": unknown metric "${name}". Known: ${LIMIT_SLO_METRICS.join(', ')}.`);
  }
  const factor = unit === '' ? 1 : unitFactor(unit, DURATION_UNITS);
  if (factor === null) {
    throw new UsageError(`--slo "${expression}": a latency takes ${unitList(DURATION_UNITS)} (got "${unit}").`);
  }
  const percentile = stat === 'max' ? 100 : Number(stat.slice(1));
  if (stat !== 'max' && (percentile <= 0 || percentile >= 100)) {
    throw new UsageError(`--slo "${expression}": the percentile must be above p0 and below p100 (or max).`);
  }
  return { expression, metric: name as LimitSloMetric, percentile, limitMs: Number(value) * factor };
}

function whole(flag: string, raw: unknown, min: number, max: number, example: string): number {
  const n = Number(raw);
  if (String(raw).trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(
      `--${flag} must be a whole number from ${min} to ${max} (got "${String(raw)}"). Example: --${flag} ${example}`,
    );
  }
  return n;
}

export function resolveLimitOptions(raw: LimitOptions): ResolvedLimitOptions {
  if (raw.lib === undefined) {
    throw new UsageError(`Missing --lib. Choose one of ${LIBS.join(', ')}, e.g. --lib socketio.`);
  }
  if (!(LIBS as readonly string[]).includes(raw.lib)) {
    throw new UsageError(`--lib must be one of ${LIBS.join(', ')} (got "${raw.lib}"). Example: --lib ws`);
  }
  const scenario = raw.scenario ?? LIMIT_DEFAULTS.scenario;
  if (!(LIMIT_SCENARIOS as readonly string[]).includes(scenario)) {
    throw new UsageError(
      `--scenario must be one of ${LIMIT_SCENARIOS.join(', ')} for bench limit (got "${scenario}"). Example: --scenario broadcast`,
    );
  }
  const num = (flag: string, v: unknown, d: number, min: number, max: number, ex: string) =>
    v === undefined ? d : whole(flag, v, min, max, ex);
  const step = num('step', raw.step, LIMIT_DEFAULTS.step, 1, MAX_CLIENTS, '1000');
  const max = num('max', raw.max, LIMIT_DEFAULTS.max, 1, MAX_CLIENTS, '20000');
  if (max < step) throw new UsageError(`--max ${max} is below --step ${step}: give a --max of at least one step.`);
  const slos = (raw.slo === undefined ? [] : Array.isArray(raw.slo) ? raw.slo : [raw.slo]).map(parseLimitSlo);
  for (const s of slos) {
    if (s.metric === 'echo' && scenario !== 'echo') {
      throw new UsageError(`--slo "${s.expression}": echo is measured with --scenario echo only.`);
    }
    if (s.metric === 'broadcast' && scenario !== 'broadcast') {
      throw new UsageError(`--slo "${s.expression}": broadcast is measured with --scenario broadcast only.`);
    }
  }
  let memoryLimitBytes: number | null = null;
  if (raw.memoryLimit !== undefined) {
    memoryLimitBytes = parseSize(raw.memoryLimit, '--memory-limit');
  }
  return {
    lib: raw.lib as Lib,
    scenario: scenario as LimitScenario,
    slos,
    step,
    max,
    holdSeconds: num('hold', raw.hold, LIMIT_DEFAULTS.holdSeconds, 1, 3_600, '5'),
    probes: num('probes', raw.probes, LIMIT_DEFAULTS.probes, 1, 1_000, '5'),
    arrivalRate: num('arrival-rate', raw.arrivalRate, LIMIT_DEFAULTS.arrivalRate, 1, 100_000, '1000'),
    memoryLimitBytes,
    maxLoopDelayMs: num('max-loop-delay', raw.maxLoopDelay, RUN_DEFAULTS.maxLoopDelayMs, 1, 60_000, '100'),
    pollingShare: raw.pollingShare ?? null,
    out: raw.out ?? LIMIT_DEFAULTS.out,
    json: raw.json === true,
  };
}
