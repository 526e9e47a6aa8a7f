import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { PARENT_PID_ENV } from '../../servers/types';
import { parentWatch } from '../paths';

/**
 * Every child process bench starts, so that one call can stop them all (on Ctrl-C, on error,
 * at the end). Children also carry parent-watch, so they exit if bench is killed outright.
 */
const live = new Set<ChildProcess>();

/**
 * Starts `node <args>` with `preload` (parent-watch, or a module that includes it) preloaded.
 * `prefix` is a command that execs the rest (a profile's cgroup, CPU set and namespace), so
 * the child's pid is node's own.
 */
export function spawnNode(
  args: readonly string[],
  options: SpawnOptions = {},
  preload = parentWatch,
  prefix: readonly string[] = [],
): ChildProcess {
  const argv = [...prefix, process.execPath, '--require', preload, ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: a terminal's Ctrl-C reaches bench alone, which then stops the children
    // in order and records the run as aborted rather than as a server that died.
    detached: true,
    ...options,
    env: { ...(options.env ?? process.env), [PARENT_PID_ENV]: String(process.pid) },
  });
  return track(child);
}

/** Counts `child` among bench's children, so that `stopAllChildren` stops it too. */
export function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves when the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
export async function stopChild(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (hasExited(child)) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

export async function stopAllChildren(graceMs = 3_000): Promise<void> {
  await Promise.all([...live].map((c) => stopChild(c, graceMs)));
}

/** Last `max` characters of a stream's output, for error messages. */
export class OutputTail {
  private text = '';
  constructor(private readonly max = 4_000) {}
  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.max);
  }
  lastLines(n: number): string {
    return this.text.trimEnd().split('\n').slice(-n).join('\n');
  }
}
