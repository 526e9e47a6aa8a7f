import type { BroadcastResult, NodeStats, ServerDescription } from '../types';

/**
 * Messages between a cluster primary and its workers, over cluster IPC. The `bench` key keeps
 * them apart from sticky's (`type: "sticky:…"`) and the cluster adapter's (`source`).
 */
export type ToWorker = { bench: 'publish'; id: number; seq: number } | { bench: 'stats'; id: number };

export type FromWorker =
  | { bench: 'ready'; description: ServerDescription }
  | { bench: 'failed'; message: string }
  | { bench: 'reply'; id: number; result: BroadcastResult | NodeStats };

/** The environment variable that carries a worker's `ServerOptions` (JSON). */
export const WORKER_OPTIONS_ENV = 'BENCH_CLUSTER_WORKER';

/** Whether an IPC message is one of ours (the other side's kind, by direction). */
export function isBenchMessage<T extends ToWorker | FromWorker>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { bench?: unknown }).bench === 'string';
}
