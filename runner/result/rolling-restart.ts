// The client side of --rolling-restart, filled into its record as the result is built: what the
// engine counted by the node each client lost, and how the other nodes bore the reconnects.
import { mergeEncoded, toTailStats } from '../metrics/histograms';
import type { Measurements } from './measurements';
import type { NodeRestart, RollingRestartFault } from './schema';

const round1 = (x: number) => Math.round(x * 10) / 10;

/** p50/p95/max (ms) of the reconnects of the clients that lost `nodeId`; null for none. */
function reconnectMsOf(m: Measurements, nodeId: string): NodeRestart['reconnectMs'] {
  const t = toTailStats(mergeEncoded(m.engine.reconnectByNode?.[nodeId] ?? []));
  return t && { p50: t.p50, p95: t.p95, max: t.max, count: t.count };
}

/**
 * The other nodes during one restart's storm: from SIGTERM until its last client was back, or
 * the node was if that came later. The window is widened by one sampling interval so that the
 * sample covering its end counts. Null without a stop, or without any sample in the window.
 */
function survivorsOf(m: Measurements, r: NodeRestart): NodeRestart['survivors'] {
  if (r.stopAtMs === null) return null;
  const fromMs = r.stopAtMs;
  const toMs = fromMs + Math.max(r.downMs ?? 0, r.reconnectMs?.max ?? 0);
  const from = m.startedAt + fromMs;
  const to = m.startedAt + toMs + m.options.sampleIntervalMs;
  const inWindow = (t: number) => t > from && t <= to;
  const cpus = (m.nodes ?? [])
    .filter((n) => n.nodeId !== r.nodeId)
    .map((n) => n.samples.filter((s) => inWindow(s.t)).map((s) => s.cpuPercent))
    .filter((xs) => xs.length > 0)
    .map((xs) => xs.reduce((a, b) => a + b, 0) / xs.length);
  const delays = (m.server.inner ?? [])
    .filter((n) => n.nodeId !== undefined && n.nodeId !== r.nodeId)
    .flatMap((n) => n.samples.filter((s) => inWindow(s.t)).map((s) => s.delayMaxMs));
  if (cpus.length === 0 && delays.length === 0) return null;
  return {
    fromMs,
    toMs: Math.round(toMs),
    cpuPercent: cpus.length === 0 ? null : round1(Math.max(...cpus)),
    loopDelayMaxMs: delays.length === 0 ? null : round1(Math.max(...delays)),
  };
}

/** The record with every restart's client figures filled in from the engine and the samples. */
export function withClientFigures(f: RollingRestartFault, m: Measurements): RollingRestartFault {
  const byNode = m.engine.counts.byNode ?? {};
  return {
    ...f,
    skewAtEnd: endSkew(f),
    restarts: f.restarts.map((r) => {
      const n = byNode[r.nodeId];
      const lost = n?.lost ?? 0;
      const reconnected = n?.reconnected ?? 0;
      const filled: NodeRestart = {
        ...r,
        clientsDisconnected: lost,
        reconnected,
        reconnectMs: reconnectMsOf(m, r.nodeId),
        neverBack: Math.max(0, lost - reconnected),
        connectFailures: n?.attemptsFailed ?? 0,
      };
      return { ...filled, survivors: survivorsOf(m, filled) };
    }),
  };
}

/**
 * How unevenly the clients sat on the nodes at the end of the hold: the busiest node's clients
 * over an even share (1 = even; 1.5 = half as many again as its share). Null when a node did not
 * answer or none had clients.
 */
export function endSkew(f: RollingRestartFault): number | null {
  const counts = Object.values(f.clientsPerNodeAtEnd);
  if (counts.length === 0 || counts.some((c) => c === null)) return null;
  const total = (counts as number[]).reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  return Math.round((Math.max(...(counts as number[])) / (total / counts.length)) * 100) / 100;
}
