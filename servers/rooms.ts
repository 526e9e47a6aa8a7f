import type { NodeStats } from './types';

/** How a text-frame server (ws, SockJS) writes to one of its clients. */
export interface TextWriter<C> {
  isOpen(client: C): boolean;
  write(client: C, text: string): void;
}

export type RoomStats = NonNullable<NodeStats['rooms']>;

/** What else a node does as its rooms change (an adapter that routes by room binds and unbinds). */
export interface RoomHooks {
  /** a member joined `room` here; a promise: the join is answered once it resolves */
  joined(room: string): Promise<void> | undefined;
  /** `room` has no member left here */
  emptied(room: string): void;
}

/**
 * The rooms of a ws or SockJS node, as an app on those libraries keeps them (Socket.IO has its
 * own): room name → this node's connections in it. A closed connection leaves its rooms, and an
 * empty room is forgotten. Counts every room message it writes.
 */
export class Rooms<C> {
  private readonly members = new Map<string, Set<C>>();
  /** each member's rooms, so that leaving is one lookup */
  private readonly roomsOf = new Map<C, string[]>();
  private writes = 0;
  private joinedAny = false;

  constructor(
    private readonly clients: TextWriter<C>,
    private readonly hooks: RoomHooks | null = null,
  ) {}

  /** Makes `client` a member of `room`; a promise when the join should be answered once it resolves. */
  join(client: C, room: string): Promise<void> | undefined {
    this.joinedAny = true;
    let members = this.members.get(room);
    if (members === undefined) this.members.set(room, (members = new Set()));
    if (!members.has(client)) {
      members.add(client);
      const rooms = this.roomsOf.get(client);
      if (rooms === undefined) this.roomsOf.set(client, [room]);
      else rooms.push(room);
    }
    return this.hooks?.joined(room);
  }

  /** A closed connection leaves every room it was in. */
  leave(client: C): void {
    const rooms = this.roomsOf.get(client);
    if (rooms === undefined) return;
    this.roomsOf.delete(client);
    for (const room of rooms) {
      const members = this.members.get(room);
      members?.delete(client);
      if (members?.size === 0) {
        this.members.delete(room);
        this.hooks?.emptied(room);
      }
    }
  }

  /** Writes `text` to this node's open members of `room`, but `except`; returns how many. */
  deliver(room: string, text: string, except: C | null): number {
    const members = this.members.get(room);
    if (members === undefined) return 0;
    let written = 0;
    for (const c of members) {
      if (c === except || !this.clients.isOpen(c)) continue;
      this.clients.write(c, text);
      written++;
    }
    this.writes += written;
    return written;
  }

  /** Members per room and room messages written; undefined before any client joined a room. */
  stats(): RoomStats | undefined {
    if (!this.joinedAny) return undefined;
    const members: Record<string, number> = {};
    for (const [room, set] of this.members) members[room] = set.size;
    return { members, writes: this.writes };
  }
}
