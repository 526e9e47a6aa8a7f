import { lookup } from 'node:dns/promises';
import type { ResolvedRunOptions } from '../config/run-options';
import type { BrokerKind } from '../result/schema';
import type { BrokerMeasured } from '../result/measurements';
import { ProcSampler } from '../sampling/proc-stats';
import { findListener, isLocalAddress, processTree, readComm } from '../sampling/listener';
import { redactUrl } from '../../servers/adapters/errors';

/** Each broker's port when its URL names none. */
const DEFAULT_PORTS: Record<BrokerKind, number> = { redis: 6379, postgres: 5432, amqp: 5672, nats: 4222 };

/** How often a broker that is gone is looked for again (ms): a restart listens on the same port. */
const RELOOK_MS = 1_000;

/** The broker an adapter syncs its nodes through, with its URL; null for none (none, cluster, a --target). */
export function brokerOf(
  o: Pick<ResolvedRunOptions, 'adapter' | 'target' | 'redisUrl' | 'pgUrl' | 'amqpUrl' | 'natsUrl'>,
): { kind: BrokerKind; url: string } | null {
  if (o.target !== null) return null;
  switch (o.adapter) {
    case 'redis':
    case 'redis-streams':
      return { kind: 'redis', url: o.redisUrl };
    case 'postgres':
      return { kind: 'postgres', url: o.pgUrl };
    case 'amqp':
      return { kind: 'amqp', url: o.amqpUrl };
    case 'nats':
      return { kind: 'nats', url: o.natsUrl };
    default:
      return null;
  }
}

/** Where the broker listens: its host's addresses on this machine and its port, or why not here. */
async function localAddresses(
  kind: BrokerKind,
  url: string,
): Promise<{ addresses: string[]; port: number } | { error: string }> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || DEFAULT_PORTS[kind]);
  let addresses: string[];
  try {
    addresses = (await lookup(host, { all: true })).map((a) => a.address);
  } catch (err) {
    return { error: `${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  const local = addresses.filter(isLocalAddress);
  if (local.length === 0) {
    return { error: `${host} (${addresses.join(', ')}) is not this machine: its processes cannot be read from here` };
  }
  return { addresses: local, port };
}

/**
 * The broker's processes, sampled like the nodes: the process that listens on the adapter's
 * host:port and every descendant of it, read again at each sample (PostgreSQL forks a backend per
 * connection). When it is gone (a restart), it is looked for again on the same address.
 */
export class BrokerSampler {
  private readonly seen = new Set<number>();
  private roots: number[] = [];
  private lastLook = 0;
  private comm: string | null = null;
  private sampler: ProcSampler | null = null;

  private constructor(
    readonly kind: BrokerKind,
    /** the URL with any password hidden */
    readonly url: string,
    private readonly where: { addresses: string[]; port: number } | null,
    private error: string | null,
  ) {}

  /** Finds the broker and samples it from now on; a broker not found is recorded with the reason. */
  static async start(broker: { kind: BrokerKind; url: string }, intervalMs: number): Promise<BrokerSampler> {
    const where = await localAddresses(broker.kind, broker.url);
    const b =
      'error' in where
        ? new BrokerSampler(broker.kind, redactUrl(broker.url), null, where.error)
        : new BrokerSampler(broker.kind, redactUrl(broker.url), where, null);
    if (b.where && b.look()) b.sampler = new ProcSampler(() => b.pids(), intervalMs).start();
    return b;
  }

  /** Looks for the listener; true when found. Keeps the first reason it was not. */
  private look(): boolean {
    this.lastLook = Date.now();
    const found = findListener(this.where!.addresses, this.where!.port);
    if (found.error !== null) {
      if (this.seen.size === 0) this.error = found.error;
      return false;
    }
    this.roots = found.pids;
    this.comm = readComm(found.pids[0]!) ?? this.comm;
    return true;
  }

  /** The broker's processes now: the listener's trees, looked for again when they are gone. */
  private pids(): number[] {
    let tree = this.roots.flatMap(processTree);
    if (tree.length === 0 && Date.now() - this.lastLook >= RELOOK_MS && this.look()) {
      tree = this.roots.flatMap(processTree);
    }
    for (const p of tree) this.seen.add(p);
    return tree;
  }

  /** Takes one sample now (the last, while the nodes still run). */
  sample(): void {
    this.sampler?.sample();
  }

  stop(): void {
    this.sampler?.stop();
  }

  /** What was measured, for the result. */
  measured(): BrokerMeasured {
    return {
      kind: this.kind,
      url: this.url,
      pids: [...this.seen],
      process: this.comm,
      samples: this.sampler?.samples ?? [],
      error: this.error,
    };
  }
}
