// What a run leaves in Redis, and its removal. Pub/sub keeps nothing, but the Socket.IO streams
// adapter writes its broadcasts to a stream (`bench:<key>:stream`, up to 10,000 entries) that
// outlives the nodes: removed at the run's end, and by the next run when the run was killed
// first. Runs are named as amqp-leftovers.ts says (`bench-<pid>-<ms>`): a stream whose run's pid
// no longer runs is a leftover.
import { streamNameOf } from '../../servers/adapters/socketio-redis-streams';
import { closeRedis, connectRedis } from '../../servers/adapters/redis-client';
import { isAlive } from './isolation/sys';

/** A stream of a run, as SCAN finds it. */
const RUN_STREAM = /^bench:bench-(\d+)-\d+:stream$/;

/** Deletes run `key`'s stream at its end. Throws when Redis cannot be reached. */
export async function removeRunStream(url: string, key: string): Promise<void> {
  const client = await connectRedis(url, 'bench-cleanup');
  try {
    await client.del(streamNameOf(key));
  } finally {
    await closeRedis(client);
  }
}

/**
 * Removes the streams of runs killed before their end (their pid no longer runs; never
 * `owner`'s). Returns what it removed, and what failed.
 */
export async function removeStaleStreams(
  url: string,
  owner = process.pid,
): Promise<{ removed: string[]; failed: string[] }> {
  const out = { removed: [] as string[], failed: [] as string[] };
  try {
    const client = await connectRedis(url, 'bench-cleanup');
    try {
      const stale: string[] = [];
      for await (const keys of client.scanIterator({ MATCH: 'bench:bench-*:stream', COUNT: 1000 })) {
        for (const key of [keys].flat()) {
          const m = RUN_STREAM.exec(key);
          if (m !== null && Number(m[1]) !== owner && !isAlive(Number(m[1]))) stale.push(key);
        }
      }
      for (const key of stale) {
        await client.del(key);
        out.removed.push(`Redis stream ${key}`);
      }
    } finally {
      await closeRedis(client);
    }
  } catch (err) {
    out.failed.push(`Redis streams of killed runs: ${(err as Error).message}`);
  }
  return out;
}
