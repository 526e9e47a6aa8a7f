/**
 * What carries broadcasts between nodes. Each adapter is required only when asked for, so a
 * lone server process loads just its own library.
 */
import type { Server } from 'socket.io';
import type { AdapterOptions } from '../types';
import type { Fanout, Receivers, SocketIoSync } from './types';

// The adapters import these from './types', never from here: this file requires them.
export type { Deliver, DeliverRoom, Delivery, Fanout, Receivers, SocketIoSync } from './types';

/** A lone node: deliver here, nothing else. */
export function localFanout(receivers: Receivers): Fanout {
  return {
    versions: {},
    publish: async (seq, text) => ({ clients: receivers.broadcast(seq, text) }),
    publishRoom: () => {},
    servers: async () => 1,
    close: async () => {},
  };
}

/** Connects ws or SockJS to the others; rejects with `AdapterUnavailableError` when it cannot. */
export async function openFanout(adapter: AdapterOptions, nodeId: string, receivers: Receivers): Promise<Fanout> {
  switch (adapter.kind) {
    case 'none':
      return localFanout(receivers);
    case 'redis':
      return (require('./redis-fanout') as typeof import('./redis-fanout')).RedisFanout.open(
        adapter,
        nodeId,
        receivers,
      );
    case 'amqp':
      return (require('./amqp-fanout') as typeof import('./amqp-fanout')).AmqpFanout.open(adapter, nodeId, receivers);
    case 'nats':
      return (require('./nats-fanout') as typeof import('./nats-fanout')).NatsFanout.open(adapter, nodeId, receivers);
    default:
      throw new TypeError(
        `adapter "${adapter.kind}" exists for Socket.IO only; ws and SockJS support none, redis, amqp and nats`,
      );
  }
}

/** Installs the adapter on `io` (official where there is one); resolves once it is connected and listening. */
export async function attachSocketIoAdapter(
  io: Server,
  adapter: AdapterOptions,
  nodeId: string,
): Promise<SocketIoSync> {
  switch (adapter.kind) {
    case 'none':
      return { versions: {}, close: async () => {} };
    case 'redis':
      return (require('./socketio-redis') as typeof import('./socketio-redis')).attach(io, adapter, nodeId);
    case 'redis-streams':
      return (require('./socketio-redis-streams') as typeof import('./socketio-redis-streams')).attach(
        io,
        adapter,
        nodeId,
      );
    case 'postgres':
      return (require('./socketio-postgres') as typeof import('./socketio-postgres')).attach(io, adapter, nodeId);
    case 'amqp':
      return (require('./socketio-amqp') as typeof import('./socketio-amqp')).attach(io, adapter, nodeId);
    case 'nats':
      return (require('./socketio-nats') as typeof import('./socketio-nats')).attach(io, adapter, nodeId);
    case 'cluster':
      return (require('./socketio-cluster') as typeof import('./socketio-cluster')).attachWorker(io);
  }
}
