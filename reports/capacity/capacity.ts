/**
 * `bench capacity`: from a sweep (one library at several client levels), fits how server memory,
 * CPU and latency grow with connected clients, and predicts how many clients one server holds
 * within a memory limit and latency SLOs, and how many servers N users need when each server is
 * filled only to a headroom.
 * Returns a typed {@link CapacityReport}; reports/capacity/text.ts and html.ts render it.
 */
import { UsageError } from '../../runner/errors';
import * as path from 'node:path';
import { loadInputs, schemaVersionsOf, type LoadedLimit, type LoadedReport, type ReportCell } from '../read/read';
import { flagReason, isFlagged } from '../read/cell';
import { parseSize, parseSlo, type Slo } from '../../runner/metrics/expr';
import { readMetric, SLO_METRICS, type MetricName } from '../../runner/metrics/registry';
import { bytes, count, fmt, times } from '../../runner/metrics/units';
import { linearFit, rSquared, type LinearFit } from '../../runner/metrics/fit';

/** A latency `--slo` may name: one the metric registry marks fittable (see {@link SLO_METRICS}). */
export type SloMetric = MetricName;

// ---- options ----

/** Default share of each server's limit to plan for (see {@link CapacityOptions.cpuHeadroom}). */
export const DEFAULT_CPU_HEADROOM = 0.7;

/** Below this R², a fit gets a warning: its points do not follow the model. */
export const LOW_R2 = 0.9;

/** What `bench capacity` needs, resolved. */
export interface CapacityOptions {
  /** sweep folders (or result folders/files) */
  inputs: string[];
  /** server memory limit (bytes); null: the memory of the machine that ran the sweep */
  memoryBytes: number | null;
  /**
   * The share of each server's measured capacity you plan to fill, in (0, 1]: servers are
   * counted at `maxClients × cpuHeadroom` clients each, leaving the rest for bursts, reconnect
   * storms and CPU. The runs' CPU is not turned into a limit of its own: it follows the arrival
   * and echo rates of the scenario more than the clients held, so a fit against clients would
   * predict nothing (it is still fitted and shown).
   */
  cpuHeadroom: number;
  slos: Slo[];
  /** users to plan for; null for no servers-needed answer */
  users: number | null;
}

function stringList(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  const items = Array.isArray(raw) ? raw : [raw];
  return items.map((x) => String(x).trim()).filter((x) => x.length > 0);
}

/** Parses `--cpu-headroom`: a fraction above 0 and at most 1. */
export function parseHeadroom(raw: unknown): number {
  if (raw === undefined || raw === null) return DEFAULT_CPU_HEADROOM;
  const text = String(raw).trim();
  const v = /^[0-9]*\.?[0-9]+$/.test(text) ? Number(text) : NaN;
  if (v > 0 && v <= 1) return v;
  const hint = v > 1 && v <= 100 ? `; for ${text} % write ${v / 100}` : '';
  throw new UsageError(
    `--cpu-headroom must be a fraction above 0 and at most 1 (got "${text}"${hint}). Example: --cpu-headroom 0.7`,
  );
}

/** Parses `--users`: a whole number from 1. */
export function parseUsers(raw: unknown): number | null {
  if (raw === undefined || raw === null) return null;
  const text = String(raw).trim().replace(/_/g, '');
  if (/^[0-9]+$/.test(text) && Number(text) >= 1 && Number.isSafeInteger(Number(text))) return Number(text);
  throw new UsageError(`--users must be a whole number of 1 or more (got "${String(raw)}"). Example: --users 200000`);
}

/** Validates `bench capacity` options as the CLI parsed them (`slo` may repeat). */
export function resolveCapacityOptions(raw: {
  inputs?: unknown;
  memory?: unknown;
  cpuHeadroom?: unknown;
  slo?: unknown;
  users?: unknown;
}): CapacityOptions {
  const inputs = stringList(raw.inputs);
  if (inputs.length === 0) {
    throw new UsageError(
      'Missing sweep folder. Give the folder bench sweep wrote, e.g. bench capacity results/sweep-1 --memory 8GiB.',
    );
  }
  return {
    inputs,
    memoryBytes: raw.memory === undefined || raw.memory === null ? null : parseSize(String(raw.memory)),
    cpuHeadroom: parseHeadroom(raw.cpuHeadroom),
    slos: stringList(raw.slo).map(parseSlo),
    users: parseUsers(raw.users),
  };
}

// ---- models ----

/** How a latency grows with clients: a line, or a power law a·x^b. */
export type GrowthModel =
  | { kind: 'linear'; intercept: number; slope: number; r2: number; n: number }
  | { kind: 'power'; coefficient: number; exponent: number; r2: number; n: number };

/**
 * Power law y = a·x^b by least squares on log y against log x. Its R² is computed on y itself
 * (not on the logs), so it compares fairly with a line's. Null without two distinct x or when a
 * value is not positive.
 */
export function powerFit(xs: readonly number[], ys: readonly number[]): GrowthModel | null {
  if (xs.some((x) => !(x > 0)) || ys.some((y) => !(y > 0))) return null;
  const log = linearFit(
    xs.map((x) => Math.log(x)),
    ys.map((y) => Math.log(y)),
  );
  if (!log) return null;
  const coefficient = Math.exp(log.intercept);
  const exponent = log.slope;
  const r2 = rSquared(
    ys,
    xs.map((x) => coefficient * x ** exponent),
  );
  return { kind: 'power', coefficient, exponent, r2, n: xs.length };
}

export const linearModel = (f: LinearFit): GrowthModel => ({
  kind: 'linear',
  intercept: f.intercept,
  slope: f.slope,
  r2: f.r2,
  n: f.n,
});

/** The line, or the power law when it fits better by R² (on y); null without two distinct x. */
export function bestGrowthFit(xs: readonly number[], ys: readonly number[]): GrowthModel | null {
  const line = linearFit(xs, ys);
  if (!line) return null;
  const power = powerFit(xs, ys);
  return power && power.r2 > line.r2 ? power : linearModel(line);
}

export function predict(model: GrowthModel, clients: number): number {
  return model.kind === 'linear'
    ? model.intercept + model.slope * clients
    : model.coefficient * Math.max(clients, 0) ** model.exponent;
}

/**
 * Clients at which the model reaches `limit` (floored, at least 0); null when it never does
 * because it does not grow with clients.
 */
export function solveFor(model: GrowthModel, limit: number): number | null {
  if (model.kind === 'linear') {
    if (!(model.slope > 0)) return null;
    return Math.max(0, Math.floor((limit - model.intercept) / model.slope));
  }
  if (!(model.exponent > 0)) return null;
  return Math.max(0, Math.floor((limit / model.coefficient) ** (1 / model.exponent)));
}

/** `rss = 55.4 MiB + 19.2 KiB × clients` style text of a model, `y` named by `what`. */
export function describeModel(model: GrowthModel, what: string, unit: 'ms' | 'bytes' | '%'): string {
  const v = (x: number) => (unit === 'bytes' ? bytes(x) : unit === 'ms' ? `${fmt(x)} ms` : `${fmt(x)} %`);
  if (model.kind === 'power') {
    const a =
      unit === 'bytes'
        ? bytes(model.coefficient)
        : `${Number(model.coefficient.toPrecision(3))}${unit === 'ms' ? ' ms' : ' %'}`;
    return `${what} = ${a} × clients^${model.exponent.toFixed(3)}`;
  }
  const slope =
    unit === 'bytes' ? bytes(model.slope) : `${Number(model.slope.toPrecision(3))}${unit === 'ms' ? ' ms' : ' %'}`;
  const sign = model.intercept < 0 ? '-' : '+';
  return `${what} = ${slope} × clients ${sign} ${v(Math.abs(model.intercept))}`;
}

// ---- the report ----

/** One completed, valid run of the sweep as the fits see it. */
export interface CapacityPoint {
  /** clients connected (the x of every fit) */
  clients: number;
  trial: number;
  /** server RSS, steady (bytes) */
  rssSteadyBytes: number | null;
  /** server CPU over the run (% of one core) */
  cpuPercent: number | null;
  /** latencies (ms) by SLO metric name */
  latencyMs: Partial<Record<SloMetric, number>>;
}

/** A run the fits left out, and why. */
export interface DroppedPoint {
  clients: number;
  trial: number;
  file: string;
  reason: string;
}

/** How one latency grows with connected clients. */
export interface LatencyGrowth {
  metric: SloMetric;
  /** the chosen model (the better of line and power law by R²); null when it cannot be fitted */
  model: GrowthModel | null;
  /** R² of the line and of the power law, for the record */
  linearR2: number | null;
  powerR2: number | null;
}

export type CapacityConstraint = 'memory' | 'slo' | 'measured';

/** How many clients one server holds under one constraint. */
export interface CapacityLimit {
  constraint: CapacityConstraint;
  /** `memory 8.00 GiB`, `connect.p99<500ms` */
  name: string;
  /** null when this constraint gives no number: see `unusable` */
  maxClients: number | null;
  /** how the number was reached, or why there is none */
  detail: string;
  /**
   * why the fit cannot give this limit (it does not grow with clients, or there is no fit);
   * null when it gives one
   */
  unusable: string | null;
  /** measured points that already break the limit, of `measuredPoints` */
  brokenPoints: number;
  measuredPoints: number;
  /** maxClients / the largest measured level, when above 1 */
  extrapolation: number | null;
}

export interface SeriesCapacity {
  /** the library plus whatever options tell its runs apart, as in the HTML report */
  series: string;
  lib: string;
  points: CapacityPoint[];
  dropped: DroppedPoint[];
  /** the largest number of clients connected in a used run; 0 when none */
  maxMeasuredClients: number;
  /** server RSS steady (bytes) = intercept + slope (bytes per client) × clients */
  memory: LinearFit | null;
  /** server CPU (% of one core) = intercept + slope × clients */
  cpu: LinearFit | null;
  latency: LatencyGrowth[];
  limits: CapacityLimit[];
  /** the smallest limit; null when nothing limits the clients, or see `unpredicted` */
  maxClients: number | null;
  /** why no max per server is given although limits were asked for (an unusable fit); else null */
  unpredicted: string | null;
  /** maxClients × cpuHeadroom, rounded down: what one server is planned to hold */
  plannedClients: number | null;
  /** the constraint that gives maxClients */
  binding: CapacityLimit | null;
  /** ceil(users / plannedClients); null without --users or a limit */
  serversNeeded: number | null;
  warnings: string[];
}

export interface CapacityReport {
  inputs: string[];
  /** the memory limit used (bytes); null when neither --memory nor the sweep says */
  memoryBytes: number | null;
  memorySource: 'flag' | 'sweep machine' | null;
  cpuHeadroom: number;
  slos: Slo[];
  users: number | null;
  series: SeriesCapacity[];
  notes: string[];
  /** the result schemaVersion(s) of the runs read, oldest first */
  schemaVersions: number[];
}

/** The latencies fitted for every series; SLO metrics are added to these. */
export const FITTED_LATENCIES: readonly SloMetric[] = [
  'connect.p50',
  'connect.p99',
  'timeToFirstMessage.p50',
  'timeToFirstMessage.p99',
];

function pointOf(c: ReportCell): CapacityPoint | DroppedPoint {
  const drop = (reason: string): DroppedPoint => ({ clients: c.clients, trial: c.trial, file: c.file, reason });
  if (!c.result) return drop(`no result: ${c.error ?? c.status}`);
  if (isFlagged(c)) return drop(flagReason(c));
  if (c.valid !== true) return drop('not known to be valid (no loadgen.valid in the result)');
  const connected = readMetric('connected', c.result);
  if (connected === null || connected <= 0) return drop('no client connected');
  const latencyMs: Partial<Record<SloMetric, number>> = {};
  for (const name of SLO_METRICS) {
    const v = readMetric(name, c.result);
    if (v !== null) latencyMs[name] = v;
  }
  return {
    clients: connected,
    trial: c.trial,
    rssSteadyBytes: readMetric('rss.steady', c.result),
    cpuPercent: readMetric('cpu', c.result),
    latencyMs,
  };
}

function xy(points: readonly CapacityPoint[], pick: (p: CapacityPoint) => number | null | undefined) {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const p of points) {
    const y = pick(p);
    if (typeof y === 'number') {
      xs.push(p.clients);
      ys.push(y);
    }
  }
  return { xs, ys };
}

function extrapolationOf(maxClients: number | null, maxMeasured: number): number | null {
  if (maxClients === null || maxMeasured <= 0 || maxClients <= maxMeasured) return null;
  return maxClients / maxMeasured;
}

/** The warning for a prediction beyond the measured range, e.g. "… is 56× the largest measured level 10,000". */
export function extrapolationWarning(limit: CapacityLimit, maxMeasured: number): string | null {
  if (limit.extrapolation === null || limit.maxClients === null) return null;
  return `${limit.name}: prediction at ${count(limit.maxClients)} clients is ${times(limit.extrapolation)} the largest measured level ${count(maxMeasured)}; measure closer to it before relying on it`;
}

const NEED_LEVELS = 'needs completed, valid runs at 2 or more client levels';

const brokenText = (broken: number, of: number) =>
  broken === of ? 'every measured point already breaks it' : `${broken} of ${of} measured points already break it`;

function seriesCapacity(
  series: string,
  cells: readonly ReportCell[],
  o: Omit<CapacityOptions, 'inputs'> & { memoryName: string | null },
): SeriesCapacity {
  const points: CapacityPoint[] = [];
  const dropped: DroppedPoint[] = [];
  for (const c of cells) {
    const p = pointOf(c);
    if ('reason' in p) dropped.push(p);
    else points.push(p);
  }
  const maxMeasured = points.reduce((a, p) => Math.max(a, p.clients), 0);
  const warnings: string[] = [];

  const mem = xy(points, (p) => p.rssSteadyBytes);
  const memory = linearFit(mem.xs, mem.ys);
  const cpuData = xy(points, (p) => p.cpuPercent);
  const cpu = linearFit(cpuData.xs, cpuData.ys);
  const wanted = [...new Set([...FITTED_LATENCIES, ...o.slos.map((s) => s.metric)])];
  const latency: LatencyGrowth[] = wanted.map((metric) => {
    const d = xy(points, (p) => p.latencyMs[metric]);
    const line = linearFit(d.xs, d.ys);
    const power = powerFit(d.xs, d.ys);
    return { metric, model: bestGrowthFit(d.xs, d.ys), linearR2: line?.r2 ?? null, powerR2: power?.r2 ?? null };
  });

  const limits: CapacityLimit[] = [];
  const add = (
    constraint: CapacityConstraint,
    name: string,
    fit: { model: GrowthModel | null; ys: number[]; limit: number; metric: string; unit: 'ms' | 'bytes' },
  ) => {
    const v = (x: number) => (fit.unit === 'bytes' ? bytes(x) : `${fmt(x)} ms`);
    const broken = fit.ys.filter((y) => y >= fit.limit).length;
    const max = fit.model ? solveFor(fit.model, fit.limit) : null;
    let unusable: string | null = null;
    if (max === null) {
      const why = fit.model
        ? `${describeModel(fit.model, fit.metric, fit.unit)} does not grow with clients, so it cannot say where it reaches ${v(fit.limit)}`
        : `${fit.metric} not fitted: ${NEED_LEVELS}`;
      const lowest = broken ? Math.min(...fit.ys) : 0;
      const measured =
        broken === 0
          ? fit.ys.length
            ? `under ${v(fit.limit)} at every measured level up to ${count(maxMeasured)} clients`
            : ''
          : `${brokenText(broken, fit.ys.length)}${broken === fit.ys.length ? ` (lowest ${v(lowest)})` : ''}`;
      unusable = measured ? `${why}; ${measured}` : why;
    }
    limits.push({
      constraint,
      name,
      maxClients: max,
      detail:
        unusable ??
        `${describeModel(fit.model!, fit.metric, fit.unit)}${fit.unit === 'ms' ? ` (${fit.model!.kind})` : ''} reaches ${v(fit.limit)}`,
      unusable,
      brokenPoints: broken,
      measuredPoints: fit.ys.length,
      extrapolation: extrapolationOf(max, maxMeasured),
    });
  };

  if (o.memoryBytes !== null && o.memoryName !== null) {
    add('memory', o.memoryName, {
      model: memory && linearModel(memory),
      ys: mem.ys,
      limit: o.memoryBytes,
      metric: 'RSS',
      unit: 'bytes',
    });
  }
  for (const slo of o.slos) {
    const g = latency.find((l) => l.metric === slo.metric)!;
    add('slo', slo.expression, {
      model: g.model,
      ys: xy(points, (p) => p.latencyMs[slo.metric]).ys,
      limit: slo.limitMs,
      metric: slo.metric,
      unit: 'ms',
    });
  }

  // A limit whose fit is unusable while measured points already break it: the answer lies
  // below what was measured, and no fit can say where. Without broken points it is left out.
  const unusable = limits.filter((l) => l.unusable !== null);
  const blocking = unusable.filter((l) => l.brokenPoints > 0);
  const bound = blocking.length ? [] : limits.filter((l) => l.maxClients !== null);
  const binding = bound.length ? bound.reduce((a, b) => (b.maxClients! < a.maxClients! ? b : a)) : null;
  const maxClients = binding?.maxClients ?? null;
  const unpredicted = blocking.length
    ? blocking.map((l) => `${l.name} fit unusable and ${brokenText(l.brokenPoints, l.measuredPoints)}`).join('; ')
    : binding === null && unusable.length
      ? `no usable fit (${unusable.map((l) => l.name).join(', ')})`
      : null;
  if (binding !== null) {
    for (const l of unusable) warnings.push(`${l.name}: fit unusable, left out of the answer: ${l.unusable}`);
  }

  if (points.length === 0) warnings.push(`no completed, valid run: nothing to fit (${dropped.length} dropped)`);
  else if (new Set(points.map((p) => p.clients)).size < 2) {
    warnings.push(`all used runs are at ${count(points[0]!.clients)} clients: fits ${NEED_LEVELS}`);
  }
  const lowFit = (name: string, r2: number | undefined) => {
    if (r2 !== undefined && r2 < LOW_R2)
      warnings.push(`${name} fit R² ${r2.toFixed(2)}: the points do not follow the model well`);
  };
  lowFit('memory', memory?.r2);
  for (const slo of o.slos) lowFit(slo.metric, latency.find((l) => l.metric === slo.metric)?.model?.r2);
  for (const l of limits) {
    const w = extrapolationWarning(l, maxMeasured);
    if (w) warnings.push(w);
  }
  const plannedClients = maxClients === null ? null : Math.floor(maxClients * o.cpuHeadroom);
  let serversNeeded: number | null = null;
  if (o.users !== null) {
    if (unpredicted !== null) warnings.push(`no server count: ${unpredicted}`);
    else if (maxClients === null) warnings.push('no constraint limits the clients, so no server count can be given');
    else if (plannedClients === 0) warnings.push(`one server holds no client within ${binding!.name}`);
    else serversNeeded = Math.ceil(o.users / plannedClients!);
  }
  return {
    series,
    lib: cells[0]?.lib ?? series,
    points,
    dropped,
    maxMeasuredClients: maxMeasured,
    memory,
    cpu,
    latency,
    limits,
    maxClients,
    unpredicted,
    plannedClients,
    binding,
    serversNeeded,
    warnings,
  };
}

/**
 * A `bench limit` result measured what a fit only predicts: where it found a limit, its held
 * clients are the answer for the library's series. One stopped by --max, the generator or the
 * client side is a lower bound only.
 */
function useMeasuredLimit(s: SeriesCapacity, l: LoadedLimit, o: Omit<CapacityOptions, 'inputs'>): void {
  const r = l.result;
  // Only what the server ran into is its limit; the generator's or the client side's is not.
  const server =
    r.stop.kind === 'slo' || r.stop.kind === 'failed' || (r.stop.kind === 'resource' && r.stop.process === 'server');
  if (!server) {
    s.warnings.push(
      `bench limit ${path.basename(l.file)}: ${r.answer}; not the server's limit, so not used as one (it held at least ${count(r.heldClients)} clients)`,
    );
    return;
  }
  const measured: CapacityLimit = {
    constraint: 'measured',
    name: `bench limit (${r.stop.kind === 'resource' ? r.stop.resource : r.stop.kind === 'slo' ? r.stop.expression : r.stop.kind})`,
    maxClients: r.heldClients,
    detail: `measured in ${path.basename(l.file)}: ${r.answer}`,
    unusable: null,
    brokenPoints: 0,
    measuredPoints: r.steps.length,
    extrapolation: null,
  };
  s.limits.push(measured);
  s.binding = measured;
  s.maxClients = r.heldClients;
  s.unpredicted = null;
  s.maxMeasuredClients = Math.max(s.maxMeasuredClients, r.heldClients);
  s.plannedClients = Math.floor(r.heldClients * o.cpuHeadroom);
  s.serversNeeded = o.users === null || s.plannedClients === 0 ? null : Math.ceil(o.users / s.plannedClients);
}

/** Fits and predicts from loaded runs. Pure: nothing is read or written. */
export function analyseCapacity(runs: LoadedReport, options: Omit<CapacityOptions, 'inputs'>): CapacityReport {
  const notes: string[] = [];
  let memoryBytes = options.memoryBytes;
  let memorySource: CapacityReport['memorySource'] = memoryBytes === null ? null : 'flag';
  if (memoryBytes === null) {
    const machine = runs.conditions.env?.memoryBytes;
    if (typeof machine === 'number' && machine > 0) {
      memoryBytes = machine;
      memorySource = 'sweep machine';
      notes.push(
        `memory limit: ${bytes(machine)}, the memory of the machine that ran the sweep (give --memory to plan for another)`,
      );
    } else {
      notes.push('no memory limit: the sweep does not record its machine’s memory; give --memory, e.g. --memory 8GiB');
    }
  }
  const memoryName = memoryBytes === null ? null : `memory ${bytes(memoryBytes)}`;
  const bySeries = new Map<string, ReportCell[]>();
  for (const c of runs.cells) bySeries.set(c.series, [...(bySeries.get(c.series) ?? []), c]);
  const series = [...bySeries].map(([name, cells]) =>
    seriesCapacity(name, cells, { ...options, memoryBytes, memoryName }),
  );
  for (const l of runs.limits) {
    let s = series.find((x) => x.lib === l.result.lib);
    if (!s) {
      s = seriesCapacity(`${l.result.lib} · bench limit`, [], { ...options, memoryBytes, memoryName });
      s.lib = l.result.lib;
      s.warnings = [];
      series.push(s);
    }
    useMeasuredLimit(s, l, options);
  }
  // What a fit of the server process cannot see, however good its R².
  notes.push(
    'not modelled: the kernel’s own memory for each TCP connection (outside the server’s RSS; see /proc/net/sockstat), file descriptors (ulimit -n) and the ephemeral ports of each client address (about 28,000 on Linux by default); check them before trusting a prediction far beyond the measured range',
  );
  const scenarios = new Set(runs.cells.map((c) => c.scenario));
  if (scenarios.size > 1) {
    notes.push(`runs of ${scenarios.size} scenarios (${[...scenarios].join(', ')}) are fitted together per series`);
  }
  return {
    inputs: runs.inputs,
    memoryBytes,
    memorySource,
    cpuHeadroom: options.cpuHeadroom,
    slos: options.slos,
    users: options.users,
    series,
    notes,
    schemaVersions: schemaVersionsOf(runs),
  };
}

/** Reads the sweep and analyses it. */
export function runCapacity(options: CapacityOptions): CapacityReport {
  let runs: LoadedReport;
  try {
    runs = loadInputs(options.inputs);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(err.message.replace(/^report: /, 'capacity: '));
    throw err;
  }
  return analyseCapacity(runs, options);
}
