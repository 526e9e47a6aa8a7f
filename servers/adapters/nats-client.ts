import * as net from 'node:net';
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
    await serverSaysInfo(url);
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

/**
 * Resolves once a NATS server at `url` sent its INFO line (the first thing it says), within the
 * connect timeout; rejects with the socket's error, or a timeout. The client (@nats-io/
 * transport-node 3.4.0) leaves its socket open after a handshake timeout, which would keep a
 * failed `bench serve` from exiting: this probe, whose socket we close, fails first.
 */
function serverSaysInfo(url: string): Promise<void> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || 4222);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => done(new Error('handshake timeout')), CONNECT_TIMEOUT_MS);
    socket.once('data', (chunk: Buffer) =>
      done(chunk.toString('latin1').startsWith('INFO') ? undefined : new Error('not a NATS server')),
    );
    socket.once('error', (err) => done(err));
  });
}
