// Every default and fixed choice of the options, with no imports beyond the protocol's constants:
// the flag table and the lean `bench serve` entry read them without loading the option resolvers.
import { LIBS, type Lib, type Transport } from 'artillery-engine-bench/protocol';

/** The default profile: this machine as it is. */
export const LOCAL_PROFILE = 'local';

export const SCENARIOS = ['echo', 'connect', 'broadcast', 'rooms'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** Clients per second, or `burst`: every client of the ramp due at the same moment. */
export type ArrivalRate = number | 'burst';
export const BURST = 'burst';

/** How many failed connections a valid run may have: a count, or a percentage of those attempted. */
export type FailLimit = { count: number } | { percent: number };

/** The limit as a number of connections, out of `attempted`. */
export function failLimitOf(limit: FailLimit, attempted: number): number {
  return 'count' in limit ? limit.count : Math.floor((limit.percent / 100) * attempted);
}

export function formatFailLimit(limit: FailLimit): string {
  return 'count' in limit ? String(limit.count) : `${limit.percent}%`;
}

export const RUN_DEFAULTS = {
  scenario: 'echo' as ScenarioName,
  spread: 'balancer' as const,
  arrivalRate: 500,
  warmup: 500,
  holdSeconds: 10,
  probes: 10,
  transport: 'websocket' as Transport,
  pingIntervalMs: 25_000,
  sampleIntervalMs: 250,
  /** per client; the default grows with the clients so that all of them echo 1,000 times/s at most */
  echoEveryMs: 1_000,
  /** the most echoes per second, over all clients, that the default interval makes */
  maxEchoesPerSecond: 1_000,
  broadcastEveryMs: 1_000,
  connectTimeoutMs: 30_000,
  wsNative: 'on' as 'on' | 'off',
  maxLoopDelayMs: 100,
  maxFailed: { count: 0 } as FailLimit,
  /** as the loop delay limit: a generator 100 ms behind its schedule no longer measures the server */
  maxLagMs: 100,
};

export const MAX_CLIENTS = 100_000;

/** The rooms scenario's shape (--scenario rooms): a chat room workload. */
export const ROOMS_DEFAULTS = {
  /** members per room: rooms fill one after another, roomSize consecutive clients each */
  roomSize: 10,
  /** each member publishes one message this often (ms) */
  publishEveryMs: 5_000,
  /** each message's JSON text (bytes): a chat line with its metadata */
  messageBytes: 200,
};
/** The smallest --message-bytes: a publish message's own fields take about 150 bytes. */
export const MIN_MESSAGE_BYTES = 160;
export const MAX_MESSAGE_BYTES = 1_048_576;
/** The shortest publish interval: below it timer slack is a large part of the schedule. */
export const MIN_PUBLISH_EVERY_MS = 10;

export const ADAPTERS = ['none', 'redis', 'redis-streams', 'postgres', 'amqp', 'nats', 'cluster'] as const;
export type AdapterKind = (typeof ADAPTERS)[number];
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
export const MAX_NODES = 16;
/** Artillery processes a run may start (--generators) */
export const MAX_GENERATORS = 16;
/**
 * Open files a generator keeps free of clients: its own files, and a margin. The default
 * --generators is the fewest processes whose share of clients + probes stays under
 * `ulimit -n` minus this.
 */
export const GENERATOR_FD_MARGIN = 1_000;

/** `bench serve` defaults. */
export const SERVE_DEFAULTS = {
  port: 0,
  host: '127.0.0.1',
  adapter: 'none' as AdapterKind,
  /** nodes started with the same key share broadcasts; the runner gives each run its own */
  clusterKey: 'default',
  welcomeDelayMs: 0,
  metricsFormat: 'json' as MetricsFormat,
};

/** Where `bench serve --metrics-token` serves its own RSS and CPU samples. */
export const METRICS_PATH = '/metrics/samples';
/** Where `--metrics-format prometheus` serves the latest sample as text: Prometheus's default metrics_path. */
export const PROMETHEUS_PATH = '/metrics';
export const METRICS_FORMATS = ['json', 'prometheus'] as const;
export type MetricsFormat = (typeof METRICS_FORMATS)[number];
/** Read instead of --metrics-token, so the token need not show in `ps`. */
export const METRICS_TOKEN_ENV = 'BENCH_METRICS_TOKEN';
/** Fewest characters a token may have. */
export const MIN_TOKEN_LENGTH = 8;

/** `bench sweep` defaults: the 2020 study's client levels. */
export const SWEEP_DEFAULTS = {
  libs: [...LIBS] as Lib[],
  clients: [100, 500, 1000, 2000, 5000, 7000, 10000],
  trials: 1,
  scenario: 'echo' as ScenarioName,
};

/** `bench compare`: runs in all (both sides) before it may stop, its budget, and its confidence. */
export const COMPARE_DEFAULTS = { minRuns: 6, maxRuns: 20, confidence: 0.95 } as const;
