import { createAdapter } from '@socket.io/redis-adapter';
import type { Server } from 'socket.io';
import type { AdapterOptions } from '../types';
import { versionsOf } from '../versions';
import type { SocketIoSync } from './types';
import { closeRedis, connectPair, ignoreRedisLoss } from './redis-client';

/**
 * The official Redis adapter, with two node-redis clients (publishing, subscribing). Its channels
 * live under `bench:<key>` instead of `socket.io`, so nodes of different runs never meet.
 */
export async function attach(
  io: Server,
  o: Extract<AdapterOptions, { kind: 'redis' }>,
  nodeId: string,
): Promise<SocketIoSync> {
  const prefix = `bench:${o.key}`;
  const { pub, sub } = await connectPair(o.url, prefix, nodeId);
  process.on('unhandledRejection', ignoreRedisLoss);
  io.adapter(createAdapter(pub, sub, { key: prefix }));
  // The adapter subscribes without waiting. Commands on one connection complete in order, so
  // once this one has, so have its subscriptions, and the node hears the others from now on.
  const probe = `${prefix}:${nodeId}:probe`;
  await sub.subscribe(probe, () => {});
  await sub.unsubscribe(probe);
  return {
    versions: versionsOf([['@socket.io/redis-adapter'], ['redis'], ['redis', '@redis/client']]),
    close: async () => {
      process.off('unhandledRejection', ignoreRedisLoss);
      await Promise.all([closeRedis(sub), closeRedis(pub)]);
    },
  };
}
