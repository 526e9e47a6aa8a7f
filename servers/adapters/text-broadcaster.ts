import type { AdapterOptions, BroadcastResult, NodeStats } from '../types';
import { deliveryLog, type LogDelivery } from '../delivery-log';
import { broadcastMessage } from '../messages';
import { localFanout, openFanout, type Fanout } from './index';

/** How a text-frame server (ws, SockJS) reaches its own clients. */
export interface TextClients<C> {
  all(): Iterable<C>;
  isOpen(client: C): boolean;
  write(client: C, text: string): void;
}

/**
 * The broadcasts of a server whose clients take JSON text frames (ws and SockJS): numbers them,
 * sends them through the fanout (this node alone, or every node over Redis), writes them to this
 * node's open clients and logs each delivery first.
 */
export class TextBroadcaster<C> {
  private seq = 0;
  private fanout: Fanout;
  private readonly logDelivery: LogDelivery;

  constructor(
    private readonly clients: TextClients<C>,
    private readonly adapter: AdapterOptions,
    private readonly nodeId: string,
    logDeliveries: boolean,
    firstSeq = 0,
  ) {
    this.seq = firstSeq;
    this.logDelivery = deliveryLog(logDeliveries, nodeId);
    this.fanout = localFanout((seq, text) => this.deliver(seq, text));
  }

  /** package → version of what the fanout loads */
  get versions(): Record<string, string> {
    return this.fanout.versions;
  }

  /** Connects to the other nodes (a lone node has nothing to connect). */
  async open(): Promise<void> {
    this.fanout = await openFanout(this.adapter, this.nodeId, (seq, text) => this.deliver(seq, text));
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

  async stats(clients: number): Promise<NodeStats> {
    return { nodeId: this.nodeId, pid: process.pid, clients, servers: await this.fanout.servers() };
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
