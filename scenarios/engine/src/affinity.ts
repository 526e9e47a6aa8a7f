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
