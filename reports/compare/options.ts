/** `bench compare`'s options, checked before any run starts. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../../runner/errors';
import { COMPARE_DEFAULTS } from '../../runner/config/defaults';
import { resolveThresholds, type GateMetric } from '../gate/options';

/** As the CLI parsed them: numbers still text, so errors can quote what was typed. */
export interface CompareOptions {
  baseline?: string;
  current?: string;
  baselineArgs?: string;
  currentArgs?: string;
  minRuns?: string;
  maxRuns?: string;
  confidence?: string;
  threshold?: string[];
  out?: string;
  /** the `bench run` flags both sides get, as argv */
  run: string[];
  quiet?: boolean;
}

export interface CompareSide {
  /** the bench bin this side runs (`<checkout>/bin/bench.js`) */
  bin: string;
  /** what the user gave */
  given: string;
  /** extra `bench run` flags for this side only */
  args: string[];
}

export interface ResolvedCompareOptions {
  baseline: CompareSide;
  current: CompareSide;
  /** at least this many runs in all (half a side) before a decision may stop the loop */
  minRuns: number;
  /** the run budget: at most this many runs in all */
  maxRuns: number;
  confidence: number;
  thresholds: Record<GateMetric, number>;
  out: string;
  run: string[];
  quiet: boolean;
}

/** The most runs one compare may take: each is a whole bench run. */
const MAX_RUNS = 400;

/** `--flag 1 --other 'a b'` → argv, with single or double quotes keeping spaces. */
export function splitArgs(text: string | undefined): string[] {
  if (text === undefined) return [];
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

function side(flag: 'baseline' | 'current', given: string | undefined, args: string | undefined): CompareSide {
  if (given === undefined || given === '') {
    throw new UsageError(
      `Missing --${flag}. Give a checkout of this project (after npm ci) or the path of its bin/bench.js, e.g. --baseline ../main --current .`,
    );
  }
  let bin = path.resolve(given);
  const stat = fs.statSync(bin, { throwIfNoEntry: false });
  if (stat?.isDirectory()) {
    bin = path.join(bin, 'bin', 'bench.js');
    if (!fs.existsSync(bin)) {
      throw new UsageError(
        `--${flag} ${given}: no bin/bench.js there. Give a checkout of this project (after npm ci) or the path of its bin/bench.js.`,
      );
    }
    if (!fs.existsSync(path.join(path.dirname(path.dirname(bin)), 'dist'))) {
      throw new UsageError(`--${flag} ${given}: the checkout is not built (no dist/). Run npm ci there first.`);
    }
  } else if (!stat?.isFile()) {
    throw new UsageError(
      `--${flag} ${given}: no such folder or file. Give a checkout of this project (after npm ci) or the path of its bin/bench.js.`,
    );
  }
  const extra = splitArgs(args);
  const owned = extra.find((a) => a === '--out' || a.startsWith('--out=') || a === '--json');
  if (owned)
    throw new UsageError(`--${flag}-args cannot set ${owned}: bench compare chooses each run's output. Remove it.`);
  return { bin, given, args: extra };
}

function count(flag: string, raw: string | undefined, fallback: number, min: number): number {
  const text = raw ?? String(fallback);
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= MAX_RUNS)) {
    throw new UsageError(
      `--${flag} must be a whole number of runs from ${min} to ${MAX_RUNS} (got "${text}"). Example: --${flag} ${fallback}`,
    );
  }
  return n;
}

export function resolveCompareOptions(raw: CompareOptions, now = new Date()): ResolvedCompareOptions {
  const baseline = side('baseline', raw.baseline, raw.baselineArgs);
  const current = side('current', raw.current, raw.currentArgs);
  if (!raw.run.includes('--lib')) {
    throw new UsageError(
      'Missing --lib: compare runs bench run on both sides, e.g. bench compare … --lib socketio --clients 1500.',
    );
  }
  if (!raw.run.includes('--clients')) throw new UsageError('Missing --clients, e.g. --clients 1500.');
  // Four runs make two pairs: the fewest with a spread, so the fewest that can decide.
  const minRuns = count('min-runs', raw.minRuns, COMPARE_DEFAULTS.minRuns, 4);
  const maxRuns = count('max-runs', raw.maxRuns, COMPARE_DEFAULTS.maxRuns, 4);
  if (maxRuns < minRuns) {
    throw new UsageError(`--max-runs ${maxRuns} is below --min-runs ${minRuns}. Give a budget of at least ${minRuns}.`);
  }
  const confText = raw.confidence ?? String(COMPARE_DEFAULTS.confidence);
  const confidence = /^0?\.\d+$/.test(confText) ? Number(confText) : NaN;
  if (!(confidence >= 0.5 && confidence <= 0.999)) {
    throw new UsageError(`--confidence must be from 0.5 to 0.999 (got "${confText}"). Example: --confidence 0.95`);
  }
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return {
    baseline,
    current,
    minRuns,
    maxRuns,
    confidence,
    thresholds: resolveThresholds(raw.threshold ?? []),
    out: raw.out ?? path.join('results', `compare-${stamp}`),
    run: raw.run,
    quiet: raw.quiet === true,
  };
}
