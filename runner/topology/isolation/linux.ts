import * as fs from 'node:fs';
import * as path from 'node:path';
import { enableController, removeCgroup, restoreControllers } from './cgroup';
import { netnsExists, removeNetns, removeVeth, VETH_PREFIX } from './netns';
import type { AppliedPart, HostFacts, IsolationPlan, ProfileRecord, Role, SkippedPart } from './plan';
import { run } from './sys';
import type { MemoryCapReport } from '../../result/schema';

export { removeStale, type StaleCleanup } from './stale';

/** Prefix of every namespace and cgroup bench makes; the owning bench's pid follows. */
export const RESOURCE_PREFIX = 'bench-';
const NS_SUFFIX: Record<Role, string> = { server: 'srv', loadgen: 'gen' };
/** Host sysctls copied into each namespace, so a namespace is not a smaller machine than the host. */
const COPIED_SYSCTLS = ['net/ipv4/ip_local_port_range', 'net/core/somaxconn', 'net/ipv4/tcp_max_syn_backlog'];

export type { MemoryCapReport } from '../../result/schema';

/** A profile as applied to this machine: how to start each side, and how to undo it all. */
export interface Isolation {
  record: ProfileRecord;
  /** the address the server binds and the clients target */
  serverHost: string;
  /** the command prefix that starts a process of this side inside its limits (empty: none) */
  prefix(role: Role): string[];
  /** what a side's memory cap saw; null when the side had none */
  memoryReport(role: Role): MemoryCapReport | null;
  /**
   * removes every namespace, veth, qdisc and cgroup it made and turns off the cgroup controllers
   * it turned on, newest first; returns what it could not remove, and why. Safe to call twice.
   */
  cleanup(): string[];
}

/** For tests: called after each step that changed the machine; a throw fails that step. */
export interface ApplyHooks {
  afterStep?(what: string): void;
}

/** What was made, with how to remove it; undone newest first, each step on its own. */
class Undo {
  private steps: (() => void)[] = [];
  get size(): number {
    return this.steps.length;
  }
  add(undo: () => void): void {
    this.steps.push(undo);
  }
  /** Undoes the steps after the first `keep`; returns the errors of those that failed, each naming its thing. */
  back(keep = 0): string[] {
    const failed: string[] = [];
    while (this.steps.length > keep) {
      const undo = this.steps.pop()!;
      try {
        undo();
      } catch (err) {
        failed.push((err as Error).message);
      }
    }
    return failed;
  }
}

/** The /30 of 198.18.0.0/15 a run uses: from its pid, so concurrent runs look different in logs. */
export function subnetFor(pid: number): { server: string; loadgen: string } {
  const block = (pid % 16_384) * 4;
  const base = `198.18.${Math.floor(block / 256)}`;
  return { server: `${base}.${(block % 256) + 1}`, loadgen: `${base}.${(block % 256) + 2}` };
}

const gib = (bytes: number) => `${Math.round((bytes / 2 ** 30) * 100) / 100} GiB`;

/**
 * Applies a plan on Linux as root. Every part is tried on its own; a part that fails is listed
 * under skipped with the reason and the rest still applies.
 */
export function applyOnLinux(
  plan: IsolationPlan,
  host: HostFacts,
  owner = process.pid,
  hooks: ApplyHooks = {},
): Isolation {
  const applied: AppliedPart[] = [];
  const skipped: SkippedPart[] = [];
  const undo = new Undo();
  /** what a part that failed could not undo: reported by cleanup */
  const problems: string[] = [];
  const cgroups: Partial<Record<Role, { dir: string; capBytes: number }>> = {};
  const names: Record<Role, string> = {
    server: `${RESOURCE_PREFIX}${owner}-${NS_SUFFIX.server}`,
    loadgen: `${RESOURCE_PREFIX}${owner}-${NS_SUFFIX.loadgen}`,
  };
  const veth: Record<Role, string> = {
    server: `${VETH_PREFIX.server}${owner}`,
    loadgen: `${VETH_PREFIX.loadgen}${owner}`,
  };
  const addr = subnetFor(owner);
  // The undo is registered the moment a thing exists, so a failure at any later step removes it.
  const step = (what: string, act: () => void, undoIt?: () => void) => {
    act();
    if (undoIt) undo.add(undoIt);
    hooks.afterStep?.(what);
  };
  /** Runs one part; when it fails, undoes what it made and lists it under skipped. */
  const part = (what: string, apply: () => void, reason = (err: Error) => err.message): boolean => {
    const mark = undo.size;
    try {
      apply();
      return true;
    } catch (err) {
      problems.push(...undo.back(mark));
      skipped.push({ what, reason: reason(err as Error) });
      return false;
    }
  };
  const delQdisc = (role: Role, where: string[]) => () => {
    if (netnsExists(names[role])) run('tc', ['-n', names[role], 'qdisc', 'del', 'dev', veth[role], ...where]);
  };

  const netns = part('network namespaces', () => {
    for (const role of ['server', 'loadgen'] as const) {
      step(
        `namespace ${names[role]}`,
        () => run('ip', ['netns', 'add', names[role]]),
        () => removeNetns(names[role]),
      );
    }
    step(
      `veth ${veth.server}`,
      () => run('ip', ['link', 'add', veth.server, 'type', 'veth', 'peer', 'name', veth.loadgen]),
      // An end still in the root namespace outlives the namespaces; once moved, it goes with them.
      () => removeVeth(veth.server) || removeVeth(veth.loadgen),
    );
    for (const role of ['server', 'loadgen'] as const) {
      const ns = names[role];
      step(`veth ${veth[role]} into ${ns}`, () => run('ip', ['link', 'set', veth[role], 'netns', ns]));
      step(`address of ${veth[role]}`, () =>
        run('ip', ['-n', ns, 'addr', 'add', `${addr[role]}/30`, 'dev', veth[role]]),
      );
      step(`${veth[role]} up`, () => run('ip', ['-n', ns, 'link', 'set', veth[role], 'up']));
      step(`lo up in ${ns}`, () => run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']));
      for (const key of COPIED_SYSCTLS) {
        const value = fs.readFileSync(`/proc/sys/${key}`, 'utf8').trim();
        step(`${key} in ${ns}`, () =>
          run('ip', ['netns', 'exec', ns, 'sh', '-c', `echo "$0" > /proc/sys/${key}`, value]),
        );
      }
    }
  });
  if (netns) {
    applied.push({
      what: 'network namespaces',
      detail: `server in ${names.server} (${addr.server}), load generator in ${names.loadgen} (${addr.loadgen}), joined by a veth pair; ${COPIED_SYSCTLS.map((k) => k.split('/').pop()).join(', ')} as on the host`,
    });
  }

  for (const role of ['server', 'loadgen'] as const) {
    const side = plan[role];
    const label = role === 'server' ? 'server' : 'load generator';
    if (side.cores !== null || side.cpus !== null) {
      const what = `CPU set (${role})`;
      if (side.cpus === null) {
        skipped.push({ what, reason: `this machine has ${host.cpus} CPU, which cannot be split between two sides` });
      } else if (!host.tools.taskset) {
        skipped.push({ what, reason: '`taskset` (util-linux) is not installed' });
      } else {
        const scaled =
          side.cores === null
            ? ', the CPUs the other side does not use'
            : side.cpus.length === side.cores
              ? ''
              : `, scaled from the profile's ${side.cores}`;
        applied.push({
          what,
          detail: `${label} pinned to CPU ${side.cpus.join(',')} (${side.cpus.length} of this machine's ${host.cpus}${scaled}; clock speed is not emulated)`,
        });
      }
    }
    if (side.memoryBytes !== null) {
      const what = `memory cap (${role})`;
      const mc = host.memoryCgroup;
      if (mc === null) {
        skipped.push({ what, reason: 'no memory cgroup controller is mounted (v1 or v2)' });
        continue;
      }
      const dir = path.join(mc.root, `${RESOURCE_PREFIX}${owner}-${role}`);
      const capBytes = side.memoryBytes;
      const ok = part(
        what,
        () => {
          if (mc.version === 2) {
            enableController(mc.root, 'memory');
            // Also when another bench turned it on: the last one out turns it off (if bench did).
            undo.add(() => void restoreControllers(mc.root));
            hooks.afterStep?.(`memory controller in ${mc.root}`);
          }
          step(
            `cgroup ${dir}`,
            () => fs.mkdirSync(dir),
            () => removeCgroup(dir),
          );
          step(`memory cap ${dir}`, () =>
            fs.writeFileSync(
              path.join(dir, mc.version === 2 ? 'memory.max' : 'memory.limit_in_bytes'),
              String(capBytes),
            ),
          );
        },
        (err) => (err.message.includes(dir) ? err.message : `${dir}: ${err.message}`),
      );
      if (ok) {
        cgroups[role] = { dir, capBytes };
        applied.push({ what, detail: `${label} capped at ${gib(capBytes)} by cgroup v${mc.version} ${dir}` });
      }
    }
  }

  const { bandwidthMbit, latencyMs } = plan.link;
  if (bandwidthMbit !== null || latencyMs !== null) {
    const bad = !netns
      ? 'there are no namespaces to shape a link between'
      : !host.tools.tc
        ? '`tc` (iproute2) is not installed'
        : null;
    let shaped = false;
    if (bandwidthMbit !== null) {
      if (bad) skipped.push({ what: 'link bandwidth', reason: bad });
      else {
        const rateBytes = (bandwidthMbit * 1e6) / 8;
        // tbf's bucket must hold a timer tick of traffic at the rate (4 ms at HZ 250).
        const burst = Math.max(15_000, Math.ceil(rateBytes * 0.004));
        shaped = part('link bandwidth', () => {
          for (const role of ['server', 'loadgen'] as const) {
            const tbf = ['qdisc', 'add', 'dev', veth[role], 'root', 'handle', '1:', 'tbf'];
            step(
              `tbf on ${veth[role]}`,
              () =>
                run('tc', [
                  '-n',
                  names[role],
                  ...tbf,
                  'rate',
                  `${bandwidthMbit}mbit`,
                  'burst',
                  String(burst),
                  'latency',
                  '50ms',
                ]),
              delQdisc(role, ['root']),
            );
          }
        });
        if (shaped) {
          applied.push({
            what: 'link bandwidth',
            detail: `tbf at ${bandwidthMbit} Mbit/s each way on the veth pair (burst ${burst} bytes)`,
          });
        }
      }
    }
    if (latencyMs !== null) {
      if (bad) skipped.push({ what: 'link latency', reason: bad });
      else {
        const where = shaped ? ['parent', '1:1', 'handle', '10:'] : ['root'];
        const ok = part(
          'link latency',
          () => {
            for (const role of ['server', 'loadgen'] as const) {
              // One-way delay on each side adds up to the profile's round trip.
              const netem = ['qdisc', 'add', 'dev', veth[role], ...where, 'netem', 'delay', `${latencyMs / 2}ms`];
              step(
                `netem on ${veth[role]}`,
                () => run('tc', ['-n', names[role], ...netem]),
                delQdisc(role, where.slice(0, 2)),
              );
            }
          },
          (err) =>
            /unknown/i.test(err.message)
              ? `netem (latency emulation) is not available on this kernel (tc: ${err.message.split(': ').pop()!.replace(/\.$/, '')})`
              : err.message,
        );
        if (ok) {
          applied.push({
            what: 'link latency',
            detail: `netem ${latencyMs / 2} ms each way (${latencyMs} ms round trip)`,
          });
        }
      }
    }
  }

  const prefix = (role: Role): string[] => {
    const p: string[] = [];
    const g = cgroups[role];
    if (g) p.push('sh', '-c', 'echo $$ > "$0" && exec "$@"', path.join(g.dir, 'cgroup.procs'));
    const cpus = plan[role].cpus;
    if (cpus && host.tools.taskset) p.push('taskset', '-c', cpus.join(','));
    if (netns) p.push('ip', 'netns', 'exec', names[role]);
    return p;
  };

  const memoryReport = (role: Role) => {
    const g = cgroups[role];
    if (!g || !host.memoryCgroup) return null;
    const read = (f: string) => {
      try {
        return fs.readFileSync(path.join(g.dir, f), 'utf8');
      } catch {
        return null;
      }
    };
    if (host.memoryCgroup.version === 1) {
      const peak = read('memory.max_usage_in_bytes');
      const hits = read('memory.failcnt');
      return { capBytes: g.capBytes, peakBytes: peak ? Number(peak) : null, capHits: hits ? Number(hits) : null };
    }
    const peak = read('memory.peak');
    const events = read('memory.events');
    const max = events ? /^max (\d+)/m.exec(events) : null;
    return { capBytes: g.capBytes, peakBytes: peak ? Number(peak) : null, capHits: max ? Number(max[1]) : null };
  };

  return {
    record: { name: plan.profile, applied, skipped },
    serverHost: netns ? addr.server : '127.0.0.1',
    prefix,
    memoryReport,
    cleanup: () => [...problems.splice(0), ...undo.back()],
  };
}
