import type { BufferedStats } from '../../servers/buffered';
import type { NodeStats } from '../../servers/types';
import type { ResolvedRunOptions } from '../config/run-options';
import type { SlowRead } from '../result/measurements';
import type { NodeSet } from '../topology/nodes';
import { atHoldOffset, type Cancel } from './faults';
import { readNodeStats, statsUrls } from './node-stats';
/** Reads of the hold at most: one a second, fewer and further apart in a long hold. */
export const MAX_SLOW_READS = 30;

/** A node's buffered bytes, and its cluster workers' (which hold a primary's connections). */
function bufferedOf(stats: NodeStats): { nodeId: string; buffered: BufferedStats }[] {
  const own = stats.buffered ? [{ nodeId: stats.nodeId, buffered: stats.buffered }] : [];
  return [...own, ...(stats.workers ?? []).flatMap(bufferedOf)];
}

/** Reads every node's buffered bytes (`GET /control/stats`) into `read`. */
export async function readBuffered(urls: readonly string[], read: SlowRead, startedAt: number): Promise<void> {
  read.takenAtMs = Date.now() - startedAt;
  const { stats, error } = await readNodeStats(urls);
  const errors = error === null ? [] : [error];
  for (const s of stats) {
    const nodes = bufferedOf(s);
    if (nodes.length === 0) errors.push(`${s.nodeId}: no buffered bytes in its stats (an older server)`);
    read.nodes.push(...nodes);
  }
  read.error = errors.length > 0 ? errors.join('; ') : null;
}

/** Hold offsets (s) to read at: the start, then evenly to the end, MAX_SLOW_READS at most, 1 s apart at least. */
export function slowReadOffsets(holdSeconds: number): number[] {
  const step = Math.max(1, holdSeconds / (MAX_SLOW_READS - 1));
  const out: number[] = [];
  for (let at = 0; at < holdSeconds - step / 2; at += step) out.push(Math.round(at * 10) / 10);
  // Just before the hold ends: at its very end the clients are already being let go.
  out.push(Math.max(0, holdSeconds - 0.5));
  return out;
}

/**
 * --slow-clients: reads every node's buffered bytes and closed clients through the hold (its
 * start, evenly on, its end), so the result keeps the most any node held and how it grew.
 */
export function scheduleSlowReads(
  o: ResolvedRunOptions,
  nodeSet: NodeSet | null,
  runDir: string,
  startedAt: number,
  reads: SlowRead[],
): Cancel[] {
  const urls = statsUrls(o, nodeSet);
  return slowReadOffsets(o.holdSeconds).map((atSeconds) => {
    const read: SlowRead = { atSeconds, takenAtMs: null, nodes: [], error: null };
    reads.push(read);
    return atHoldOffset(runDir, atSeconds, () => void readBuffered(urls, read, startedAt));
  });
}
