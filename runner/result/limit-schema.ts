/** The `bench limit` result file (docs/limit.schema.json): its steps, why it stopped, and the answer. */
import type { LatencyStats } from '../metrics/histograms';
import type { RunEnv, SCHEMA_VERSION } from './schema';

/** Numbers of one process at the end of a `bench limit` step. */
export interface LimitProcess {
  pid: number | null;
  rssBytes: number | null;
  /** CPU over the step (100 = one core) */
  cpuPercent: number | null;
  openFiles: number | null;
  /** the soft `ulimit -n` of the process */
  openFilesLimit: number | null;
}

/** One `bench limit` step: its clients connected and held, then its probes. */
export interface LimitStep {
  /** clients meant to be held once the step's ramp is done */
  clients: number;
  /** main clients open when the step's snapshot was written; the next ramp's first arrivals may be in it */
  open: number;
  /** connections that failed during this step */
  failed: number;
  errors: Record<string, number>;
  /** the step's probes: each connects one at a time while every client is held */
  probe: { connect: LatencyStats | null; connected: number; failed: number };
  /** this step's echo round trips or broadcast deliveries, during its hold */
  echo: LatencyStats | null;
  broadcast: LatencyStats | null;
  /** the step's p95 of each latency, which `--slo` may name with any percentile */
  p95: { probeConnect: number | null; echo: number | null; broadcast: number | null };
  server: LimitProcess;
  generator: LimitProcess & { loopDelayP99Ms: number | null; arrivalLagP99Ms: number | null };
  /** the step met every SLO and nothing ran out */
  ok: boolean;
}

export type LimitStop =
  | { kind: 'slo'; expression: string; valueMs: number; atClients: number }
  | {
      kind: 'resource';
      resource: 'open-files' | 'memory' | 'ports';
      /** which process, for open files and memory */
      process: 'server' | 'generator' | 'machine';
      used: number;
      limit: number;
      /** the clients that would no longer fit */
      atClients: number;
      /** memory: the RSS each client adds (bytes), fitted over the idle server and the steps; absent in older files */
      perClientBytes?: number;
    }
  | { kind: 'generator'; reason: string; atClients: number }
  | { kind: 'failed'; failed: number; errors: Record<string, number>; atClients: number }
  | { kind: 'max'; max: number }
  | { kind: 'errored'; error: string; atClients: number };

/** A `bench limit` result file. */
export interface LimitResult {
  schemaVersion: typeof SCHEMA_VERSION;
  kind: 'bench-limit';
  lib: string;
  scenario: 'echo' | 'broadcast';
  startedAt: string;
  finishedAt: string;
  config: {
    step: number;
    max: number;
    holdSeconds: number;
    probes: number;
    arrivalRate: number;
    slo: string[];
    memoryLimitBytes: number | null;
    maxLoopDelayMs: number;
    /** --polling-share: percent of every step's clients kept on long-polling (absent without) */
    pollingSharePct?: number;
  };
  /** the server's RSS before any client (bytes), the first point of the memory projection; null: not read; absent in older files */
  idleRssBytes?: number | null;
  /** clients held by the last step that met every SLO with nothing run out */
  heldClients: number;
  stop: LimitStop;
  /** the one-line answer */
  answer: string;
  steps: LimitStep[];
  env: RunEnv;
}
