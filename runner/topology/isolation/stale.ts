import * as fs from 'node:fs';
import * as path from 'node:path';
import { BENCH_CGROUP, benchCgroups, cgroupRoots, removeCgroup, restoreControllers } from './cgroup';
import { BENCH_NETNS, BENCH_VETH, NETNS_DIR, removeNetns, removeVeth, rootLinks } from './netns';
import type { HostFacts } from './plan';
import { isAlive } from './sys';

/** What the cleanup of killed runs did: each thing removed, and each it could not remove and why. */
export interface StaleCleanup {
  removed: string[];
  failed: string[];
}

/**
 * Removes what benches that were killed before they could clean up (their pid no longer runs)
 * left behind: namespaces, veths in the root namespace, memory cgroups (v1 and v2), and
 * controllers bench turned on in a cgroup v2 `subtree_control`.
 */
export function removeStale(host: HostFacts, owner = process.pid): StaleCleanup {
  const out: StaleCleanup = { removed: [], failed: [] };
  const stale = (name: string, re: RegExp) => {
    const m = re.exec(name);
    if (!m) return false;
    const pid = Number(m[1]);
    return pid !== owner && !isAlive(pid);
  };
  const attempt = (what: string, remove: () => boolean | void) => {
    try {
      if (remove() !== false) out.removed.push(what);
    } catch (err) {
      out.failed.push((err as Error).message);
    }
  };

  let namespaces: string[] = [];
  try {
    namespaces = fs.readdirSync(NETNS_DIR);
  } catch {
    // no namespaces at all
  }
  for (const ns of namespaces.filter((n) => stale(n, BENCH_NETNS))) attempt(`namespace ${ns}`, () => removeNetns(ns));

  // A run killed between `ip link add` and moving the ends into its namespaces leaves them here.
  let links: string[] = [];
  try {
    links = rootLinks();
  } catch (err) {
    out.failed.push((err as Error).message);
  }
  let veths = links.filter((n) => stale(n, BENCH_VETH));
  while (veths.length > 0) {
    const link = veths.shift()!;
    try {
      removeVeth(link);
    } catch (err) {
      out.failed.push((err as Error).message);
    }
    // Deleting one end deletes its peer: both are named, as both were there.
    const now = rootLinks();
    for (const n of [link, ...veths]) if (!now.includes(n)) out.removed.push(`veth ${n}`);
    veths = veths.filter((n) => now.includes(n));
  }

  const roots = cgroupRoots(host);
  for (const root of [...roots.v1, ...roots.v2]) {
    for (const g of benchCgroups(root).filter((n) => stale(n, BENCH_CGROUP))) {
      attempt(`cgroup ${g}`, () => removeCgroup(path.join(root, g)));
    }
  }
  for (const root of roots.v2) {
    try {
      for (const c of restoreControllers(root)) out.removed.push(`${c} controller in ${root}/cgroup.subtree_control`);
    } catch (err) {
      out.failed.push((err as Error).message);
    }
  }
  return out;
}
