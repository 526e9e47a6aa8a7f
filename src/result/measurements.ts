import type { EngineCounts, LoopDelay, MetricName, Lib, Transport } from 'artillery-engine-bench/protocol';
import type { ResolvedRunOptions } from '../config/run-options';
import type { ArtilleryMetrics, FaultRecord, MemoryCapReport, PhaseTimes, RunEnv, RunOutcome } from './schema';

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
  /** every worker wrote its final line */
  final: boolean;
  /** whether the server's stamps compare with the engine's clock (from the `started` lines) */
  serverClock?: 'same' | 'other' | null;
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
  nodeId?: string;
  /** a cluster primary's workers, which serve the clients */
  workers?: { pid: number; nodeId?: string }[];
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
  };
  faults?: FaultRecord[];
  /** per-node samples, with several nodes */
  nodes?: { nodeId: string; pid: number; samples: ProcSample[] }[];
  /** broadcast deliveries each node logged (node id → clients written, summed); null: not logged */
  deliveries?: Record<string, number> | null;
  /** distinct broadcasts (seqs) the nodes logged */
  broadcastsLogged?: number;
  /** `pid` is the first generator's; `samples` add up all of `pids` (one per generator) */
  loadgen: { pid: number | null; pids?: number[]; samples: ProcSample[] };
  engine: EngineState;
  artillery: ArtilleryMetrics | null;
  env: RunEnv;
  outcome: RunOutcome;
}
