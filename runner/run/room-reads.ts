import type { ResolvedRunOptions } from '../config/run-options';
import type { RoomRead } from '../result/measurements';
import type { NodeSet } from '../topology/nodes';
import { atHoldOffset, type Cancel } from './faults';
import { readNodeStats, statsUrls } from './node-stats';

/** The hold-end read comes this long before the hold ends, at most (s). */
const END_MARGIN_S = 0.5;
/** Reads every node's rooms (`GET /control/stats`) into `read`. */
export async function readRooms(urls: readonly string[], read: RoomRead, startedAt: number): Promise<void> {
  read.takenAtMs = Date.now() - startedAt;
  const { stats, error } = await readNodeStats(urls);
  for (const s of stats)
    read.nodes.push({
      nodeId: s.nodeId,
      members: s.rooms?.members ?? {},
      writes: s.rooms?.writes ?? 0,
      ...(s.transports && { transports: s.transports }),
      ...(s.namespaces && { namespaces: s.namespaces }),
    });
  read.error = error;
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
