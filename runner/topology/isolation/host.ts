import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HostFacts } from './plan';

/** Whether an executable is on PATH (or in the sbin folders root's PATH usually has). */
export function hasCommand(name: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/sbin'];
  return dirs.some((d) => {
    try {
      fs.accessSync(path.join(d, name), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function controllers(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').trim().split(/\s+/);
  } catch {
    return [];
  }
}

/** Where a memory cgroup can be made: cgroup v2 with the memory controller, else v1. */
export function findMemoryCgroup(): HostFacts['memoryCgroup'] {
  for (const root of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    if (controllers(path.join(root, 'cgroup.controllers')).includes('memory')) return { version: 2, root };
  }
  if (fs.existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes'))
    return { version: 1, root: '/sys/fs/cgroup/memory' };
  return null;
}

/** Reads what this machine offers for applying a profile. */
export function probeHost(): HostFacts {
  const linux = process.platform === 'linux';
  return {
    platform: process.platform,
    uid: typeof process.getuid === 'function' ? process.getuid() : null,
    cpus: os.availableParallelism(),
    tools: linux
      ? { ip: hasCommand('ip'), tc: hasCommand('tc'), taskset: hasCommand('taskset') }
      : { ip: false, tc: false, taskset: false },
    memoryCgroup: linux ? findMemoryCgroup() : null,
  };
}
