import type { Lib } from 'artillery-engine-bench/protocol';
import type { AdapterOptions, BenchServer, ServerFactory, ServerOptions } from './types';

export * from './types';

/**
 * One entry per library. Each module is required only when asked for, so a server process
 * loads just its own library and its idle memory is that library's alone.
 */
const FACTORIES: Record<Lib, () => ServerFactory> = {
  ws: () => (require('./ws') as typeof import('./ws')).create,
  socketio: () => (require('./socketio') as typeof import('./socketio')).create,
  sockjs: () => (require('./sockjs') as typeof import('./sockjs')).create,
};

/** Adapters each library can be synced by. */
export const ADAPTERS_OF: Record<Lib, readonly AdapterOptions['kind'][]> = {
  ws: ['none', 'redis', 'amqp', 'nats'],
  sockjs: ['none', 'redis', 'amqp', 'nats'],
  socketio: ['none', 'redis', 'redis-streams', 'postgres', 'amqp', 'nats', 'cluster'],
};

/**
 * The server for `lib`. With the cluster adapter, this process becomes the cluster's primary,
 * which starts the Socket.IO workers itself.
 */
export function createServer(lib: Lib, options: ServerOptions): BenchServer {
  const kind = options.adapter?.kind ?? 'none';
  if (!ADAPTERS_OF[lib].includes(kind)) {
    throw new TypeError(`adapter "${kind}" does not apply to ${lib}; it supports ${ADAPTERS_OF[lib].join(', ')}`);
  }
  if (options.adapter?.kind === 'cluster') {
    const { ClusterPrimary } = require('./adapters/cluster-primary') as typeof import('./adapters/cluster-primary');
    return new ClusterPrimary({ ...options, adapter: options.adapter });
  }
  return FACTORIES[lib]()(options);
}
