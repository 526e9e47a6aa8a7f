import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AppliedPart, HostFacts, IsolationPlan, ProfileRecord, Role, SkippedPart } from './plan';

/** Prefix of every namespace and cgroup bench makes; the owning bench's pid follows. */
export const RESOURCE_PREFIX = 'bench-';
const NETNS_DIR = '/run/netns';
const NS_SUFFIX: Record<Role, string> = { server: 'srv', loadgen: 'gen' };
/** Host sysctls copied into each namespace, so a namespace is not a smaller machine than the host. */
const COPIED_SYSCTLS = ['net/ipv4/ip_local_port_range', 'net/core/somaxconn', 'net/ipv4/tcp_max_syn_backlog'];

/** What a memory cap saw over a run. */
export interface MemoryCapReport {
  /** the cap (bytes) */
  capBytes: number;
  /**
   * highest memory the cgroup charged (bytes): memory the side touched after it started, page
   * cache included; shared pages already cached, such as the node binary, are charged elsewhere
   */
  peakBytes: number | null;
  /** times usage hit the cap */
  capHits: number | null;
}

/** A profile as applied to this machine: how to start each side, and how to undo it all. */
export interface Isolation {
  record: ProfileRecord;
  /** the address the server binds and the clients target */
  serverHost: string;
  /** the command prefix that starts a process of this side inside its limits (empty: none) */
  prefix(role: Role): string[];
  /** what a side's memory cap saw; null when the side had none */
  memoryReport(role: Role): MemoryCapReport | null;
  /** removes every namespace, veth and cgroup it made; safe to call twice */
  cleanup(): void;
}

function run(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 10_000 });
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`${cmd} ${args.join(' ')}: ${stderr || (err as Error).message}`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPids(file: string): number[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Removes a cgroup folder, killing what is left in it first. */
function removeCgroup(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EBUSY') throw err;
      killAll(readPids(path.join(dir, 'cgroup.procs')));
      execFileSync('sleep', ['0.1']);
    }
  }
}

function removeNetns(name: string): void {
  try {
    killAll(execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number));
  } catch {
    // no such namespace, or nothing in it
  }
  try {
    run('ip', ['netns', 'del', name]);
  } catch {
    // already gone
  }
}

/**
 * Namespaces and cgroups left by a bench that was killed before it could clean up (its pid no
 * longer runs). Returns what was removed.
 */
export function removeStale(host: HostFacts, owner = process.pid): string[] {
  const removed: string[] = [];
  const stale = (name: string, re: RegExp) => {
    const m = re.exec(name);
    if (!m) return false;
    const pid = Number(m[1]);
    return pid !== owner && !isAlive(pid);
  };
  let namespaces: string[] = [];
  try {
    namespaces = fs.readdirSync(NETNS_DIR);
  } catch {
    // no namespaces at all
  }
  for (const ns of namespaces.filter((n) => stale(n, /^bench-(\d+)-(?:srv|gen)$/))) {
    removeNetns(ns);
    removed.push(`namespace ${ns}`);
  }
  if (host.memoryCgroup) {
    let groups: string[] = [];
    try {
      groups = fs.readdirSync(host.memoryCgroup.root);
    } catch {
      // unreadable: nothing to clean
    }
    for (const g of groups.filter((n) => stale(n, /^bench-(\d+)-(?:server|loadgen)$/))) {
      removeCgroup(path.join(host.memoryCgroup.root, g));
      removed.push(`cgroup ${g}`);
    }
  }
  return removed;
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
export function applyOnLinux(plan: IsolationPlan, host: HostFacts, owner = process.pid): Isolation {
  const applied: AppliedPart[] = [];
  const skipped: SkippedPart[] = [];
  const namespaces: string[] = [];
  const cgroups: Partial<Record<Role, { dir: string; capBytes: number }>> = {};
  const names: Record<Role, string> = {
    server: `${RESOURCE_PREFIX}${owner}-${NS_SUFFIX.server}`,
    loadgen: `${RESOURCE_PREFIX}${owner}-${NS_SUFFIX.loadgen}`,
  };
  const veth: Record<Role, string> = { server: `bsv${owner}`, loadgen: `bgn${owner}` };
  const addr = subnetFor(owner);
  let netns = false;

  const cleanup = () => {
    for (const ns of namespaces.splice(0)) removeNetns(ns);
    for (const role of ['server', 'loadgen'] as const) {
      const g = cgroups[role];
      if (g) removeCgroup(g.dir);
    }
  };

  try {
    for (const role of ['server', 'loadgen'] as const) {
      run('ip', ['netns', 'add', names[role]]);
      namespaces.push(names[role]);
    }
    run('ip', ['link', 'add', veth.server, 'type', 'veth', 'peer', 'name', veth.loadgen]);
    for (const role of ['server', 'loadgen'] as const) {
      const ns = names[role];
      run('ip', ['link', 'set', veth[role], 'netns', ns]);
      run('ip', ['-n', ns, 'addr', 'add', `${addr[role]}/30`, 'dev', veth[role]]);
      run('ip', ['-n', ns, 'link', 'set', veth[role], 'up']);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      for (const key of COPIED_SYSCTLS) {
        const value = fs.readFileSync(`/proc/sys/${key}`, 'utf8').trim();
        run('ip', ['netns', 'exec', ns, 'sh', '-c', `echo "$0" > /proc/sys/${key}`, value]);
      }
    }
    netns = true;
    applied.push({
      what: 'network namespaces',
      detail: `server in ${names.server} (${addr.server}), load generator in ${names.loadgen} (${addr.loadgen}), joined by a veth pair; ${COPIED_SYSCTLS.map((k) => k.split('/').pop()).join(', ')} as on the host`,
    });
  } catch (err) {
    for (const ns of namespaces.splice(0)) removeNetns(ns);
    skipped.push({ what: 'network namespaces', reason: (err as Error).message });
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
      try {
        if (mc.version === 2) {
          const parentControl = path.join(mc.root, 'cgroup.subtree_control');
          if (!fs.readFileSync(parentControl, 'utf8').includes('memory')) fs.writeFileSync(parentControl, '+memory');
        }
        fs.mkdirSync(dir);
        cgroups[role] = { dir, capBytes: side.memoryBytes };
        fs.writeFileSync(
          path.join(dir, mc.version === 2 ? 'memory.max' : 'memory.limit_in_bytes'),
          String(side.memoryBytes),
        );
        applied.push({
          what,
          detail: `${label} capped at ${gib(side.memoryBytes)} by cgroup v${mc.version} ${dir}`,
        });
      } catch (err) {
        skipped.push({ what, reason: `${dir}: ${(err as Error).message}` });
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
    if (bandwidthMbit !== null) {
      if (bad) skipped.push({ what: 'link bandwidth', reason: bad });
      else {
        try {
          const rateBytes = (bandwidthMbit * 1e6) / 8;
          // tbf's bucket must hold a timer tick of traffic at the rate (4 ms at HZ 250).
          const burst = Math.max(15_000, Math.ceil(rateBytes * 0.004));
          for (const role of ['server', 'loadgen'] as const) {
            const tbf = ['qdisc', 'add', 'dev', veth[role], 'root', 'handle', '1:', 'tbf'];
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
            ]);
          }
          applied.push({
            what: 'link bandwidth',
            detail: `tbf at ${bandwidthMbit} Mbit/s each way on the veth pair (burst ${burst} bytes)`,
          });
        } catch (err) {
          skipped.push({ what: 'link bandwidth', reason: (err as Error).message });
        }
      }
    }
    if (latencyMs !== null) {
      if (bad) skipped.push({ what: 'link latency', reason: bad });
      else {
        try {
          for (const role of ['server', 'loadgen'] as const) {
            const where = bandwidthMbit !== null ? ['parent', '1:1', 'handle', '10:'] : ['root'];
            // One-way delay on each side adds up to the profile's round trip.
            run('tc', [
              '-n',
              names[role],
              'qdisc',
              'add',
              'dev',
              veth[role],
              ...where,
              'netem',
              'delay',
              `${latencyMs / 2}ms`,
            ]);
          }
          applied.push({
            what: 'link latency',
            detail: `netem ${latencyMs / 2} ms each way (${latencyMs} ms round trip)`,
          });
        } catch (err) {
          const msg = (err as Error).message;
          skipped.push({
            what: 'link latency',
            reason: /unknown/i.test(msg)
              ? `netem (latency emulation) is not available on this kernel (tc: ${msg.split(': ').pop()!.replace(/\.$/, '')})`
              : msg,
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
    cleanup,
  };
}
