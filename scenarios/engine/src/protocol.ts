/**
 * The wire protocol and the engine ↔ runner contract. Servers, the engine and the runner all
 * import these names, so the three libraries cannot drift apart.
 */

import * as path from 'node:path';

export * from './room-protocol';
export { MAX_PREFIXES, PREFIX_PARAM, roomHash, roomPrefix } from './affinity';
import type { JoinMessage, JoinedMessage, PublishMessage, RoomCounts, RoomsConfig } from './room-protocol';

export { isSlowClient, slowClientCount, type SlowClientsConfig } from './slow-share';
import type { SlowClientsConfig } from './slow-share';

/** The libraries under test. */
export type Lib = 'ws' | 'socketio' | 'sockjs';
export const LIBS: readonly Lib[] = ['ws', 'socketio', 'sockjs'];

/** Socket.IO transports: `websocket` only, or `polling` first and then upgrade. */
export type Transport = 'websocket' | 'polling';
export const TRANSPORTS: readonly Transport[] = ['websocket', 'polling'];

/** Socket.IO packet encodings: socket.io-parser (JSON text), or socket.io-msgpack-parser (binary). Both sides must agree. */
export type SioParser = 'default' | 'msgpack';
export const SIO_PARSERS: readonly SioParser[] = ['default', 'msgpack'];

/** ws's optional native add-ons, as loaded in one process. */
export interface NativeAddons {
  bufferutil: boolean;
  /** ws 8 on Node 20 validates with buffer.isUtf8 and never loads it */
  utf8Validate: boolean;
}

/**
 * Whether the copy of ws that resolves from `from` (a folder) required each add-on, read from the
 * module graph: each copy decides alone and says nothing (ws 8 skips them under WS_NO_BUFFER_UTIL
 * and WS_NO_UTF_8_VALIDATE; Artillery's own ws 5 and 7 load them regardless, in the same
 * process). null: no ws in use.
 */
export function nativeAddons(from: string | null): NativeAddons {
  const none = { bufferutil: false, utf8Validate: false };
  if (from === null) return none;
  let dir: string;
  try {
    dir = path.dirname(require.resolve('ws', { paths: [from] }));
  } catch {
    return none;
  }
  const required = (file: string, addon: string) =>
    (require.cache[path.join(dir, 'lib', file)]?.children ?? []).some((m) =>
      m.id.includes(`${path.sep}node_modules${path.sep}${addon}${path.sep}`),
    );
  return {
    bufferutil: required('buffer-util.js', 'bufferutil'),
    utf8Validate: required('validation.js', 'utf-8-validate'),
  };
}

/** The folder a package resolves from `from`, for nativeAddons. */
export function packageDir(name: string, from: string): string {
  return path.dirname(require.resolve(name, { paths: [from] }));
}

/** Sent by the server once per connection, right after it connects. */
export interface WelcomeMessage {
  type: 'welcome';
  /** server send time (ms since epoch, fractional) */
  t: number;
  /** the node serving this client (its --node-id; a cluster worker's own); absent from older servers */
  node?: string;
}

/** Sent by a client; the server sends it back unchanged. */
export interface EchoMessage {
  type: 'echo';
  id: number;
  /** when the client's schedule said to send it (ms, the client's own clock) */
  t: number;
  /** when the client actually sent it (same clock); absent from clients before schedules */
  s?: number;
}

/** Sent by the server to every client on a control request. */
export interface BroadcastMessage {
  type: 'broadcast';
  /** increases by one per broadcast, starting at 1 */
  seq: number;
  /** server send time (ms since epoch, fractional) */
  t: number;
}

export type WireMessage =
  WelcomeMessage | EchoMessage | BroadcastMessage | JoinMessage | JoinedMessage | PublishMessage;

/** Socket.IO carries every message on this one event name. */
export const SOCKETIO_EVENT = 'message';
/** SockJS endpoints live under this prefix. */
export const SOCKJS_PREFIX = '/sockjs';
/** `POST` here makes the server broadcast one message to every client; answers `{"seq":N,"clients":C}`. */
export const CONTROL_BROADCAST_PATH = '/control/broadcast';

/** Epoch milliseconds with sub-millisecond resolution, from the monotonic clock. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** `config.engines.bench` in an Artillery script. */
export interface EngineConfig {
  /** library to speak; default `$BENCH_LIB`, else `ws` */
  lib?: Lib;
  /** Socket.IO client transports; default `websocket` */
  transport?: Transport;
  /** ask for per-message deflate where the client supports it; default false */
  deflate?: boolean;
  /** Socket.IO only: the packet encoding, the server's own; default `default` */
  sioParser?: SioParser;
  /** give up on a connection attempt after this long (ms); default 30000 */
  connectTimeoutMs?: number;
  /**
   * where to ask for broadcasts; default the target's own control route. With several nodes
   * behind a balancer, one node (the publisher) must be asked directly, as it numbers them.
   */
  controlUrl?: string;
  /**
   * reconnect a main client whose open connection is lost during the hold, with back-off; off
   * when absent. Every library gets the same back-off (the engine's, not the library's own).
   */
  reconnect?: ReconnectConfig;
  /**
   * whether the server's clock is this machine's, so that its send stamps (`t` of a welcome or a
   * broadcast) can be compared with ours; default `same` when the target is loopback or
   * 198.18.0.0/15 (bench's own namespaces, one kernel), else `other`
   */
  serverClock?: ServerClock;
  /**
   * every node's URL, for clients spread over nodes without a balancer (`--spread client`): each
   * VU takes the next one, round robin, as DNS round-robin spreads real clients; default
   * `[config.target]`
   */
  targets?: string[];
  /**
   * local (source) addresses to connect from, round robin per VU: each address has its own
   * ephemeral port range, so more of them hold more connections to one destination; default: the
   * kernel's choice
   */
  sourceAddresses?: string[];
  /**
   * Artillery processes of one run that share its arrival schedule (bench run --generators);
   * default 1. The broadcast leader asks for none until this many have started their hold, so
   * every broadcast goes to every client.
   */
  generators?: number;
  /**
   * which of those generators this is, 0-based; default 0. Main client `i` of this generator is
   * client `i × generators + generatorIndex` of the run (rooms are given out by it).
   */
  generatorIndex?: number;
  /** the rooms scenario: every main client joins a room and publishes to it; absent: no rooms */
  rooms?: RoomsConfig;
  /**
   * rooms scenario, bench run --amqp-topology prefix:N: a main client connects to the node that
   * owns its room's prefix (`roomPrefix(room, prefixes)`): with several `targets`, target number
   * prefix mod their count; with one (a balancer), that target with `?prefix=P`, which HAProxy
   * routes on. Absent: no affinity.
   */
  affinity?: { prefixes: number };
  /**
   * this share (0 < share < 1) of the main clients stays on HTTP long-polling (Socket.IO:
   * `transports: ['polling']`; SockJS: `xhr-polling`), the rest use websocket; each group is
   * measured apart as well (`cohorts` in snapshot and final lines). Absent: none.
   */
  pollingShare?: number;
  /**
   * slow consumers: this share of the main clients reads from its socket at a capped rate,
   * through a throttling proxy in the engine (see throttle-proxy.ts); absent: none
   */
  slowClients?: SlowClientsConfig;
  /**
   * Socket.IO only, rooms scenario: sockets each client multiplexes on its one connection, `/`
   * and `/n2` … `/nN` (1 to 16); it joins its room in each and its publishes take turns over
   * them. Default 1.
   */
  namespaces?: number;
}

/** Whether main client `k` of the run (0-based, across generators) is one of the long-polling share: evenly spread, exactly ⌊n × share⌋ of the first n. */
export function isPollingClient(k: number, share: number): boolean {
  return Math.floor((k + 1) * share) > Math.floor(k * share);
}

/** A group of main clients measured apart as well as with everyone (pollingShare: by transport). */
export type CohortName = 'websocket' | 'polling';

/** One cohort in a snapshot or final line: its own counts and histograms. */
export interface CohortSnapshot {
  counts: EngineCounts;
  histograms: Partial<Record<MetricName, string>>;
}

/** `same`: the server runs on this host, stamps compare; `other`: they do not. */
export type ServerClock = 'same' | 'other';

/**
 * Where the arrival scheduler leaves the time an arrival was due (`performance.now()` ms) for
 * the scenario it starts. Artillery calls the scenario synchronously from the arrival, so the
 * engine reads it in the same tick. bench's arrival timer (runner/coarse-timer.ts) sets it;
 * without it (plain `artillery run`) the engine times from the actual start and says so.
 */
export const ARRIVAL_DUE_SLOT = Symbol.for('artillery-engine-bench.arrivalDue');

/** Sets (or clears, with undefined) the due time of the arrival about to start. */
export function setArrivalDue(dueMs: number | undefined): void {
  (globalThis as Record<symbol, unknown>)[ARRIVAL_DUE_SLOT] = dueMs;
}

/** The due time of the arrival being started now, if the scheduler gave one. */
export function arrivalDue(): number | undefined {
  const v = (globalThis as Record<symbol, unknown>)[ARRIVAL_DUE_SLOT];
  return typeof v === 'number' ? v : undefined;
}

/** Socket.IO's back-off: delay × 2^attempt, at most delayMax, spread by ± jitter. */
export interface ReconnectConfig {
  /** attempts per lost connection before giving up; default 10 */
  attempts?: number;
  /** the first delay (ms); default 1000, as Socket.IO's `reconnectionDelay` */
  delayMs?: number;
  /** the largest delay (ms); default 5000, as Socket.IO's `reconnectionDelayMax` */
  delayMaxMs?: number;
  /** spread of each delay, 0..1; default 0.5, as Socket.IO's `randomizationFactor` */
  jitter?: number;
}

/** Socket.IO client's defaults (`reconnectionAttempts` aside, which is Infinity there). */
export const DEFAULT_RECONNECT: Required<ReconnectConfig> = {
  attempts: 10,
  delayMs: 1000,
  delayMaxMs: 5000,
  jitter: 0.5,
};

/** Histograms the engine keeps (values recorded in microseconds). */
export const METRICS = [
  'connectMs',
  'connectServiceMs',
  'arrivalLagMs',
  'firstMessageMs',
  'timeToFirstMessageMs',
  'welcomeDeliveryMs',
  'echoMs',
  'echoServiceMs',
  'broadcastMs',
  'reconnectMs',
  'recoveredBroadcastMs',
  'probeConnectMs',
  'probeConnectServiceMs',
  'probeFirstMessageMs',
  'probeTimeToFirstMessageMs',
  'joinMs',
  'roomMs',
  'roomServiceMs',
  'slowBroadcastMs',
  'slowEchoMs',
  'slowRoomMs',
] as const;
export type MetricName = (typeof METRICS)[number];

/** `bench.lib.<lib>`: a counter each engine adds 1 to once, so that an Artillery report names its library. */
export const LIB_COUNTER_PREFIX = 'bench.lib.';

/** Artillery custom metric names, usable in `ensure` (e.g. `bench.connect.p99`). */
export const ARTILLERY_METRIC: Record<MetricName, string> = {
  connectMs: 'bench.connect',
  connectServiceMs: 'bench.connect_service',
  arrivalLagMs: 'bench.arrival_lag',
  firstMessageMs: 'bench.first_message',
  timeToFirstMessageMs: 'bench.time_to_first_message',
  welcomeDeliveryMs: 'bench.welcome_delivery',
  echoMs: 'bench.echo',
  echoServiceMs: 'bench.echo_service',
  broadcastMs: 'bench.broadcast',
  reconnectMs: 'bench.reconnect',
  recoveredBroadcastMs: 'bench.broadcast.recovered',
  probeConnectMs: 'bench.probe.connect',
  probeConnectServiceMs: 'bench.probe.connect_service',
  probeFirstMessageMs: 'bench.probe.first_message',
  probeTimeToFirstMessageMs: 'bench.probe.time_to_first_message',
  /** join sent → joined received */
  joinMs: 'bench.room.join',
  /** a room message's due time at its publisher → its receipt by a member (each member once) */
  roomMs: 'bench.room.message',
  /** the same from when the publisher actually sent it */
  roomServiceMs: 'bench.room.message_service',
  /** slow clients (--slow-clients): broadcastMs, echoMs and roomMs of theirs, kept apart */
  slowBroadcastMs: 'bench.slow.broadcast',
  slowEchoMs: 'bench.slow.echo',
  slowRoomMs: 'bench.slow.room_message',
};

/** Counts the engine keeps. `connected`/`failed` are main clients; probes are counted apart. */
export interface EngineCounts {
  connected: number;
  failed: number;
  /** main clients open right now */
  open: number;
  probesConnected: number;
  probesFailed: number;
  echoSent: number;
  echoReceived: number;
  /** echoes sent more than ECHO_LATE_MS after they were due (each is still timed from when it was due) */
  echoLate?: number;
  /** arrivals the scheduler gave no due time for: timed from their actual start */
  arrivalsUnscheduled?: number;
  /** welcomes whose server stamp was later than our receive time (clocks apart): not in welcomeDeliveryMs */
  welcomeDeliveryNegative?: number;
  /** broadcasts whose server stamp was later than our receive time (clocks apart): not in broadcastMs */
  broadcastNegative?: number;
  /** broadcasts received, each (client, seq) once */
  broadcastsReceived: number;
  /** control requests the engine's broadcast leader sent and the server accepted */
  broadcastsSent?: number;
  /** deliveries the server promised: the sum over broadcasts of the clients it sent each to */
  broadcastsExpected?: number;
  /** a (client, seq) received again */
  broadcastDuplicates?: number;
  /** a broadcast that arrived after one with a higher seq, on the same client */
  broadcastOutOfOrder?: number;
  /** seqs missing between the first and the last broadcast a client received (counted as it closes) */
  broadcastGaps?: number;
  /** seqs a client missed between losing its connection and its first broadcast after reconnecting */
  broadcastsMissedReconnecting?: number;
  /** main clients whose open connection was lost during the hold (with reconnecting on) */
  connectionsLost?: number;
  /** main clients whose open connection the other side closed, reconnecting off: no longer held */
  dropped?: number;
  reconnected?: number;
  /** lost connections given up on after every attempt */
  reconnectFailed?: number;
  /** reconnect attempts started, failed ones included */
  reconnectAttempts?: number;
  /** reconnects whose session the server restored (Socket.IO connection state recovery: `socket.recovered`) */
  sessionsRecovered?: number;
  /** broadcasts a restored session got late: replayed by the server before the reconnect completed */
  broadcastsRecovered?: number;
  /** warm-up clients (phase `warmup`): connected and closed again, never measured */
  warmupConnected?: number;
  warmupFailed?: number;
  /** main clients whose life ended (a `hold` with `lifeMs`): closed cleanly, or reset abruptly */
  cyclesClean?: number;
  cyclesAbrupt?: number;
  /** rooms: main clients whose join the server answered (reconnects that joined again included) */
  roomJoined?: number;
  /** rooms: joins not answered within the connect timeout, or on a connection lost first */
  roomJoinFailed?: number;
  /** rooms: messages published (sent by members) */
  roomPublished?: number;
  /** rooms: messages sent more than ECHO_LATE_MS after they were due (still timed from when due) */
  roomPublishLate?: number;
  /** rooms: messages received by members, each (member, publisher, seq) once */
  roomReceived?: number;
  /** rooms: a (publisher, seq) a member received again */
  roomDuplicates?: number;
  /** rooms: a message that arrived after a later one of the same publisher, at the same member */
  roomOutOfOrder?: number;
  /** slow clients (--slow-clients): connected (also in `connected`), and what they received (also in the totals) */
  slowConnected?: number;
  slowBroadcastsReceived?: number;
  slowEchoReceived?: number;
  slowRoomReceived?: number;
  /** slow clients whose open connection the other side closed (also in `dropped`, or in `connectionsLost` when reconnecting) */
  slowDropped?: number;
  /** client-side errors by code */
  errors: Record<string, number>;
  /**
   * per node whose welcome a main client got (the welcome's `node`): `welcomed`, main clients it
   * welcomed, reconnects included; `received`, broadcasts those clients received while connected
   * to it, each (client, seq) once. What a node's clients got, beside what its log says it wrote.
   */
  byNode?: Record<string, NodeCounts>;
}

/** One node, as its clients counted it (see EngineCounts.byNode). */
export interface NodeCounts {
  welcomed: number;
  received: number;
  /**
   * By the node a main client LOST its connection to during the hold (reconnecting on): those
   * losses, how many of them reconnected (to any node), gave up after every attempt, and the
   * reconnect attempts that failed meanwhile. Absent before any loss, and from older engines.
   */
  lost?: number;
  reconnected?: number;
  reconnectFailed?: number;
  attemptsFailed?: number;
}

/** Counts before anything happened; the one definition the engine, runner and tests share. */
export function emptyCounts(): EngineCounts {
  return {
    connected: 0,
    failed: 0,
    open: 0,
    probesConnected: 0,
    probesFailed: 0,
    echoSent: 0,
    echoReceived: 0,
    echoLate: 0,
    arrivalsUnscheduled: 0,
    welcomeDeliveryNegative: 0,
    broadcastNegative: 0,
    broadcastsReceived: 0,
    broadcastsSent: 0,
    broadcastsExpected: 0,
    broadcastDuplicates: 0,
    broadcastOutOfOrder: 0,
    broadcastGaps: 0,
    broadcastsMissedReconnecting: 0,
    connectionsLost: 0,
    dropped: 0,
    reconnected: 0,
    reconnectFailed: 0,
    reconnectAttempts: 0,
    sessionsRecovered: 0,
    broadcastsRecovered: 0,
    warmupConnected: 0,
    warmupFailed: 0,
    cyclesClean: 0,
    cyclesAbrupt: 0,
    roomJoined: 0,
    roomJoinFailed: 0,
    roomPublished: 0,
    roomPublishLate: 0,
    roomReceived: 0,
    roomDuplicates: 0,
    roomOutOfOrder: 0,
    slowConnected: 0,
    slowBroadcastsReceived: 0,
    slowEchoReceived: 0,
    slowRoomReceived: 0,
    slowDropped: 0,
    errors: {},
    byNode: {},
  };
}

/** Counts that are also Artillery counters (`metrics.counter`), under these names. */
export type CounterName = Exclude<keyof EngineCounts, 'open' | 'errors' | 'byNode'>;
export const ARTILLERY_COUNTER: Record<CounterName, string> = {
  connected: 'bench.connected',
  failed: 'bench.failed',
  probesConnected: 'bench.probe.connected',
  probesFailed: 'bench.probe.failed',
  echoSent: 'bench.echo.sent',
  echoReceived: 'bench.echo.received',
  echoLate: 'bench.echo.late',
  arrivalsUnscheduled: 'bench.arrivals_unscheduled',
  welcomeDeliveryNegative: 'bench.welcome_delivery.negative',
  broadcastNegative: 'bench.broadcast.negative',
  broadcastsReceived: 'bench.broadcast.received',
  broadcastsSent: 'bench.broadcast.sent',
  broadcastsExpected: 'bench.broadcast.expected',
  broadcastDuplicates: 'bench.broadcast.duplicates',
  broadcastOutOfOrder: 'bench.broadcast.out_of_order',
  broadcastGaps: 'bench.broadcast.gaps',
  broadcastsMissedReconnecting: 'bench.broadcast.missed_reconnecting',
  connectionsLost: 'bench.connections_lost',
  dropped: 'bench.dropped',
  reconnected: 'bench.reconnected',
  reconnectFailed: 'bench.reconnect.failed',
  reconnectAttempts: 'bench.reconnect.attempts',
  sessionsRecovered: 'bench.reconnect.recovered',
  broadcastsRecovered: 'bench.broadcast.recovered_count',
  warmupConnected: 'bench.warmup.connected',
  warmupFailed: 'bench.warmup.failed',
  cyclesClean: 'bench.cycles.clean',
  cyclesAbrupt: 'bench.cycles.abrupt',
  roomJoined: 'bench.room.joined',
  roomJoinFailed: 'bench.room.join_failed',
  roomPublished: 'bench.room.published',
  roomPublishLate: 'bench.room.published_late',
  roomReceived: 'bench.room.received',
  roomDuplicates: 'bench.room.duplicates',
  roomOutOfOrder: 'bench.room.out_of_order',
  slowConnected: 'bench.slow.connected',
  slowBroadcastsReceived: 'bench.slow.broadcast.received',
  slowEchoReceived: 'bench.slow.echo.received',
  slowRoomReceived: 'bench.slow.room.received',
  slowDropped: 'bench.slow.dropped',
};

/** An echo sent this long after it was due counts as late (timer slack is a few ms). */
export const ECHO_LATE_MS = 10;

/** What a virtual user is for: measured and held, a probe after the hold, or warm-up. */
export type Role = 'main' | 'probe' | 'warmup';

/**
 * Event-loop delay of the engine's thread (ms): over the last second in `progress` lines, since
 * the engine started in `snapshot` and `final` lines.
 */
export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * Lines the engine appends (NDJSON) to `$BENCH_ENGINE_DIR/engine-<pid>-<threadId>.ndjson`
 * when that variable is set. `t` is ms since epoch.
 */
export type EngineEvent =
  | {
      event: 'started';
      t: number;
      pid: number;
      threadId: number;
      lib: Lib;
      rssBytes: number;
      /** the engine's target URL */
      target?: string;
      /** client transports asked for */
      transport?: Transport;
      /** client side per-message deflate: `unsupported` when the client library cannot ask for it */
      deflate?: 'on' | 'off' | 'unsupported';
      /** installed version of the client library */
      clientVersion?: string;
      /** Socket.IO client packet encoding */
      sioParser?: SioParser;
      /** ws's native add-ons as loaded in this worker */
      native?: NativeAddons;
      /** whether server stamps compare with ours (see EngineConfig.serverClock) */
      serverClock?: ServerClock;
    }
  | {
      event: 'phase';
      t: number;
      name: string;
      index: number;
      state: 'started' | 'completed';
    }
  | {
      event: 'progress';
      t: number;
      counts: EngineCounts;
      loopDelayMs: LoopDelay;
      /** the whole Artillery process's resident set (all its threads) */
      rssBytes?: number;
      /** this thread's V8 heap in use */
      heapUsedBytes?: number;
    }
  | {
      event: 'snapshot' | 'final';
      t: number;
      counts: EngineCounts;
      loopDelayMs: LoopDelay;
      /** HDR histograms (µs), `encodeIntoCompressedBase64` */
      histograms: Partial<Record<MetricName, string>>;
      /**
       * reconnectMs (µs, encoded the same way) of the clients that lost their connection to each
       * node, by that node; absent when none lost one
       */
      reconnectByNode?: Record<string, string>;
      /** rooms scenario: per room, messages this engine's members published and received (cumulative) */
      rooms?: RoomCounts;
      /** with pollingShare: each transport's main clients on their own (they are in counts and histograms too) */
      cohorts?: Partial<Record<CohortName, CohortSnapshot>>;
      /** a snapshot taken once a `probe` phase's last probe finished: that phase's index */
      afterPhase?: number;
    };

/** Env var: folder where the engine writes its event files. */
export const ENGINE_DIR_ENV = 'BENCH_ENGINE_DIR';
/**
 * File in $BENCH_ENGINE_DIR that the broadcast leader creates (O_EXCL): across every Artillery
 * process and worker thread of a run, the first engine to create it is the only one that asks
 * for broadcasts. It holds the leader's pid and threadId.
 */
export const BROADCAST_LEADER_FILE = 'broadcast-leader';
/**
 * File in $BENCH_ENGINE_DIR that the engine running the probes creates once they are done. An
 * engine whose `probe` phase is a pause (a generator without probes) holds its clients until
 * the file is there, so every client of every generator is held while the probes run.
 */
export const PROBES_DONE_FILE = 'probes-done';
/** Files (`holding-<pid>-<threadId>`) each engine creates in $BENCH_ENGINE_DIR as its hold starts. */
export const HOLDING_PREFIX = 'holding-';
/** Env var: default library when the script does not name one. */
export const LIB_ENV = 'BENCH_LIB';
