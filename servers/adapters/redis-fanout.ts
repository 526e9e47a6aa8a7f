import { randomBytes } from 'node:crypto';
import type { AdapterOptions } from '../types';
import { versionsOf } from '../versions';
import type { Deliver, Delivery, Fanout } from './types';
import { closeRedis, connectPair, type RedisClient } from './redis-client';

/** How long a publisher waits for every node to report its deliveries (ms), as Socket.IO's adapters do. */
const ACK_TIMEOUT_MS = 5_000;

/** A broadcast on its way through Redis. */
interface Envelope {
  seq: number;
  /** the bytes every client gets, stamped once by the publisher */
  text: string;
  /** the publisher's channel for the nodes' reports */
  replyTo: string;
}

/** One node's report: how many clients it sent broadcast `seq` to. */
interface Report {
  seq: number;
  clients: number;
}

interface Pending {
  /** nodes that received the broadcast (PUBLISH's answer), once known */
  expected: number | null;
  reports: number;
  clients: number;
  resolve: (d: Delivery) => void;
  timer: NodeJS.Timeout;
}

/**
 * ws and SockJS nodes broadcast through Redis pub/sub: the like-for-like counterpart of
 * Socket.IO's Redis adapter. Channels, all under `bench:<key>:`:
 *
 * - `broadcast`: every node subscribes. The publisher sends an `Envelope`; every node, the
 *   publisher included, writes its text to its own clients, then reports back.
 * - `delivered:<random id>`: one per node, where it gets reports on what it published.
 *
 * PUBLISH answers how many nodes received a broadcast, so the publisher knows how many reports
 * to wait for, and their sum is exactly how many clients the broadcast was sent to, even while
 * clients come and go. Nothing is stored in Redis: a node killed outright leaves only its
 * connections, which Redis drops along with their subscriptions.
 */
export class RedisFanout implements Fanout {
  readonly versions = versionsOf([['redis'], ['redis', '@redis/client']]);
  private readonly pending = new Map<number, Pending>();

  private constructor(
    private readonly pub: RedisClient,
    private readonly sub: RedisClient,
    private readonly channel: string,
    private readonly replyTo: string,
    private readonly deliver: Deliver,
  ) {}

  static async open(
    o: Extract<AdapterOptions, { kind: 'redis' }>,
    nodeId: string,
    deliver: Deliver,
  ): Promise<RedisFanout> {
    const prefix = `bench:${o.key}`;
    const { pub, sub } = await connectPair(o.url, prefix, nodeId);
    const replyTo = `${prefix}:delivered:${randomBytes(6).toString('hex')}`;
    const fanout = new RedisFanout(pub, sub, `${prefix}:broadcast`, replyTo, deliver);
    await sub.subscribe(fanout.channel, (message) => fanout.onBroadcast(message));
    await sub.subscribe(replyTo, (message) => fanout.onReport(message));
    return fanout;
  }

  publish(seq: number, text: string): Promise<Delivery> {
    return new Promise((resolve, reject) => {
      const entry: Pending = {
        expected: null,
        reports: 0,
        clients: 0,
        resolve,
        timer: setTimeout(() => this.settle(seq), ACK_TIMEOUT_MS),
      };
      // Registered before PUBLISH: our own report can arrive before PUBLISH answers.
      this.pending.set(seq, entry);
      const envelope: Envelope = { seq, text, replyTo: this.replyTo };
      this.pub.publish(this.channel, JSON.stringify(envelope)).then(
        (receivers) => {
          entry.expected = receivers;
          if (entry.reports >= receivers) this.settle(seq);
        },
        (err: unknown) => {
          clearTimeout(entry.timer);
          this.pending.delete(seq);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  async servers(): Promise<number> {
    const reply = (await this.pub.sendCommand(['PUBSUB', 'NUMSUB', this.channel])) as [string, number | string];
    return Number(reply[1]);
  }

  async close(): Promise<void> {
    for (const seq of [...this.pending.keys()]) this.settle(seq);
    await Promise.all([closeRedis(this.sub), closeRedis(this.pub)]);
  }

  private onBroadcast(message: string): void {
    const envelope = JSON.parse(message) as Envelope;
    const report: Report = { seq: envelope.seq, clients: this.deliver(envelope.seq, envelope.text) };
    // A lost report shows as a node missing from the publisher's answer; nothing to do here.
    this.pub.publish(envelope.replyTo, JSON.stringify(report)).catch(() => {});
  }

  private onReport(message: string): void {
    const report = JSON.parse(message) as Report;
    const entry = this.pending.get(report.seq);
    if (entry === undefined) return;
    entry.reports += 1;
    entry.clients += report.clients;
    if (entry.expected !== null && entry.reports >= entry.expected) this.settle(report.seq);
  }

  /** Answers with the reports so far: all of them, or those in by the timeout. */
  private settle(seq: number): void {
    const entry = this.pending.get(seq);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.pending.delete(seq);
    entry.resolve({ clients: entry.clients, nodes: entry.reports });
  }
}
