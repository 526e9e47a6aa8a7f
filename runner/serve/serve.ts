import { setTimeout as sleep } from 'node:timers/promises';
import { createServer } from '../../servers/index';
import { AdapterUnavailableError, ServerStartError } from '../../servers/adapters/errors';
import { PreflightError, RunError, UsageError } from '../errors';
import type { ResolvedServeOptions } from '../config/serve-options';
import { METRICS_PATH, PROMETHEUS_PATH, metricsHandler, prometheusHandler } from '../sampling/metrics-endpoint';
import { ProcSampler } from '../sampling/proc-stats';
import { memoryAfterForcedGc, InnerSampler, type InnerSample } from '../sampling/inner';
import type { InnerLine, ReadyLine } from '../result/measurements';
import { clientsClosedCount, tcpConnections, urlHost } from '../../servers/http';

/** How long a stopping server may take to close its connections (ms). */
export const CLOSE_GRACE_MS = 2_000;

/** Samples the metrics endpoint keeps: an hour at the sampling interval. */
const METRICS_SAMPLE_INTERVAL_MS = 250;
const METRICS_MAX_SAMPLES = 14_400;

/** The flag that points at an adapter's service. */
const SERVICE_FLAG: Record<AdapterUnavailableError['service'], string> = {
  Redis: '--redis-url',
  PostgreSQL: '--pg-url',
  RabbitMQ: '--amqp-url',
  NATS: '--nats-url',
};

/** What --port and --host can make `listen` fail with, as one line and the fix; null for anything else. */
export function bindFailure(err: unknown, o: { port: number; host: string }): UsageError | null {
  const e = err as { code?: unknown; port?: unknown };
  const port = typeof e?.port === 'number' ? e.port : o.port;
  switch (e?.code) {
    case 'EADDRINUSE':
      return new UsageError(
        `port ${port} on ${o.host} is in use. Pick another with --port, or --port 0 for a free one.`,
      );
    case 'EADDRNOTAVAIL':
    case 'EAFNOSUPPORT':
      return new UsageError(
        `address ${o.host} is not on this machine. Use 127.0.0.1 or an address that \`ip addr\` lists.`,
      );
    case 'EACCES':
      return new UsageError(
        port < 1024
          ? `port ${port} on ${o.host}: ports below 1024 need root (or CAP_NET_BIND_SERVICE). Use --port 1024 or above, or --port 0 for a free one.`
          : `port ${port} on ${o.host}: not allowed to listen there (EACCES). Pick another with --port, or --port 0 for a free one.`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UsageError(
        `--host ${o.host} cannot be resolved on this machine. Use an IP address such as 127.0.0.1.`,
      );
    default:
      return null;
  }
}

/**
 * Listens. An adapter's service that cannot be reached becomes a one-line error saying what to
 * do (exit 2); a part of the server that failed to start, one line too (exit 1).
 */
async function listen(server: ReturnType<typeof createServer>, o: ResolvedServeOptions) {
  try {
    return await server.listen();
  } catch (err) {
    await server.close().catch(() => {});
    if (err instanceof ServerStartError) throw new RunError(err.message);
    const bind = bindFailure(err, o);
    if (bind) throw bind;
    if (!(err instanceof AdapterUnavailableError)) throw err;
    const flag = SERVICE_FLAG[err.service];
    throw new PreflightError(
      err.failure.answered
        ? `${err.message}: check it, or give another with ${flag}.`
        : `${err.message}: start it, or give ${flag}.`,
    );
  }
}

/**
 * Inner samples go to stdout with the delivery lines, which bench reads anyway: no port, token
 * or HTTP request per sample in the process being measured. SIGUSR2 asks for a forced GC.
 */
function startInner(
  o: ResolvedServeOptions,
  write: (line: string) => void,
  clients: () => number,
): InnerSampler | null {
  if (o.innerSampleIntervalMs === 0) return null;
  const pid = process.pid;
  const inner = new InnerSampler(o.innerSampleIntervalMs, (s) =>
    write(JSON.stringify({ event: 'inner', pid, ...s }) + '\n'),
  ).start();
  process.on('SIGUSR2', () => {
    const m = memoryAfterForcedGc();
    const line: InnerLine = {
      event: 'heap-after-gc',
      pid,
      t: Date.now(),
      heapUsedBytes: m.heapUsed,
      externalBytes: m.external,
      arrayBuffersBytes: m.arrayBuffers,
      rssBytes: m.rss,
      clients: clients(),
      connectionsClosed: tcpConnections().closed,
      clientsClosed: clientsClosedCount(),
    };
    write(JSON.stringify(line) + '\n');
  });
  return inner;
}

/**
 * Serves until SIGINT or SIGTERM. Prints one JSON line on stdout once listening, and nothing
 * more there but, with `logDeliveries`, one `DeliveryLine` per broadcast delivered (a cluster's
 * workers print their own) and, once stopping, `{"event":"stopping","pid","clients"}`: the
 * clients it is about to close. Resolves with the exit code.
 */
export async function serve(o: ResolvedServeOptions, write: (line: string) => void): Promise<number> {
  // Listen for the stop signals before the ready line: a parent may signal right after reading it.
  const stopRequested = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  const server = createServer(o.lib, o);
  if (o.metricsToken !== null) {
    const sampler = new ProcSampler(process.pid, METRICS_SAMPLE_INTERVAL_MS, METRICS_MAX_SAMPLES).start();
    const inner: InnerSample[] = [];
    new InnerSampler(METRICS_SAMPLE_INTERVAL_MS, (s) => {
      inner.push(s);
      if (inner.length > METRICS_MAX_SAMPLES) inner.shift();
    }).start();
    server.route(
      METRICS_PATH,
      metricsHandler(sampler.samples, o.metricsToken, METRICS_SAMPLE_INTERVAL_MS, process.pid, inner),
    );
    if (o.metricsFormat === 'prometheus') {
      const labels = { lib: o.lib, node_id: o.nodeId };
      server.route(
        PROMETHEUS_PATH,
        prometheusHandler(sampler.samples, o.metricsToken, labels, () => ({ clients: server.clientCount() })),
      );
    }
  }
  const metricsPath = o.metricsFormat === 'prometheus' ? PROMETHEUS_PATH : METRICS_PATH;
  const d = await listen(server, o);
  const inner = startInner(o, write, () => server.clientCount());
  const ready: ReadyLine = {
    event: 'ready',
    lib: o.lib,
    port: d.port,
    pid: process.pid,
    url: d.url,
    host: d.host,
    deflate: d.deflate,
    transports: d.transports,
    pingIntervalMs: d.pingIntervalMs,
    versions: d.versions,
    adapter: d.adapter,
    ...(d.amqpTopology && { amqpTopology: d.amqpTopology }),
    nodeId: d.nodeId,
    ...(d.workers && { workers: d.workers }),
    ...(d.sio && { sio: d.sio }),
    native: d.native,
    ...(o.metricsToken !== null && { metrics: `http://${urlHost(o.host)}:${d.port}${metricsPath}` }),
  };
  write(JSON.stringify(ready) + '\n');
  await stopRequested;
  inner?.stop();
  // Closing thousands of connections gracefully can take seconds (SockJS waits for each
  // session); measuring is over by now, so give it a bounded time and then exit regardless.
  const clients = server.clientCount();
  // The clients this node closes now, in its own count: bench run --rolling-restart reads it.
  if (o.logDeliveries) write(JSON.stringify({ event: 'stopping', pid: process.pid, clients }) + '\n');
  const closed = await Promise.race([server.close().then(() => true), sleep(CLOSE_GRACE_MS, false, { ref: false })]);
  if (!closed) {
    process.stderr.write(
      `bench serve: closing ${clients} connections took over ${CLOSE_GRACE_MS / 1000} s; exiting without waiting\n`,
    );
    process.exit(0);
  }
  return 0;
}
