import { randomBytes } from 'node:crypto';
import type { Channel, ChannelModel } from 'amqplib';
import type { AdapterOptions, AmqpTopology } from '../types';
import { versionsOf } from '../versions';
import type { Fanout, Receivers } from './types';
import { PresenceFanout } from './fanout-reports';
import { closeAmqp, connectAmqp } from './amqp-client';
import { BROADCAST_KEY, bindExtra, exchangeName, exchangeType, FANOUT, RoomBindings, roomKey } from './amqp-topology';

/**
 * ws and SockJS nodes broadcast through RabbitMQ, with redis-fanout.ts's messages and counting:
 *
 * - exchange `bench.<key>.broadcast` (auto-delete; with --amqp-topology routing or prefix:N a
 *   direct one, named for its layout: amqp-topology.ts): each node binds its own queue
 *   (exclusive, auto-delete, server-named) to it. The publisher sends an `Envelope`; every node,
 *   the publisher included, writes its text to its own clients, then reports back. Room messages
 *   travel here too (`RoomEnvelope`, fire and forget), skipped by the node that sent them; with
 *   routing or prefix:N they go with their room's key, and reach only the nodes that bound it.
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
  private bindings: RoomBindings | null = null;

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
    private readonly exchange: string,
    private readonly topology: AmqpTopology,
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
      const topology = o.topology ?? FANOUT;
      const exchange = exchangeName(`${prefix}.broadcast`, topology);
      const replyTo = `${prefix}.delivered.${self}`;
      const fanout = new AmqpFanout(connection, channel, exchange, topology, replyTo, self, receivers);
      await channel.assertExchange(exchange, exchangeType(topology), { durable: false, autoDelete: true });
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
      await channel.bindQueue(queue, exchange, BROADCAST_KEY);
      await bindExtra(channel, queue, exchange, self, o.extraBindings ?? 0);
      fanout.bindings = new RoomBindings(channel, queue, exchange, topology);
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

  /** Publishes on the exchange, to every node; throws when the channel is closed. */
  protected send(message: string): void {
    this.channel.publish(this.exchange, BROADCAST_KEY, Buffer.from(message));
  }

  /** Publishes with the room's key: to the nodes that have members in it (every node with fanout). */
  protected override sendRoom(room: string, message: string): void {
    this.channel.publish(this.exchange, roomKey(this.topology, room), Buffer.from(message));
  }

  roomJoined(room: string): Promise<void> | undefined {
    return this.topology.kind === 'fanout' ? undefined : this.bindings?.join(room);
  }

  roomLeft(room: string): void {
    this.bindings?.leave(room);
  }

  protected reply(to: string, report: string): void {
    this.channel.sendToQueue(to, Buffer.from(report));
  }

  protected closeConnection(): Promise<void> {
    return closeAmqp(this.connection);
  }
}
