import { CONTROL_STATS_PATH } from '../../servers/http';
import type { NodeStats } from '../../servers/types';
import type { ResolvedRunOptions } from '../config/run-options';
import type { RoomRead } from '../result/measurements';
import { controlOf, type NodeSet } from '../topology/nodes';
import { atHoldOffset, type Cancel } from './faults';

/** The hold-end read comes this long before the hold ends, at most (s). */
const END_MARGIN_S = 0.5;
/** How long one node may take to answer a stats request (ms). */
const READ_TIMEOUT_MS = 5_000;

/** The URLs whose stats hold the run's rooms: every node (a cluster primary sums its workers), or the target. */
function statsUrls(o: ResolvedRunOptions, nodeSet: NodeSet | null): string[] {
  return nodeSet ? nodeSet.servers.map((s) => s.ready.url) : o.target ? [o.target] : [];
}

/** Reads every node's rooms (`GET /control/stats`) into `read`. */
export async function readRooms(urls: readonly string[], read: RoomRead, startedAt: number): Promise<void> {
  read.takenAtMs = Date.now() - startedAt;
  const results = await Promise.allSettled(
    urls.map(async (url) => {
      const res = await fetch(controlOf(url, CONTROL_STATS_PATH), { signal: AbortSignal.timeout(READ_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
      return (await res.json()) as NodeStats;
    }),
  );
  const errors: string[] = [];
  for (const r of results) {
    if (r.status === 'rejected') errors.push((r.reason as Error).message);
    else
      read.nodes.push({
        nodeId: r.value.nodeId,
        members: r.value.rooms?.members ?? {},
        writes: r.value.rooms?.writes ?? 0,
        ...(r.value.transports && { transports: r.value.transports }),
        ...(r.value.namespaces && { namespaces: r.value.namespaces }),
      });
  }
  read.error = errors.length > 0 ? errors.join('; ') : null;
}

/**
 * --scenario rooms: reads every node's room membership halfway through the hold (every client
 * has joined; members publish) and just before the hold ends. Deliveries are expected from these counts,
 * not from what the run asked for, so a node that lost members or never got a join shows.
 */
export function scheduleRoomReads(
  o: ResolvedRunOptions,
  nodeSet: NodeSet | null,
  runDir: string,
  startedAt: number,
  reads: RoomRead[],
): Cancel[] {
  const urls = statsUrls(o, nodeSet);
  // The end read comes a little before the hold ends: the clients leave as soon as it has.
  const end = o.holdSeconds - Math.min(END_MARGIN_S, o.holdSeconds / 4);
  const at: [RoomRead['at'], number][] = [
    ['hold-mid', o.holdSeconds / 2],
    ['hold-end', end],
  ];
  return at.map(([label, seconds]) => {
    const read: RoomRead = { at: label, takenAtMs: null, nodes: [], error: null };
    reads.push(read);
    return atHoldOffset(runDir, seconds, () => void readRooms(urls, read, startedAt));
  });
}

/** One more read once the load has ended, before the servers stop: every room message the nodes wrote. */
export async function readRoomsAfter(
  o: ResolvedRunOptions,
  nodeSet: NodeSet | null,
  startedAt: number,
  reads: RoomRead[],
): Promise<void> {
  const read: RoomRead = { at: 'after', takenAtMs: null, nodes: [], error: null };
  reads.push(read);
  await readRooms(statsUrls(o, nodeSet), read, startedAt);
}
