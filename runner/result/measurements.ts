import type {
  CohortName,
  RoomCounts,
  EngineCounts,
  LoopDelay,
  MetricName,
  Lib,
  NativeAddons,
  SioParser,
  Transport,
} from 'artillery-engine-bench/protocol';
import type { SioTuning } from '../../servers/types';
import type { BufferedStats } from '../../servers/buffered';
import type { ResolvedRunOptions } from '../config/run-options';
import type {
  ArtilleryMetrics,
  BrokerKind,
  FaultRecord,
  KernelNetRecord,
  MemoryCapReport,
  PhaseTimes,
  RunEnv,
  RunOutcome,
  TopologyRecord,
} from './schema';

// What a run hands to buildResult, as types: the samplers, the engine reader and the server
// process produce these parts and import them from here.

/** One reading of a process, taken from outside it. */
export interface ProcSample {
  /** ms since epoch */
  t: number;
  /** resident set (bytes), VmRSS from /proc/<pid>/status */
  rssBytes: number;
  /** CPU used since the previous sample (% of one core); 0 for the first */
  cpuPercent: number;
}

/** One reading of `bench serve` from inside its own process (--inner-sample-interval). */
export interface InnerSample {
  /** ms since epoch */
  t: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  /** event-loop utilisation over the interval since the previous sample, 0..1 */
  elu: number;
  /** event-loop delay over that interval (ms) */
  delayMeanMs: number;
  delayMaxMs: number;
  /** GC pause time and collections in that interval */
  gcPauseMs: number;
  gcCount: number;
}

/** One node's inner samples and the heap after each forced GC, as its server process read them. */
export interface NodeInner {
  /** the node they came from (its ready line's); absent: not known */
  nodeId?: string;
  samples: readonly InnerSample[];
  heapAfterGc: readonly number[];
}

/** A line `bench serve --inner-sample-interval` prints per sample, and once per forced GC. */
export type InnerLine =
  ({ event: 'inner'; pid: number } & InnerSample) | ({ event: 'heap-after-gc'; pid: number } & AfterGcSample);

/** A process's memory right after a forced full GC (the older `bench serve` said heap used only). */
export interface AfterGcSample {
  t: number;
  heapUsedBytes: number;
  /** off-heap memory V8 tracks (Buffers' bytes among it): what a Buffer kept per connection grows */
  externalBytes?: number;
  arrayBuffersBytes?: number;
  rssBytes?: number;
  /** the server's clients, and the TCP connections it has seen close, at the GC */
  clients?: number;
  connectionsClosed?: number;
  /** the library's clients that closed (a soak's cycles: a polling client may use several TCP connections) */
  clientsClosed?: number;
}

/**
 * --scenario rooms and --polling-share: every node's room membership, room messages written and
 * clients by transport, read at one moment:
 * halfway through the hold, as it ends, or after the load (writes final, members gone).
 */
export interface RoomRead {
  at: 'hold-mid' | 'hold-end' | 'after';
  /** ms after the run started; null: never taken (the hold never came) */
  takenAtMs: number | null;
  nodes: {
    nodeId: string;
    members: Record<string, number>;
    writes: number;
    transports?: Record<string, number>;
    namespaces?: Record<string, number>;
  }[];
  /** nodes that did not answer, and why; null when all did */
  error: string | null;
}

/** --slow-clients: every node's buffered bytes and closed clients at one moment of the hold. */
export interface SlowRead {
  /** seconds into the hold it was asked for */
  atSeconds: number;
  /** ms after the run started; null: never taken (the hold never came) */
  takenAtMs: number | null;
  /** each node (a cluster primary's workers each as their own) */
  nodes: { nodeId: string; buffered: BufferedStats }[];
  /** nodes that did not answer, and why; null when all did */
  error: string | null;
}

/** Everything the engine workers have reported so far, summed over workers. */
export interface EngineState {
  /** workers that wrote a `started` line */
  workers: number;
  /** earliest worker start (ms since epoch) */
  startedAt: number | null;
  phases: Record<string, PhaseTimes>;
  counts: EngineCounts;
  /** the worst worker's event-loop delay */
  loopDelayMs: LoopDelay | null;
  /** each worker's latest encoded histogram per metric */
  histograms: Partial<Record<MetricName, string[]>>;
  /** each worker's latest encoded reconnectMs by the node the clients lost (see NodeCounts.lost) */
  reconnectByNode?: Record<string, string[]>;
  /** every worker wrote its final line */
  final: boolean;
  /** rooms scenario: per room, messages the workers' members published and received (summed over workers) */
  rooms?: RoomCounts;
  /** with a long-polling share: each transport's clients apart, counts summed and histograms per worker */
  cohorts?: Partial<Record<CohortName, { counts: EngineCounts; histograms: Partial<Record<MetricName, string[]>> }>>;
  /** whether the server's stamps compare with the engine's clock (from the `started` lines) */
  serverClock?: 'same' | 'other' | null;
  /** what the workers' clients loaded and spoke (from the `started` lines); absent from engines before them */
  client?: { native: NativeAddons | null; sioParser: SioParser | null };
}

/** The line `bench serve` prints once it listens. */
export interface ReadyLine {
  event: 'ready';
  lib: Lib;
  port: number;
  pid: number;
  url: string;
  host?: string;
  deflate?: 'on' | 'off' | 'unsupported';
  transports?: Transport[];
  pingIntervalMs?: number;
  versions?: Record<string, string>;
  /** the metrics endpoint, when served (bench serve --metrics-token) */
  metrics?: string;
  /** what carries broadcasts between nodes, and this node's label */
  adapter?: string;
  /** --adapter amqp: its topology (`fanout`, `routing`, `prefix:N`) */
  amqpTopology?: string;
  nodeId?: string;
  /** a cluster primary's workers, which serve the clients */
  workers?: { pid: number; nodeId?: string }[];
  /** Socket.IO: its tuning options as applied */
  sio?: SioTuning;
  /** ws's native add-ons as loaded in the server process */
  native?: NativeAddons;
}

/** The adapter's broker as sampled: its processes' samples summed, or why it was not found. */
export interface BrokerMeasured {
  kind: BrokerKind;
  /** password hidden */
  url: string;
  pids: number[];
  process: string | null;
  samples: ProcSample[];
  error: string | null;
}

/** Everything a run measured, before it is summarised. */
export interface Measurements {
  options: ResolvedRunOptions;
  startedAt: number;
  finishedAt: number;
  /** when Artillery was started (ms since epoch); null if it never was */
  loadStartedAt: number | null;
  server: {
    ready: ReadyLine | null;
    samples: ProcSample[];
    /** a remote server's pid, from its metrics endpoint */
    remotePid?: number | null;
    /** failed reads of a remote server's metrics endpoint */
    remoteErrors?: { count: number; last: string } | null;
    memoryCap?: MemoryCapReport | null;
    /** each node's inner samples; absent or empty: none were taken */
    inner?: NodeInner[];
  };
  faults?: FaultRecord[];
  /** --scenario rooms: the nodes' room membership, read during the hold and after (see RoomRead) */
  roomReads?: RoomRead[];
  /** --slow-clients: the nodes' buffered bytes, read through the hold (see SlowRead) */
  slowReads?: SlowRead[];
  /** how clients reached the nodes, and from which addresses */
  topology?: TopologyRecord;
  /** per-node samples, with several nodes */
  nodes?: { nodeId: string; pid: number; samples: ProcSample[] }[];
  /** the adapter's broker, sampled as the nodes; null or absent: no broker */
  broker?: BrokerMeasured | null;
  /** broadcast deliveries each node logged (node id → clients written, summed); null: not logged */
  deliveries?: Record<string, number> | null;
  /** distinct broadcasts (seqs) the nodes logged */
  broadcastsLogged?: number;
  /** `pid` is the first generator's; `samples` add up all of `pids` (one per generator) */
  loadgen: { pid: number | null; pids?: number[]; samples: ProcSample[] };
  engine: EngineState;
  artillery: ArtilleryMetrics | null;
  env: RunEnv;
  /** the kernel's network losses over the run */
  kernel?: KernelNetRecord | null;
  outcome: RunOutcome;
}
