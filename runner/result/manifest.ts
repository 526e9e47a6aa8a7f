import type { Lib } from 'artillery-engine-bench/protocol';
import type { RunEnv } from './env';
import type { ArrivalRate } from '../config/defaults';
import type { RunOptions } from '../config/run-options';
import { runArgv, runOptionsFromArgs } from '../config/sweep-options';

/** The file in a sweep folder that lists its cells. */
export const MANIFEST_FILE = 'manifest.json';

export type CellStatus = 'pending' | 'running' | 'completed' | 'errored' | 'aborted';

/** One run of a sweep: a library at a client level, one trial, in a fresh server process. */
export interface SweepCell {
  /** position in the run order (0-based) */
  index: number;
  lib: Lib;
  clients: number;
  /** the cell's --arrival-rate, when the sweep has rates as a dimension (--arrival-rates) */
  arrivalRate?: ArrivalRate;
  /** 1-based */
  trial: number;
  /** result file, relative to the sweep folder */
  file: string;
  /** the `bench run` options of this cell, as given (its arguments: cellArgv) */
  options?: RunOptions;
  /** the exact `bench` arguments of this cell, in manifests written before `options` */
  args?: string[];
  status: CellStatus;
  /** why the cell errored or was aborted */
  error?: string;
  /** ISO 8601 */
  startedAt?: string;
  /** wall time of the whole cell, bench start to exit (s) */
  wallSeconds?: number;
  /** the result's verdict (runVerdict), when the run wrote a result */
  valid?: boolean;
  /** why the run is not valid, when it is not */
  invalidReasons?: string[];
}

/** Per-cell cost that is not measurement: what dominates small cells (s, medians over cells). */
export interface FixedCost {
  /** bench start → first arrival: server start, idle sampling, Artillery start, warm-up */
  startupSeconds: number;
  /** end of the probe phase → bench exit: Artillery exit, server stop, writing */
  teardownSeconds: number;
  /** wall time minus the scripted phases */
  overheadSeconds: number;
  cells: number;
}

/** `manifest.json` of a sweep folder. Written whole after every cell. */
export interface SweepManifest {
  schemaVersion: 1;
  kind: 'bench-sweep';
  createdAt: string;
  updatedAt: string;
  /** `modern`, `paper-2020`, or null for no preset */
  preset: string | null;
  /** what the preset assumes, in words, for the report */
  assumptions: string[];
  options: {
    libs: Lib[];
    clients: number[];
    trials: number;
    scenario: string;
    /** the `bench run` options every cell got, as given (besides lib, clients, scenario, out) */
    run?: RunOptions;
    /** the same as `bench run` flags, in manifests written before `run` */
    runArgs?: string[];
    /** --arrival-rates, sorted, `burst` last; absent when every cell ran at one rate */
    arrivalRates?: ArrivalRate[];
  };
  env: RunEnv;
  cells: SweepCell[];
  fixedCost: FixedCost | null;
  /** whole sweep so far (s) */
  wallSeconds: number;
}

/** The `bench run` options every cell of the sweep got, from a manifest of any age. */
export function manifestRunOptions(options: Pick<SweepManifest['options'], 'run' | 'runArgs'>): RunOptions {
  return options.run ?? runOptionsFromArgs(options.runArgs ?? []);
}

/** The same as `bench run` flags, for a reader to show or to repeat. */
export function manifestRunArgs(options: Pick<SweepManifest['options'], 'run' | 'runArgs'> | undefined): string[] {
  if (!options) return [];
  return options.run ? runArgv(options.run) : [...(options.runArgs ?? [])];
}
