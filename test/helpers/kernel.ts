import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where bench's memory cgroups can be on this machine: v1's memory root and the cgroup2 roots. */
export const CGROUP_ROOTS = ['/sys/fs/cgroup/memory', '/sys/fs/cgroup/unified', '/sys/fs/cgroup'].filter((r) =>
  fs.existsSync(path.join(r, 'cgroup.procs')),
);

function rootLinks(): string[] {
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
}

/**
 * bench's namespaces, veths left in the root namespace and memory cgroups that exist now, for one
 * owner pid or any: `netns bench-1-srv`, `veth bsv1`, `cgroup /sys/fs/cgroup/memory/bench-1-server`.
 */
export function benchObjects(owner?: number): string[] {
  const id = owner === undefined ? '\\d+' : String(owner);
  const ns = new RegExp(`^bench-${id}-(?:srv|gen)$`);
  const veth = new RegExp(`^(?:bsv|bgn)${id}$`);
  const cg = new RegExp(`^bench-${id}-(?:server|loadgen)$`);
  const out: string[] = [];
  if (fs.existsSync('/run/netns'))
    out.push(
      ...fs
        .readdirSync('/run/netns')
        .filter((n) => ns.test(n))
        .map((n) => `netns ${n}`),
    );
  out.push(
    ...rootLinks()
      .filter((n) => veth.test(n))
      .map((n) => `veth ${n}`),
  );
  for (const root of CGROUP_ROOTS) {
    out.push(
      ...fs
        .readdirSync(root)
        .filter((n) => cg.test(n))
        .map((n) => `cgroup ${path.join(root, n)}`),
    );
  }
  return out.sort();
}

/** A pid that ran and is gone: what a killed bench's pid looks like to the next run. */
export function deadPid(): number {
  return spawnSync('true').pid;
}
