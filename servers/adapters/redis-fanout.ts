import { randomBytes } from 'node:crypto';
import type { AdapterOptions } from '../types';
import { versionsOf } from '../versions';
import type { Delivery, Fanout, Receivers } from './types';
import { deliverEnvelope, PendingReports, RoomEnvelopes, type Envelope } from './fanout-reports';
import { closeRedis, connectPair, type RedisClient } from './redis-client';

/**
 * ws and SockJS nodes broadcast through Redis pub/sub: the like-for-like counterpart of
 * Socket.IO's Redis adapter. Channels, all under `bench:<key>:`:
 *
 * - `broadcast`: every node subscribes. The publisher sends an `Envelope`; every node, the
 *   publisher included, writes its text to its own clients, then reports back. Room messages
 *   travel here too (`RoomEnvelope`, fire and forget), skipped by the node that sent them.
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
  private readonly rooms: RoomEnvelopes;

  private constructor(
    private readonly pub: RedisClient,
    private readonly sub: RedisClient,
    private readonly channel: string,
    private readonly replyTo: string,
    self: string,
    private readonly receivers: Receivers,
  ) {
    this.rooms = new RoomEnvelopes(self, receivers.room);
  }

  static async open(
    o: Extract<AdapterOptions, { kind: 'redis' }>,
    nodeId: string,
    receivers: Receivers,
  ): Promise<RedisFanout> {
    const prefix = `bench:${o.key}`;
    const { pub, sub } = await connectPair(o.url, prefix, nodeId);
    const self = randomBytes(6).toString('hex');
    const fanout = new RedisFanout(pub, sub, `${prefix}:broadcast`, `${prefix}:delivered:${self}`, self, receivers);
    await sub.subscribe(fanout.channel, (message) => fanout.onBroadcast(message));
    await sub.subscribe(fanout.replyTo, (message) => fanout.onReport(message));
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

  publishRoom(room: string, text: string): void {
    // A lost one shows as members of the other nodes that never got it; nothing to do here.
    this.pub.publish(this.channel, this.rooms.wrap(room, text)).catch(() => {});
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
    if (this.rooms.onMessage(message)) return;
    const { envelope, report } = deliverEnvelope(message, this.receivers.broadcast);
    // A lost report shows as a node missing from the publisher's answer; nothing to do here.
    this.pub.publish(envelope.replyTo, report).catch(() => {});
  }

  private onReport(message: string): void {
    this.pending.onReport(message);
  }
}
