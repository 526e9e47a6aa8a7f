import type { MachineProfile, Profile, SideLimits, TopologyProfile } from '../../config/profiles';

/** One side of the wire. */
export type Role = 'server' | 'loadgen';

export type { AppliedPart, ProfileRecord, SkippedPart } from '../../result/schema';

/** What this machine offers, read once (see `probeHost`). */
export interface HostFacts {
  platform: NodeJS.Platform;
  /** effective uid; null where there is none (Windows) */
  uid: number | null;
  /** logical CPUs this process may run on */
  cpus: number;
  /** `ip` and `tc` from iproute2, `taskset` from util-linux */
  tools: { ip: boolean; tc: boolean; taskset: boolean };
  /** where a memory cgroup can be made: v2 (unified, memory controller on) or v1, or none */
  memoryCgroup: { version: 1 | 2; root: string } | null;
}

/** One side's limits, resolved from a machine profile or inline values. */
export interface SidePlan {
  /** cores the profile gives this side; null when it does not say */
  cores: number | null;
  /** CPUs of this machine to pin the side to; null when not pinned */
  cpus: number[] | null;
  /** memory cap (bytes); null when none */
  memoryBytes: number | null;
  /** e.g. "i3-8300-server", or "inline" */
  source: string;
}

/** Everything one run under a topology should apply, decided before anything is touched. */
export interface IsolationPlan {
  profile: string;
  /** false for `local`: nothing is applied at all */
  constrained: boolean;
  /** whether this machine can apply anything: root on Linux with iproute2 */
  canIsolate: boolean;
  /** why not, when it cannot */
  cannotIsolateReason: string | null;
  server: SidePlan;
  loadgen: SidePlan;
  link: { bandwidthMbit: number | null; latencyMs: number | null };
}

function side(ref: string | SideLimits | undefined, profiles: Map<string, Profile>): Omit<SidePlan, 'cpus'> {
  if (ref === undefined) return { cores: null, memoryBytes: null, source: 'not set' };
  if (typeof ref === 'string') {
    const m = profiles.get(ref) as MachineProfile;
    // Logical CPUs are what a CPU set counts; the study's CPUs have no SMT, so cores = threads.
    return { cores: m.facts.threads.value, memoryBytes: m.facts.memoryBytes.value, source: ref };
  }
  return { cores: ref.cores?.value ?? null, memoryBytes: ref.memoryBytes?.value ?? null, source: 'inline' };
}

/**
 * Splits this machine's CPUs between the two sides in the profile's proportion. A side the
 * profile leaves unset gets the CPUs the other does not use. Each side gets at least one CPU;
 * with a single CPU nothing can be split.
 */
export function splitCpus(
  serverCores: number | null,
  loadgenCores: number | null,
  hostCpus: number,
): { server: number[] | null; loadgen: number[] | null } {
  if ((serverCores === null && loadgenCores === null) || hostCpus < 2) return { server: null, loadgen: null };
  const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
  const clamp = (n: number) => Math.min(Math.max(n, 1), hostCpus - 1);
  if (serverCores !== null && loadgenCores !== null && serverCores + loadgenCores <= hostCpus) {
    return { server: range(0, serverCores), loadgen: range(serverCores, loadgenCores) };
  }
  const s =
    serverCores === null
      ? hostCpus - clamp(loadgenCores!)
      : loadgenCores === null
        ? clamp(serverCores)
        : clamp(Math.round((hostCpus * serverCores) / (serverCores + loadgenCores)));
  return { server: range(0, s), loadgen: range(s, hostCpus - s) };
}

/** Why this machine cannot apply a profile at all, or null when it can. */
export function cannotIsolate(host: HostFacts): string | null {
  if (host.platform !== 'linux') return `this is ${host.platform}, and profiles need Linux network namespaces`;
  if (host.uid !== 0)
    return `not root (uid ${host.uid}): network namespaces, CPU sets and cgroups need root; run bench as root`;
  if (!host.tools.ip) return '`ip` (iproute2) is not installed: apt-get install iproute2';
  return null;
}

/** Decides what a topology means on this machine. */
export function planIsolation(t: TopologyProfile, profiles: Map<string, Profile>, host: HostFacts): IsolationPlan {
  const server = side(t.server, profiles);
  const loadgen = side(t.loadgen, profiles);
  const cpus = splitCpus(server.cores, loadgen.cores, host.cpus);
  const link = { bandwidthMbit: t.link?.bandwidthMbit?.value ?? null, latencyMs: t.link?.latencyMs?.value ?? null };
  const constrained =
    server.cores !== null ||
    loadgen.cores !== null ||
    server.memoryBytes !== null ||
    loadgen.memoryBytes !== null ||
    link.bandwidthMbit !== null ||
    link.latencyMs !== null ||
    (t.server !== undefined && t.loadgen !== undefined);
  const why = constrained ? cannotIsolate(host) : null;
  return {
    profile: t.name,
    constrained,
    canIsolate: why === null,
    cannotIsolateReason: why,
    server: { ...server, cpus: cpus.server },
    loadgen: { ...loadgen, cpus: cpus.loadgen },
    link,
  };
}

/** The parts a plan asks for, in the order they are applied: what a fallback lists as skipped. */
export function requestedParts(plan: IsolationPlan): string[] {
  if (!plan.constrained) return [];
  const parts = ['network namespaces'];
  for (const role of ['server', 'loadgen'] as const) {
    if (plan[role].cores !== null || plan[role].cpus !== null) parts.push(`CPU set (${role})`);
    if (plan[role].memoryBytes !== null) parts.push(`memory cap (${role})`);
  }
  if (plan.link.bandwidthMbit !== null) parts.push('link bandwidth');
  if (plan.link.latencyMs !== null) parts.push('link latency');
  return parts;
}
