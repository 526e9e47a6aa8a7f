/**
 * Entry point of one cluster worker (forked by `cluster-primary.ts`): a Socket.IO server with
 * the cluster adapter, its connections handed over by the primary. It answers the primary's
 * requests over IPC, writes nothing to stdout but its delivery lines (with `logDeliveries`, to the
 * primary's stdout), and exits when the primary goes away.
 */
import { SocketIoServer } from '../socketio';
import type { BroadcastResult, NodeStats, ServerOptions } from '../types';
import { isBenchMessage, WORKER_OPTIONS_ENV, type FromWorker, type ToWorker } from './cluster-ipc';

const send = (m: FromWorker, then?: () => void) => process.send?.(m, undefined, {}, then);

// The IPC channel closes when the primary exits, however it died.
process.on('disconnect', () => process.exit(1));

const options = JSON.parse(process.env[WORKER_OPTIONS_ENV] ?? '{}') as ServerOptions;
const server = new SocketIoServer(options);

// A terminal's Ctrl-C reaches the primary's whole process group; the primary stops us in order anyway.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void server.close().finally(() => process.exit(0)));
}

process.on('message', (m: unknown) => {
  if (!isBenchMessage<ToWorker>(m)) return;
  const reply = (result: BroadcastResult | NodeStats) => send({ bench: 'reply', id: m.id, result });
  if (m.bench === 'publish') void server.publishSeq(m.seq).then(reply);
  else if (m.bench === 'stats') void server.stats().then(reply);
});

server.listen().then(
  (description) => send({ bench: 'ready', description }),
  (err: unknown) => {
    send({ bench: 'failed', message: err instanceof Error ? err.message : String(err) }, () => process.exit(1));
  },
);
