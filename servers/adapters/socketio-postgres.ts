import { createAdapter } from '@socket.io/postgres-adapter';
import { Pool } from 'pg';
import type { Server } from 'socket.io';
import type { AdapterOptions } from '../types';
import { versionsOf } from '../versions';
import { AdapterUnavailableError, connectFailure } from './errors';
import type { SocketIoSync } from './types';

/** How long connecting to PostgreSQL, and then starting to LISTEN, may take (ms). */
const CONNECT_TIMEOUT_MS = 3_000;
/** The adapter's table for payloads over NOTIFY's 8000-byte limit; our messages never need it. */
const TABLE = 'socket_io_attachments';
const POLL_MS = 20;

/**
 * The official PostgreSQL adapter (LISTEN/NOTIFY) over a pg Pool. Its channel is `bench:<key>#/`
 * instead of `socket.io#/`, so nodes of different runs never meet; the attachments table is shared.
 */
export async function attach(
  io: Server,
  o: Extract<AdapterOptions, { kind: 'postgres' }>,
  nodeId: string,
): Promise<SocketIoSync> {
  const pool = new Pool({
    connectionString: o.url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // pg_stat_activity shows it, so its owner can be found
    application_name: `bench:${o.key}:${nodeId}`,
  });
  // An idle client's error (the server restarted) would otherwise crash the node.
  pool.on('error', (err) => process.stderr.write(`bench serve: PostgreSQL connection lost (${err.message})\n`));
  try {
    await createTable(pool);
  } catch (err) {
    await pool.end().catch(() => {});
    throw new AdapterUnavailableError('PostgreSQL', o.url, connectFailure(err, CONNECT_TIMEOUT_MS));
  }
  io.adapter(
    createAdapter(pool, {
      channelPrefix: `bench:${o.key}`,
      tableName: TABLE,
      errorHandler: (err) => process.stderr.write(`bench serve: PostgreSQL adapter: ${err.message}\n`),
    }),
  );
  if (!(await listening(io))) {
    await pool.end().catch(() => {});
    throw new AdapterUnavailableError('PostgreSQL', o.url, {
      reason: `accepted queries but LISTEN did not start within ${CONNECT_TIMEOUT_MS / 1000} s`,
      answered: true,
    });
  }
  // The adapter announced this node before it listened, so it may have missed the others'
  // answers; announcing again now means every node knows every other within a round trip.
  io.of('/').adapter.init();
  return {
    versions: versionsOf([['@socket.io/postgres-adapter'], ['pg']]),
    close: () => pool.end().catch(() => {}),
  };
}

async function createTable(pool: Pool): Promise<void> {
  const sql = `CREATE TABLE IF NOT EXISTS ${TABLE} (id bigserial UNIQUE, created_at timestamptz DEFAULT NOW(), payload bytea)`;
  // A table lock held elsewhere would otherwise hold the start-up forever.
  const query = { text: sql, query_timeout: CONNECT_TIMEOUT_MS };
  try {
    await pool.query(query);
  } catch (err) {
    // Nodes starting together race to create it: the loser's IF NOT EXISTS fails on the
    // winner's catalog row (23505) or the table itself (42P07). Once more finds it there.
    const code = (err as { code?: unknown }).code;
    if (code !== '23505' && code !== '42P07') throw err;
    await pool.query(query);
  }
}

/**
 * Whether the adapter's own client has started to LISTEN, within the connect timeout. The
 * adapter does it in the background and says nothing when done, so this reads its client
 * (`@socket.io/postgres-adapter` 0.5: `adapter.client.client` is set once LISTEN has run).
 */
async function listening(io: Server): Promise<boolean> {
  const end = Date.now() + CONNECT_TIMEOUT_MS;
  for (;;) {
    const adapter = io.of('/').adapter as unknown as { client?: { client?: unknown } };
    if (adapter.client?.client !== undefined) return true;
    if (Date.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
