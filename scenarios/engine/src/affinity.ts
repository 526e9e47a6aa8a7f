import { roomOf } from './room-protocol';

/**
 * Room affinity (bench run --amqp-topology prefix:N): a room belongs to one of N routing
 * prefixes, and a client goes to the node that owns its room's prefix. Shared by the servers
 * (which bind a prefix's routing key) and the engine (which picks the node), so both hash alike.
 */

/** The most routing prefixes a run may use. */
export const MAX_PREFIXES = 65_536;

/** The URL query parameter a client behind HAProxy puts its room's prefix in (`balance url_param`). */
export const PREFIX_PARAM = 'prefix';

/** A stable hash of a room name (32-bit FNV-1a over its UTF-16 code units), the same in every process. */
export function roomHash(room: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < room.length; i++) {
    h ^= room.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The routing prefix of `room` among `prefixes` (0 to prefixes - 1). */
export function roomPrefix(room: string, prefixes: number): number {
  return roomHash(room) % prefixes;
}

/** `url` with the client's prefix as a query parameter, for HAProxy to route on. */
export function withPrefixParam(url: string, prefix: number): string {
  const u = new URL(url);
  u.searchParams.set(PREFIX_PARAM, String(prefix));
  return u.toString();
}

/**
 * Where a client connects: with no prefix, target number `next` (round robin); with one, the
 * node that owns it (prefix mod the targets), or the one target (a balancer) with `?prefix=P`.
 */
export function pickTarget(targets: readonly string[], prefix: number | null, next: number): string {
  if (prefix === null) return targets[next % targets.length]!;
  return targets.length > 1 ? targets[prefix % targets.length]! : withPrefixParam(targets[0]!, prefix);
}

/** The routing prefix of main client `index`'s room, when the engine has rooms and affinity; else null. */
export function memberPrefix(
  c: {
    rooms: { roomSize: number } | null;
    affinity: { prefixes: number } | null;
    generators: number;
    generatorIndex: number;
  },
  index: number,
): number | null {
  if (index < 0 || c.rooms === null || c.affinity === null) return null;
  return roomPrefix(roomOf(index * c.generators + c.generatorIndex, c.rooms.roomSize), c.affinity.prefixes);
}
