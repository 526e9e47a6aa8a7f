import * as net from 'node:net';
import * as os from 'node:os';
import { LIBS, TRANSPORTS, type Lib, type Transport } from 'artillery-engine-bench/protocol';
import { ADAPTERS_OF } from '../../servers/index';
import { DEFAULT_NODE_ID, type AdapterOptions, type ServerOptions, type SioTuning } from '../../servers/types';
import { UsageError } from '../errors';
import {
  ADAPTERS,
  DEFAULT_AMQP_URL,
  DEFAULT_NATS_URL,
  DEFAULT_PG_URL,
  DEFAULT_REDIS_URL,
  METRICS_FORMATS,
  METRICS_TOKEN_ENV,
  MIN_TOKEN_LENGTH,
  type MetricsFormat,
  RUN_DEFAULTS,
  SERVE_DEFAULTS,
} from './defaults';
import { resolveSioTuning, type SioFlags } from './sio-options';
import { resolveAmqp, type AmqpFlags } from './amqp-options';
import { MAX_TEST_DELAY_MS, resolveTestSwitches } from './test-switches';

/** `bench serve` options as the user gave them. */
export interface ServeOptions extends SioFlags, AmqpFlags {
  lib?: string;
  port?: string | number;
  host?: string;
  transport?: string;
  deflate?: boolean;
  pingInterval?: string | number;
  /** serve this process's RSS/CPU samples at /metrics/samples to holders of this token */
  metricsToken?: string;
  /** json (/metrics/samples, what bench run reads) | prometheus (also /metrics, text format) */
  metricsFormat?: string;
  /** what syncs this node with others: none | redis | redis-streams | postgres | amqp | nats | cluster */
  adapter?: string;
  redisUrl?: string;
  pgUrl?: string;
  amqpUrl?: string;
  natsUrl?: string;
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
  /** for tests: answer every echo this many ms late */
  echoDelay?: string | number;
  /** for tests: keep this many bytes per TCP connection accepted, never freed */
  retainPerConnection?: string | number;
  /** print inner samples (heap, event loop, GC) every this many ms; 0: off */
  innerSampleInterval?: string | number;
  /** the seq this node's broadcasts count on from (a restarted publisher continues its run's numbering) */
  firstSeq?: string | number;
}

/** Labels that are safe in Redis client names, channel names and PostgreSQL identifiers. */
const LABEL = /^[A-Za-z0-9_.-]{1,40}$/;
const MAX_WORKERS = 64;
export interface ResolvedServeOptions extends ServerOptions {
  echoDelayMs: number;
  retainPerConnectionBytes: number;
  lib: Lib;
  sio: SioTuning;
  adapter: AdapterOptions;
  nodeId: string;
  logDeliveries: boolean;
  welcomeDelayMs: number;
  firstSeq: number;
  /** null: no metrics endpoint */
  metricsToken: string | null;
  metricsFormat: MetricsFormat;
  /** 0: no inner samples */
  innerSampleIntervalMs: number;
}

export function resolveServeOptions(raw: ServeOptions): ResolvedServeOptions {
  if (raw.lib === undefined) throw new UsageError(`Missing --lib. Choose one of ${LIBS.join(', ')}, e.g. --lib ws.`);
  if (!(LIBS as readonly string[]).includes(raw.lib)) {
    throw new UsageError(`--lib must be one of ${LIBS.join(', ')} (got "${raw.lib}"). Example: --lib ws`);
  }
  const lib = raw.lib as Lib;
  const portText = String(raw.port ?? SERVE_DEFAULTS.port);
  const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new UsageError(`--port must be a whole number from 0 to 65535 (got "${portText}"). Use 0 for a free port.`);
  }
  const host = raw.host ?? SERVE_DEFAULTS.host;
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
  const metricsFormat = raw.metricsFormat ?? SERVE_DEFAULTS.metricsFormat;
  if (!(METRICS_FORMATS as readonly string[]).includes(metricsFormat)) {
    throw new UsageError(
      `--metrics-format must be one of ${METRICS_FORMATS.join(', ')} (got "${metricsFormat}"). Example: --metrics-format prometheus`,
    );
  }
  if (metricsFormat === 'prometheus' && metricsToken === null) {
    throw new UsageError(
      `--metrics-format prometheus needs --metrics-token (or $${METRICS_TOKEN_ENV}): the endpoint serves only holders of the token.`,
    );
  }
  const delayText = String(raw.welcomeDelay ?? SERVE_DEFAULTS.welcomeDelayMs);
  const welcomeDelayMs = /^\d+$/.test(delayText) ? Number(delayText) : NaN;
  if (!(welcomeDelayMs <= MAX_TEST_DELAY_MS)) {
    throw new UsageError(
      `--welcome-delay must be a whole number of ms from 0 to ${MAX_TEST_DELAY_MS} (got "${delayText}"). Example: --welcome-delay 40`,
    );
  }
  const innerText = String(raw.innerSampleInterval ?? 0);
  const innerSampleIntervalMs = /^\d+$/.test(innerText) ? Number(innerText) : NaN;
  if (!(innerSampleIntervalMs === 0 || (innerSampleIntervalMs >= 10 && innerSampleIntervalMs <= 60_000))) {
    throw new UsageError(
      `--inner-sample-interval must be 0 (off) or a whole number of ms from 10 to 60000 (got "${innerText}"). Example: --inner-sample-interval 250`,
    );
  }
  const adapter = resolveAdapter(raw, lib);
  const seqText = String(raw.firstSeq ?? 0);
  const firstSeq = /^\d{1,15}$/.test(seqText) ? Number(seqText) : NaN;
  if (!Number.isSafeInteger(firstSeq)) {
    throw new UsageError(`--first-seq must be a whole number, 0 or more (got "${seqText}"). Example: --first-seq 120`);
  }
  return {
    lib,
    port,
    host,
    transport: transport as Transport,
    deflate: raw.deflate === true,
    pingIntervalMs,
    metricsToken,
    metricsFormat: metricsFormat as MetricsFormat,
    adapter,
    nodeId: label('node-id', raw.nodeId ?? DEFAULT_NODE_ID, 'node-2'),
    logDeliveries: raw.logDeliveries === true,
    welcomeDelayMs,
    firstSeq,
    ...resolveTestSwitches(raw),
    innerSampleIntervalMs,
    sio: resolveSioTuning(raw, lib, adapter.kind),
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
  const kind = raw.adapter ?? SERVE_DEFAULTS.adapter;
  if (!(ADAPTERS as readonly string[]).includes(kind)) {
    throw new UsageError(`--adapter must be one of ${ADAPTERS.join(', ')} (got "${kind}"). Example: --adapter redis`);
  }
  const supported: readonly string[] = ADAPTERS_OF[lib];
  if (!supported.includes(kind)) {
    throw new UsageError(
      `--adapter ${kind} exists for Socket.IO only; ${lib} nodes share broadcasts through --adapter redis, amqp or nats (or none).`,
    );
  }
  const onlyWith = (flag: string, given: unknown, adapter: string, ...also: string[]) => {
    if (given !== undefined && kind !== adapter && !also.includes(kind)) {
      throw new UsageError(
        `--${flag} applies to --adapter ${[adapter, ...also].join(' or ')} only. Remove --${flag}, or add --adapter ${adapter}.`,
      );
    }
  };
  onlyWith('redis-url', raw.redisUrl, 'redis', 'redis-streams');
  onlyWith('pg-url', raw.pgUrl, 'postgres');
  onlyWith('amqp-url', raw.amqpUrl, 'amqp');
  onlyWith('nats-url', raw.natsUrl, 'nats');
  onlyWith('workers', raw.workers, 'cluster');
  resolveAmqp(raw, kind);
  const key = label('cluster-key', raw.clusterKey ?? SERVE_DEFAULTS.clusterKey, 'run-42');
  switch (kind) {
    case 'redis':
    case 'redis-streams':
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
    case 'amqp': {
      const { topology, extraBindings } = resolveAmqp(raw, kind);
      return {
        kind,
        url: serviceUrl('amqp-url', raw.amqpUrl ?? DEFAULT_AMQP_URL, ['amqp:', 'amqps:'], DEFAULT_AMQP_URL),
        key,
        // Only what differs from the defaults: a fanout node's options read as they always did.
        ...(topology.kind !== 'fanout' && { topology }),
        ...(extraBindings > 0 && { extraBindings }),
      };
    }
    case 'nats':
      return {
        kind,
        url: serviceUrl('nats-url', raw.natsUrl ?? DEFAULT_NATS_URL, ['nats:', 'tls:'], DEFAULT_NATS_URL),
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
