import * as fs from 'node:fs';
import * as path from 'node:path';
import { faultLabel } from '../../runner/result/faults';
import { LIBS } from 'artillery-engine-bench/protocol';
import { profileName, type RunEnv } from '../../runner/result/env';
import { UsageError } from '../../runner/errors';
import { MANIFEST_FILE, manifestRunOptions, type CellStatus, type SweepManifest } from '../../runner/result/manifest';
import { runOptionsFromArgs } from '../../runner/config/sweep-options';
import type { RunOptions as GivenRunOptions } from '../../runner/config/run-options';
import { BURST, RUN_DEFAULTS, type ArrivalRate } from '../../runner/config/run-options';
import { READABLE_SCHEMA_VERSIONS, runVerdict, type RunResult } from '../../runner/result/build';
import type { LimitResult } from '../../runner/result/limit-schema';
import type { SoakResult } from '../../runner/result/soak-schema';
import { isArtilleryReport, resultFromArtilleryReport } from './artillery-report';

/** One run as a report sees it: from a result file, or only from a sweep manifest when the run left no result. */
export interface ReportCell {
  lib: string;
  scenario: string;
  /** clients requested: the x of every chart (connected clients for a custom script) */
  clients: number;
  /** clients per second or `burst`; null when neither the result nor the manifest says */
  arrivalRate: ArrivalRate | null;
  /** 1-based; from the manifest, else counted per library and level in start order */
  trial: number;
  status: CellStatus;
  /** why the run errored or was aborted, or why its result file could not be read */
  error?: string;
  /** the result's loadgen.valid; null when there is no result to say */
  valid: boolean | null;
  /** why the run is not valid; empty when it is or when unknown */
  invalidReasons: string[];
  result: RunResult | null;
  /** absolute path of the result file (missing for some errored cells) */
  file: string;
  /** the library plus the run options that tell its cells apart, e.g. `socketio · deflate on · 500/s` */
  series: string;
  /** the series without the arrival rate: one line of the arrival-rate figure */
  family: string;
}

/** The run options of one series, for the conditions section. */
export type RunOptions = RunResult['options'];

export interface ReportConditions {
  /** the sweep's environment, else the first result's */
  env: RunEnv | null;
  /** run options per series (first cell with a result) */
  options: Record<string, RunOptions>;
  /** conditions that are not the same in every result: field → distinct values */
  differs: Record<string, string[]>;
}

export interface ReportSweep {
  /** absolute path of the sweep folder */
  folder: string;
  manifest: SweepManifest;
}

export interface LoadedReport {
  /** the paths as the user gave them */
  inputs: string[];
  cells: ReportCell[];
  /** the first sweep's manifest, or null when only result files were given */
  manifest: SweepManifest | null;
  /** every sweep folder given, in order */
  sweeps: ReportSweep[];
  conditions: ReportConditions;
  /** `bench limit` results given, in order */
  limits: LoadedLimit[];
  /** `bench soak` results given, in order */
  soaks: LoadedSoak[];
}

/** A `bench soak` result and where it was read from. */
export interface LoadedSoak {
  file: string;
  result: SoakResult;
}

/** A `bench limit` result and where it was read from. */
export interface LoadedLimit {
  file: string;
  result: LimitResult;
}

const FIX = 'Give a sweep folder (with manifest.json) or result .json files.';

type ReadOutcome = { result: RunResult } | { limit: LimitResult } | { soak: SoakResult } | { problem: string };

function readResult(file: string): ReadOutcome {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { problem: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'is not JSON' };
  }
  if (isLimit(value)) return { limit: value };
  if (isSoak(value)) return { soak: value };
  if (isArtilleryReport(value)) {
    const result = resultFromArtilleryReport(value, file);
    return result
      ? { result }
      : {
          problem:
            'is an Artillery report without our engine (no bench.lib.<lib> counter): run the script with engine "bench"',
        };
  }
  if (!isResult(value)) {
    return { problem: `is not a bench result (no schemaVersion ${READABLE_SCHEMA_VERSIONS.join(' or ')})` };
  }
  return { result: value };
}

function isResult(value: unknown): value is RunResult {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    READABLE_SCHEMA_VERSIONS.includes(v.schemaVersion as number) &&
    typeof v.lib === 'string' &&
    typeof v.status === 'string'
  );
}

function isLimit(value: unknown): value is LimitResult {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.kind === 'bench-limit' &&
    READABLE_SCHEMA_VERSIONS.includes(v.schemaVersion as number) &&
    typeof v.lib === 'string' &&
    typeof v.heldClients === 'number' &&
    Array.isArray(v.steps)
  );
}

function isSoak(value: unknown): value is SoakResult {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.kind === 'bench-soak' &&
    READABLE_SCHEMA_VERSIONS.includes(v.schemaVersion as number) &&
    typeof v.lib === 'string' &&
    Array.isArray(v.series)
  );
}

function isManifest(value: unknown): value is SweepManifest {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v.kind === 'bench-sweep' && Array.isArray(v.cells);
}

function clientsOf(r: RunResult): number {
  return r.options?.clients ?? r.clients?.requested ?? r.clients?.connected ?? 0;
}

interface Pending extends Omit<ReportCell, 'series' | 'family' | 'trial'> {
  trial: number | null;
  /** run options as given, for cells without a result, from the manifest */
  given: GivenRunOptions | null;
}

/** A rate as a file or an argument says it: a positive number or `burst`; else null. */
function rateOf(v: unknown): ArrivalRate | null {
  if (v === BURST) return BURST;
  const n = Number(v);
  return v !== null && v !== '' && Number.isFinite(n) && n > 0 ? n : null;
}

/** `500/s`, `10,000/s`, `burst`, or `rate unknown`. */
export function rateText(rate: ArrivalRate | null): string {
  return rate === null ? 'rate unknown' : rate === BURST ? BURST : `${rate.toLocaleString('en-US')}/s`;
}

function fromResult(result: RunResult, file: string, trial: number | null): Pending {
  const verdict = result.loadgen ? runVerdict(result) : null;
  const valid = typeof verdict?.valid === 'boolean' ? verdict.valid : null;
  return {
    lib: result.lib,
    scenario: result.scenario ?? 'unknown',
    clients: clientsOf(result),
    arrivalRate: rateOf(result.options?.arrivalRate),
    trial,
    status: result.status,
    ...(result.status !== 'completed' && { error: String(result.error ?? '') }),
    valid,
    invalidReasons: Array.isArray(verdict?.reasons) ? verdict.reasons.map(String) : [],
    result,
    file,
    given: null,
  };
}

function loadSweep(dir: string, shown: string): { sweep: ReportSweep; cells: Pending[] } {
  const manifestFile = path.join(dir, MANIFEST_FILE);
  let manifest: unknown;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  } catch {
    manifest = null;
  }
  if (!isManifest(manifest)) {
    throw new UsageError(
      `report: ${path.join(shown, MANIFEST_FILE)} is not a sweep manifest (no kind "bench-sweep" with cells). Give a folder written by bench sweep, or its result .json files.`,
    );
  }
  const cells = manifest.cells.map((c): Pending => {
    const file = path.resolve(dir, c.file);
    const read = c.file ? readResult(file) : { problem: 'is not named in the manifest' };
    if ('result' in read) {
      const cell = fromResult(read.result, file, c.trial);
      // The manifest knows why the process failed even when the result does not say.
      if (cell.status !== 'completed' && !cell.error && c.error) cell.error = c.error;
      return cell;
    }
    const done = c.status !== 'pending' && c.status !== 'running';
    const missing = `no result file: ${c.file || '(none)'} ${'problem' in read ? read.problem : 'is a bench limit result, not a run'}`;
    // Manifests from before typed options hold the cell's `bench` arguments instead.
    const given =
      c.options ?? (Array.isArray(c.args) ? runOptionsFromArgs(c.args) : manifestRunOptions(manifest.options ?? {}));
    return {
      lib: c.lib,
      scenario: manifest.options?.scenario ?? 'unknown',
      clients: c.clients,
      // The options are the cell's whole command line: without an arrival rate it ran at the default.
      arrivalRate: rateOf(c.arrivalRate ?? given.arrivalRate ?? RUN_DEFAULTS.arrivalRate),
      trial: c.trial,
      status: done && c.status === 'completed' ? 'errored' : c.status,
      ...((c.error || done) && { error: c.error ? `${c.error} (${missing})` : missing }),
      valid: typeof c.valid === 'boolean' ? c.valid : null,
      invalidReasons: [],
      result: null,
      file,
      given,
    };
  });
  return { sweep: { folder: dir, manifest }, cells };
}

function loadFolder(dir: string, shown: string, limits: LoadedLimit[], soaks: LoadedSoak[]): Pending[] {
  const cells: Pending[] = [];
  const before = limits.length + soaks.length;
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.endsWith('.json')) continue;
    const file = path.join(dir, name);
    const read = readResult(file);
    if ('result' in read) cells.push(fromResult(read.result, file, null));
    else if ('limit' in read) limits.push({ file, result: read.limit });
    else if ('soak' in read && !soaks.some((x) => x.file === file)) soaks.push({ file, result: read.soak });
  }
  if (cells.length === 0 && limits.length + soaks.length === before)
    throw new UsageError(`report: no result files in ${shown}. ${FIX}`);
  return cells;
}

/** Options a cell without a result ran with, from its options as given in the manifest. */
function optionsFromGiven(
  given: GivenRunOptions,
  lib: string,
): Pick<RunOptions, 'transport' | 'deflate' | 'nodes' | 'adapter'> {
  const transport = lib === 'socketio' ? (given.transport ?? 'websocket') : 'websocket';
  const nodes = Number(given.nodes ?? 1);
  return {
    transport,
    deflate: given.deflate === true,
    nodes,
    adapter: given.adapter ?? (nodes > 1 ? 'redis' : 'none'),
  };
}

/** A library with Socket.IO's connection state recovery on, as series names say it: `socketio + recovery`. */
export const withRecovery = (lib: string) => `${lib} + recovery`;

/** Socket.IO's connection state recovery (--sio-recovery) was on in the run. */
function recoveryOn(c: Pending): boolean {
  return c.result ? typeof c.result.options?.sioRecoveryMs === 'number' : c.given?.sioRecovery !== undefined;
}

/** The options that can tell two series of one library apart; the arrival rate last. */
function variantFields(c: Pending): Record<string, string> {
  const o = c.result?.options ?? optionsFromGiven(c.given ?? {}, c.lib);
  return {
    scenario: c.scenario,
    transport: String(o.transport),
    deflate: o.deflate ? 'deflate on' : 'deflate off',
    nodes: `${o.nodes ?? 1} node${(o.nodes ?? 1) === 1 ? '' : 's'}`,
    adapter: `adapter ${o.adapter ?? 'none'}`,
    fault: c.result ? faultLabel(c.result) || 'no fault' : 'no fault',
    recovery: recoveryOn(c) ? 'on' : 'off',
    rate: rateText(c.arrivalRate),
  };
}

/** Numbers ascending, `burst` last, unknown after it. */
export function rateRank(rate: ArrivalRate | null): number {
  return rate === null ? Infinity : rate === BURST ? Number.MAX_VALUE : rate;
}

function libRank(lib: string): number {
  const i = (LIBS as readonly string[]).indexOf(lib);
  return i < 0 ? LIBS.length : i;
}

/**
 * Names each cell's series: the library, plus whatever differs between that library's cells;
 * and its family: the same without the arrival rate.
 */
function nameSeries(cells: Pending[]): Map<Pending, { series: string; family: string }> {
  const byLib = new Map<string, Pending[]>();
  for (const c of cells) byLib.set(c.lib, [...(byLib.get(c.lib) ?? []), c]);
  const names = new Map<Pending, { series: string; family: string }>();
  for (const [lib, group] of byLib) {
    const fields = group.map(variantFields);
    const differing = Object.keys(fields[0]!).filter((k) => new Set(fields.map((f) => f[k])).size > 1);
    group.forEach((c, i) => {
      // Recovery on is named with the library (`socketio + recovery`), off not at all.
      const head = differing.includes('recovery') && fields[i]!.recovery === 'on' ? withRecovery(lib) : lib;
      const named = differing.filter((k) => k !== 'recovery');
      const parts = named.map((k) => fields[i]![k]!);
      const family = named.filter((k) => k !== 'rate').map((k) => fields[i]![k]!);
      names.set(c, { series: [head, ...parts].join(' · '), family: [head, ...family].join(' · ') });
    });
  }
  return names;
}

function conditionsOf(cells: ReportCell[], manifest: SweepManifest | null): ReportConditions {
  const results = cells.flatMap((c) => (c.result ? [c.result] : []));
  // A result's env holds what its profile applied; a manifest's is read before any cell ran.
  const env = results[0]?.env ?? manifest?.env ?? null;
  const options: Record<string, RunOptions> = {};
  for (const c of cells) if (c.result && !options[c.series]) options[c.series] = c.result.options;
  const seen: Record<string, Set<string>> = {};
  const note = (key: string, value: unknown) => {
    if (value === undefined) return;
    (seen[key] ??= new Set()).add(typeof value === 'string' ? value : JSON.stringify(value));
  };
  for (const r of results) {
    const e = r.env;
    if (e) {
      for (const k of ['node', 'cpu', 'cores', 'memoryBytes', 'os', 'kernel', 'arch', 'fingerprint'] as const) {
        note(`env.${k}`, e[k]);
      }
      note('env.profile', profileName(e));
      // Per library: Socket.IO's engine.io loads its own ws, so `ws` legitimately differs across libraries.
      for (const [pkg, v] of Object.entries(e.versions ?? {})) note(`versions.${pkg} (${r.lib} runs)`, v);
    }
    const o = r.options;
    if (o) {
      for (const k of ['arrivalRate', 'warmup', 'holdSeconds', 'probes', 'pingIntervalMs', 'target'] as const) {
        note(`options.${k}`, o[k]);
      }
    }
  }
  const differs: Record<string, string[]> = {};
  for (const [k, values] of Object.entries(seen)) if (values.size > 1) differs[k] = [...values].sort();
  // A rate that tells series apart is named in them: swept on purpose, not a difference to warn of.
  if (cells.some((c) => c.series !== c.family)) delete differs['options.arrivalRate'];
  return { env, options, differs };
}

/**
 * Reads what a report shows. Each path is a sweep folder (with manifest.json), a folder of
 * result files, or one result file. Cells of a sweep that left no readable result still appear,
 * from the manifest.
 */
/**
 * The result schemaVersions of the runs a report shows, oldest first: what its pages record, so
 * that a page made from older results can be told apart from one the code would make today.
 */
export function schemaVersionsOf(
  report: Pick<LoadedReport, 'cells' | 'limits'> & Partial<Pick<LoadedReport, 'soaks'>>,
): number[] {
  const versions = new Set<number>();
  for (const c of report.cells) if (c.result) versions.add(c.result.schemaVersion);
  for (const l of report.limits) versions.add(l.result.schemaVersion);
  for (const s of report.soaks ?? []) versions.add(s.result.schemaVersion);
  return [...versions].sort((a, b) => a - b);
}

export function loadInputs(paths: readonly string[]): LoadedReport {
  const pending: Pending[] = [];
  const sweeps: ReportSweep[] = [];
  const limits: LoadedLimit[] = [];
  const soaks: LoadedSoak[] = [];
  const seenFiles = new Set<string>();
  for (const shown of paths) {
    const abs = path.resolve(shown);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(abs);
    } catch {
      throw new UsageError(`report: ${shown} does not exist. ${FIX}`);
    }
    let found: Pending[];
    if (stat.isDirectory()) {
      if (fs.existsSync(path.join(abs, MANIFEST_FILE))) {
        const { sweep, cells } = loadSweep(abs, shown);
        if (sweeps.some((s) => s.folder === abs)) continue;
        sweeps.push(sweep);
        found = cells;
      } else {
        found = loadFolder(abs, shown, limits, soaks);
      }
    } else {
      const read = readResult(abs);
      if ('limit' in read) {
        if (!limits.some((l) => l.file === abs)) limits.push({ file: abs, result: read.limit });
        continue;
      }
      if ('soak' in read) {
        if (!soaks.some((l) => l.file === abs)) soaks.push({ file: abs, result: read.soak });
        continue;
      }
      if ('problem' in read) {
        throw new UsageError(
          read.problem.startsWith('is not a bench result')
            ? `report: ${shown} ${read.problem}.`
            : `report: ${shown} ${read.problem}. ${FIX}`,
        );
      }
      found = [fromResult(read.result, abs, null)];
    }
    for (const c of found) {
      // The same result given twice (a file and its folder) is one run.
      if (c.result && seenFiles.has(c.file)) continue;
      seenFiles.add(c.file);
      pending.push(c);
    }
  }
  if (pending.length === 0 && limits.length === 0 && soaks.length === 0)
    throw new UsageError(`report: no result files in ${paths.join(', ') || '(nothing)'}. ${FIX}`);

  const series = nameSeries(pending);
  // Loose results get trial numbers per series and level, in start order, after any sweep's.
  const trials = new Map<string, number>();
  const key = (c: Pending) => `${series.get(c)!.series}\u0000${c.clients}`;
  for (const c of pending) if (c.trial !== null) trials.set(key(c), Math.max(trials.get(key(c)) ?? 0, c.trial));
  const loose = pending
    .filter((c) => c.trial === null)
    .sort((a, b) => String(a.result?.startedAt ?? '').localeCompare(String(b.result?.startedAt ?? '')));
  for (const c of loose) {
    const next = (trials.get(key(c)) ?? 0) + 1;
    trials.set(key(c), next);
    c.trial = next;
  }

  const cells: ReportCell[] = pending.map((c) => ({
    lib: c.lib,
    scenario: c.scenario,
    clients: c.clients,
    arrivalRate: c.arrivalRate,
    trial: c.trial ?? 1,
    status: c.status,
    ...(c.error !== undefined && { error: c.error }),
    valid: c.valid,
    invalidReasons: c.invalidReasons,
    result: c.result,
    file: c.file,
    series: series.get(c)!.series,
    family: series.get(c)!.family,
  }));
  cells.sort(
    (a, b) =>
      a.scenario.localeCompare(b.scenario) ||
      libRank(a.lib) - libRank(b.lib) ||
      a.family.localeCompare(b.family) ||
      rateRank(a.arrivalRate) - rateRank(b.arrivalRate) ||
      a.series.localeCompare(b.series) ||
      a.clients - b.clients ||
      a.trial - b.trial,
  );
  const manifest = sweeps[0]?.manifest ?? null;
  return { inputs: [...paths], cells, manifest, sweeps, conditions: conditionsOf(cells, manifest), limits, soaks };
}
