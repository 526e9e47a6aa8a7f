import * as amqp from 'amqplib';
import { AdapterUnavailableError, connectFailure } from './errors';

/** How long connecting to RabbitMQ may take before `bench serve` gives up (ms). */
export const CONNECT_TIMEOUT_MS = 3_000;

/**
 * A connection to RabbitMQ named `name` (the management UI and `rabbitmqctl list_connections
 * client_properties` show it, so its owner can be found), and a channel on it. Fails fast with
 * an `AdapterUnavailableError`. Once connected, a lost connection is said on stderr; the node
 * keeps serving its own clients (amqplib does not reconnect).
 */
export async function connectAmqp(
  url: string,
  name: string,
): Promise<{ connection: amqp.ChannelModel; channel: amqp.Channel }> {
  let connection: amqp.ChannelModel;
  const connecting = amqp.connect(url, { timeout: CONNECT_TIMEOUT_MS, clientProperties: { connection_name: name } });
  try {
    connection = await withTimeout(connecting);
  } catch (err) {
    // one that completes after we gave up would keep the process alive
    connecting.then((late) => late.close()).catch(() => {});
    throw new AdapterUnavailableError('RabbitMQ', url, connectFailure(err, CONNECT_TIMEOUT_MS));
  }
  let closing = false;
  // Without a listener, a lost connection would crash the server.
  connection.on('error', (err: Error) => {
    if (!closing) process.stderr.write(`bench serve: RabbitMQ connection ${name} lost (${err.message})\n`);
  });
  connection.on('close', () => (closing = true));
  const channel = await connection.createChannel();
  channel.on('error', (err: Error) => process.stderr.write(`bench serve: RabbitMQ channel: ${err.message}\n`));
  return { connection, channel };
}

/** Closes a connection (its channels, exclusive queues and their bindings go with it), a moment at most. */
export async function closeAmqp(connection: amqp.ChannelModel, graceMs = 1_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    connection.close().catch(() => {}),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
  ]);
  clearTimeout(timer);
}

/** A server that accepts TCP and never answers the handshake would hold connect() forever. */
function withTimeout<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('handshake timeout')), CONNECT_TIMEOUT_MS);
    }),
  ]);
}
