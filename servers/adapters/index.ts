/**
 * What carries broadcasts between nodes. Each adapter is required only when asked for, so a
 * lone server process loads just its own library.
 */
import type { Server } from 'socket.io';
import type { AdapterOptions } from '../types';

/** Deliveries of one broadcast: clients reached on every node, and the nodes that reported. */
export interface Delivery {
  clients: number;
  /** absent on a lone node */
  nodes?: number;
}

/** Carries ws and SockJS broadcasts to the clients of every node. */
export interface Fanout {
  /** package → version of what it loads */
  readonly versions: Record<string, string>;
  /** Sends `text` (broadcast `seq`) to every client of every node, this one included. */
  publish(seq: number, text: string): Promise<Delivery>;
  /** Nodes synced through it, this one included. */
  servers(): Promise<number>;
  close(): Promise<void>;
}

/** Writes `text` (broadcast `seq`) to this node's open clients; returns how many. */
export type Deliver = (seq: number, text: string) => number;

/** A lone node: deliver here, nothing else. */
export function localFanout(deliver: Deliver): Fanout {
  return {
    versions: {},
    publish: async (seq, text) => ({ clients: deliver(seq, text) }),
    servers: async () => 1,
    close: async () => {},
  };
}

/** Connects ws or SockJS to the others; rejects with `AdapterUnavailableError` when it cannot. */
export async function openFanout(adapter: AdapterOptions, nodeId: string, deliver: Deliver): Promise<Fanout> {
  switch (adapter.kind) {
    case 'none':
      return localFanout(deliver);
    case 'redis':
      return (require('./redis-fanout') as typeof import('./redis-fanout')).RedisFanout.open(adapter, nodeId, deliver);
    default:
      throw new TypeError(`adapter "${adapter.kind}" exists for Socket.IO only; ws and SockJS support none and redis`);
  }
}

/** What syncs a Socket.IO server with the others. */
export interface SocketIoSync {
  /** package → version of what it loads */
  readonly versions: Record<string, string>;
  /** Closes its own connections (Socket.IO closes the adapter itself). */
  close(): Promise<void>;
}

/** Installs the official adapter on `io`; resolves once it is connected and listening. */
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
    case 'postgres':
      return (require('./socketio-postgres') as typeof import('./socketio-postgres')).attach(io, adapter, nodeId);
    case 'cluster':
      return (require('./socketio-cluster') as typeof import('./socketio-cluster')).attachWorker(io);
  }
}
