import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Role } from './plan';
import { killAll, run } from './sys';

export const NETNS_DIR = '/run/netns';
/** A namespace bench makes: `bench-<owner pid>-srv|gen`. */
export const BENCH_NETNS = /^bench-(\d+)-(?:srv|gen)$/;
/** The two ends of a run's veth pair: the prefix, then the owner pid. */
export const VETH_PREFIX: Record<Role, string> = { server: 'bsv', loadgen: 'bgn' };
export const BENCH_VETH = /^(?:bsv|bgn)(\d+)$/;

function netnsPids(name: string): number[] {
  try {
    return run('ip', ['netns', 'pids', name]).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export const netnsExists = (name: string) => fs.existsSync(path.join(NETNS_DIR, name));

/** Kills what runs in a namespace and deletes it; nothing to do when it is gone already. */
export function removeNetns(name: string): void {
  if (!netnsExists(name)) return;
  killAll(netnsPids(name));
  run('ip', ['netns', 'del', name]);
}

/** Interface names in `ip -o link show` output (without the `@peer` part). */
export function linkNames(ipOutput: string): string[] {
  return ipOutput
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1])
    .filter((n): n is string => n !== undefined);
}

/** Interfaces of the root network namespace. */
export function rootLinks(): string[] {
  return linkNames(run('ip', ['-o', 'link', 'show']));
}

/**
 * Deletes a veth end left in the root namespace (its peer goes with it). Returns false when it
 * is not there: gone already, or in a namespace, which takes it along when deleted.
 */
export function removeVeth(name: string): boolean {
  if (!rootLinks().includes(name)) return false;
  run('ip', ['link', 'del', name]);
  return true;
}
