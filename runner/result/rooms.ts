import { mergeEncoded, toStats } from '../metrics/histograms';
import type { Measurements, RoomRead } from './measurements';
import type { RoomsReport } from './schema';

const pct = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 10_000) / 100 : null);

/** Members per room over every node of one read. */
export function membersByRoom(read: RoomRead): Map<string, number> {
  const members = new Map<string, number>();
  for (const node of read.nodes) {
    for (const [room, n] of Object.entries(node.members)) members.set(room, (members.get(room) ?? 0) + n);
  }
  return members;
}

/** Sockets per namespace over every node of one read (--namespaces). */
function socketsByNamespace(read: RoomRead): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of read.nodes) for (const [nsp, k] of Object.entries(n.namespaces ?? {})) out[nsp] = (out[nsp] ?? 0) + k;
  return out;
}

/** The membership deliveries are expected from: halfway through the hold, else at its end; null: neither answered whole. */
function membershipRead(reads: readonly RoomRead[]): RoomRead | null {
  const whole = (at: RoomRead['at']) => reads.find((r) => r.at === at && r.takenAtMs !== null && r.error === null);
  return whole('hold-mid') ?? whole('hold-end') ?? null;
}

/** How many nodes each room's members sit on, in one read: the most, and the rooms on one node alone. */
function nodesPerRoom(read: RoomRead): { maxNodesPerRoom: number | null; roomsOnOneNode: number } {
  const spans = new Map<string, number>();
  for (const node of read.nodes) {
    for (const [room, n] of Object.entries(node.members)) if (n > 0) spans.set(room, (spans.get(room) ?? 0) + 1);
  }
  const counts = [...spans.values()];
  return {
    maxNodesPerRoom: counts.length > 0 ? Math.max(...counts) : null,
    roomsOnOneNode: counts.filter((c) => c === 1).length,
  };
}

const sameMembership = (a: Map<string, number>, b: Map<string, number>) =>
  a.size === b.size && [...a].every(([room, n]) => b.get(room) === n);

/**
 * --scenario rooms: what members published and received against what the rooms the NODES
 * reported should have got. Per room, expected = messages published to it × its members (one
 * fewer with --except-sender), the members as the nodes counted them halfway through the hold;
 * received counts each (member, publisher, seq) once. A room a node lost members of, or whose
 * messages an adapter dropped, shows as short. Null for every other scenario.
 */
export function roomsReport(m: Measurements): RoomsReport | null {
  const shape = m.options.rooms;
  if (!shape) return null;
  const counts = m.engine.counts;
  const reads = m.roomReads ?? [];
  const read = membershipRead(reads);
  const members = read ? membersByRoom(read) : null;
  const end = reads.find((r) => r.at === 'hold-end' && r.takenAtMs !== null && r.error === null);
  const after = reads.find((r) => r.at === 'after' && r.takenAtMs !== null && r.error === null);
  const published = m.engine.rooms?.published ?? {};
  const received = m.engine.rooms?.received ?? {};
  const x = shape.exceptSender ? 1 : 0;

  let expected: number | null = null;
  let roomsShort: number | null = null;
  let worst: RoomsReport['worstRoom'] = null;
  if (members) {
    expected = 0;
    roomsShort = 0;
    const rooms = new Set([...members.keys(), ...Object.keys(published), ...Object.keys(received)]);
    for (const room of rooms) {
      const e = (published[room] ?? 0) * Math.max(0, (members.get(room) ?? 0) - x);
      const got = received[room] ?? 0;
      expected += e;
      if (got < e) roomsShort++;
      const share = e > 0 ? got / e : 1;
      if (e > 0 && (worst === null || share < worst.received / worst.expected))
        worst = { room, expected: e, received: got };
    }
  }
  const sizes = members ? [...members.values()] : [];
  const hold = m.engine.phases.hold;
  const holdSeconds =
    hold?.startedAt !== undefined && hold.completedAt !== undefined ? (hold.completedAt - hold.startedAt) / 1000 : null;
  const perSecond = (n: number) => (holdSeconds && holdSeconds > 0 ? Math.round((n / holdSeconds) * 10) / 10 : null);
  const got = counts.roomReceived ?? 0;
  const sent = counts.roomPublished ?? 0;
  return {
    rooms: shape.rooms,
    roomSize: shape.roomSize,
    publishEveryMs: shape.publishEveryMs,
    messageBytes: shape.messageBytes,
    exceptSender: shape.exceptSender,
    namespaces: shape.namespaces,
    ...(shape.namespaces > 1 && { socketsByNamespace: read ? socketsByNamespace(read) : null }),
    membership: {
      from: read?.at === 'hold-mid' || read?.at === 'hold-end' ? read.at : null,
      members: sizes.reduce((a, b) => a + b, 0),
      rooms: sizes.length,
      minPerRoom: sizes.length > 0 ? Math.min(...sizes) : null,
      maxPerRoom: sizes.length > 0 ? Math.max(...sizes) : null,
      changed: members !== null && end !== undefined && !sameMembership(members, membersByRoom(end)),
      ...(read ? nodesPerRoom(read) : { maxNodesPerRoom: null, roomsOnOneNode: 0 }),
      error: reads.map((r) => r.error).find((e) => e !== null) ?? null,
    },
    joined: counts.roomJoined ?? 0,
    joinFailed: counts.roomJoinFailed ?? 0,
    published: sent,
    publishedLate: counts.roomPublishLate ?? 0,
    expected,
    received: got,
    deliveredPct: expected === null ? null : pct(got, expected),
    missed: expected === null ? null : expected - got,
    duplicates: counts.roomDuplicates ?? 0,
    outOfOrder: counts.roomOutOfOrder ?? 0,
    roomsShort,
    worstRoom: worst,
    serverWrites: after ? after.nodes.reduce((a, n) => a + n.writes, 0) : null,
    sentPerSecond: perSecond(sent),
    deliveredPerSecond: perSecond(got),
    latencyMs: toStats(mergeEncoded(m.engine.histograms.roomMs ?? [])),
    serviceMs: toStats(mergeEncoded(m.engine.histograms.roomServiceMs ?? [])),
    joinMs: toStats(mergeEncoded(m.engine.histograms.joinMs ?? [])),
  };
}
