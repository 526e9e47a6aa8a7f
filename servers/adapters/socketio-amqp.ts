import type { Server } from 'socket.io';
import type { AdapterOptions } from '../types';
import { versionsOf } from '../versions';
import type { SocketIoSync } from './types';
import { closeAmqp, connectAmqp } from './amqp-client';
import { brokerAdapter } from './socketio-broker';

/**
 * Our Socket.IO adapter on RabbitMQ (socketio-broker.ts says why not a community one): one
 * fanout exchange `bench.<key>.sio` (auto-delete), each node's queue (exclusive, auto-delete,
 * server-named) bound to it. Responses go through it too: they are rare (fetchSockets,
 * serverSideEmit, acks) and a node drops those to requests not its own, as `onResponse` does
 * with unknown request ids. Nothing outlives a run: exclusive queues go with their node's
 * connection, the exchange with its last binding.
 */
export async function attach(
  io: Server,
  o: Extract<AdapterOptions, { kind: 'amqp' }>,
  nodeId: string,
): Promise<SocketIoSync> {
  const exchange = `bench.${o.key}.sio`;
  const { connection, channel } = await connectAmqp(o.url, `${exchange}.${nodeId}`);
  const send = (payload: Uint8Array) => {
    try {
      channel.publish(exchange, '', Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
    } catch {
      // the channel is closed: the others count this node out by its missing heartbeats
    }
  };
  const adapter = brokerAdapter({ publish: send, publishResponse: (_uid, payload) => send(payload) });
  try {
    await channel.assertExchange(exchange, 'fanout', { durable: false, autoDelete: true });
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await channel.bindQueue(queue, exchange, '');
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
