import * as net from 'node:net';
import * as os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { LIBS, TRANSPORTS, type Lib, type Transport } from 'artillery-engine-bench/protocol';
import { ADAPTERS_OF, createServer } from '../../servers/index';
import { DEFAULT_NODE_ID, type AdapterOptions, type ServerOptions } from '../../servers/types';
import { AdapterUnavailableError, ServerStartError } from '../../servers/adapters/errors';
import { PreflightError, RunError, UsageError } from '../errors';
import { ADAPTERS, DEFAULT_PG_URL, DEFAULT_REDIS_URL, RUN_DEFAULTS } from '../config/run-options';
import { METRICS_PATH, METRICS_TOKEN_ENV, MIN_TOKEN_LENGTH, metricsHandler } from '../sampling/metrics-endpoint';
import { ProcSampler } from '../sampling/proc-stats';
import type { ReadyLine } from '../topology/server-process';
import { urlHost } from '../../servers/http';

/** `bench serve` options as the user gave them. */
export interface ServeOptions {
  lib?: string;
  port?: string | number;
  host?: string;
  transport?: string;
  deflate?: boolean;
  pingInterval?: string | number;
  /** serve this process's RSS/CPU samples at /metrics/samples to holders of this token */
  metricsToken?: string;
  /** what syncs this node with others: none | redis | postgres | cluster */
  adapter?: string;
  redisUrl?: string;
  pgUrl?: string;
  /** this node's label */
  nodeId?: string;
  /** --adapter cluster: worker processes */
  workers?: string | number;
  /** names the shared state of one run (Redis and PostgreSQL channels) */
  clusterKey?: string;
  /** print a delivery line per broadcast this node delivers (bench run reads them) */
  logDeliveries?: boolean;
  /** for tests: send the welcome this many ms after the connection */
  welcomeDelay?: string | number;
}

/** Nodes started with the same key share broadcasts; the runner gives each run its own. */
export const DEFAULT_CLUSTER_KEY = 'default';
/** Labels that are safe in Redis client names, channel names and PostgreSQL identifiers. */
const LABEL = /^[A-Za-z0-9_.-]{1,40}$/;
const MAX_WORKERS = 64;
/** --welcome-delay's bound: longer than any connect timeout a test would use (ms). */
const MAX_WELCOME_DELAY_MS = 60_000;

/** How long a stopping server may take to close its connections (ms). */
export const CLOSE_GRACE_MS = 2_000;

export interface ResolvedServeOptions extends ServerOptions {
  lib: Lib;
  adapter: AdapterOptions;
  nodeId: string;
  logDeliveries: boolean;
  welcomeDelayMs: number;
  /** null: no metrics endpoint */
  metricsToken: string | null;
}

/** Samples the metrics endpoint keeps: an hour at the sampling interval. */
const METRICS_SAMPLE_INTERVAL_MS = 250;
const METRICS_MAX_SAMPLES = 14_400;

export function resolveServeOptions(raw: ServeOptions): ResolvedServeOptions {
  if (raw.lib === undefined) throw new UsageError(`Missing --lib. Choose one of ${LIBS.join(', ')}, e.g. --lib ws.`);
  if (!(LIBS as readonly string[]).includes(raw.lib)) {
    throw new UsageError(`--lib must be one of ${LIBS.join(', ')} (got "${raw.lib}"). Example: --lib ws`);
  }
  const lib = raw.lib as Lib;
  const portText = String(raw.port ?? 0);
  const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new UsageError(`--port must be a whole number from 0 to 65535 (got "${portText}"). Use 0 for a free port.`);
  }
  const host = raw.host ?? '127.0.0.1';
  if (host !== 'localhost' && net.isIP(host) === 0) {
    throw new UsageError(`--host must be an IP address such as 127.0.0.1 or 0.0.0.0 (got "${host}").`);
  }
  const transport = raw.transport ?? RUN_DEFAULTS.transport;
  if (!(TRANSPORTS as readonly string[]).includes(transport)) {
    throw new UsageError(
      `--transport must be one of ${TRANSPORTS.join(', ')} (got "${transport}"). Example: --transport websocket`,
    );
  }
  if (raw.transport !== undefined && lib !== 'socketio') {
    throw new UsageError(
      `--transport applies to --lib socketio only; ${lib} always uses websocket. Remove --transport.`,
    );
  }
  const pingText = String(raw.pingInterval ?? RUN_DEFAULTS.pingIntervalMs);
  const pingIntervalMs = /^\d+$/.test(pingText) ? Number(pingText) : NaN;
  if (!(pingIntervalMs >= 100)) {
    throw new UsageError(
      `--ping-interval must be a whole number of ms, 100 or more (got "${pingText}"). Example: --ping-interval 25000`,
    );
  }
  const metricsToken = raw.metricsToken ?? process.env[METRICS_TOKEN_ENV] ?? null;
  if (metricsToken !== null && metricsToken.length < MIN_TOKEN_LENGTH) {
    throw new UsageError(
      `--metrics-token must have at least ${MIN_TOKEN_LENGTH} characters (got ${metricsToken.length}). Example: --metrics-token "$(openssl rand -hex 16)"`,
    );
  }
  const delayText = String(raw.welcomeDelay ?? 0);
  const welcomeDelayMs = /^\d+$/.test(delayText) ? Number(delayText) : NaN;
  if (!(welcomeDelayMs <= MAX_WELCOME_DELAY_MS)) {
    throw new UsageError(
      `--welcome-delay must be a whole number of ms from 0 to ${MAX_WELCOME_DELAY_MS} (got "${delayText}"). Example: --welcome-delay 40`,
    );
  }
  return {
    lib,
    port,
    host,
    transport: transport as Transport,
    deflate: raw.deflate === true,
    pingIntervalMs,
    metricsToken,
    adapter: resolveAdapter(raw, lib),
    nodeId: label('node-id', raw.nodeId ?? DEFAULT_NODE_ID, 'node-2'),
    logDeliveries: raw.logDeliveries === true,
    welcomeDelayMs,
  };
}

function label(flag: string, value: string, example: string): string {
  if (!LABEL.test(value)) {
    throw new UsageError(
      `--${flag} must be 1 to 40 letters, digits, "_", "." or "-" (got "${value}"). Example: --${flag} ${example}`,
    );
  }
  return value;
}

function serviceUrl(flag: string, value: string, schemes: readonly string[], example: string): string {
  let protocol = '';
  try {
    protocol = new URL(value).protocol;
  } catch {
    // not a URL: reported below
  }
  if (!schemes.includes(protocol)) {
    throw new UsageError(
      `--${flag} must be a ${schemes.join(' or ')}// URL (got "${value}"). Example: --${flag} ${example}`,
    );
  }
  return value;
}

function resolveAdapter(raw: ServeOptions, lib: Lib): AdapterOptions {
  const kind = raw.adapter ?? 'none';
  if (!(ADAPTERS as readonly string[]).includes(kind)) {
    throw new UsageError(`--adapter must be one of ${ADAPTERS.join(', ')} (got "${kind}"). Example: --adapter redis`);
  }
  const supported: readonly string[] = ADAPTERS_OF[lib];
  if (!supported.includes(kind)) {
    throw new UsageError(
      `--adapter ${kind} exists for Socket.IO only; ${lib} nodes share broadcasts through --adapter redis (or none).`,
    );
  }
  const onlyWith = (flag: string, given: unknown, adapter: string) => {
    if (given !== undefined && kind !== adapter) {
      throw new UsageError(
        `--${flag} applies to --adapter ${adapter} only. Remove --${flag}, or add --adapter ${adapter}.`,
      );
    }
  };
  onlyWith('redis-url', raw.redisUrl, 'redis');
  onlyWith('pg-url', raw.pgUrl, 'postgres');
  onlyWith('workers', raw.workers, 'cluster');
  const key = label('cluster-key', raw.clusterKey ?? DEFAULT_CLUSTER_KEY, 'run-42');
  switch (kind) {
    case 'redis':
      return {
        kind,
        url: serviceUrl('redis-url', raw.redisUrl ?? DEFAULT_REDIS_URL, ['redis:', 'rediss:'], DEFAULT_REDIS_URL),
        key,
      };
    case 'postgres':
      return {
        kind,
        url: serviceUrl('pg-url', raw.pgUrl ?? DEFAULT_PG_URL, ['postgres:', 'postgresql:'], DEFAULT_PG_URL),
        key,
      };
    case 'cluster': {
      const text = String(raw.workers ?? os.availableParallelism());
      const workers = /^\d+$/.test(text) ? Number(text) : NaN;
      if (!(workers >= 1 && workers <= MAX_WORKERS)) {
        throw new UsageError(
          `--workers must be a whole number from 1 to ${MAX_WORKERS} (got "${text}"). Example: --workers 2`,
        );
      }
      return { kind, workers };
    }
    default:
      return { kind: 'none' };
  }
}

/** The flag that points at an adapter's service. */
const SERVICE_FLAG: Record<AdapterUnavailableError['service'], string> = {
  Redis: '--redis-url',
  PostgreSQL: '--pg-url',
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
 * Serves until SIGINT or SIGTERM. Prints one JSON line on stdout once listening, and nothing
 * more there but, with `logDeliveries`, one `DeliveryLine` per broadcast delivered (a cluster's
 * workers print their own). Resolves with the exit code.
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
    server.route(METRICS_PATH, metricsHandler(sampler.samples, o.metricsToken, METRICS_SAMPLE_INTERVAL_MS));
  }
  const d = await listen(server, o);
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
    nodeId: d.nodeId,
    ...(d.workers && { workers: d.workers }),
    ...(o.metricsToken !== null && { metrics: `http://${urlHost(o.host)}:${d.port}${METRICS_PATH}` }),
  };
  write(JSON.stringify(ready) + '\n');
  await stopRequested;
  // Closing thousands of connections gracefully can take seconds (SockJS waits for each
  // session); measuring is over by now, so give it a bounded time and then exit regardless.
  const clients = server.clientCount();
  const closed = await Promise.race([server.close().then(() => true), sleep(CLOSE_GRACE_MS, false, { ref: false })]);
  if (!closed) {
    process.stderr.write(
      `bench serve: closing ${clients} connections took over ${CLOSE_GRACE_MS / 1000} s; exiting without waiting\n`,
    );
    process.exit(0);
  }
  return 0;
}
