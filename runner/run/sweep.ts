import * as fs from 'node:fs';
import * as path from 'node:path';
import { errorLine, runBenchChild } from './child-run';
import { collectEnv } from '../result/env';
import { UsageError } from '../errors';
import {
  MANIFEST_FILE,
  manifestRunOptions,
  type FixedCost,
  type SweepCell,
  type SweepManifest,
} from '../result/manifest';
import { BURST, type ArrivalRate } from '../config/defaults';
import type { RunOptions } from '../config/run-options';
import { sioFlagsFor } from '../config/sio-options';
import { runArgv, sameRunOptions, type ResolvedSweepOptions } from '../config/sweep-options';
import { writeJsonAtomic } from '../result/write';
import { ensureDir, OutputPathError } from '../result/output-check';
import { cliEntry } from '../paths';
import { median, runVerdict, type RunResult } from '../result/build';

/** A rate as a file name part: `r500`, `burst`. */
const rateTag = (rate: ArrivalRate) => (rate === BURST ? BURST : `r${rate}`);

/**
 * The run order: level by level (and rate by rate), trial by trial, with the libraries rotated
 * at every step, so that no library always runs first (or right after another) and slow drift
 * of the machine hits every library alike. Every cell gets --allow-invalid: an invalid run still
 * writes its result, and the sweep reads the verdict from it.
 */
export function planCells(
  o: Pick<ResolvedSweepOptions, 'libs' | 'clients' | 'trials' | 'scenario' | 'run' | 'preset'> & {
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
          const options: RunOptions = {
            lib,
            clients,
            scenario: o.scenario,
            ...(rate !== null && { arrivalRate: rate }),
            allowInvalid: true,
            ...o.preset?.optionsFor(lib),
            ...sioFlagsFor(o.run, lib),
          };
          cells.push({
            index: cells.length,
            lib,
            clients,
            ...(rate !== null && { arrivalRate: rate }),
            trial,
            file,
            options,
            status: 'pending',
          });
        }
      }
    }
  }
  return cells;
}

/** The `bench` arguments of a cell: from its options, or as written by a sweep from before them. */
export function cellArgv(cell: Pick<SweepCell, 'options' | 'args'>): string[] {
  return cell.options ? ['run', ...runArgv(cell.options)] : [...(cell.args ?? [])];
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
  // A manifest from before typed options holds them as `runArgs`: compared by what they say.
  const rest = (o: SweepManifest['options']) => JSON.stringify({ ...o, run: undefined, runArgs: undefined });
  return rest(a) === rest(b) && sameRunOptions(manifestRunOptions(a), manifestRunOptions(b));
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

/** The cell's result, or null when the run wrote none (or left a file that cannot be read). */
function readCellResult(file: string): RunResult | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as RunResult;
  } catch {
    return null;
  }
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
    run: o.run,
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
    const { code, tail } = await runBenchChild(
      cliEntry,
      [...cellArgv(cell), '--out', resultFile, '--quiet'],
      hooks.signal,
    );
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
