import * as fs from 'node:fs';
import type { KernelNetRecord } from '../result/schema';

/**
 * Counters of this machine's network stack that say a run's packets or connections were lost in
 * the kernel, not in the libraries: every packet to 127.0.0.1 waits in a per-CPU input queue of
 * `net.core.netdev_max_backlog` packets, and the kernel drops what does not fit. They count the
 * whole machine (softnet_stat) or the network namespace (netstat), so other work adds to them.
 */
export interface KernelNetCounters {
  backlogDrops: number;
  tcpAbortOnTimeout: number;
  netdevMaxBacklog: number | null;
}

/** Sum of the second column (packets dropped for a full backlog) over every CPU's line. */
export function parseSoftnetDrops(text: string): number {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .reduce((sum, line) => sum + Number.parseInt(line.trim().split(/\s+/)[1] ?? '0', 16), 0);
}

/** One counter of /proc/net/netstat, whose lines come in pairs: names, then values. */
export function parseNetstat(text: string, group: string, name: string): number | null {
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.startsWith(`${group}:`) || !lines[i + 1]!.startsWith(`${group}:`)) continue;
    const names = lines[i]!.split(/\s+/);
    const values = lines[i + 1]!.split(/\s+/);
    const at = names.indexOf(name);
    return at > 0 && values[at] !== undefined ? Number(values[at]) : null;
  }
  return null;
}

const read = (file: string): string | null => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

/** Now, or null where /proc does not have them. */
export function readKernelNet(): KernelNetCounters | null {
  const softnet = read('/proc/net/softnet_stat');
  const netstat = read('/proc/net/netstat');
  if (softnet === null || netstat === null) return null;
  const backlog = Number(read('/proc/sys/net/core/netdev_max_backlog')?.trim());
  return {
    backlogDrops: parseSoftnetDrops(softnet),
    tcpAbortOnTimeout: parseNetstat(netstat, 'TcpExt', 'TCPAbortOnTimeout') ?? 0,
    netdevMaxBacklog: Number.isFinite(backlog) && backlog > 0 ? backlog : null,
  };
}

/** What the kernel lost between two readings. */
export function kernelNetDelta(
  before: KernelNetCounters | null,
  after: KernelNetCounters | null,
): KernelNetRecord | null {
  if (before === null || after === null) return null;
  return {
    backlogDrops: Math.max(0, after.backlogDrops - before.backlogDrops),
    tcpAbortOnTimeout: Math.max(0, after.tcpAbortOnTimeout - before.tcpAbortOnTimeout),
    netdevMaxBacklog: after.netdevMaxBacklog,
  };
}
