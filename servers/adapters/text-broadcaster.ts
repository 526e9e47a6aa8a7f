import type { JoinMessage, PublishMessage } from 'artillery-engine-bench/protocol';
import type { AdapterOptions, BroadcastResult, NodeStats } from '../types';
import { deliveryLog, type LogDelivery } from '../delivery-log';
import { broadcastMessage, joinedMessage } from '../messages';
import { Rooms, type TextWriter } from '../rooms';
import { localFanout, openFanout, type Fanout, type Receivers } from './index';

/** How a text-frame server (ws, SockJS) reaches its own clients. */
export interface TextClients<C> extends TextWriter<C> {
  all(): Iterable<C>;
}

/**
 * The broadcasts and room messages of a server whose clients take JSON text frames (ws and
 * SockJS). Broadcasts: numbers them, sends them through the fanout (this node alone, or every
 * node over a broker), writes them to this node's open clients and logs each delivery first.
 * Room messages: writes them to this node's members at once, and through the same fanout to the
 * other nodes' (fire and forget).
 */
export class TextBroadcaster<C> {
  /** this node's rooms; a closed client must `leave()` */
  readonly rooms: Rooms<C>;
  private seq = 0;
  private fanout: Fanout;
  private readonly logDelivery: LogDelivery;
  private readonly receivers: Receivers;

  constructor(
    private readonly clients: TextClients<C>,
    private readonly adapter: AdapterOptions,
    private readonly nodeId: string,
    logDeliveries: boolean,
    firstSeq = 0,
  ) {
    this.seq = firstSeq;
    this.logDelivery = deliveryLog(logDeliveries, nodeId);
    this.rooms = new Rooms(clients, {
      joined: (room) => this.fanout.roomJoined?.(room),
      emptied: (room) => this.fanout.roomLeft?.(room),
    });
    this.receivers = {
      broadcast: (seq, text) => this.deliver(seq, text),
      room: (room, text) => void this.rooms.deliver(room, text, null),
    };
    this.fanout = localFanout(this.receivers);
  }

  /** package → version of what the fanout loads */
  get versions(): Record<string, string> {
    return this.fanout.versions;
  }

  /** Connects to the other nodes (a lone node has nothing to connect). */
  async open(): Promise<void> {
    this.fanout = await openFanout(this.adapter, this.nodeId, this.receivers);
  }

  /** One broadcast to this node's clients only. */
  broadcast(): { seq: number; clients: number } {
    const seq = ++this.seq;
    return { seq, clients: this.deliver(seq, JSON.stringify(broadcastMessage(seq))) };
  }

  /** One broadcast to the clients of every node. */
  async publish(): Promise<BroadcastResult> {
    const seq = ++this.seq;
    return { seq, ...(await this.fanout.publish(seq, JSON.stringify(broadcastMessage(seq)))) };
  }

  /**
   * A client's join (answered `joined` once it is a member) or publish: `text` as the client
   * sent it goes to every member of the room on every node, `client` too unless it asked not.
   */
  onRoomMessage(client: C, message: JoinMessage | PublishMessage, text: string): void {
    if (message.type === 'join') {
      const joined = () => this.clients.write(client, JSON.stringify(joinedMessage(message.room)));
      const bound = this.rooms.join(client, message.room);
      if (bound === undefined) joined();
      else void bound.then(() => this.clients.isOpen(client) && joined());
      return;
    }
    this.fanout.publishRoom(message.room, text);
    this.rooms.deliver(message.room, text, message.x === 1 ? client : null);
  }

  async stats(clients: number): Promise<NodeStats> {
    const rooms = this.rooms.stats();
    return {
      nodeId: this.nodeId,
      pid: process.pid,
      clients,
      servers: await this.fanout.servers(),
      ...(rooms && { rooms }),
    };
  }

  close(): Promise<void> {
    return this.fanout.close();
  }

  /**
   * Writes `text` (broadcast `seq`) to every open client of this node; returns how many. Logged
   * first: a node killed in between has promised deliveries it never made, which count as lost.
   */
  private deliver(seq: number, text: string): number {
    const { clients } = this;
    let open = 0;
    for (const c of clients.all()) if (clients.isOpen(c)) open++;
    this.logDelivery(seq, open);
    let written = 0;
    for (const c of clients.all()) {
      if (!clients.isOpen(c)) continue;
      clients.write(c, text);
      written++;
    }
    return written;
  }
}
