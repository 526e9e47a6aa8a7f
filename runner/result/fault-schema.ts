// The result file's contract, continued: the faults a run injects (--kill-node-at,
// --adapter-outage, --adapter-crash, --flap), how clients reconnect, and what it cost them.
// Types only; schema.ts re-exports them.
import type { LatencyStats } from '../metrics/histograms';

/** How clients reconnect: Socket.IO's back-off, applied the same way to every library. */
export interface ReconnectSettings {
  /** attempts per lost connection before the client gives up */
  attempts: number;
  /** the first delay (ms); each further attempt doubles it */
  delayMs: number;
  /** the delay never exceeds this (ms) */
  delayMaxMs: number;
  /** each delay is spread by ± this fraction, at random */
  jitter: number;
}

export interface ReconnectReport {
  settings: ReconnectSettings;
  /** connections lost during the hold (a main client's open connection closed by the other side) */
  lost: number;
  /** of those, reconnected */
  reconnected: number;
  /** of those, given up after `settings.attempts` */
  failed: number;
  /** connection attempts made to reconnect, failed ones included */
  attempts: number;
  /** connection lost → welcome on the new connection (ms), one per reconnect */
  timeMs: LatencyStats | null;
}

/** Percentiles of a time (ms) that needs its p95 (reconnects after a flap). */
export interface TailStats {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  count: number;
}

/**
 * What --flap measured. A client cut by a flap misses the broadcasts sent while it was away;
 * `intended` is what every held client would have received had nothing been cut.
 */
export interface FlapReport {
  sharePct: number;
  everySeconds: number;
  /** flaps applied (each in `faults`) */
  flaps: number;
  /** connections the nodes reset, summed over flaps */
  cut: number;
  /** connections the clients saw lost during the hold (cut ones, and any other loss) */
  lost: number;
  /** distinct broadcasts sent during the hold × clients held: every delivery had nobody been cut */
  intended: number;
  /** broadcasts the clients received, each (client, seq) once */
  delivered: number;
  /** delivered / intended × 100, to 0.01; null without broadcasts */
  deliveredPct: number | null;
  /** intended − delivered */
  missed: number;
  /** seqs clients missed between losing their connection and their first broadcast after it (client-side count) */
  missedWhileReconnecting: number;
  duplicates: number;
  outOfOrder: number;
  /** connection lost → welcome on the new connection (ms) */
  reconnectMs: TailStats | null;
  /** clients cut that had not come back when the run ended, or gave up */
  neverBack: number;
  /** Socket.IO connection state recovery (--sio-recovery); null when it was off */
  recovery: {
    maxDisconnectionMs: number;
    /** reconnects whose session the server restored (`socket.recovered`) */
    sessionsRecovered: number;
    /** reconnects it did not restore (a new session: what it missed is lost) */
    sessionsNotRecovered: number;
    /** missed broadcasts the server replayed on a restored session, each counted in `delivered` */
    broadcastsRecovered: number;
    /** server send → receipt of the replayed broadcasts (ms): how late recovery delivered them */
    recoveredLatencyMs: TailStats | null;
  } | null;
}

/** A fault the run injected, and when. */
export type FaultRecord = AdapterOutageFault | AdapterCrashFault | KillNodeFault | FlapFault | RollingRestartFault;

/**
 * --rolling-restart: every node stopped gracefully (SIGTERM: it closes its clients) and started
 * again on its port, one at a time, each next once the last answered /healthz again; the
 * publisher (node-1) last. The runner fills in the timings as they happen; the client figures
 * come from the engine, by the node each client lost, when the result is built.
 */
export interface RollingRestartFault {
  kind: 'rolling-restart';
  /** asked for: seconds after the hold started of the first restart */
  atSeconds: number;
  /** one per node, in the order they were restarted */
  restarts: NodeRestart[];
  /** clients each node had (its own stats) half a second before the hold ended; null for a node that did not answer, or all null if the run ended first */
  clientsPerNodeAtEnd: Record<string, number | null>;
  /** the busiest node's clients at the end over an even share (1: even); null if a node did not answer */
  skewAtEnd: number | null;
  /** why the restarts stopped short (a node that did not come back); null when they did not */
  error: string | null;
}

/** One node's restart. Times in ms; `stopAtMs` since the run started. */
export interface NodeRestart {
  nodeId: string;
  /** node-1, which numbers the broadcasts: restarted last, numbering on from `firstSeq` */
  publisher: boolean;
  /** the process stopped, and the one started in its place (sampled from then on, in `nodes` and `server`); null if none was */
  pid: number;
  newPid: number | null;
  /** when it was sent SIGTERM; null if the run ended first */
  stopAtMs: number | null;
  /** SIGTERM → the process exited (its graceful close) */
  exitMs: number | null;
  /** SIGTERM → the new process answered /healthz: how long the node was away */
  downMs: number | null;
  /** clients it closed, in its own count as SIGTERM arrived (else its stats just before); null if unknown */
  clientsAtStop: number | null;
  /** publisher: the highest seq delivered before it stopped, where the new process numbered on from; null for the others */
  firstSeq: number | null;
  /** main clients whose connection to this node was lost (the engine, by the node each lost) */
  clientsDisconnected: number;
  /** of those, back on some node before the run ended */
  reconnected: number;
  /** loss → welcome on the new connection, of those back; null when none came back */
  reconnectMs: { p50: number; p95: number; max: number; count: number } | null;
  /** of those lost, not back when the run ended: gave up, or still trying (clientsDisconnected − reconnected) */
  neverBack: number;
  /** reconnect attempts of its clients that failed (refused, 503, timed out) */
  connectFailures: number;
  /**
   * the other nodes from SIGTERM until the last of its clients was back (or the node was, if
   * later): the busiest one's mean CPU, and the longest event-loop delay any of them saw (from
   * bench serve's inner samples); null without samples in that window
   */
  survivors: { fromMs: number; toMs: number; cpuPercent: number | null; loopDelayMaxMs: number | null } | null;
  /** why this restart failed; null when it did not */
  error: string | null;
}

/** One network flap of --flap: each node reset that share of its WebSocket connections. */
export interface FlapFault {
  kind: 'flap';
  /** asked for: seconds after the hold started */
  atSeconds: number;
  /** percent of each node's connections asked for */
  sharePct: number;
  /** when the nodes were asked (ms since the run started); null if the run ended first */
  startedAtMs: number | null;
  /** connections the nodes reset, summed */
  cut: number;
  /** WebSocket connections the nodes held just before, summed */
  of: number;
  /** why a node did not answer; null when every node did */
  error: string | null;
}

export interface KillNodeFault {
  kind: 'kill-node';
  /** asked for: seconds after the hold started */
  atSeconds: number;
  /** the node killed (never the publisher) */
  nodeId: string;
  pid: number | null;
  /** when it was killed (ms since the run started); null if the run ended first */
  startedAtMs: number | null;
  /** clients it held when killed, from its last delivery log line or stats; null if unknown */
  clientsAtKill: number | null;
  error: string | null;
}

export interface AdapterOutageFault {
  kind: 'adapter-outage';
  /** the window asked for, in seconds after the hold started */
  fromSeconds: number;
  toSeconds: number;
  /** when it was applied (ms since the run started); null if the run ended first */
  startedAtMs: number | null;
  /** why it could not be applied; null when it was */
  error: string | null;
}

export interface AdapterCrashFault {
  kind: 'adapter-crash';
  /** the window asked for, in seconds after the hold started: killed at from, started again at to */
  fromSeconds: number;
  toSeconds: number;
  /** the adapter the nodes ran (redis or redis-streams) */
  adapter: string;
  /** when bench's redis-server was killed, and when it accepted connections again (ms since the run started); null if not */
  killedAtMs: number | null;
  backAtMs: number | null;
  /** the nodes as seen from the kill to the end of the hold */
  nodes: AdapterCrashNode[];
  /** every node delivered again after the restart and counted all the nodes through its adapter, none restarted */
  recovered: boolean | null;
  error: string | null;
}

export interface AdapterCrashNode {
  nodeId: string;
  /** broadcasts some node delivered that this one never did (delivery logs) */
  missed: number;
  /** longest time without a delivery on this node, from the kill to the end of the hold (ms, to 0.1 s) */
  deliveryStopMs: number | null;
  /** it delivered a broadcast after Redis was back */
  deliveredAfter: boolean;
  /** nodes it counted through its adapter at the end of the hold (stats `servers`); null if it did not answer */
  serversAfter: number | null;
}
