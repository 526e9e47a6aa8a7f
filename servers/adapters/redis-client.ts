import { createClient, TimeoutError, SocketClosedUnexpectedlyError } from 'redis';
import { AdapterUnavailableError, connectFailure } from './errors';

/** How long connecting to Redis may take before `bench serve` gives up (ms). */
export const CONNECT_TIMEOUT_MS = 3_000;
/** Longest wait between two reconnection attempts once running (ms). */
const MAX_RECONNECT_DELAY_MS = 2_000;

export type RedisClient = ReturnType<typeof newClient>;

function newClient(url: string, name: string, connected: () => boolean) {
  return createClient({
    url,
    name,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Returning the cause ends the attempt: connect() rejects with it.
      reconnectStrategy: (retries, cause) =>
        connected() ? Math.min(50 * 2 ** Math.min(retries, 10), MAX_RECONNECT_DELAY_MS) : cause,
    },
  });
}

/**
 * A connected node-redis client named `name` (CLIENT LIST shows it, so its owner can be found).
 *
 * The first connection fails fast, with an `AdapterUnavailableError`; once connected, the client
 * reconnects on its own (Redis restarted, or paused by an outage), and says so on stderr.
 */
export async function connectRedis(url: string, name: string): Promise<RedisClient> {
  let connected = false;
  let lost = false;
  const client = newClient(url, name, () => connected);
  // Without a listener, a lost connection would crash the server.
  client.on('error', (err: Error) => {
    if (!connected || lost) return;
    lost = true;
    process.stderr.write(`bench serve: Redis connection ${name} lost (${err.message}); reconnecting\n`);
  });
  client.on('ready', () => {
    if (!lost) return;
    lost = false;
    process.stderr.write(`bench serve: Redis connection ${name} is back\n`);
  });
  // connectTimeout bounds the TCP connect alone; a server that accepts and never answers the
  // handshake would hold connect() forever.
  const connecting = client.connect();
  connecting.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const silent = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('handshake timeout')), CONNECT_TIMEOUT_MS);
  });
  try {
    await Promise.race([connecting, silent]);
  } catch (err) {
    client.destroy();
    throw new AdapterUnavailableError('Redis', url, connectFailure(err, CONNECT_TIMEOUT_MS));
  } finally {
    clearTimeout(timer);
  }
  connected = true;
  return client;
}

/** Closes a client, waiting for its pending commands a moment at most. */
export async function closeRedis(client: RedisClient | undefined, graceMs = 1_000): Promise<void> {
  if (client === undefined || !client.isOpen) return;
  let timer: NodeJS.Timeout | undefined;
  const closed = await Promise.race([
    client.close().then(
      () => true,
      () => false,
    ),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
  ]);
  clearTimeout(timer);
  if (!closed && client.isOpen) client.destroy();
}

/**
 * A node's two connections, named `<prefix>:<nodeId>:pub` and `:sub` (a subscribed connection
 * can do nothing else); closes the first when the second cannot be made.
 */
export async function connectPair(
  url: string,
  prefix: string,
  nodeId: string,
): Promise<{ pub: RedisClient; sub: RedisClient }> {
  const pub = await connectRedis(url, `${prefix}:${nodeId}:pub`);
  try {
    return { pub, sub: await connectRedis(url, `${prefix}:${nodeId}:sub`) };
  } catch (err) {
    await closeRedis(pub);
    throw err;
  }
}

/** Errors of a lost Redis connection, as a command in flight or queued sees them. */
const LOST_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE']);
const said = new Set<string>();

/**
 * An 'unhandledRejection' listener for the Socket.IO Redis adapters: both (redis-adapter 8.3.0,
 * redis-streams-adapter 0.3.1) leave some commands' rejections unhandled, so a Redis that dies
 * (a command reset in flight) or stays away past node-redis 6's 5 s command timeout would kill
 * the node under Node's default. Only those errors are ignored, each kind said once on stderr;
 * any other unhandled rejection still ends the process.
 */
export function ignoreRedisLoss(err: unknown): void {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const lost =
    err instanceof TimeoutError ||
    err instanceof SocketClosedUnexpectedlyError ||
    (code !== undefined && LOST_CODES.has(code));
  if (!lost) throw err;
  const kind = code ?? (err as Error).constructor.name;
  if (said.has(kind)) return;
  said.add(kind);
  process.stderr.write(`bench serve: the Redis adapter left a failed command unhandled (${kind}); ignored\n`);
}
