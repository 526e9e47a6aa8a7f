import type { Server } from 'socket.io';
import { MessageType, type ClusterMessage } from 'socket.io-adapter';
import type { AdapterOptions, AmqpTopology } from '../types';
import { versionsOf } from '../versions';
import type { SocketIoSync } from './types';
import { closeAmqp, connectAmqp } from './amqp-client';
import { BROADCAST_KEY, bindExtra, exchangeName, exchangeType, FANOUT, RoomBindings, roomKey } from './amqp-topology';
import { brokerAdapter } from './socketio-broker';

/**
 * Our Socket.IO adapter on RabbitMQ (socketio-broker.ts says why not a community one): one
 * exchange `bench.<key>.sio` (auto-delete), each node's queue (exclusive, auto-delete,
 * server-named) bound to it. Responses go through it too: they are rare (fetchSockets,
 * serverSideEmit, acks) and a node drops those to requests not its own, as `onResponse` does
 * with unknown request ids. Nothing outlives a run: exclusive queues go with their node's
 * connection, the exchange with its last binding.
 *
 * With --amqp-topology routing or prefix:N (amqp-topology.ts) the exchange is a direct one: a
 * broadcast to exactly one room without an ack goes with that room's key, to the nodes with
 * sockets in it (this node binds the key at a socket's join, before the join resolves);
 * everything else (heartbeats, broadcasts to all or to several rooms, acks, fetchSockets,
 * serverSideEmit) goes with the key `all`, which every node binds.
 */
export async function attach(
  io: Server,
  o: Extract<AdapterOptions, { kind: 'amqp' }>,
  nodeId: string,
): Promise<SocketIoSync> {
  const topology = o.topology ?? FANOUT;
  const exchange = exchangeName(`bench.${o.key}.sio`, topology);
  const { connection, channel } = await connectAmqp(o.url, `${exchange}.${nodeId}`);
  const send = (key: string, payload: Uint8Array) => {
    try {
      channel.publish(exchange, key, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
    } catch {
      // the channel is closed: the others count this node out by its missing heartbeats
    }
  };
  let bindings: RoomBindings | null = null;
  const adapter = brokerAdapter({
    publish: (payload, message) => send(keyOf(topology, message), payload),
    publishResponse: (_uid, payload) => send(BROADCAST_KEY, payload),
    ...(topology.kind !== 'fanout' && {
      rooms: { joined: (room) => bindings?.join(room), emptied: (room) => bindings?.leave(room) },
    }),
  });
  try {
    await channel.assertExchange(exchange, exchangeType(topology), { durable: false, autoDelete: true });
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await channel.bindQueue(queue, exchange, BROADCAST_KEY);
    await bindExtra(channel, queue, exchange, nodeId, o.extraBindings ?? 0);
    bindings = new RoomBindings(channel, queue, exchange, topology);
    await channel.consume(queue, (m) => m && adapter.dispatch(m.content), { noAck: true });
    io.adapter(adapter.create as unknown as Parameters<Server['adapter']>[0]);
    // Socket.IO 4.8 does not init an adapter set on an existing namespace: announce this node now.
    void io.of('/').adapter.init();
  } catch (err) {
    await closeAmqp(connection);
    throw err;
  }
  return {
    versions: versionsOf([['socket.io-adapter'], ['amqplib']]),
    close: () => closeAmqp(connection),
  };
}

/** The routing key of a cluster message: its room's, for a plain broadcast to one room; else `all`. */
function keyOf(topology: AmqpTopology, message: ClusterMessage): string {
  if (topology.kind === 'fanout' || message.type !== MessageType.BROADCAST) return BROADCAST_KEY;
  const { opts, requestId } = message.data;
  return opts.rooms.length === 1 && requestId === undefined ? roomKey(topology, opts.rooms[0]!) : BROADCAST_KEY;
}
