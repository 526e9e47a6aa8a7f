import * as path from 'node:path';
import { LIBS, type Lib } from 'artillery-engine-bench/protocol';
import { UsageError } from '../errors';
import { BURST, MAX_CLIENTS, RUN_DEFAULTS, SCENARIOS, SWEEP_DEFAULTS, type ArrivalRate } from './defaults';
import type { RunOptions } from './run-option-types';

/** A preset: `bench run` options per library, and what they assume, for the manifest and report. */
export interface Preset {
  name: string;
  description: string;
  optionsFor: (lib: Lib) => RunOptions;
  assumptions: string[];
}

export const PRESETS: Record<string, Preset> = {
  modern: {
    name: 'modern',
    description: "today's library defaults",
    optionsFor: (lib) => (lib === 'socketio' ? { transport: 'polling' } : {}),
    assumptions: [
      'Socket.IO 4 defaults: long-polling first, then upgrade to WebSocket; per-message deflate off (off by default since Socket.IO 3 / engine.io 4).',
      'ws 8 defaults: per-message deflate off on the server.',
      'SockJS: no per-message deflate (sockjs-node does not offer it); the client tries WebSocket first.',
    ],
  },
  'paper-2020': {
    name: 'paper-2020',
    description: 'the 2020 study (Hansson, LIU-IDA/LITH-EX-G-20/025-SE) as far as its conditions are known',
    optionsFor: (lib) => (lib === 'socketio' ? { transport: 'polling', deflate: true } : {}),
    assumptions: [
      `Client levels 100 to 10,000 as in the study; the study published neither its code nor its arrival rate, so the ramp uses bench run defaults (${RUN_DEFAULTS.arrivalRate} clients/s, ${RUN_DEFAULTS.warmup} warm-up clients, ${RUN_DEFAULTS.holdSeconds} s hold).`,
      `Arrival model: the study published none. Assumed here: arrivals on a fixed schedule at --arrival-rate (default ${RUN_DEFAULTS.arrivalRate} clients/s), connect latency timed from when each arrival was due. At one client level, connect latency depends on the rate by orders of magnitude: while the server accepts clients as fast as they arrive it is the handshake alone, and once they arrive faster, each one also waits behind those before it, and that wait is counted. Add --arrival-rates 500,2000,10000,burst to see the effect on this machine. Cells where the generator falls behind or saturates are marked invalid.`,
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
  /** `bench run` options every cell gets, as given (the sweepable flags of runner/cli/flags.ts) */
  run?: RunOptions;
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
  run: RunOptions;
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

function resolveArrivalRates(raw: string | undefined, run: RunOptions): ArrivalRate[] | null {
  if (raw === undefined) return null;
  if (run.arrivalRate !== undefined) {
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
  const run = raw.run ?? {};
  if (preset && (run.transport !== undefined || run.deflate === true)) {
    throw new UsageError(
      `--preset ${preset.name} sets --transport and --deflate itself. Remove them, or drop --preset.`,
    );
  }
  const arrivalRates = resolveArrivalRates(raw.arrivalRates, run);
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
    run,
    quiet: raw.quiet === true,
  };
}

/**
 * `{ lib: 'ws', maxLag: '50', deflate: true, sioRecovery: '' }` → `--lib ws --max-lag 50 --deflate
 * --sio-recovery`, in key order: '' is a flag that takes a value given alone.
 */
export function runArgv(o: RunOptions): string[] {
  const argv: string[] = [];
  for (const [key, value] of Object.entries(o)) {
    if (value === undefined) continue;
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (value === true || value === '') argv.push(flag);
    else if (value === false) argv.push(`--no-${flag.slice(2)}`);
    else for (const v of [value].flat()) argv.push(flag, String(v));
  }
  return argv;
}

/**
 * The options of `bench` arguments as a sweep wrote them before it kept typed options (manifests
 * with `args` and `runArgs`): `--flag value` pairs and bare boolean flags, nothing else.
 */
export function runOptionsFromArgs(args: readonly string[]): RunOptions {
  const o: Record<string, string | boolean> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) continue;
    const key = a.slice(2).replace(/-(\w)/g, (_m, c: string) => c.toUpperCase());
    const next = args[i + 1];
    if (next === undefined || next.startsWith('--')) o[key] = true;
    else o[key] = args[++i]!;
  }
  return o as RunOptions;
}

/** The same options, whatever the order their keys were given in. */
export function sameRunOptions(a: RunOptions, b: RunOptions): boolean {
  const canonical = (o: RunOptions) =>
    JSON.stringify(
      Object.entries(o)
        .filter(([, v]) => v !== undefined)
        .sort(([x], [y]) => x.localeCompare(y)),
    );
  return canonical(a) === canonical(b);
}
