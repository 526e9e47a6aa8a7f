import { createAdapter } from '@socket.io/cluster-adapter';
import { setupWorker } from '@socket.io/sticky';
import type { Server } from 'socket.io';
import { versionsOf } from '../versions';
import type { SocketIoSync } from './types';

/** Packages a Socket.IO cluster runs on, primary and workers alike. */
export const CLUSTER_VERSIONS: readonly (readonly string[])[] = [['@socket.io/cluster-adapter'], ['@socket.io/sticky']];

/**
 * One worker of a cluster: the official cluster adapter (messages through the primary over
 * IPC), and connections handed over by the primary, sticky by session (`cluster-primary.ts`).
 */
export async function attachWorker(io: Server): Promise<SocketIoSync> {
  io.adapter(createAdapter());
  setupWorker(io);
  return { versions: versionsOf(CLUSTER_VERSIONS), close: async () => {} };
}
