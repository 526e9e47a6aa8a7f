import { CONTROL_STATS_PATH } from '../../servers/http';
import type { NodeStats } from '../../servers/types';
import type { ResolvedRunOptions } from '../config/run-options';
import { controlOf, type NodeSet } from '../topology/nodes';

/** How long one node may take to answer a stats request (ms). */
const READ_TIMEOUT_MS = 5_000;

/** The URLs whose stats hold the run's connections: every node (a cluster primary speaks for its workers), or the target. */
export function statsUrls(o: ResolvedRunOptions, nodeSet: NodeSet | null): string[] {
  return nodeSet ? nodeSet.servers.map((s) => s.ready.url) : o.target ? [o.target] : [];
}

/**
 * Every node's `GET /control/stats` at once: the answers, and why the others did not answer
 * (null when all did). What the room, transport and buffered reads during a hold share.
 */
export async function readNodeStats(urls: readonly string[]): Promise<{ stats: NodeStats[]; error: string | null }> {
  const results = await Promise.allSettled(
    urls.map(async (url) => {
      const res = await fetch(controlOf(url, CONTROL_STATS_PATH), { signal: AbortSignal.timeout(READ_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
      return (await res.json()) as NodeStats;
    }),
  );
  const stats: NodeStats[] = [];
  const errors: string[] = [];
  for (const r of results) {
    if (r.status === 'rejected') errors.push((r.reason as Error).message);
    else stats.push(r.value);
  }
  return { stats, error: errors.length > 0 ? errors.join('; ') : null };
}
