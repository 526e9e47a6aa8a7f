import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import type { AdapterOptions } from '../types';
import { versionsOf } from '../versions';
import type { Fanout, Receivers } from './types';
import { PresenceFanout } from './fanout-reports';
import { closeNats, connectNats } from './nats-client';

/**
 * ws and SockJS nodes broadcast through NATS core pub/sub, with redis-fanout.ts's messages and
 * counting. Subjects, all under `bench.<key>.`:
 *
 * - `broadcast`: every node subscribes. The publisher sends an `Envelope`; every node, the
 *   publisher included, writes its text to its own clients, then reports back. Room messages
 *   travel here too (`RoomEnvelope`, fire and forget), skipped by the node that sent them.
 * - `delivered.<random id>`: one per node, where it gets reports on what it published.
 *
 * NATS does not say how many subscribers a message reached, so the nodes say hello on
 * `broadcast` every second (`Presence`) and the publisher waits for as many reports as it knows
 * nodes. One connection carries both: NATS keeps one publisher's messages in order. Core NATS
 * stores nothing (no JetStream), so a run leaves nothing on the server.
 */
export class NatsFanout extends PresenceFanout implements Fanout {
  readonly versions = versionsOf([['@nats-io/transport-node'], ['@nats-io/transport-node', '@nats-io/nats-core']]);

  private constructor(
    private readonly nc: NatsConnection,
    private readonly subject: string,
    replyTo: string,
    self: string,
    receivers: Receivers,
  ) {
    super(self, replyTo, receivers);
  }

  static async open(
    o: Extract<AdapterOptions, { kind: 'nats' }>,
    nodeId: string,
    receivers: Receivers,
  ): Promise<NatsFanout> {
    const prefix = `bench.${o.key}`;
    const nc = await connectNats(o.url, `${prefix}.${nodeId}`);
    const self = randomBytes(6).toString('hex');
    const fanout = new NatsFanout(nc, `${prefix}.broadcast`, `${prefix}.delivered.${self}`, self, receivers);
    try {
      nc.subscribe(fanout.subject, { callback: (err, m) => void (err ?? fanout.onBroadcast(m.string())) });
      nc.subscribe(fanout.replyTo, { callback: (err, m) => void (err ?? fanout.pending.onReport(m.string())) });
      // The subscriptions are the server's once it answered a round trip.
      await nc.flush();
    } catch (err) {
      // an open connection would keep the process alive after its error
      await closeNats(nc);
      throw err;
    }
    fanout.presence.start();
    return fanout;
  }

  /** Publishes on the broadcast subject; throws when the connection is closed. */
  protected send(message: string): void {
    this.nc.publish(this.subject, message);
  }

  protected reply(to: string, report: string): void {
    this.nc.publish(to, report);
  }

  protected closeConnection(): Promise<void> {
    return closeNats(this.nc);
  }
}
