import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AdapterUnavailableError, connectFailure } from './errors';

/** How long connecting to NATS may take before `bench serve` gives up (ms). */
export const CONNECT_TIMEOUT_MS = 3_000;

/**
 * A connection to NATS named `name` (its monitoring endpoint /connz shows it, so its owner can
 * be found). The first connection fails fast, with an `AdapterUnavailableError`; once connected,
 * the client reconnects on its own (NATS restarted), and says so on stderr.
 */
export async function connectNats(url: string, name: string): Promise<NatsConnection> {
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: url, name, timeout: CONNECT_TIMEOUT_MS, maxReconnectAttempts: -1 });
  } catch (err) {
    throw new AdapterUnavailableError('NATS', url, connectFailure(err, CONNECT_TIMEOUT_MS));
  }
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') process.stderr.write(`bench serve: NATS connection ${name} lost; reconnecting\n`);
      if (s.type === 'reconnect') process.stderr.write(`bench serve: NATS connection ${name} is back\n`);
    }
  })().catch(() => {});
  return nc;
}

/** Drains a connection (what it published reaches the server first), a moment at most. */
export async function closeNats(nc: NatsConnection, graceMs = 1_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    nc.drain().catch(() => {}),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
  ]);
  clearTimeout(timer);
  if (!nc.isClosed()) await nc.close().catch(() => {});
}
