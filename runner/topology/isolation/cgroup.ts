import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HostFacts } from './plan';
import { killAll, sleepSync } from './sys';

/** A memory cgroup bench makes: `bench-<owner pid>-<role>`. */
export const BENCH_CGROUP = /^bench-(\d+)-(?:server|loadgen)$/;
/**
 * Controllers bench turned on in a cgroup v2 `cgroup.subtree_control`, one `<root> <controller>`
 * a line. A file, not memory, so that the run after a killed one can turn them off again.
 */
export const ADDED_CONTROLLERS_FILE = '/run/bench-cgroup-controllers';
/** How long a cgroup may stay busy while the tasks in it die. */
export const CGROUP_DRAIN_MS = 2_000;

function readPids(file: string): number[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Removes a cgroup folder, killing what is left in it and retrying while those tasks drain.
 * Throws, naming what keeps it, when it is still there after `drainMs`.
 */
export function removeCgroup(dir: string, drainMs = CGROUP_DRAIN_MS): void {
  const end = Date.now() + drainMs;
  for (;;) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY') throw new Error(`cannot remove cgroup ${dir}: ${(err as Error).message}`);
    }
    const pids = readPids(path.join(dir, 'cgroup.procs'));
    if (Date.now() >= end) {
      let inner: string[] = [];
      try {
        inner = fs
          .readdirSync(dir, { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => d.name);
      } catch {
        // gone meanwhile: the next rmdir says so
      }
      const why =
        pids.length > 0
          ? `process ${pids.join(', ')} still in it ${drainMs / 1000} s after SIGKILL`
          : inner.length > 0
            ? `it holds cgroup ${inner.join(', ')}`
            : `still busy after ${drainMs / 1000} s`;
      throw new Error(`cannot remove cgroup ${dir}: ${why}`);
    }
    killAll(pids);
    sleepSync(50);
  }
}

/** bench's cgroups under a root, of any owner. */
export function benchCgroups(root: string): string[] {
  try {
    return fs.readdirSync(root).filter((n) => BENCH_CGROUP.test(n));
  } catch {
    return [];
  }
}

interface Mark {
  root: string;
  controller: string;
}

function readMarks(): Mark[] {
  try {
    return fs
      .readFileSync(ADDED_CONTROLLERS_FILE, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [root, controller] = line.split(' ');
        return { root: root!, controller: controller! };
      });
  } catch {
    return [];
  }
}

function writeMarks(marks: Mark[]): void {
  if (marks.length === 0) fs.rmSync(ADDED_CONTROLLERS_FILE, { force: true });
  else fs.writeFileSync(ADDED_CONTROLLERS_FILE, marks.map((m) => `${m.root} ${m.controller}\n`).join(''));
}

const subtreeControl = (root: string) => path.join(root, 'cgroup.subtree_control');

/** The controllers a cgroup v2 root hands to its children now. */
export function enabledControllers(root: string): string[] {
  return fs.readFileSync(subtreeControl(root), 'utf8').trim().split(/\s+/).filter(Boolean);
}

/**
 * Turns a controller on for the children of a cgroup v2 root. Returns false when it was on
 * already: then it is not ours to turn off.
 */
export function enableController(root: string, controller: string): boolean {
  if (enabledControllers(root).includes(controller)) return false;
  const mark = { root, controller };
  const marks = readMarks();
  // Written first, so that a run killed right after still has it turned off by the next one.
  if (!marks.some((m) => m.root === root && m.controller === controller)) writeMarks([...marks, mark]);
  try {
    fs.writeFileSync(subtreeControl(root), `+${controller}`);
  } catch (err) {
    writeMarks(readMarks().filter((m) => m.root !== root || m.controller !== controller));
    throw new Error(`cannot turn on ${controller} in ${subtreeControl(root)}: ${(err as Error).message}`);
  }
  return true;
}

/**
 * Turns off again what bench turned on under a cgroup v2 root, once no bench cgroup is left
 * there (a run still going keeps it; the last one out turns it off). Returns what it turned off.
 */
export function restoreControllers(root: string): string[] {
  if (benchCgroups(root).length > 0) return [];
  const marks = readMarks();
  const done: string[] = [];
  const failed: string[] = [];
  for (const m of marks.filter((m) => m.root === root)) {
    try {
      fs.writeFileSync(subtreeControl(root), `-${m.controller}`);
      done.push(m.controller);
    } catch (err) {
      failed.push(`${m.controller}: ${(err as Error).message}`);
    }
  }
  writeMarks(marks.filter((m) => m.root !== root || !done.includes(m.controller)));
  if (failed.length > 0) throw new Error(`cannot turn off in ${subtreeControl(root)}: ${failed.join('; ')}`);
  return done;
}

/** Every place a bench memory cgroup may be: this host's, v1's, v2's, and where bench turned controllers on. */
export function cgroupRoots(host: HostFacts): { v1: string[]; v2: string[] } {
  const v1 = new Set<string>();
  const v2 = new Set<string>();
  if (host.memoryCgroup) (host.memoryCgroup.version === 1 ? v1 : v2).add(host.memoryCgroup.root);
  if (fs.existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes')) v1.add('/sys/fs/cgroup/memory');
  for (const root of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    if (fs.existsSync(path.join(root, 'cgroup.controllers'))) v2.add(root);
  }
  for (const m of readMarks()) v2.add(m.root);
  return { v1: [...v1], v2: [...v2] };
}
