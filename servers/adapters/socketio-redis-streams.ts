import { createAdapter } from '@socket.io/redis-streams-adapter';
import { TimeoutError } from '@redis/client';
import type { Server } from 'socket.io';
import type { AdapterOptions } from '../types';
import { versionsOf } from '../versions';
import type { SocketIoSync } from './types';
import { closeRedis, connectRedis } from './redis-client';

let timeouts = 0;

/**
 * With Redis gone for more than node-redis 6's command timeout (5 s), the adapter (0.3.1) leaves
 * a timed-out command's rejection unhandled, which would kill the node. Those alone are counted
 * and said on stderr once; any other unhandled rejection still ends the process.
 */
function ignoreCommandTimeout(err: unknown): void {
  if (!(err instanceof TimeoutError)) throw err;
  if (timeouts++ === 0) {
    process.stderr.write('bench serve: a Redis command timed out unhandled in the streams adapter; ignored\n');
  }
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
  process.on('unhandledRejection', ignoreCommandTimeout);
  io.adapter(createAdapter(client, { streamName: `${prefix}:stream`, channelPrefix: prefix }));
  return {
    versions: versionsOf([['@socket.io/redis-streams-adapter'], ['redis'], ['redis', '@redis/client']]),
    // The adapter's own reading client is a duplicate it closes with the server.
    close: async () => {
      process.off('unhandledRejection', ignoreCommandTimeout);
      await closeRedis(client);
    },
  };
}
