/**
 * The one parser of what users write about metrics: `--ensure "connect.p99<500ms"`,
 * `--slo "connect.p99<500ms"`, `--threshold connect.p99=20` and sizes such as `--memory 8GiB`.
 * They share the metric names (the registry) and the number-and-unit grammar (the units module);
 * each flag adds only its own rules. Every error is a UsageError naming the text and the fix.
 */
import { UsageError } from '../errors';
import type { EnsureCheck, Operator } from './ensure-check';
import { GATE_METRICS, metric, metricNamesText, SLO_METRICS, type Metric, type MetricName } from './registry';
import { ALL_SIZE_UNITS, DURATION_UNITS, METRIC_SIZE_UNITS, unitFactor, unitList } from './units';

export type { EnsureCheck } from './ensure-check';

/** `metric op number unit` with the spaces taken out; null when the text is not of that shape. */
function split(expression: string, operators: RegExp) {
  const text = expression.replace(/\s+/g, '');
  const m = new RegExp(`^([A-Za-z][A-Za-z0-9.]*?)(${operators.source})([0-9]*\\.?[0-9]+)([A-Za-z]*|%)$`).exec(text);
  if (!m) return null;
  const [, name, operator, number, unit] = m as unknown as [string, string, string, string, string];
  return { name, operator, number: Number(number), unit };
}

/** The registry's metric of that name when `allowed` takes it, else the error listing what is known. */
function known(flag: string, text: string, name: string, allowed: (m: Metric) => boolean, list: string): Metric {
  const m = metric(name);
  if (!m || !allowed(m)) throw new UsageError(`${flag} "${text}": unknown metric "${name}". Known: ${list}.`);
  return m;
}

const ENSURE_EXAMPLE = 'Examples: --ensure "connect.p99<500ms" --ensure "rss.steady<300MB" --ensure "failed==0"';

/** Parses one `--ensure` expression: any metric of the registry, a unit of its kind or none. */
export function parseEnsure(expression: string): EnsureCheck {
  const e = split(expression, /<=|>=|==|<|>/);
  if (!e) throw new UsageError(`--ensure "${expression}" is not METRIC OP VALUE[UNIT]. ${ENSURE_EXAMPLE}`);
  const m = known('--ensure', expression, e.name, () => true, metricNamesText());
  let factor = 1;
  if (e.unit !== '') {
    const units = m.unit === 'ms' ? DURATION_UNITS : m.unit === 'bytes' ? METRIC_SIZE_UNITS : [];
    // A percentage may say so: "cpu<50%", "flap.delivered>99.5%".
    const f = m.unit === 'percent' && e.unit === '%' ? 1 : unitFactor(e.unit, units);
    if (f === null) {
      const allowed = units.length ? unitList(units) : 'no unit';
      throw new UsageError(`--ensure "${expression}": ${m.name} takes ${allowed} (got "${e.unit}").`);
    }
    factor = f;
  }
  return { expression, metric: m.name, operator: e.operator as Operator, limit: e.number * factor };
}

/** A latency limit for `bench capacity`: `metric < limitMs`. */
export interface Slo {
  /** as the user wrote it */
  expression: string;
  metric: MetricName;
  /** ms */
  limitMs: number;
}

const SLO_EXAMPLE = 'Example: --slo "connect.p99<500ms"';

/** Parses `connect.p99<500ms`: a fittable latency, < or <=, a limit in ms or s. */
export function parseSlo(expression: string): Slo {
  const e = split(expression, /<=|>=|==|<|>|=/);
  if (!e) throw new UsageError(`--slo "${expression}" is not METRIC<VALUE with a unit. ${SLO_EXAMPLE}`);
  const m = known('--slo', expression, e.name, (x) => x.slo === true, SLO_METRICS.join(', '));
  if (e.operator !== '<' && e.operator !== '<=') {
    throw new UsageError(
      `--slo "${expression}": an SLO is an upper limit, so use < or <= (got "${e.operator}"). ${SLO_EXAMPLE}`,
    );
  }
  // Case matters here as it always has: `5MS` is not a duration an SLO takes.
  const factor = e.unit === 'ms' || e.unit === 's' ? unitFactor(e.unit, DURATION_UNITS) : null;
  if (factor === null) {
    const got = e.unit === '' ? 'no unit' : `"${e.unit}"`;
    throw new UsageError(`--slo "${expression}": give the limit in ms or s (got ${got}). ${SLO_EXAMPLE}`);
  }
  const limitMs = e.number * factor;
  if (!(limitMs > 0)) throw new UsageError(`--slo "${expression}": the limit must be more than 0. ${SLO_EXAMPLE}`);
  return { expression, metric: m.name as MetricName, limitMs };
}

const THRESHOLD_EXAMPLE = 'Example: --threshold connect.p99=20';

/** Parses one `metric=pct` (a trailing % is allowed) among the metrics the gate compares. */
export function parseThreshold(text: string): { metric: MetricName; pct: number } {
  const m = /^\s*([^=\s]+)\s*=\s*([^%\s]*)\s*%?\s*$/.exec(text);
  if (!m) throw new UsageError(`--threshold "${text}" is not METRIC=PERCENT. ${THRESHOLD_EXAMPLE}`);
  const [, name, number] = m as unknown as [string, string, string];
  known('--threshold', text, name, (x) => x.gate !== undefined, GATE_METRICS.join(', '));
  const pct = /^[0-9]*\.?[0-9]+$/.test(number) ? Number(number) : NaN;
  if (!(pct >= 0 && pct <= 1000)) {
    throw new UsageError(
      `--threshold "${text}": the percentage must be a number from 0 to 1000 (got "${number}"). ${THRESHOLD_EXAMPLE}`,
    );
  }
  return { metric: name as MetricName, pct };
}

/**
 * Parses a size such as `8GiB`, `512MB` or `1.5GB` into bytes. KB, MB, GB and TB are powers of
 * 1000 and KiB, MiB, GiB and TiB powers of 1024, as in `--ensure`. A unit is required.
 */
export function parseSize(text: string, flag = '--memory'): number {
  const example = `Example: ${flag} 8GiB`;
  const list = unitList(ALL_SIZE_UNITS);
  const m = /^\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*$/.exec(text);
  if (!m) throw new UsageError(`${flag} "${text}" is not a size. Give a number and a unit (${list}). ${example}`);
  const [, number, unit] = m as unknown as [string, string, string];
  if (unit === '') throw new UsageError(`${flag} "${text}" needs a unit: ${list}. ${example}`);
  const factor = unitFactor(unit, ALL_SIZE_UNITS);
  if (factor === null) throw new UsageError(`${flag} "${text}": unknown unit "${unit}". Use ${list}. ${example}`);
  const value = Number(number) * factor;
  if (!(value > 0)) throw new UsageError(`${flag} must be more than 0 (got "${text}"). ${example}`);
  return value;
}
