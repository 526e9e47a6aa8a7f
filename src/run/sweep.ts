import * as fs from 'node:fs';
import * as path from 'node:path';
import { LIBS, type Lib } from 'artillery-engine-bench/protocol';
import { OutputTail, spawnNode } from '../topology/children';
import { collectEnv } from '../result/env';
import { UsageError } from '../errors';
import { MANIFEST_FILE, type FixedCost, type SweepCell, type SweepManifest } from '../result/manifest';
import { BURST, MAX_CLIENTS, SCENARIOS, type ArrivalRate } from '../config/run-options';
import { writeJsonAtomic } from '../result/write';
import { ensureDir, OutputPathError } from '../result/output-check';
import { cliEntry } from '../paths';
import { median, runVerdict, type RunResult } from '../result/build';

export const SWEEP_DEFAULTS = {
  libs: [...LIBS] as Lib[],
  clients: [100, 500, 1000, 2000, 5000, 7000, 10000],
  trials: 1,
  scenario: 'echo',
};

/** A preset: `bench run` flags per library, and what they assume, for the manifest and report. */
export interface Preset {
  name: string;
  description: string;
  argsFor: (lib: Lib) => string[];
  assumptions: string[];
}

export const PRESETS: Record<string, Preset> = {
  modern: {
    name: 'modern',
    description: "today's library defaults",
    argsFor: (lib) => (lib === 'socketio' ? ['--transport', 'polling'] : []),
    assumptions: [
      'Socket.IO 4 defaults: long-polling first, then upgrade to WebSocket; per-message deflate off (off by default since Socket.IO 3 / engine.io 4).',
      'ws 8 defaults: per-message deflate off on the server.',
      'SockJS: no per-message deflate (sockjs-node does not offer it); the client tries WebSocket first.',
    ],
  },
  'paper-2020': {
    name: 'paper-2020',
    description: 'the 2020 study (Hansson, LIU-IDA/LITH-EX-G-20/025-SE) as far as its conditions are known',
    argsFor: (lib) => (lib === 'socketio' ? ['--transport', 'polling', '--deflate'] : []),
    assumptions: [
      'Client levels 100 to 10,000 as in the study; the study published neither its code nor its arrival rate, so the ramp uses bench run defaults (500 clients/s, 500 warm-up clients, 10 s hold).',
      'Arrival model: the study published none. Assumed here: arrivals on a fixed schedule at --arrival-rate (default 500 clients/s), connect latency timed from when each arrival was due. Connect latency at N clients depends on the rate by orders of magnitude (10,000 clients here: ws p50 0.45 ms at 500/s, 1.5 s when all arrive within one second); add --arrival-rates 500,2000,10000,burst to see the effect. Cells where the generator falls behind or saturates are marked invalid.',
      'Socket.IO as its 2.x defaults configured it: per-message deflate on (engine.io 3 default, threshold 1 KiB) and long-polling first, then upgrade. Today’s Socket.IO 4 runs with those options; the 2.x code itself is not used.',
      'Per-message deflate costs memory per connection (a zlib context each side keeps) even when no message is large enough to be compressed; the study’s near-2 GB for Socket.IO at 10,000 clients is consistent with that.',
      'ws with its defaults (per-message deflate off on the server in ws 7, as in ws 8). SockJS without deflate (not offered).',
      'The study ran the server on an i3-8300 and the clients on an i5-4690K; a sweep on one machine shares its cores between both sides unless --profile paper-2020 gives each side its own CPUs, memory and network namespace.',
    ],
  },
};

/** `bench sweep` options as the user gave them. */
export interface SweepOptions {
  libs?: string;
  clients?: string;
  trials?: string | number;
  scenario?: string;
  out?: string;
  resume?: boolean;
  preset?: string;
  /** arrival rates as a dimension, e.g. `250,500,burst` */
  arrivalRates?: string;
  /** flags passed through to every `bench run` */
  runArgs?: string[];
  quiet?: boolean;
}

export interface ResolvedSweepOptions {
  libs: Lib[];
  clients: number[];
  trials: number;
  scenario: string;
  out: string;
  resume: boolean;
  preset: Preset | null;
  /** null: not a dimension; every cell runs at --arrival-rate (or its default), files named as before */
  arrivalRates: ArrivalRate[] | null;
  runArgs: string[];
  quiet: boolean;
}

const LIST_EXAMPLE: Record<string, string> = { libs: 'ws,socketio', clients: '100,1000', 'arrival-rates': '500,burst' };

function listOf(flag: string, raw: string): string[] {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0)
    throw new UsageError(`--${flag} needs at least one value, e.g. --${flag} ${LIST_EXAMPLE[flag] ?? '100,1000'}.`);
  return items;
}

/** Numbers ascending, `burst` (all at once, the fastest) last. */
export function compareRates(a: ArrivalRate, b: ArrivalRate): number {
  return (a === BURST ? Infinity : a) - (b === BURST ? Infinity : b);
}

function resolveArrivalRates(raw: string | undefined, runArgs: readonly string[]): ArrivalRate[] | null {
  if (raw === undefined) return null;
  if (runArgs.includes('--arrival-rate')) {
    throw new UsageError(
      '--arrival-rates and --arrival-rate cannot be used together. Keep --arrival-rates to sweep rates, or --arrival-rate for one rate in every cell.',
    );
  }
  const rates = listOf('arrival-rates', raw).map((r): ArrivalRate => {
    if (r === BURST) return BURST;
    const n = /^\d+$/.test(r) ? Number(r) : NaN;
    if (!(n >= 1 && n <= 100_000)) {
      throw new UsageError(
        `--arrival-rates takes clients per second from 1 to 100000, or burst, separated by commas (got "${r}"). Example: --arrival-rates 250,500,1000,burst`,
      );
    }
    return n;
  });
  return [...new Set(rates)].sort(compareRates);
}

export function resolveSweepOptions(raw: SweepOptions, now = new Date()): ResolvedSweepOptions {
  const libs = raw.libs === undefined ? SWEEP_DEFAULTS.libs : listOf('libs', raw.libs);
  for (const lib of libs) {
    if (!(LIBS as readonly string[]).includes(lib)) {
      throw new UsageError(
        `--libs takes ${LIBS.join(', ')} separated by commas (got "${lib}"). Example: --libs ws,socketio`,
      );
    }
  }
  const clients =
    raw.clients === undefined
      ? SWEEP_DEFAULTS.clients
      : listOf('clients', raw.clients).map((c) => {
          const n = /^\d+$/.test(c) ? Number(c) : NaN;
          if (!(n >= 1 && n <= MAX_CLIENTS)) {
            throw new UsageError(
              `--clients takes whole numbers from 1 to ${MAX_CLIENTS} separated by commas (got "${c}"). Example: --clients 100,1000,10000`,
            );
          }
          return n;
        });
  const trialsText = String(raw.trials ?? SWEEP_DEFAULTS.trials);
  const trials = /^\d+$/.test(trialsText) ? Number(trialsText) : NaN;
  if (!(trials >= 1 && trials <= 100)) {
    throw new UsageError(`--trials must be a whole number from 1 to 100 (got "${trialsText}"). Example: --trials 3`);
  }
  const scenario = raw.scenario ?? SWEEP_DEFAULTS.scenario;
  if (!(SCENARIOS as readonly string[]).includes(scenario)) {
    throw new UsageError(`--scenario must be one of ${SCENARIOS.join(', ')} for a sweep (got "${scenario}").`);
  }
  let preset: Preset | null = null;
  if (raw.preset !== undefined) {
    preset = PRESETS[raw.preset] ?? null;
    if (!preset) {
      throw new UsageError(
        `--preset must be one of ${Object.keys(PRESETS).join(', ')} (got "${raw.preset}"). Example: --preset paper-2020`,
      );
    }
  }
  const runArgs = raw.runArgs ?? [];
  if (preset && runArgs.some((a) => a === '--transport' || a === '--deflate')) {
    throw new UsageError(
      `--preset ${preset.name} sets --transport and --deflate itself. Remove them, or drop --preset.`,
    );
  }
  const arrivalRates = resolveArrivalRates(raw.arrivalRates, runArgs);
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return {
    libs: [...new Set(libs)] as Lib[],
    clients: [...new Set(clients)].sort((a, b) => a - b),
    trials,
    scenario,
    out: path.resolve(raw.out ?? path.join('results', `sweep-${stamp}`)),
    resume: raw.resume === true,
    preset,
    arrivalRates,
    runArgs,
    quiet: raw.quiet === true,
  };
}

/** A rate as a file name part: `r500`, `burst`. */
const rateTag = (rate: ArrivalRate) => (rate === BURST ? BURST : `r${rate}`);

/**
 * The run order: level by level (and rate by rate), trial by trial, with the libraries rotated
 * at every step, so that no library always runs first (or right after another) and slow drift
 * of the machine hits every library alike. Every cell gets --allow-invalid: an invalid run still
 * writes its result, and the sweep reads the verdict from it.
 */
export function planCells(
  o: Pick<ResolvedSweepOptions, 'libs' | 'clients' | 'trials' | 'scenario' | 'runArgs' | 'preset'> & {
    arrivalRates?: ArrivalRate[] | null;
  },
): SweepCell[] {
  const cells: SweepCell[] = [];
  const rates: (ArrivalRate | null)[] = o.arrivalRates ?? [null];
  let step = 0;
  for (const clients of o.clients) {
    for (const rate of rates) {
      for (let trial = 1; trial <= o.trials; trial++, step++) {
        for (let i = 0; i < o.libs.length; i++) {
          const lib = o.libs[(i + step) % o.libs.length]!;
          const tag = rate === null ? '' : `-${rateTag(rate)}`;
          const file = path.join('cells', `${lib}-${clients}${tag}-t${trial}.json`);
          const args = [
            'run',
            '--lib',
            lib,
            '--clients',
            String(clients),
            '--scenario',
            o.scenario,
            ...(rate === null ? [] : ['--arrival-rate', String(rate)]),
            '--allow-invalid',
            ...(o.preset?.argsFor(lib) ?? []),
            ...o.runArgs,
          ];
          cells.push({
            index: cells.length,
            lib,
            clients,
            ...(rate !== null && { arrivalRate: rate }),
            trial,
            file,
            args,
            status: 'pending',
          });
        }
      }
    }
  }
  return cells;
}

/** Medians over completed cells of what is not measurement. */
export function fixedCost(results: readonly { result: RunResult; wallSeconds: number }[]): FixedCost | null {
  const rows = results
    .map(({ result, wallSeconds }) => {
      const ph = Object.values(result.phases);
      const starts = ph.map((p) => p.startedAt).filter((t): t is number => t !== undefined);
      const ends = ph.map((p) => p.completedAt).filter((t): t is number => t !== undefined);
      if (starts.length === 0 || ends.length === 0) return null;
      const firstMs = Math.min(...starts);
      const lastMs = Math.max(...ends);
      const startup = firstMs / 1000 + (wallSeconds - result.durationSeconds);
      return {
        startup,
        teardown: result.durationSeconds - lastMs / 1000,
        overhead: wallSeconds - (lastMs - firstMs) / 1000,
      };
    })
    .filter((r): r is { startup: number; teardown: number; overhead: number } => r !== null);
  if (rows.length === 0) return null;
  const r1 = (n: number | null) => Math.round((n ?? 0) * 10) / 10;
  return {
    startupSeconds: r1(median(rows.map((r) => r.startup))),
    teardownSeconds: r1(median(rows.map((r) => r.teardown))),
    overheadSeconds: r1(median(rows.map((r) => r.overhead))),
    cells: rows.length,
  };
}

export function readManifest(dir: string): SweepManifest | null {
  const file = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as SweepManifest;
  } catch {
    throw new UsageError(`${file} is not a readable sweep manifest. Use another --out folder, or delete that file.`);
  }
}

function sameOptions(a: SweepManifest['options'], b: SweepManifest['options']): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface CellEvent {
  cell: SweepCell;
  position: number;
  total: number;
  elapsedSeconds: number;
}

export interface SweepHooks {
  onCellStart?: (e: CellEvent) => void;
  onCellEnd?: (e: CellEvent) => void;
  signal?: AbortSignal;
}

/** What a `bench run` exit code means for its cell, when it left no result to say. */
export function cellStatusOf(exitCode: number | null): SweepCell['status'] {
  if (exitCode === 0) return 'completed';
  if (exitCode === 130 || exitCode === 143) return 'aborted';
  return 'errored';
}

/**
 * A cell's status, verdict and error: from its result file when the run wrote one (an invalid
 * run exits 1 without --allow-invalid, yet it completed), else from the exit code.
 */
export function cellOutcome(
  exitCode: number | null,
  result: {
    status: string;
    error?: unknown;
    loadgen: RunResult['loadgen'];
    valid?: boolean;
    invalidReasons?: string[];
  } | null,
): Pick<SweepCell, 'status' | 'valid' | 'invalidReasons' | 'error'> {
  if (!result) return { status: cellStatusOf(exitCode) };
  const { valid, reasons } = runVerdict(result);
  const status: SweepCell['status'] =
    result.status === 'completed' || result.status === 'aborted' ? result.status : 'errored';
  return {
    status,
    valid,
    ...(!valid && { invalidReasons: reasons }),
    ...(status !== 'completed' && { error: String(result.error ?? `bench run exited with code ${exitCode}`) }),
  };
}

/** 0 only when every cell completed and, unless --allow-invalid, measured what was asked. */
export function sweepExitCode(cells: readonly Pick<SweepCell, 'status' | 'valid'>[], allowInvalid: boolean): number {
  if (cells.some((c) => c.status !== 'completed')) return 1;
  if (!allowInvalid && cells.some((c) => c.valid === false)) return 1;
  return 0;
}

/** `ws · 1000 clients`, with the cell's arrival rate when the sweep has rates. */
export function cellLabel(c: Pick<SweepCell, 'lib' | 'clients' | 'arrivalRate'>): string {
  const rate = c.arrivalRate === undefined ? '' : c.arrivalRate === BURST ? ' · burst' : ` · ${c.arrivalRate}/s`;
  return `${c.lib} · ${c.clients} clients${rate}`;
}

/** Runs one cell as a `bench run` child; resolves with its exit code and stderr tail. */
function runCell(args: string[], signal?: AbortSignal): Promise<{ code: number | null; tail: string }> {
  const child = spawnNode([cliEntry, ...args]);
  const tail = new OutputTail(2_000);
  child.stderr?.on('data', (d: Buffer) => tail.push(d));
  child.stdout?.resume();
  const onAbort = () => child.kill('SIGINT');
  signal?.addEventListener('abort', onAbort, { once: true });
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      signal?.removeEventListener('abort', onAbort);
      resolve({ code, tail: tail.lastLines(3) });
    });
  });
}

/** The cell's result, or null when the run wrote none (or left a file that cannot be read). */
function readCellResult(file: string): RunResult | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as RunResult;
  } catch {
    return null;
  }
}

/** The first line of a cell's stderr that says what went wrong. */
function errorLine(tail: string): string {
  const lines = tail.split('\n').map((l) => l.trim());
  return (
    lines
      .find((l) => l.startsWith('Error:'))
      ?.slice('Error:'.length)
      .trim() ??
    lines.find((l) => /errored|aborted/.test(l)) ??
    (lines.at(-1) || 'no output')
  );
}

/**
 * Runs every cell in a fresh `bench run` (so a fresh server process), writing the manifest whole
 * after each. A failing cell is recorded and the sweep goes on; an abort stops after the
 * current cell is recorded.
 */
export async function runSweep(o: ResolvedSweepOptions, hooks: SweepHooks = {}): Promise<SweepManifest> {
  const options: SweepManifest['options'] = {
    libs: o.libs,
    clients: o.clients,
    trials: o.trials,
    scenario: o.scenario,
    runArgs: o.runArgs,
    // Only when given, so that a sweep without rates resumes one made before they existed.
    ...(o.arrivalRates && { arrivalRates: o.arrivalRates }),
  };
  const existing = readManifest(o.out);
  if (existing && !o.resume) {
    throw new UsageError(`${o.out} already holds a sweep. Add --resume to finish it, or choose another --out folder.`);
  }
  if (existing && (!sameOptions(existing.options, options) || existing.preset !== (o.preset?.name ?? null))) {
    throw new UsageError(
      `--resume: ${o.out} holds a sweep with other options (${JSON.stringify(existing.options)}). Give the same options, or another --out folder.`,
    );
  }
  try {
    ensureDir(path.join(o.out, 'cells'));
  } catch (err) {
    if (!(err instanceof OutputPathError)) throw err;
    throw new UsageError(`--out ${o.out}: cannot write there (${err.message}). Give another --out folder.`);
  }
  const now = new Date().toISOString();
  const manifest: SweepManifest = existing ?? {
    schemaVersion: 1,
    kind: 'bench-sweep',
    createdAt: now,
    updatedAt: now,
    preset: o.preset?.name ?? null,
    assumptions: o.preset?.assumptions ?? [],
    options,
    env: collectEnv(),
    cells: planCells(o),
    fixedCost: null,
    wallSeconds: 0,
  };
  const manifestFile = path.join(o.out, MANIFEST_FILE);
  const started = Date.now();
  const priorWall = manifest.wallSeconds;
  const save = () => {
    manifest.updatedAt = new Date().toISOString();
    manifest.wallSeconds = Math.round(priorWall + (Date.now() - started) / 1000);
    writeJsonAtomic(manifestFile, manifest);
  };
  // A cell left `running` by a killed sweep is run again.
  const todo = manifest.cells.filter((c) => !(c.status === 'completed' && fs.existsSync(path.join(o.out, c.file))));
  save();

  const measured: { result: RunResult; wallSeconds: number }[] = [];
  let position = 0;
  for (const cell of todo) {
    if (hooks.signal?.aborted) break;
    position++;
    const event = () => ({ cell, position, total: todo.length, elapsedSeconds: (Date.now() - started) / 1000 });
    cell.status = 'running';
    cell.startedAt = new Date().toISOString();
    delete cell.error;
    delete cell.valid;
    delete cell.invalidReasons;
    // A result left by an earlier attempt must not speak for this one.
    const resultFile = path.join(o.out, cell.file);
    fs.rmSync(resultFile, { force: true });
    save();
    hooks.onCellStart?.(event());
    const t0 = Date.now();
    const { code, tail } = await runCell([...cell.args, '--out', resultFile, '--quiet'], hooks.signal);
    cell.wallSeconds = Math.round((Date.now() - t0) / 100) / 10;
    const result = readCellResult(resultFile);
    const outcome = cellOutcome(code, result);
    Object.assign(cell, outcome);
    if (!result && outcome.status !== 'completed') cell.error = errorLine(tail);
    if (result?.status === 'completed') measured.push({ result, wallSeconds: cell.wallSeconds });
    manifest.fixedCost = fixedCost(measured) ?? manifest.fixedCost;
    save();
    hooks.onCellEnd?.(event());
  }
  save();
  return manifest;
}
