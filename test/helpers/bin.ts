import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

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

/** Runs `bench <args>` to completion, killing it after `timeoutMs` (a bound, not an assertion). */
export function runBin(args: string[], opts: BinOptions = {}): Promise<BinResult> {
  return new Promise((resolve) => {
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
  });
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
