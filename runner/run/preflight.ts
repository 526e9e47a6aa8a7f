import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PreflightError } from '../errors';
import { portCapacity } from '../topology/source-addresses';

/** What the operating system allows this process. null where it cannot be read (not Linux). */
export interface SystemLimits {
  openFilesSoft: number | null;
  openFilesHard: number | null;
  ephemeralPorts: { low: number; high: number } | null;
}

/** File descriptors a process needs besides its sockets (libraries, pipes, epoll, logs). */
export const FD_OVERHEAD = 128;

function readOrNull(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

export function parseLimits(limitsText: string | null, portRangeText: string | null): SystemLimits {
  const open = limitsText?.match(/^Max open files\s+(\S+)\s+(\S+)/m);
  const asNumber = (s: string | undefined) => (s === undefined || s === 'unlimited' ? Infinity : Number(s));
  const ports = portRangeText?.trim().split(/\s+/).map(Number);
  return {
    openFilesSoft: open ? asNumber(open[1]) : null,
    openFilesHard: open ? asNumber(open[2]) : null,
    ephemeralPorts:
      ports && ports.length === 2 && ports.every(Number.isFinite) ? { low: ports[0]!, high: ports[1]! } : null,
  };
}

export function readLimits(): SystemLimits {
  return parseLimits(readOrNull('/proc/self/limits'), readOrNull('/proc/sys/net/ipv4/ip_local_port_range'));
}

export interface PreflightDemand {
  /** connections held at once (clients plus probes) */
  connections: number;
  /**
   * sockets open for a moment besides those: a Socket.IO client upgrading from long-polling
   * holds its polling socket and its WebSocket at once (measured: at steady state one socket
   * per client remains)
   */
  transientSockets: number;
  /** distinct destinations the generator connects to (nodes with --spread client); default 1 */
  destinations?: number;
  /**
   * the most connections any one process holds (a generator, a server node, HAProxy): the open
   * files limit is per process; default `connections`, one process holding them all
   */
  perProcessConnections?: number;
  /** the source addresses clients connect from; null or absent: the kernel's choice */
  sourceAddresses?: readonly string[] | null;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * Refuses a run the machine cannot hold, before anything starts. Each side (server, generator)
 * is its own process and inherits this process's limit.
 */
export function checkLimits(demand: PreflightDemand, limits: SystemLimits): void {
  const sockets = demand.connections + demand.transientSockets;
  const files = (demand.perProcessConnections ?? demand.connections) + demand.transientSockets + FD_OVERHEAD;
  const soft = limits.openFilesSoft;
  if (soft !== null && soft < files) {
    const hard = limits.openFilesHard ?? Infinity;
    if (hard >= files) {
      const raiseTo = Number.isFinite(hard) ? hard : files;
      throw new PreflightError(
        `ulimit -n is ${fmt(soft)}, but ${fmt(demand.perProcessConnections ?? demand.connections)} connections need at least ${fmt(files)} open files per process. Raise it in this shell with: ulimit -n ${raiseTo}`,
      );
    }
    throw new PreflightError(
      `The hard limit on open files is ${fmt(hard)}, but ${fmt(demand.perProcessConnections ?? demand.connections)} connections need at least ${fmt(files)}. Raise "nofile" in /etc/security/limits.conf (then log in again and run ulimit -n ${files}), or run fewer clients.`,
    );
  }
  const range = limits.ephemeralPorts;
  if (range !== null) {
    const destinations = demand.destinations ?? 1;
    const addresses = demand.sourceAddresses ?? null;
    const available = portCapacity(addresses, destinations, range);
    if (available < sockets) {
      const per =
        addresses !== null
          ? ` on each of ${addresses.length} source address${addresses.length === 1 ? '' : 'es'}`
          : destinations > 1
            ? ` toward each of ${destinations} nodes`
            : '';
      throw new PreflightError(
        `The ephemeral port range ${range.low}-${range.high} gives ${fmt(available)} ports${per ? ` (${fmt(range.high - range.low + 1)}${per})` : ''}, but ${fmt(demand.connections)} connections need ${fmt(sockets)}. Add --source-addresses auto, or widen it with: sudo sysctl -w net.ipv4.ip_local_port_range="1024 65535"`,
      );
    }
  }
}

/** Refuses a run whose temp folder ($TMPDIR) cannot hold its working files, before anything starts. */
export function checkTempDir(dir = os.tmpdir()): void {
  try {
    // mkdtemp makes one level only: safe on any path, even under /proc.
    fs.rmSync(fs.mkdtempSync(path.join(dir, 'bench-check-')), { recursive: true, force: true });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new PreflightError(
      `cannot make a working folder in ${dir} (${typeof code === 'string' ? code : (err as Error).message}). Set TMPDIR to a folder you can write, e.g. TMPDIR=/tmp.`,
    );
  }
}
