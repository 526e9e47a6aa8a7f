import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Server } from 'socket.io';
import type { AdapterOptions } from '../types';
import { versionsOf } from '../versions';
import type { SocketIoSync } from './types';
import { closeRedis, connectRedis, ignoreRedisLoss } from './redis-client';

/** The stream run `key`'s nodes share; it outlives them (runner/topology/redis-leftovers.ts removes it). */
export function streamNameOf(key: string): string {
  return `bench:${key}:stream`;
}

/**
 * The Redis streams adapter: broadcasts go through one stream (XADD, read back with a blocking
 * XREAD from the last id seen), so a node that loses Redis reads on from where it stopped
 * instead of missing what was published meanwhile. Its stream and channels live under
 * `bench:<key>`, so nodes of different runs never meet.
 */
export async function attach(
  io: Server,
  o: Extract<AdapterOptions, { kind: 'redis-streams' }>,
  nodeId: string,
): Promise<SocketIoSync> {
  const prefix = `bench:${o.key}`;
  const client = await connectRedis(o.url, `${prefix}:${nodeId}:streams`);
  process.on('unhandledRejection', ignoreRedisLoss);
  io.adapter(createAdapter(client, { streamName: streamNameOf(o.key), channelPrefix: prefix }));
  return {
    versions: versionsOf([['@socket.io/redis-streams-adapter'], ['redis'], ['redis', '@redis/client']]),
    // The adapter's own reading client is a duplicate it closes with the server.
    close: async () => {
      process.off('unhandledRejection', ignoreRedisLoss);
      await closeRedis(client);
    },
  };
}
