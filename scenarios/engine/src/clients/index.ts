import type { Lib } from '../protocol';
import { socketioAdapter } from './socketio';
import { sockjsAdapter } from './sockjs';
import type { ClientAdapter } from './types';
import { wsAdapter } from './ws';

export type { BenchClient, ClientAdapter, ClientHandlers, ClientOptions } from './types';

/** Adding a library means adding a file and a line here. */
export const ADAPTERS: Record<Lib, ClientAdapter> = {
  ws: wsAdapter,
  socketio: socketioAdapter,
  sockjs: sockjsAdapter,
};
