import { UsageError } from '../errors';
import type { RunResult } from './build';

/** How a metric's value is read from a result, and its unit. */
interface MetricDef {
  unit: 'ms' | 'bytes' | 'count';
  read: (r: RunResult) => number | null;
}

type LatencyKey = 'connectMs' | 'firstMessageMs' | 'echoMs' | 'broadcastMs';
const STATS = ['p50', 'p90', 'p99', 'max', 'mean'] as const;
const LATENCIES: Record<string, (r: RunResult) => RunResult[LatencyKey]> = {
  connect: (r) => r.connectMs,
  firstMessage: (r) => r.firstMessageMs,
  echo: (r) => r.echoMs,
  broadcast: (r) => r.broadcastMs,
  'probe.connect': (r) => r.probe.connectMs,
  'probe.firstMessage': (r) => r.probe.firstMessageMs,
  reconnect: (r) => r.reconnect?.timeMs ?? null,
};

/** Every metric an --ensure expression may name. */
export const ENSURE_METRICS: Record<string, MetricDef> = (() => {
  const m: Record<string, MetricDef> = {};
  for (const [name, get] of Object.entries(LATENCIES)) {
    for (const stat of STATS) m[`${name}.${stat}`] = { unit: 'ms', read: (r) => get(r)?.[stat] ?? null };
  }
  m['rss.idle'] = { unit: 'bytes', read: (r) => r.server.rssBytes.idle };
  m['rss.steady'] = { unit: 'bytes', read: (r) => r.server.rssBytes.steady };
  m['rss.peak'] = { unit: 'bytes', read: (r) => r.server.rssBytes.peak };
  m['bytesPerClient'] = { unit: 'bytes', read: (r) => r.server.bytesPerClient };
  m['loadgen.bytesPerClient'] = { unit: 'bytes', read: (r) => r.loadgen.bytesPerClient };
  m['connected'] = { unit: 'count', read: (r) => r.clients.connected };
  m['failed'] = { unit: 'count', read: (r) => r.clients.failed };
  m['probe.failed'] = { unit: 'count', read: (r) => r.probe.failed };
  m['cpu'] = { unit: 'count', read: (r) => r.server.cpuPercent };
  m['broadcast.lost'] = { unit: 'count', read: (r) => r.broadcast?.lost ?? null };
  m['broadcast.outOfOrder'] = { unit: 'count', read: (r) => r.broadcast?.outOfOrder ?? null };
  m['broadcast.duplicates'] = { unit: 'count', read: (r) => r.broadcast?.duplicates ?? null };
  m['reconnect.failed'] = { unit: 'count', read: (r) => r.reconnect?.failed ?? null };
  return m;
})();

/** The metrics in one line: latencies once with their statistics, then the rest. */
const KNOWN_METRICS = [
  `${Object.keys(LATENCIES).join(', ')} (each .${STATS.join(' .')})`,
  ...Object.keys(ENSURE_METRICS).filter((name) => !STATS.some((stat) => name.endsWith(`.${stat}`))),
].join(', ');

type Operator = '<=' | '>=' | '==' | '<' | '>';

const UNITS: Record<string, { of: 'ms' | 'bytes'; factor: number }> = {
  ms: { of: 'ms', factor: 1 },
  s: { of: 'ms', factor: 1000 },
  b: { of: 'bytes', factor: 1 },
  kb: { of: 'bytes', factor: 1e3 },
  mb: { of: 'bytes', factor: 1e6 },
  gb: { of: 'bytes', factor: 1e9 },
  kib: { of: 'bytes', factor: 2 ** 10 },
  mib: { of: 'bytes', factor: 2 ** 20 },
  gib: { of: 'bytes', factor: 2 ** 30 },
};

/** One SLO: `metric op value`, the value in the metric's base unit (ms, bytes or a count). */
export interface EnsureCheck {
  /** as the user wrote it */
  expression: string;
  metric: string;
  operator: Operator;
  limit: number;
}

/** A check against one result. */
export interface EnsureOutcome extends EnsureCheck {
  /** the measured value; null when the result has none (which fails the check) */
  actual: number | null;
  ok: boolean;
}

const EXAMPLE = 'Examples: --ensure "connect.p99<500ms" --ensure "rss.steady<300MB" --ensure "failed==0"';

/** Parses one `--ensure` expression. Throws UsageError naming the expression and the fix. */
export function parseEnsure(expression: string): EnsureCheck {
  const text = expression.replace(/\s+/g, '');
  const m = /^([A-Za-z][A-Za-z0-9.]*?)(<=|>=|==|<|>)([0-9]*\.?[0-9]+)([A-Za-z]*)$/.exec(text);
  if (!m) {
    throw new UsageError(`--ensure "${expression}" is not METRIC OP VALUE[UNIT]. ${EXAMPLE}`);
  }
  const [, metric, operator, number, unitText] = m as unknown as [string, string, Operator, string, string];
  const def = ENSURE_METRICS[metric];
  if (!def) {
    throw new UsageError(`--ensure "${expression}": unknown metric "${metric}". Known: ${KNOWN_METRICS}.`);
  }
  let factor = 1;
  if (unitText !== '') {
    const unit = UNITS[unitText.toLowerCase()];
    if (!unit || unit.of !== def.unit) {
      const allowed =
        def.unit === 'ms' ? 'ms or s' : def.unit === 'bytes' ? 'B, KB, MB, GB, KiB, MiB or GiB' : 'no unit';
      throw new UsageError(`--ensure "${expression}": ${metric} takes ${allowed} (got "${unitText}").`);
    }
    factor = unit.factor;
  }
  return { expression, metric, operator, limit: Number(number) * factor };
}

function holds(actual: number, op: Operator, limit: number): boolean {
  switch (op) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
    case '==':
      return actual === limit;
  }
}

/** Checks every expression against a result. A metric the result lacks fails its check. */
export function evaluateEnsure(checks: readonly EnsureCheck[], r: RunResult): EnsureOutcome[] {
  return checks.map((c) => {
    const actual = ENSURE_METRICS[c.metric]!.read(r);
    return { ...c, actual, ok: actual !== null && holds(actual, c.operator, c.limit) };
  });
}

function show(metric: string, value: number): string {
  const unit = ENSURE_METRICS[metric]!.unit;
  if (unit === 'ms') return `${Math.round(value * 100) / 100} ms`;
  if (unit === 'bytes') return value >= 1e6 ? `${(value / 1e6).toFixed(1)} MB` : `${(value / 1e3).toFixed(1)} KB`;
  return String(Math.round(value * 10) / 10);
}

/** One line per check, for the summary on stderr. */
export function formatEnsure(outcomes: readonly EnsureOutcome[]): string {
  return outcomes
    .map(
      (o) =>
        `  ensure  ${o.ok ? 'ok  ' : 'FAIL'}  ${o.expression}: ${o.actual === null ? 'not measured' : show(o.metric, o.actual)}`,
    )
    .join('\n');
}
