/** The rooms scenario's part of the wire protocol (protocol.ts re-exports it). */

/**
 * Rooms scenario: sent by a main client once its `welcome` arrived (and again after every
 * reconnect): put me in this room. The server answers `joined` once it has.
 */
export interface JoinMessage {
  type: 'join';
  room: string;
}

/** The server's answer to `join`: the client is a member of `room` now. */
export interface JoinedMessage {
  type: 'joined';
  room: string;
}

/**
 * Rooms scenario: sent by a room member on its schedule. The server sends this same message,
 * unchanged, to every member of `room` on every node (through the adapter), the sender included
 * unless `x` is 1 (Socket.IO: `io.to(room)`, with `x` `socket.to(room)`). Members receive it as
 * it was published, so `t` and `s` are the publisher's stamps.
 */
export interface PublishMessage {
  type: 'publish';
  room: string;
  /** the publishing client, unique in the run (`<pid>.<threadId>.<n>`) */
  from: string;
  /** the publisher's own count, from 1, one per message it publishes */
  seq: number;
  /** when the publisher's schedule said to send it (ms since epoch, fractional) */
  t: number;
  /** when the publisher actually sent it (same clock) */
  s: number;
  /** 1: to everyone in the room but the sender */
  x?: 1;
  /** padding, so the message is `RoomsConfig.messageBytes` long */
  p?: string;
}

/**
 * The room main client number `k` of the run (0-based, across generators) joins: rooms fill one
 * after another, `roomSize` consecutive clients each. Consecutive clients go to different nodes
 * (round robin, behind a balancer or with --spread client), so every room spans the nodes.
 */
export function roomOf(k: number, roomSize: number): string {
  return `r${Math.floor(k / roomSize)}`;
}

/** The shape of the rooms scenario (bench run --scenario rooms). */
export interface RoomsConfig {
  /** members per room; main client k joins `roomOf(k, roomSize)` (the last room takes the remainder) */
  roomSize: number;
  /** every member publishes one message every this many ms while the `hold` phase runs (random first offset) */
  publishEveryMs: number;
  /** length of each published message's JSON text (bytes), padded with `p` */
  messageBytes: number;
  /** publish to everyone in the room but the sender (`x: 1`) */
  exceptSender: boolean;
}

/** Per room name: messages published to it by this engine's members, and received by them. */
export interface RoomCounts {
  published: Record<string, number>;
  received: Record<string, number>;
}
