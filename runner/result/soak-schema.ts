/** The `bench soak` result file (docs/soak.schema.json): the memory series, its slope and the verdict. */
import type { RunEnv, SCHEMA_VERSION } from './schema';

/** One sample: the server's memory right after a forced full GC, and how far the churn had got. */
export interface SoakSample {
  /** seconds since the first arrival */
  t: number;
  /** connection cycles completed so far: the library's clients the server has seen close, counted by it at the GC */
  cycles: number;
  /** the server's clients at the GC */
  open: number;
  heapUsedBytes: number;
  /** off-heap memory V8 tracks, Buffers included (null from a server that did not say) */
  externalBytes: number | null;
  arrayBuffersBytes: number | null;
  rssBytes: number | null;
}

/** A least-squares slope of one memory figure against connection cycles, per 1,000 cycles. */
export interface SoakFit {
  /** what was fitted: heap used + external after a full GC, or RSS */
  metric: 'heapAndExternalAfterGc' | 'rss';
  /** bytes per 1,000 connection cycles */
  slopePer1000: number;
  /** the slope's 95 % Student-t interval, bytes per 1,000 cycles */
  ci95: [number, number];
  /** the smallest slope this run would have found (its interval above 0) 4 times in 5, bytes per 1,000 cycles */
  detectablePer1000: number;
  r2: number;
  /** samples fitted */
  n: number;
}

export type SoakVerdict =
  | { kind: 'leak'; text: string }
  | { kind: 'no-growth'; text: string }
  /** no slope could be fitted: too few samples, or no cycles completed */
  | { kind: 'unfit'; text: string };

/** One group of objects that grew between the snapshots. */
export interface HeapGrowth {
  /** constructor name, or `(string)`, `(array)`, `(compiled code)`, `(closure)` … as DevTools names them */
  name: string;
  countBefore: number;
  countAfter: number;
  /** self size, bytes */
  bytesBefore: number;
  bytesAfter: number;
  /** the group's objects that are new in the second snapshot and still alive in it */
  newObjects: number;
  /** who holds those new objects: `Retainer.property` (or `Retainer[]` for an index), most first */
  retainers: { via: string; count: number }[];
}

/** `--heap-snapshots`: the server's heap as the fit started and near the end, compared. */
export interface SoakHeapGrowth {
  /** the two snapshot files (open them in Chrome DevTools' Memory tab) */
  files: [string, string];
  /** connection cycles and the server's clients at each snapshot */
  cycles: [number, number];
  open: [number, number];
  /** self size of the whole heap at each, bytes */
  totalBytes: [number, number];
  /** groups (constructor, or kind) that grew most in bytes, most first */
  grew: HeapGrowth[];
}

export interface SoakResult {
  schemaVersion: typeof SCHEMA_VERSION;
  kind: 'bench-soak';
  lib: string;
  startedAt: string;
  finishedAt: string;
  status: 'completed' | 'errored' | 'aborted';
  error: string | null;
  config: {
    /** Socket.IO: `polling` when the long-polling fallback was on (clients start on it, then upgrade) */
    transport: 'websocket' | 'polling';
    /** per-message deflate asked (ws and Socket.IO apply it; SockJS's server has none) */
    deflate: boolean;
    clients: number;
    churnPerSecond: number;
    durationSeconds: number;
    /** seconds of churn before the duration, not fitted */
    warmupSeconds: number;
    abruptShare: number;
    meanLifeSeconds: number;
    fitFromSeconds: number;
    echoEveryMs: number;
    sampleIntervalMs: number;
    /** the test-only leak switch (0: off) */
    retainPerConnectionBytes: number;
  };
  verdict: SoakVerdict;
  cyclesCompleted: number;
  cyclesClean: number;
  cyclesAbrupt: number;
  connected: number;
  failed: number;
  /** open connections the server closed or lost: not cycles */
  dropped: number;
  /** the verdict's fit: heap used + external memory after a full GC against cycles completed */
  fit: SoakFit | null;
  /** RSS against cycles completed, for comparison: allocator and page reuse make it noisier */
  rssFit: SoakFit | null;
  series: SoakSample[];
  /** null without --heap-snapshots, or when a snapshot could not be taken (`error` says why) */
  heapGrowth: SoakHeapGrowth | null;
  env: RunEnv;
}
