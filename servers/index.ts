import type { Lib } from 'artillery-engine-bench/protocol';
import type { BenchServer, ServerFactory, ServerOptions } from './types';

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

export function createServer(lib: Lib, options: ServerOptions): BenchServer {
  return FACTORIES[lib]()(options);
}
