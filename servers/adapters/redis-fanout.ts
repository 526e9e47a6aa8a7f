import { randomBytes } from 'node:crypto';
import type { AdapterOptions } from '../types';
import { versionsOf } from '../versions';
import type { Deliver, Delivery, Fanout } from './types';
import { deliverEnvelope, PendingReports, type Envelope } from './fanout-reports';
import { closeRedis, connectPair, type RedisClient } from './redis-client';

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
  private readonly pending = new PendingReports();

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
    // Opened before PUBLISH: our own report can arrive before PUBLISH answers.
    const { delivery, expect } = this.pending.open(seq);
    const envelope: Envelope = { seq, text, replyTo: this.replyTo };
    return this.pub.publish(this.channel, JSON.stringify(envelope)).then(
      (receivers) => {
        expect(receivers);
        return delivery;
      },
      (err: unknown) => {
        this.pending.drop(seq);
        throw err instanceof Error ? err : new Error(String(err));
      },
    );
  }

  async servers(): Promise<number> {
    const reply = (await this.pub.sendCommand(['PUBSUB', 'NUMSUB', this.channel])) as [string, number | string];
    return Number(reply[1]);
  }

  async close(): Promise<void> {
    this.pending.settleAll();
    await Promise.all([closeRedis(this.sub), closeRedis(this.pub)]);
  }

  private onBroadcast(message: string): void {
    const { envelope, report } = deliverEnvelope(message, this.deliver);
    // A lost report shows as a node missing from the publisher's answer; nothing to do here.
    this.pub.publish(envelope.replyTo, report).catch(() => {});
  }

  private onReport(message: string): void {
    this.pending.onReport(message);
  }
}
