import { randomBytes } from 'node:crypto';
import type { Channel, ChannelModel } from 'amqplib';
import type { AdapterOptions } from '../types';
import { versionsOf } from '../versions';
import type { Fanout, Receivers } from './types';
import { PresenceFanout } from './fanout-reports';
import { closeAmqp, connectAmqp } from './amqp-client';

/**
 * ws and SockJS nodes broadcast through RabbitMQ, with redis-fanout.ts's messages and counting:
 *
 * - exchange `bench.<key>.broadcast` (fanout, auto-delete): each node binds its own queue
 *   (exclusive, auto-delete, server-named) to it. The publisher sends an `Envelope`; every node,
 *   the publisher included, writes its text to its own clients, then reports back. Room messages
 *   travel here too (`RoomEnvelope`, fire and forget), skipped by the node that sent them.
 * - queue `bench.<key>.delivered.<random id>` (exclusive, auto-delete): one per node, where it
 *   gets reports on what it published, sent to it through the default exchange.
 *
 * RabbitMQ does not say how many queues a message reached, so the nodes say hello on the
 * exchange every second (`Presence`) and the publisher waits for as many reports as it knows
 * nodes. Nothing outlives a run: exclusive queues go with their node's connection (a node killed
 * outright too, once RabbitMQ sees its socket close), and the exchange with its last binding.
 */
export class AmqpFanout extends PresenceFanout implements Fanout {
  readonly versions = versionsOf([['amqplib']]);

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
    private readonly exchange: string,
    replyTo: string,
    self: string,
    receivers: Receivers,
  ) {
    super(self, replyTo, receivers);
  }

  static async open(
    o: Extract<AdapterOptions, { kind: 'amqp' }>,
    nodeId: string,
    receivers: Receivers,
  ): Promise<AmqpFanout> {
    const prefix = `bench.${o.key}`;
    const { connection, channel } = await connectAmqp(o.url, `${prefix}.${nodeId}`);
    try {
      const self = randomBytes(6).toString('hex');
      const exchange = `${prefix}.broadcast`;
      const replyTo = `${prefix}.delivered.${self}`;
      const fanout = new AmqpFanout(connection, channel, exchange, replyTo, self, receivers);
      await channel.assertExchange(exchange, 'fanout', { durable: false, autoDelete: true });
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
      await channel.bindQueue(queue, exchange, '');
      await channel.assertQueue(replyTo, { exclusive: true, autoDelete: true, durable: false });
      await channel.consume(queue, (m) => m && fanout.onBroadcast(m.content.toString()), { noAck: true });
      await channel.consume(replyTo, (m) => m && fanout.pending.onReport(m.content.toString()), { noAck: true });
      fanout.presence.start();
      return fanout;
    } catch (err) {
      await closeAmqp(connection);
      throw err;
    }
  }

  /** Publishes on the exchange; throws when the channel is closed. */
  protected send(message: string): void {
    this.channel.publish(this.exchange, '', Buffer.from(message));
  }

  protected reply(to: string, report: string): void {
    this.channel.sendToQueue(to, Buffer.from(report));
  }

  protected closeConnection(): Promise<void> {
    return closeAmqp(this.connection);
  }
}
