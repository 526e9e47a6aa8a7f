import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertResultFile, assertResultSchema } from './schema';

/** The real `bench` bin, as a user runs it. */
export const BENCH_BIN = path.resolve(__dirname, '../../../bin/bench.js');

export interface BinResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface BinOptions {
  /** a bound, not an assertion */
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** a command that execs the rest, e.g. `ip netns exec NS` or `setpriv --reuid=…` */
  prefix?: string[];
}

function spawnBin(args: string[], opts: BinOptions) {
  const argv = [...(opts.prefix ?? []), process.execPath, BENCH_BIN, ...args];
  return spawn(argv[0]!, argv.slice(1), {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Runs `bench <args>` to completion, killing it after `timeoutMs` (a bound, not an assertion).
 * Every result file a `bench run` or `bench sweep` wrote is held to docs/result.schema.json:
 * the promise rejects with ajv's text when one breaks it.
 */
export function runBin(args: string[], opts: BinOptions = {}): Promise<BinResult> {
  const before = snapshot(resultCandidates(args, opts));
  return new Promise<BinResult>((resolve) => {
    const child = spawnBin(args, opts);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  }).then((r) => {
    checkResultsWritten(args, opts, r, before);
    return r;
  });
}

const cwdOf = (opts: BinOptions) => opts.cwd ?? process.cwd();

function flagValue(args: string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === flag) return args[i + 1];
    if (args[i]!.startsWith(`${flag}=`)) return args[i]!.slice(flag.length + 1);
  }
  return undefined;
}

/** Where a run or sweep would write its results, as far as its arguments say. */
function resultCandidates(args: string[], opts: BinOptions): string[] {
  const out = flagValue(args, '--out');
  if (out === undefined || out === '') return [];
  const file = path.resolve(cwdOf(opts), out);
  // Never touch what a bad-input test points at: /proc and friends are not result files.
  if (/^\/(proc|sys|dev)(\/|$)/.test(file)) return [];
  if (args[0] === 'run') return [file];
  if (args[0] !== 'sweep') return [];
  const cells = path.join(file, 'cells');
  try {
    return fs.readdirSync(cells).map((f) => path.join(cells, f));
  } catch {
    return []; // no cell written yet
  }
}

/** mtime and size of each existing file, so only what the run wrote gets checked. */
function snapshot(files: string[]): Map<string, string> {
  const seen = new Map<string, string>();
  for (const f of files) {
    try {
      const st = fs.statSync(f);
      if (st.isFile()) seen.set(f, `${st.mtimeMs}:${st.size}:${st.ino}`);
    } catch {
      // not there yet
    }
  }
  return seen;
}

function checkResultsWritten(args: string[], opts: BinOptions, r: BinResult, before: Map<string, string>): void {
  if (args[0] !== 'run' && args[0] !== 'sweep') return;
  const files = new Set(resultCandidates(args, opts));
  // The summary names the file; a result that could not go to --out names where it went.
  for (const m of r.stderr.matchAll(/^ {2}result {11}(\S.*\.json)$|The result is in (\S+\.json) instead/gm)) {
    files.add(path.resolve(cwdOf(opts), (m[1] ?? m[2])!));
  }
  const after = snapshot([...files]);
  for (const [file, stamp] of after) {
    if (before.get(file) !== stamp && file.endsWith('.json')) assertResultFile(file);
  }
  if (args[0] === 'run' && args.includes('--json') && r.stdout.trim().startsWith('{')) {
    let printed: unknown;
    try {
      printed = JSON.parse(r.stdout);
    } catch {
      return; // not whole JSON: the test that asked for --json says so
    }
    assertResultSchema(printed, `bench ${args.join(' ')}: the result JSON on stdout`);
  }
}

/** A `bench` process started in the background, for tests that signal or inspect it mid-run. */
export interface StartedBin {
  child: ChildProcess;
  /** everything it wrote to stderr so far */
  stderr(): string;
  /** resolves with its exit code */
  exited: Promise<number | null>;
}

export function startBin(args: string[], opts: BinOptions = {}): StartedBin {
  const child = spawnBin(args, opts);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  return { child, stderr: () => stderr, exited };
}
