// --slow-clients in a result file (docs/result.md, docs/slow-consumers.md).
import type { LatencyStats } from '../metrics/histograms';

/** `options.slowClients`: the share of clients that read slowly, their rate, how many they are (absent without --slow-clients). */
export interface SlowClientsOption {
  sharePct: number;
  bytesPerSecond: number;
  slow: number;
  fast: number;
}

/** Bytes waiting for the clients, summed over the nodes at one read (docs/slow-consumers.md). */
export interface BufferedBytes {
  /** in the libraries' own queues (Engine.IO writeBuffer, SockJS send_buffer, ws Sender) */
  library: number;
  /** in Node's socket write buffers */
  socket: number;
  /** in the kernel's TCP send queues (not in RSS); null where /proc could not be read */
  kernel: number | null;
  /** the three together */
  total: number;
  /** total / slow clients */
  perSlowClient: number;
  /** connections with more than 64 KiB in their socket buffer and kernel queue */
  behind: number;
}

/** `slowClients` of a result (null or absent without --slow-clients): what the slow clients got and cost the server, beside the fast ones (docs/slow-consumers.md). */
export interface SlowClientsReport {
  sharePct: number;
  bytesPerSecond: number;
  /** main clients that read slowly, and the others, as planned */
  slow: number;
  fast: number;
  connected: { slow: number; fast: number };
  received: {
    slow: { broadcasts: number; echoes: number; roomMessages: number };
    fast: { broadcasts: number; echoes: number; roomMessages: number };
  };
  /** broadcasts received against sent × connected, per group; null without broadcasts */
  broadcastDeliveredPct: { slow: number | null; fast: number | null } | null;
  /** the slow clients' latencies; the fast clients' are the run's broadcastMs, echoMs and rooms.latencyMs */
  slowLatencyMs: { broadcast: LatencyStats | null; echo: LatencyStats | null; room: LatencyStats | null };
  /** clients whose open connection the other side closed during the run, per group */
  dropped: { slow: number; fast: number };
  /** the nodes' buffered bytes through the hold: the most at any read, the last read, the most on one connection; null: no whole read */
  buffered: {
    /** reads every node answered, of those asked */
    reads: number;
    of: number;
    max: BufferedBytes;
    last: BufferedBytes;
    /** seconds into the hold of the last read */
    lastAtSeconds: number;
    oneConnectionMax: { library: number; socket: number; kernel: number | null };
  } | null;
  /** library clients the nodes saw close between the first read of the hold and the last; null: fewer than two reads */
  closedDuringHold: number | null;
  /** server RSS peak − idle (bytes) */
  rssGrowthBytes: number | null;
}
