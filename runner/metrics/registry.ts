/**
 * The one metric registry. Every number a result file holds that a user can name: `--ensure`,
 * `bench gate --threshold`, `bench capacity --slo` and the reports all read it from here, so a new
 * metric is one entry. Readers take a result file as read back (either schemaVersion, possibly
 * hand-edited), so each checks the type of what it reads and gives null where there is none.
 */
import type { LatencyStats } from './histograms';
import type { UnitKind } from './units';

/**
 * A result file as read back: a RunResult of either schemaVersion, or what is left of one. Kept
 * structural on purpose, so the registry depends on no module that builds results.
 */
export type ResultFile = object;

/** The value at a path of objects, or undefined where one is missing or not an object. */
export const at = (r: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>(
    (v, k) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined),
    r,
  );

/**
 * What one run can support in `bench gate`: a `tail` (a p99 rests on a few slow clients) is gated
 * only by a test over enough trials; a `median` or `memory` figure also without one, beyond its
 * noise floor; a `count` of clients is functional (a lost client is not noise) and never tested.
 */
export type GateKind = 'tail' | 'median' | 'memory' | 'count';

/** How `bench gate` compares a metric. */
export interface GateRule {
  kind: GateKind;
  /** how much worse it may get before the gate fails, in percent (a change must exceed it) */
  thresholdPct: number;
  /** without a test, a change must also exceed this many percent whatever --threshold says */
  noiseFloorPct: number;
}

export interface Metric {
  name: MetricName;
  unit: UnitKind;
  better: 'lower' | 'higher';
  /** the number in a result; null when the result has none */
  read: (r: ResultFile) => number | null;
  /** absent: the gate does not compare it */
  gate?: GateRule;
  /** `bench capacity --slo` may fit it against clients and solve for a limit */
  slo?: boolean;
}

export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const percent = (v: number | null) => (v === null ? null : Math.round(v * 10_000) / 100);

/**
 * A latency as read back from a result file: each statistic the file has, and null for one it
 * lacks (a hand-trimmed or foreign file), never a figure taken from another statistic.
 */
export type ReadLatency = { [K in keyof LatencyStats]: number | null };

/** Latency statistics as a result file holds them; null when it holds none of them. */
export function latencyStats(v: unknown): ReadLatency | null {
  if (typeof v !== 'object' || v === null) return null;
  const s = v as Record<string, unknown>;
  const out: ReadLatency = {
    p50: num(s.p50),
    p90: num(s.p90),
    p99: num(s.p99),
    max: num(s.max),
    mean: num(s.mean),
    count: num(s.count),
  };
  return Object.values(out).some((x) => x !== null) ? out : null;
}

export const STATS = ['p50', 'p90', 'p99', 'max', 'mean'] as const;
export type Stat = (typeof STATS)[number];

interface LatencyDef {
  read: (r: ResultFile) => unknown;
  /** per statistic: how the gate compares it, whether capacity may fit it */
  stats?: Partial<Record<Stat, { gate?: GateRule; slo?: boolean }>>;
}

// Medians across 1,000+ clients move little between trials on a quiet machine; 10 % is beyond
// that jitter and still catches a real slowdown. The noise floor is the same 10 %: one run's own
// noise, which a lower --threshold must not undercut without a test.
const MEDIAN: GateRule = { kind: 'median', thresholdPct: 10, noiseFloorPct: 10 };
// A p99 rests on a client's few slowest: scheduler hiccups and GC pauses move it far more than
// the median. Measured on the 2-core CI machine, A against A at 300 clients, 3 trials each:
// echo p99 1.93 → 3.39 ms (+75 %), connect p99 7.5 to 16 ms within one side. Not gated without a
// test at all, so no noise floor.
const TAIL: GateRule = { kind: 'tail', thresholdPct: 50, noiseFloorPct: 0 };
// RSS is read from outside at a fixed interval and moves with GC timing by a few percent.
const MEMORY: GateRule = { kind: 'memory', thresholdPct: 10, noiseFloorPct: 10 };
// Losing clients is a functional failure, not noise: any drop, any new failure.
const CLIENTS: GateRule = { kind: 'count', thresholdPct: 0, noiseFloorPct: 0 };

const SLO_AND = (gate?: GateRule) => ({ slo: true, ...(gate ? { gate } : {}) });

/** Every latency a result records (ms), each giving NAME.p50 .p90 .p99 .max .mean. */
export const LATENCIES = {
  connect: {
    read: (r) => at(r, 'connectMs'),
    stats: { p50: SLO_AND(MEDIAN), p90: SLO_AND(), p99: SLO_AND(TAIL) },
  },
  // connected → welcome: one turn of the client's event loop by construction (measurement.md),
  // so neither gated nor fitted; timeToFirstMessage is the figure users wait for.
  firstMessage: { read: (r) => at(r, 'firstMessageMs') },
  echo: { read: (r) => at(r, 'echoMs'), stats: { p50: { gate: MEDIAN }, p99: { gate: TAIL } } },
  // schemaVersion 2 keeps it in `broadcast`; both versions also have the top-level copy.
  broadcast: { read: (r) => at(r, 'broadcast', 'latencyMs') ?? at(r, 'broadcastMs') },
  'probe.connect': { read: (r) => at(r, 'probe', 'connectMs') },
  'probe.firstMessage': { read: (r) => at(r, 'probe', 'firstMessageMs') },
  reconnect: { read: (r) => at(r, 'reconnect', 'timeMs') },
  // schemaVersion 2 only: absent (null) in older files.
  connectService: { read: (r) => at(r, 'connectServiceMs') },
  arrivalLag: { read: (r) => at(r, 'arrivalLagMs') },
  timeToFirstMessage: {
    read: (r) => at(r, 'timeToFirstMessageMs'),
    stats: { p50: SLO_AND(MEDIAN), p90: SLO_AND(), p99: SLO_AND(TAIL) },
  },
  welcomeDelivery: { read: (r) => at(r, 'welcomeDeliveryMs') },
  // --scenario rooms: publish due → each member's receipt, and join → joined (null otherwise).
  room: {
    read: (r) => at(r, 'rooms', 'latencyMs'),
    stats: { p50: SLO_AND(MEDIAN), p90: SLO_AND(), p99: SLO_AND(TAIL) },
  },
  roomService: { read: (r) => at(r, 'rooms', 'serviceMs') },
  // --polling-share (null otherwise): each transport's clients on their own.
  join: { read: (r) => at(r, 'rooms', 'joinMs') },
  'polling.connect': { read: (r) => at(r, 'byTransport', 'polling', 'connectMs') },
  'polling.echo': { read: (r) => at(r, 'byTransport', 'polling', 'echoMs') },
  'polling.broadcast': { read: (r) => at(r, 'byTransport', 'polling', 'broadcastMs') },
  'polling.room': { read: (r) => at(r, 'byTransport', 'polling', 'roomMs') },
  'websocket.echo': { read: (r) => at(r, 'byTransport', 'websocket', 'echoMs') },
  'websocket.broadcast': { read: (r) => at(r, 'byTransport', 'websocket', 'broadcastMs') },
  echoService: { read: (r) => at(r, 'echoServiceMs') },
  'probe.connectService': { read: (r) => at(r, 'probe', 'connectServiceMs') },
  'probe.timeToFirstMessage': { read: (r) => at(r, 'probe', 'timeToFirstMessageMs') },
} satisfies Record<string, LatencyDef>;

export type LatencyName = keyof typeof LATENCIES;

/** One latency's statistics in a result, or null. */
export function latencyOf(name: LatencyName, r: ResultFile | null | undefined): ReadLatency | null {
  return r ? latencyStats((LATENCIES[name] as LatencyDef).read(r)) : null;
}

type Scalar = Omit<Metric, 'name'>;

/** A result's --rolling-restart record, or undefined. */
function rollingRestartOf(r: ResultFile): unknown {
  const faults = at(r, 'faults');
  return Array.isArray(faults) ? faults.find((f) => at(f, 'kind') === 'rolling-restart') : undefined;
}

function restartValues(r: ResultFile, path: string[]): number[] | null {
  const restarts = at(rollingRestartOf(r), 'restarts');
  if (!Array.isArray(restarts)) return null;
  return restarts.map((x) => num(at(x, ...path))).filter((v): v is number => v !== null);
}

/** The highest value over the restarts; null without a rolling restart or any value. */
function worstRestart(r: ResultFile, ...path: string[]): number | null {
  const xs = restartValues(r, path);
  return xs === null || xs.length === 0 ? null : Math.max(...xs);
}

/** The sum over the restarts; null without a rolling restart. */
function sumRestarts(r: ResultFile, ...path: string[]): number | null {
  const xs = restartValues(r, path);
  return xs === null ? null : xs.reduce((a, b) => a + b, 0);
}

/** The sum of the numbers at those paths; null when none is there. */
function sumOf(r: ResultFile, ...paths: string[][]): number | null {
  const xs = paths.map((p) => num(at(r, ...p))).filter((v): v is number => v !== null);
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0);
}

/** Every other number, in the order `--ensure` lists them. */
const SCALARS = {
  'rss.idle': { unit: 'bytes', better: 'lower', read: (r) => num(at(r, 'server', 'rssBytes', 'idle')) },
  'rss.steady': {
    unit: 'bytes',
    better: 'lower',
    gate: MEMORY,
    read: (r) => num(at(r, 'server', 'rssBytes', 'steady')),
  },
  'rss.peak': { unit: 'bytes', better: 'lower', read: (r) => num(at(r, 'server', 'rssBytes', 'peak')) },
  bytesPerClient: { unit: 'bytes', better: 'lower', gate: MEMORY, read: (r) => num(at(r, 'server', 'bytesPerClient')) },
  'loadgen.bytesPerClient': { unit: 'bytes', better: 'lower', read: (r) => num(at(r, 'loadgen', 'bytesPerClient')) },
  connected: { unit: 'count', better: 'higher', gate: CLIENTS, read: (r) => num(at(r, 'clients', 'connected')) },
  failed: { unit: 'count', better: 'lower', gate: CLIENTS, read: (r) => num(at(r, 'clients', 'failed')) },
  'probe.failed': { unit: 'count', better: 'lower', read: (r) => num(at(r, 'probe', 'failed')) },
  cpu: { unit: 'percent', better: 'lower', read: (r) => num(at(r, 'server', 'cpuPercent')) },
  'broadcast.lost': { unit: 'count', better: 'lower', read: (r) => num(at(r, 'broadcast', 'lost')) },
  'broadcast.outOfOrder': { unit: 'count', better: 'lower', read: (r) => num(at(r, 'broadcast', 'outOfOrder')) },
  'broadcast.duplicates': { unit: 'count', better: 'lower', read: (r) => num(at(r, 'broadcast', 'duplicates')) },
  // --scenario rooms (null otherwise): deliveries against the rooms the nodes reported.
  'room.delivered': { unit: 'percent', better: 'higher', read: (r) => num(at(r, 'rooms', 'deliveredPct')) },
  'room.missed': { unit: 'count', better: 'lower', read: (r) => num(at(r, 'rooms', 'missed')) },
  'room.duplicates': { unit: 'count', better: 'lower', read: (r) => num(at(r, 'rooms', 'duplicates')) },
  'room.outOfOrder': { unit: 'count', better: 'lower', read: (r) => num(at(r, 'rooms', 'outOfOrder')) },
  'room.joinFailed': { unit: 'count', better: 'lower', read: (r) => num(at(r, 'rooms', 'joinFailed')) },
  'room.deliveredPerSecond': {
    unit: 'count',
    better: 'higher',
    read: (r) => num(at(r, 'rooms', 'deliveredPerSecond')),
  },
  'polling.outOfOrder': {
    unit: 'count',
    better: 'lower',
    read: (r) =>
      sumOf(
        r,
        ['byTransport', 'polling', 'broadcasts', 'outOfOrder'],
        ['byTransport', 'polling', 'rooms', 'outOfOrder'],
      ),
  },
  'polling.delivered': {
    unit: 'percent',
    better: 'higher',
    read: (r) => num(at(r, 'byTransport', 'polling', 'broadcasts', 'deliveredPct')),
  },
  'reconnect.failed': { unit: 'count', better: 'lower', read: (r) => num(at(r, 'reconnect', 'failed')) },
  // --flap (null without flaps): deliveries against what nobody cut would have got, and the way back.
  'flap.delivered': { unit: 'percent', better: 'higher', read: (r) => num(at(r, 'flaps', 'deliveredPct')) },
  'flap.missed': { unit: 'count', better: 'lower', read: (r) => num(at(r, 'flaps', 'missed')) },
  'flap.neverBack': { unit: 'count', better: 'lower', read: (r) => num(at(r, 'flaps', 'neverBack')) },
  'flap.reconnect.p95': { unit: 'ms', better: 'lower', read: (r) => num(at(r, 'flaps', 'reconnectMs', 'p95')) },
  'flap.reconnect.max': { unit: 'ms', better: 'lower', read: (r) => num(at(r, 'flaps', 'reconnectMs', 'max')) },
  'recovery.restored': {
    unit: 'count',
    better: 'higher',
    read: (r) => num(at(r, 'flaps', 'recovery', 'sessionsRecovered')),
  },
  // --rolling-restart: the worst restart, or all of them summed; null without one.
  'restart.reconnect.p95': { unit: 'ms', better: 'lower', read: (r) => worstRestart(r, 'reconnectMs', 'p95') },
  'restart.reconnect.max': { unit: 'ms', better: 'lower', read: (r) => worstRestart(r, 'reconnectMs', 'max') },
  'restart.down.max': { unit: 'ms', better: 'lower', read: (r) => worstRestart(r, 'downMs') },
  'restart.disconnected': { unit: 'count', better: 'lower', read: (r) => sumRestarts(r, 'clientsDisconnected') },
  'restart.neverBack': { unit: 'count', better: 'lower', read: (r) => sumRestarts(r, 'neverBack') },
  'restart.connectFailures': { unit: 'count', better: 'lower', read: (r) => sumRestarts(r, 'connectFailures') },
  'restart.skew': {
    unit: 'count',
    better: 'lower',
    read: (r) => num(at(rollingRestartOf(r), 'skewAtEnd')),
  },
  'restart.survivorLoopDelay.max': {
    unit: 'ms',
    better: 'lower',
    read: (r) => worstRestart(r, 'survivors', 'loopDelayMaxMs'),
  },
  // Inside the server (bench serve's own samples); null for results without them.
  'heap.idle': {
    unit: 'bytes',
    better: 'lower',
    read: (r) => num(at(r, 'server', 'inner', 'heapBytes', 'used', 'idle')),
  },
  'heap.steady': {
    unit: 'bytes',
    better: 'lower',
    read: (r) => num(at(r, 'server', 'inner', 'heapBytes', 'used', 'steady')),
  },
  'heap.peak': {
    unit: 'bytes',
    better: 'lower',
    read: (r) => num(at(r, 'server', 'inner', 'heapBytes', 'used', 'peak')),
  },
  'heap.afterGc': { unit: 'bytes', better: 'lower', read: (r) => num(at(r, 'server', 'inner', 'heapAfterGcBytes')) },
  'elu.steady': {
    unit: 'percent',
    better: 'lower',
    read: (r) => percent(num(at(r, 'server', 'inner', 'eventLoop', 'utilization', 'steady'))),
  },
  'serverLoopDelay.steady': {
    unit: 'ms',
    better: 'lower',
    read: (r) => num(at(r, 'server', 'inner', 'eventLoop', 'delayMs', 'steady')),
  },
  'gc.steadyPerSecond': {
    unit: 'ms',
    better: 'lower',
    read: (r) => num(at(r, 'server', 'inner', 'gc', 'steadyPauseMsPerSecond')),
  },
  // The adapter's broker process(es), sampled as the nodes; null without a broker or in older files.
  'broker.cpu': { unit: 'percent', better: 'lower', read: (r) => num(at(r, 'broker', 'cpuPercent')) },
  'broker.rss.steady': { unit: 'bytes', better: 'lower', read: (r) => num(at(r, 'broker', 'rssBytes', 'steady')) },
  'broker.rss.peak': { unit: 'bytes', better: 'lower', read: (r) => num(at(r, 'broker', 'rssBytes', 'peak')) },
} satisfies Record<string, Scalar>;

export type MetricName = `${LatencyName}.${Stat}` | keyof typeof SCALARS;

/** The registry: latencies with each statistic first, then the rest. */
export const METRICS: ReadonlyMap<MetricName, Metric> = (() => {
  const m = new Map<MetricName, Metric>();
  for (const [latency, def] of Object.entries(LATENCIES) as [LatencyName, LatencyDef][]) {
    for (const stat of STATS) {
      const name = `${latency}.${stat}` as const;
      const read = (r: ResultFile) => latencyStats(def.read(r))?.[stat] ?? null;
      m.set(name, { name, unit: 'ms', better: 'lower', read, ...def.stats?.[stat] });
    }
  }
  for (const [name, def] of Object.entries(SCALARS) as [MetricName, Scalar][]) m.set(name, { name, ...def });
  return m;
})();

/** The metric of that name, or undefined. */
export const metric = (name: string): Metric | undefined => METRICS.get(name as MetricName);

/** The metrics that pass a test, in registry order. */
export const metricsWhere = (test: (m: Metric) => boolean): Metric[] => [...METRICS.values()].filter(test);

/** What `bench gate` compares, in registry order: the metrics with a gate rule. */
export const GATE_METRICS: readonly MetricName[] = metricsWhere((m) => m.gate !== undefined).map((m) => m.name);

/** What `bench capacity --slo` may name, in registry order. */
export const SLO_METRICS: readonly MetricName[] = metricsWhere((m) => m.slo === true).map((m) => m.name);

/**
 * The floor (bytes) a result's server memory per client stayed below, when the run could not
 * resolve it from its RSS noise (`bytesPerClient` is then null); null otherwise and in older files.
 */
export function bytesPerClientBelow(r: ResultFile | null | undefined): number | null {
  return at(r, 'server', 'bytesPerClientBelowFloor') === true ? num(at(r, 'server', 'bytesPerClientFloor')) : null;
}

/** A metric's value in a result file, or null (also for no result at all). */
export function readMetric(name: MetricName, r: ResultFile | null | undefined): number | null {
  return r ? (METRICS.get(name)?.read(r) ?? null) : null;
}

/** The names in one line: latencies once with their statistics, then the rest. */
export function metricNamesText(): string {
  return [`${Object.keys(LATENCIES).join(', ')} (each .${STATS.join(' .')})`, ...Object.keys(SCALARS)].join(', ');
}
