/**
 * The machine a run measured, as far as it moves the numbers: what `bench gate` checks before it
 * lets two sides be compared. Not `env.fingerprint`, which also hashes the kernel and every
 * library version: a gate exists to compare two versions of the code, so those may differ.
 */
import { UsageError } from '../../runner/errors';
import type { RunResult } from '../../runner/result/build';
import type { LoadedReport } from '../read/read';
import { GIB } from '../../runner/metrics/units';

export interface Machine {
  cpu: string;
  cores: number | null;
  /**
   * total memory in GiB, rounded up: the kernel keeps some for itself, so a 24 GiB machine
   * reports a little less (23.5 here) and two boots of one VM type differ by a few MiB
   */
  memoryGiB: number | null;
  /** the major version only: a patch release does not move a benchmark the way a major one can */
  node: string;
  /** the topology profile (CPU pinning, memory limit): part of the machine a run sees */
  profile: string;
}

export const MACHINE_FIELDS = ['cpu', 'cores', 'memoryGiB', 'node', 'profile'] as const;

type LooseEnv = Partial<Record<'cpu' | 'node' | 'profile' | 'cores' | 'memoryBytes', unknown>>;

/** The machine of a result; null when it records no `env`. Missing fields read as unknown. */
export function machineOf(r: Pick<RunResult, 'env'> | null | undefined): Machine | null {
  const env = r?.env as LooseEnv | undefined | null;
  if (!env || typeof env !== 'object') return null;
  const profile = env.profile as { name?: unknown } | string | undefined;
  const major = typeof env.node === 'string' ? /^v?(\d+)/.exec(env.node)?.[1] : undefined;
  return {
    cpu: typeof env.cpu === 'string' && env.cpu.trim() ? env.cpu.trim() : 'unknown',
    cores: typeof env.cores === 'number' && env.cores > 0 ? env.cores : null,
    memoryGiB: typeof env.memoryBytes === 'number' && env.memoryBytes > 0 ? Math.ceil(env.memoryBytes / GIB) : null,
    node: major ?? 'unknown',
    profile: typeof profile === 'string' ? profile : typeof profile?.name === 'string' ? profile.name : 'unknown',
  };
}

export function describeField(m: Machine, f: (typeof MACHINE_FIELDS)[number]): string {
  switch (f) {
    case 'cores':
      return m.cores === null ? 'unknown cores' : `${m.cores} cores`;
    case 'memoryGiB':
      return m.memoryGiB === null ? 'unknown memory' : `${m.memoryGiB} GiB`;
    case 'node':
      return `Node ${m.node}`;
    case 'profile':
      return `profile ${m.profile}`;
    default:
      return m.cpu;
  }
}

/** `AMD EPYC · 2 cores · 24 GiB · Node 20 · profile local`: equal texts are the same machine. */
export const machineText = (m: Machine) => MACHINE_FIELDS.map((f) => describeField(m, f)).join(' · ');

/**
 * How the machines of two sides differ, one clause per field that is not the same everywhere,
 * e.g. `cpu: baseline AMD EPYC, current Intel Xeon`; empty when every run had one machine.
 */
export function machineDifferences(baseline: readonly Machine[], current: readonly Machine[]): string[] {
  const out: string[] = [];
  for (const f of MACHINE_FIELDS) {
    const values = (ms: readonly Machine[]) => [...new Set(ms.map((m) => describeField(m, f)))];
    const b = values(baseline);
    const c = values(current);
    if (new Set([...b, ...c]).size > 1)
      out.push(`${f}: baseline ${b.join(' / ') || '–'}, current ${c.join(' / ') || '–'}`);
  }
  return out;
}

/** The machines of both sides; throws unless they match or `allow` is set, when it warns instead. */
export function checkMachines(b: LoadedReport, c: LoadedReport, allow: boolean, notes: string[]) {
  // A soak's env is a run's: its machine must match too.
  const of = (r: LoadedReport) => [
    ...r.cells.filter((x) => x.result).map((x) => machineOf(x.result)),
    ...r.soaks.map((x) => machineOf(x.result)),
  ];
  const known = (ms: (Machine | null)[]) => ms.filter((m): m is Machine => m !== null);
  const all = [...of(b), ...of(c)];
  const unknown = all.filter((m) => m === null).length;
  if (unknown) {
    notes.push(
      `${unknown === 1 ? '1 run records' : `${unknown} runs record`} no machine: cannot tell whether every run had one`,
    );
  }
  const distinct = (ms: Machine[]) => [...new Map(ms.map((m) => [JSON.stringify(m), m])).values()];
  const baseline = distinct(known(of(b)));
  const current = distinct(known(of(c)));
  const diffs = baseline.length && current.length ? machineDifferences(baseline, current) : [];
  let warning: string | null = null;
  if (diffs.length) {
    const what = diffs.join('; ');
    if (!allow) {
      throw new UsageError(
        `baseline and current ran on different machines (${what}): a difference would be the machine's, not the code's. Measure both sides on one machine, or pass --ignore-option machine to compare anyway.`,
      );
    }
    warning = `WARNING: baseline and current ran on different machines: ${what}. A difference may be the machine's, not the code's.`;
  }
  return { baseline, current, warning };
}
