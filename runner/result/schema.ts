import type { Lib, LoopDelay } from 'artillery-engine-bench/protocol';
import type { ArrivalRate } from '../config/run-options';
import type { Calibration } from './calibration';
import type { LatencyStats } from '../metrics/histograms';
import type { SlowClientsOption, SlowClientsReport } from './slow-schema';

// The result file's contract: what a run writes and every reader (report, gate, capacity)
// reads. Types and version constants only, importing nothing above result, so that the modules
// producing the parts (loadgen, topology, sampling) take them from here.

/**
 * 2: connectMs runs from when the arrival was due (was: from the client's creation, now
 * connectServiceMs); adds arrivalLagMs, timeToFirstMessageMs, welcomeDeliveryMs, schedule,
 * echo.late, the run's own `valid`/`invalidReasons` (failed connections, lag, a silent engine
 * count too), options.maxFailed/maxLagMs/allowInvalid, and `arrivalRate: "burst"`.
 * Readers accept 1 and 2.
 */
export const SCHEMA_VERSION = 2;
/** Result files the readers (report, gate, capacity) accept. */
export const READABLE_SCHEMA_VERSIONS: readonly number[] = [1, SCHEMA_VERSION];

/** The run's verdict, from a result of any readable version (1 kept it in `loadgen`). */
export function runVerdict(r: Pick<RunResult, 'loadgen'> & { valid?: boolean; invalidReasons?: string[] }): {
  valid: boolean;
  reasons: string[];
} {
  return { valid: r.valid ?? r.loadgen.valid, reasons: r.invalidReasons ?? r.loadgen.invalidReasons };
}

/** RSS of a process over a run (bytes); null where no sample covers that moment. */
export interface RssSummary {
  /** before any client (server) or before the first arrival (generator) */
  idle: number | null;
  /** median over the second half of the hold, all clients connected */
  steady: number | null;
  /** highest sample */
  peak: number | null;
}

/**
 * How small a memory per client one run can tell from the noise of its RSS samples. Absent in
 * older files.
 */
export interface PerClientFloor {
  /**
   * the RSS noise over the connected clients (bytes, rounded up): the largest of one page, the
   * spread of the idle samples, the spread of the steady samples and a fall from idle to steady;
   * null where bytesPerClient cannot be computed at all
   */
  bytesPerClientFloor?: number | null;
  /** steady − idle was within that noise: bytesPerClient is null, each client cost less than the floor */
  bytesPerClientBelowFloor?: boolean;
}

/**
 * What `bench serve` sampled inside itself (heap, event loop, GC), over all nodes: heaps and GC
 * summed, the event loop the busiest node's. Absent in results from before it was measured.
 */
export interface InnerSummary {
  samples: number;
  heapBytes: { used: RssSummary; total: RssSummary; external: RssSummary; arrayBuffers: RssSummary };
  eventLoop: {
    /** share of time the loop was busy, 0..1, per sampling interval */
    utilization: RssSummary;
    /** how late the loop's timer fired, mean per interval (ms) */
    delayMs: RssSummary;
    /** the latest it fired in any interval (ms) */
    delayMaxMs: number | null;
  };
  gc: {
    count: number;
    pauseMs: number;
    /** GC pause per second of the steady window (ms/s); null without one */
    steadyPauseMsPerSecond: number | null;
  };
  /** --forced-gc-heap: heap used after a forced full GC at 3/4 of the hold; null without it */
  heapAfterGcBytes: number | null;
}

/** A sample as stored in the result: t is ms since the run started. */
export interface StoredSample {
  t: number;
  rssBytes: number;
  cpuPercent: number;
}

export interface RunResultBase {
  schemaVersion: typeof SCHEMA_VERSION;
  lib: Lib;
  /** built-in scenario name, or the custom script's base name */
  scenario: string;
  /** ISO 8601 */
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  options: {
    clients: number | null;
    /** clients per second, or `burst` (schemaVersion 2): all due at once */
    arrivalRate: ArrivalRate;
    warmup: number;
    holdSeconds: number;
    probes: number;
    transport: string;
    deflate: boolean;
    pingIntervalMs: number;
    echoEveryMs: number;
    broadcastEveryMs: number;
    connectTimeoutMs: number;
    target: string | null;
    scenarioFile: string;
    /** server nodes, and what carried broadcasts between them (absent in results before scale-out) */
    nodes?: number;
    adapter?: string;
    /** --adapter amqp: --amqp-topology (`fanout`, `routing`, `prefix:N`) and --amqp-extra-bindings; absent with other adapters */
    amqpTopology?: string;
    amqpExtraBindings?: number;
    /** --kill-node-at, and how clients reconnect (absent in results before faults) */
    killNodeAt?: number | null;
    /** --rolling-restart: seconds after the hold started of the first restart; absent without one */
    rollingRestart?: number;
    reconnect?: ReconnectSettings | null;
    /** --max-failed as given: a count, or a percentage such as `1%` (schemaVersion 2) */
    maxFailed?: string;
    /** --max-lag (ms) */
    maxLagMs?: number;
    allowInvalid?: boolean;
    /** --forced-gc-heap */
    forcedGcHeap?: boolean;
    /** Socket.IO's tuning options and ws's native add-ons as asked for (absent in results before them) */
    sioParser?: string;
    sioDiscardRequest?: boolean;
    sioWsEngine?: string | null;
    /** --sio-recovery: how long a lost session is kept (ms); null: off (absent in older files) */
    sioRecoveryMs?: number | null;
    /** --polling-share: percent of the clients kept on long-polling (absent without) */
    pollingSharePct?: number;
    /** --scenario rooms: its shape (absent for other scenarios) */
    rooms?: RoomsShape;
    slowClients?: SlowClientsOption;
    /** --flap SHARE@EVERY; null: no flaps (absent in older files) */
    flap?: { sharePct: number; everySeconds: number } | null;
    wsNative?: 'on' | 'off';
    /** the regressions injected into the servers for a test (--echo-delay, --retain-per-connection); null: none */
    serverTest?: { echoDelayMs: number; retainPerConnectionBytes: number } | null;
  };
  /**
   * Whether the numbers measure what was asked: no more failed connections than --max-failed,
   * arrivals on schedule, the generator not saturated, the engine reported everything. The
   * reasons say why not; empty when valid. (schemaVersion 1 kept this in `loadgen` only.)
   */
  valid: boolean;
  invalidReasons: string[];
  /**
   * Where the due times of arrivals came from: `arrivals`, bench's arrival timer (latencies run
   * from the schedule); `actual`, none given (plain Artillery, a ramp phase): from the actual start.
   */
  schedule: { source: 'arrivals' | 'actual'; unscheduled: number };
  /**
   * `dropped` (absent before 2026-12): main clients whose open connection the other side closed,
   * with reconnecting off; they stop being held (reconnecting on: see `reconnect`)
   */
  clients: { requested: number | null; connected: number; failed: number; dropped?: number };
  /** arrival due by the schedule → library's connected event (ms); schemaVersion 1: from the client's creation */
  connectMs: LatencyStats | null;
  /** client object created → library's connected event (ms): connectMs without the generator's lag */
  connectServiceMs: LatencyStats | null;
  /** client object created − arrival due (ms): how far the generator ran behind its schedule */
  arrivalLagMs: LatencyStats | null;
  /** connected event → welcome message (ms); near zero by construction (see README) */
  firstMessageMs: LatencyStats | null;
  /** arrival due → welcome message (ms): what a user of an app waits for */
  timeToFirstMessageMs: LatencyStats | null;
  /**
   * the welcome's server send stamp → its arrival (ms), same host and clock only; null when
   * the server's clock is another machine's
   */
  welcomeDeliveryMs: LatencyStats | null;
  /** whose clock stamped the welcome, and how many stamps were later than their arrival (not recorded) */
  welcomeDelivery: { serverClock: 'same' | 'other'; negative: number };
  /** echo round trip during the hold, from when each echo was due (ms); schemaVersion 1: from its send */
  echoMs: LatencyStats | null;
  /** echo round trip from when it was actually sent (ms): echoMs without the generator's lateness */
  echoServiceMs: LatencyStats | null;
  /** server send → client receive of a broadcast (ms) */
  broadcastMs: LatencyStats | null;
  /** `late`: sent more than 10 ms after it was due (a late send is still timed from when it was due) */
  echo: { sent: number; received: number; late: number };
  /** clients that connected and left before the ramp, so the measured ramp does not start cold */
  warmup: { requested: number; connected: number; failed: number };
  broadcasts: { received: number };
  /**
   * Broadcast delivery: the broadcasts sent, the deliveries the nodes made (the clients each
   * wrote each broadcast to), and what the clients got: `lost` = expectedDeliveries −
   * (delivered − recovered), negative only if clients got more than the nodes wrote.
   * Null when the run sent no broadcast.
   */
  broadcast: {
    /** distinct broadcasts the nodes delivered (with node logs), else those the publisher answered */
    sent: number;
    expectedDeliveries: number;
    delivered: number;
    lost: number;
    outOfOrder: number;
    duplicates: number;
    latencyMs: LatencyStats | null;
    /**
     * Where `expectedDeliveries` comes from: `nodes`, each node's own log of the clients it wrote
     * each broadcast to (exact, late deliveries included); `control`, the publisher's answers to
     * the engine's requests (a remote --target, or results before the log existed).
     */
    expectedFrom?: 'nodes' | 'control';
    /** seqs missing between the first and the last one a client received, summed over clients */
    gaps?: number;
    /**
     * whose clock stamped the broadcasts: `same` host (latencyMs is arrival − stamp), or `other`
     * (another machine's: latencyMs is null, the deliveries still counted); absent in older files
     */
    serverClock?: 'same' | 'other';
    /** broadcasts stamped later than they arrived (clocks apart): counted, left out of latencyMs */
    clockNegative?: number;
    /**
     * seqs a client never received between its last one before a lost connection and its first
     * one after reconnecting, summed. Those its node wrote before dying are also in `lost`.
     */
    missedWhileReconnecting?: number;
    /**
     * of `delivered`, broadcasts a restored session got replayed (Socket.IO connection state
     * recovery); the nodes' logs do not count them, so `lost` compares live deliveries only
     */
    recovered?: number;
  } | null;
  /** clients that lost their connection during the hold and reconnected; null when reconnecting was off */
  reconnect?: ReconnectReport | null;
  /** --flap: what the flaps cost in deliveries and how clients came back; null without flaps */
  flaps?: FlapReport | null;
  /** --scenario rooms: room messages published, expected from the nodes' membership, received; null otherwise */
  rooms?: RoomsReport | null;
  /** --polling-share: the long-polling clients and the websocket ones, each on its own; null otherwise */
  byTransport?: {
    pollingSharePct: number;
    websocket: TransportReport;
    polling: TransportReport;
    /** clients by transport as the nodes counted them halfway through the hold (summed); null: not read */
    serverCounted: Record<string, number> | null;
  } | null;
  slowClients?: SlowClientsReport | null;
  /** new connections made one at a time after the hold, with every client still connected */
  probe: {
    requested: number;
    connected: number;
    failed: number;
    connectMs: LatencyStats | null;
    connectServiceMs: LatencyStats | null;
    firstMessageMs: LatencyStats | null;
    timeToFirstMessageMs: LatencyStats | null;
  };
  server: {
    pid: number | null;
    url: string | null;
    /**
     * per-message deflate, transports and ping interval as the server reported applying them in
     * its ready line; null where it did not report (a --target): what was asked is in `options`
     */
    deflate: string | null;
    transports: string[] | null;
    pingIntervalMs: number | null;
    rssBytes: RssSummary;
    /**
     * (steady − idle) / connected; null with several nodes (see README, scale-out), and when the
     * clients added less than the RSS noise (bytesPerClientBelowFloor)
     */
    bytesPerClient: number | null;
    /** mean CPU from the first arrival to the end of the probes (% of one core) */
    cpuPercent: number | null;
    /** where the samples came from: /proc on this machine, a remote `bench serve --metrics-token`, or nowhere */
    samplesFrom: 'local' | 'remote' | 'none';
    /** Socket.IO's tuning options as the server applied them; null: another library, or a --target */
    sio?: { parser: string; discardRequest: boolean; wsEngine: string | null; recoveryMs?: number | null } | null;
    /** --adapter amqp: the topology the server said it applied (`fanout`, `routing`, `prefix:N`); absent otherwise */
    amqpTopology?: string;
    /** ws's native add-ons as loaded in the server; null: not known (a --target) */
    native?: { bufferutil: boolean; utf8Validate: boolean } | null;
    /** with --server-metrics: reads of it that failed during the run, and the last reason; null: none failed */
    remoteErrors?: { count: number; last: string } | null;
    /** the profile's memory cap on the server, and what it saw; null without one */
    memoryCap: MemoryCapReport | null;
    samples: StoredSample[];
    /** null: not sampled (--target, --adapter cluster) */
    inner?: InnerSummary | null;
  } & PerClientFloor;
  loadgen: {
    /** the first generator's pid */
    pid: number | null;
    /** Artillery processes that shared the arrival schedule (absent before --generators) */
    generators?: number;
    /** every generator's pid; `cpuPercent`, `rss` and `samples` add them all up */
    pids?: number[];
    /** mean CPU from the first arrival to the end of the probes (% of one core) */
    cpuPercent: number | null;
    /** peak RSS of the Artillery processes together */
    rssBytes: number | null;
    rss: RssSummary;
    /** (steady − idle) / connected: the generator's memory per client; null below the floor, as the server's */
    bytesPerClient: number | null;
    loopDelayMs: LoopDelay | null;
    /** ws's native add-ons as loaded in the engine workers, and the Socket.IO parser they spoke; null: not reported */
    native?: { bufferutil: boolean; utf8Validate: boolean } | null;
    sioParser?: string | null;
    /** the run's verdict, as `valid` at the top (kept here for readers of schemaVersion 1) */
    valid: boolean;
    /** the same as the top-level `invalidReasons` */
    invalidReasons: string[];
    samples: StoredSample[];
  } & PerClientFloor;
  /** whether every engine worker wrote its final line (its last counts and histograms) */
  engine: { workers: number; final: boolean };
  /** phase boundaries, ms since the run started */
  phases: Record<string, PhaseTimes>;
  /** client errors by code */
  errors: Record<string, number>;
  /** Artillery's own aggregate counters and summaries */
  artillery: ArtilleryMetrics | null;
  env: RunEnv;
  /** absent in older files; null where /proc does not have the counters */
  kernel?: KernelNetRecord | null;
  /**
   * Each server node's memory and CPU, when the run had several; `server` holds their sum (the
   * service as a whole). Null with one node.
   */
  nodes:
    | {
        nodeId: string;
        pid: number;
        rssBytes: RssSummary;
        cpuPercent: number | null;
        /** broadcast deliveries this node wrote, from its log; absent when not logged */
        deliveries?: number;
        /**
         * what the clients counted of this node, by the node its welcome named: main clients it
         * welcomed (reconnects included) and broadcasts they received from it, each (client, seq)
         * once, to hold against `deliveries`; absent when the engine or the servers did not say
         */
        welcomed?: number;
        received?: number;
        /** true for the node --kill-node-at killed */
        killed?: boolean;
        samples: StoredSample[];
      }[]
    | null;
  /**
   * The broker the adapter syncs the nodes through, sampled as the nodes are: what the sync
   * layer costs. Null without one (--adapter none or cluster, a --target); absent in older files.
   */
  broker?: BrokerRecord | null;
  /** faults the run injected (--adapter-outage); empty when none */
  faults: FaultRecord[];
  /** how clients reached the server and from where (absent in results before --spread) */
  topology?: TopologyRecord;
  /** the run's --ensure checks and how each came out; absent when none were given */
  ensure?: StoredEnsureOutcome[];
}

// The faults a run injects and what they cost: fault-schema.ts (part of this contract).
export type * from './fault-schema';
import type { FaultRecord, FlapReport, ReconnectReport, ReconnectSettings } from './fault-schema';

/** One run. Discriminated on `status`: an errored or aborted run keeps what it measured. */
export type RunResult =
  | (RunResultBase & { status: 'completed' })
  | (RunResultBase & { status: 'errored'; error: string })
  | (RunResultBase & { status: 'aborted'; error: string });

export type RunOutcome = { status: 'completed' } | { status: 'errored' | 'aborted'; error: string };

/** Phase boundaries as the engine saw them (ms since epoch; stored as ms since the run started). */
export interface PhaseTimes {
  startedAt?: number;
  completedAt?: number;
}

/** Artillery's own aggregate metrics, kept in the result as Artillery wrote them. */
export interface ArtilleryMetrics {
  counters: Record<string, number>;
  summaries: Record<string, Record<string, number>>;
}

/** The service an adapter with a broker syncs nodes through. */
export type BrokerKind = 'redis' | 'postgres' | 'amqp' | 'nats';

/**
 * A broker's processes over a run: the process listening on the adapter's host:port and all its
 * descendants (PostgreSQL's backends, RabbitMQ's helpers), summed, re-read at every sample.
 */
export interface BrokerRecord {
  kind: BrokerKind;
  /** the adapter's URL, any password hidden */
  url: string;
  /** every process sampled, the listener first; empty when it was not found */
  pids: number[];
  /** the listener's command name (/proc/<pid>/comm), e.g. `redis-server`; null when not found */
  process: string | null;
  /** mean CPU from the first arrival to the end of the probes (% of one core), as the nodes' */
  cpuPercent: number | null;
  /** RSS summed over the processes: pages they share (PostgreSQL's shared buffers) count once each */
  rssBytes: RssSummary;
  samples: StoredSample[];
  /** why it was not sampled (a broker on another machine, no process bench can read); null when it was */
  error: string | null;
}

/** What a memory cap saw over a run. */
export interface MemoryCapReport {
  /** the cap (bytes) */
  capBytes: number;
  /**
   * highest memory the cgroup charged (bytes): memory the side touched after it started, page
   * cache included; shared pages already cached, such as the node binary, are charged elsewhere
   */
  peakBytes: number | null;
  /** times usage hit the cap */
  capHits: number | null;
}

/**
 * One --ensure check and how it came out, as stored: result/ensure.ts's EnsureOutcome, declared
 * here so the schema does not import the parser (the CLI passes one as the other both ways, so
 * tsc keeps them the same).
 */
export interface StoredEnsureOutcome {
  /** as the user wrote it */
  expression: string;
  metric: string;
  operator: '<=' | '>=' | '==' | '<' | '>';
  /** in the metric's base unit (ms, bytes or a count) */
  limit: number;
  /** the measured value; null when the result has none (which fails the check) */
  actual: number | null;
  ok: boolean;
}

/** Something a profile asked for and this machine did. */
export interface AppliedPart {
  what: string;
  detail: string;
}

/** Something a profile asked for that was not done, and why. */
export interface SkippedPart {
  what: string;
  reason: string;
}

/** What a run's profile did to the machine; stored as `env.profile`. */
export interface ProfileRecord {
  name: string;
  applied: AppliedPart[];
  skipped: SkippedPart[];
}

/** How a run's clients reached its nodes, and the source addresses they connected from. */
export interface TopologyRecord {
  /**
   * `balancer`: through HAProxy; `client`: each client picked a node itself, round robin
   * (--spread client); `single`: one URL (one node, a cluster primary, or --target)
   */
  spread: 'balancer' | 'client' | 'single';
  /** the URLs clients connected to */
  targets: string[];
  /**
   * the source addresses clients connected from, in order, with how many VUs (warm-up, main and
   * probe, each taking the next) each was given; `clients` is null for a custom script, whose
   * VUs bench does not count ahead. null: the kernel's choice
   */
  sourceAddresses: { address: string; clients: number | null }[] | null;
}

/** The conditions of a run: enough to tell two machines apart. */
/**
 * What this machine's network stack lost while the run ran (whole machine: other work counts too).
 * `backlogDrops`: packets dropped because a CPU's input queue (`net.core.netdev_max_backlog`) was
 * full, loopback included; `tcpAbortOnTimeout`: connections the kernel reset after unanswered
 * keepalive probes or retransmissions.
 */
export interface KernelNetRecord {
  backlogDrops: number;
  tcpAbortOnTimeout: number;
  netdevMaxBacklog: number | null;
}

export interface RunEnv {
  node: string;
  /** package → version, for every library on either side of the wire */
  versions: Record<string, string>;
  cpu: string;
  cores: number;
  memoryBytes: number;
  os: string;
  kernel: string;
  arch: string;
  /** the topology profile and what it did here; a bare name in results from before profiles applied anything */
  profile: ProfileRecord | string;
  /**
   * Short hash of cpu, cores, memoryBytes, kernel, node and versions: results with the same
   * fingerprint came from the same machine and software.
   */
  fingerprint: string;
  /** `bench calibrate`'s score for this fingerprint, when it was measured; null when not */
  calibration: Calibration | null;
}

/** --scenario rooms, as measured (docs/rooms.md). */
/** The rooms scenario's shape as asked for: rooms, members each, each member's publish interval, bytes per message. */
export interface RoomsShape {
  rooms: number;
  roomSize: number;
  publishEveryMs: number;
  messageBytes: number;
  exceptSender: boolean;
  /** Socket.IO: namespaces each client multiplexed on its connection (1: `/` alone); absent in older files */
  namespaces?: number;
}

export interface RoomsReport extends RoomsShape {
  /** with namespaces above 1: sockets per namespace as the nodes counted them halfway through the hold; null: not read */
  socketsByNamespace?: Record<string, number> | null;
  /**
   * The rooms as the nodes reported them (GET /control/stats, summed over nodes), halfway through
   * the hold (`from`: else at its end; null: no node answered, and nothing is expected).
   * `changed`: the hold-end read differed (a member left or came late); `error`: a node did not answer.
   */
  membership: {
    from: 'hold-mid' | 'hold-end' | null;
    members: number;
    rooms: number;
    minPerRoom: number | null;
    maxPerRoom: number | null;
    changed: boolean;
    error: string | null;
    /**
     * the most nodes one room's members sat on, and the rooms whose members all sat on one node
     * (room affinity, --amqp-topology prefix:N: every room); absent in older files
     */
    maxNodesPerRoom?: number | null;
    roomsOnOneNode?: number;
  };
  /** joins the servers answered (reconnects' included), and joins that failed */
  joined: number;
  joinFailed: number;
  /** messages members sent; `publishedLate`, sent more than 10 ms after due (still timed from due) */
  published: number;
  publishedLate: number;
  /** Σ over rooms of published × members (− 1 with exceptSender); null without membership */
  expected: number | null;
  /** messages members received, each (member, publisher, seq) once */
  received: number;
  deliveredPct: number | null;
  /** expected − received; negative: more than the membership explains */
  missed: number | null;
  /** a (publisher, seq) a member got again; a message older than one already seen from its publisher */
  duplicates: number;
  outOfOrder: number;
  /** rooms whose members got fewer than expected, and the one with the lowest share */
  roomsShort: number | null;
  worstRoom: { room: string; expected: number; received: number } | null;
  /** room messages the nodes wrote to members, read after the load; null: not read */
  serverWrites: number | null;
  /** over the hold phase */
  sentPerSecond: number | null;
  deliveredPerSecond: number | null;
  /** publish due → a member's receipt (ms), every member's copy; the publisher's clock on both ends */
  latencyMs: LatencyStats | null;
  /** the same from the actual send */
  serviceMs: LatencyStats | null;
  /** join sent → joined (ms) */
  joinMs: LatencyStats | null;
}

/** One transport's main clients in a run with --polling-share (they are in the run's figures too). */
export interface TransportReport {
  connected: number;
  failed: number;
  connectMs: LatencyStats | null;
  echoMs: LatencyStats | null;
  broadcastMs: LatencyStats | null;
  roomMs: LatencyStats | null;
  echo: { sent: number; received: number };
  /** `expected`: broadcasts sent × this transport's connected clients; null without broadcasts */
  broadcasts: {
    expected: number | null;
    received: number;
    deliveredPct: number | null;
    outOfOrder: number;
    duplicates: number;
  };
  rooms: { received: number; outOfOrder: number; duplicates: number };
}
