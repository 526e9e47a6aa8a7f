/**
 * Crisp's three RabbitMQ layouts (`--amqp-topology`), shared by the ws/SockJS fan-out
 * (amqp-fanout.ts) and the Socket.IO adapter (socketio-amqp.ts):
 *
 * - `fanout`: a fanout exchange; every node's queue gets every message.
 * - `routing`: a direct exchange. Broadcasts, hellos and heartbeats go with the key `all`, which
 *   every node binds; a room's messages with the key `room.<name>`, which a node binds while it
 *   has members in the room (from its first member's join to its last one's leaving).
 * - `prefix:N`: a direct exchange; a room's messages go with the key `prefix.<P>`, P a stable
 *   hash of the room's name mod N (`roomPrefix`), which a node binds while it has members in
 *   any room of that prefix. Which node holds a room is the clients' business (affinity: the
 *   engine, or HAProxy on `?prefix=P`); the nodes need not agree on who owns what.
 */
import type { Channel } from 'amqplib';
import { MAX_PREFIXES, roomHash, roomPrefix } from 'artillery-engine-bench/protocol';
import type { AmqpTopology } from '../types';

export const FANOUT: AmqpTopology = { kind: 'fanout' };

/** The routing key every node binds: broadcasts, presence and Socket.IO's own messages. */
export const BROADCAST_KEY = 'all';

/** Extra bindings (`--amqp-extra-bindings`) are asked for this many at a time. */
const BIND_BATCH = 500;

/** RabbitMQ's limit on a routing key (bytes), less room for our `room.` prefix. */
const MAX_ROOM_KEY_BYTES = 240;

/** `fanout`, `routing`, `prefix:N` as typed; null when it is none of them (N outside 1 to 65,536 too). */
export function parseTopology(text: string): AmqpTopology | null {
  if (text === 'fanout' || text === 'routing') return { kind: text };
  const m = /^prefix:(\d{1,6})$/.exec(text);
  if (!m) return null;
  const prefixes = Number(m[1]);
  return prefixes >= 1 && prefixes <= MAX_PREFIXES ? { kind: 'prefix', prefixes } : null;
}

export function formatTopology(t: AmqpTopology = FANOUT): string {
  return t.kind === 'prefix' ? `prefix:${t.prefixes}` : t.kind;
}

/**
 * The exchange of a run's `base` name (`bench.<key>.broadcast`, `bench.<key>.sio`) in topology
 * `t`: the fanout one keeps the base name; the others are named for their layout, so nodes told
 * different layouts never share an exchange (they do not see each other, and say so in `servers`).
 */
export function exchangeName(base: string, t: AmqpTopology = FANOUT): string {
  return t.kind === 'fanout' ? base : `${base}.${t.kind === 'prefix' ? `prefix-${t.prefixes}` : 'routing'}`;
}

export function exchangeType(t: AmqpTopology = FANOUT): 'fanout' | 'direct' {
  return t.kind === 'fanout' ? 'fanout' : 'direct';
}

/** The routing key of `room`'s messages (a fanout exchange ignores it). */
export function roomKey(t: AmqpTopology, room: string): string {
  switch (t.kind) {
    case 'fanout':
      return BROADCAST_KEY;
    case 'prefix':
      return `prefix.${roomPrefix(room, t.prefixes)}`;
    case 'routing':
      // A key too long for RabbitMQ: its hash (a clash only sends a node messages it has no members for).
      return Buffer.byteLength(room) <= MAX_ROOM_KEY_BYTES ? `room.${room}` : `room.#${roomHash(room)}`;
  }
}

/** The routing key a node binds the `i`th of its extra bindings with: never published to. */
export function extraKey(self: string, i: number): string {
  return `extra.${self}.${i}`;
}

/** Binds `count` extra routing keys of node `self` to its queue, `BIND_BATCH` requests at a time. */
export async function bindExtra(
  channel: Channel,
  queue: string,
  exchange: string,
  self: string,
  count: number,
): Promise<void> {
  for (let from = 0; from < count; from += BIND_BATCH) {
    const batch: Promise<unknown>[] = [];
    for (let i = from; i < Math.min(count, from + BIND_BATCH); i++) {
      batch.push(channel.bindQueue(queue, exchange, extraKey(self, i)));
    }
    await Promise.all(batch);
  }
}

/**
 * The routing keys one node's queue is bound with for its rooms: a key is bound when the first
 * room that maps to it gets a member here, unbound when the last such room has none left. The
 * channel carries the requests in order, so an unbind and a bind of the same key never cross.
 */
export class RoomBindings {
  /** key → this node's rooms that map to it, and the bind in flight or done */
  private readonly keys = new Map<string, { rooms: Set<string>; bound: Promise<void> }>();

  constructor(
    private readonly channel: Channel,
    private readonly queue: string,
    private readonly exchange: string,
    private readonly topology: AmqpTopology,
  ) {}

  /** `room` has its first member on this node; resolves once its key is bound (at once with fanout). */
  join(room: string): Promise<void> {
    if (this.topology.kind === 'fanout') return Promise.resolve();
    const key = roomKey(this.topology, room);
    let entry = this.keys.get(key);
    if (entry === undefined) {
      // A closed channel (the node is going, its members with it) answers the join at once.
      const bound = rpc(() => this.channel.bindQueue(this.queue, this.exchange, key));
      this.keys.set(key, (entry = { rooms: new Set(), bound }));
    }
    entry.rooms.add(room);
    return entry.bound;
  }

  /** `room` has no member left on this node. */
  leave(room: string): void {
    if (this.topology.kind === 'fanout') return;
    const key = roomKey(this.topology, room);
    const entry = this.keys.get(key);
    if (entry === undefined || !entry.rooms.delete(room) || entry.rooms.size > 0) return;
    this.keys.delete(key);
    void rpc(() => this.channel.unbindQueue(this.queue, this.exchange, key));
  }

  /** Routing keys bound for rooms now. */
  get size(): number {
    return this.keys.size;
  }
}

/** A channel request that settles either way: a closed channel throws at once, or rejects. */
function rpc(request: () => Promise<unknown>): Promise<void> {
  try {
    return request().then(
      () => {},
      () => {},
    );
  } catch {
    return Promise.resolve();
  }
}
