import * as path from 'node:path';
import type {
  AdapterOutageFault,
  FaultRecord,
  KillNodeFault,
  ReconnectReport,
  RunResult,
} from '../../runner/result/build';
import { makeResult, writeJson } from './report-fixtures';

export interface BroadcastFixture {
  nodes?: number;
  adapter?: string;
  transport?: string;
  /** broadcast latency p50 (ms); p90 and p99 follow from it */
  p50?: number;
  sent?: number;
  /** deliveries lost (expected = sent × clients) */
  lost?: number;
  gaps?: number;
  missedWhileReconnecting?: number;
  reconnect?: ReconnectReport;
  faults?: FaultRecord[];
  /** per node deliveries; the node named in `killed` is marked */
  deliveries?: number[];
  killed?: string;
}

/** A broadcast run of `lib` at `clients` over `nodes` nodes. */
export function broadcastResult(
  lib: 'ws' | 'socketio' | 'sockjs',
  clients: number,
  f: BroadcastFixture = {},
): RunResult {
  const r = makeResult(lib, clients);
  const nodes = f.nodes ?? 1;
  const sent = f.sent ?? 10;
  const expected = sent * clients;
  const lost = f.lost ?? 0;
  const p50 = f.p50 ?? 2;
  r.scenario = 'broadcast';
  r.options.nodes = nodes;
  r.options.adapter = f.adapter ?? (nodes > 1 ? 'redis' : 'none');
  r.options.transport = f.transport ?? 'websocket';
  r.broadcastMs = { p50, p90: p50 * 2, p99: p50 * 4, max: p50 * 8, mean: p50 * 1.2, count: expected - lost };
  r.broadcast = {
    sent,
    expectedDeliveries: expected,
    delivered: expected - lost,
    lost,
    outOfOrder: 0,
    duplicates: 0,
    latencyMs: r.broadcastMs,
    expectedFrom: 'nodes',
    ...(f.gaps !== undefined && { gaps: f.gaps }),
    ...(f.missedWhileReconnecting !== undefined && { missedWhileReconnecting: f.missedWhileReconnecting }),
  };
  if (f.reconnect) r.reconnect = f.reconnect;
  r.faults = f.faults ?? [];
  r.nodes =
    nodes > 1
      ? Array.from({ length: nodes }, (_, i) => ({
          nodeId: `node-${i + 1}`,
          pid: 1000 + i,
          rssBytes: { idle: 50e6, steady: 60e6, peak: 62e6 },
          cpuPercent: 10,
          ...(f.deliveries && { deliveries: f.deliveries[i]! }),
          ...(f.killed === `node-${i + 1}` && { killed: true }),
          samples: [],
        }))
      : null;
  return r;
}

export const RECONNECT: ReconnectReport = {
  settings: { attempts: 5, delayMs: 1000, delayMaxMs: 5000, jitter: 0.5 },
  lost: 100,
  reconnected: 98,
  failed: 2,
  attempts: 130,
  timeMs: { p50: 1100, p90: 1900, p99: 2400, max: 2600, mean: 1250, count: 98 },
};

export const KILL_NODE: KillNodeFault = {
  kind: 'kill-node',
  atSeconds: 2,
  nodeId: 'node-3',
  pid: 1002,
  startedAtMs: 3100,
  clientsAtKill: 100,
  error: null,
};

export const REDIS_OUTAGE: AdapterOutageFault = {
  kind: 'adapter-outage',
  fromSeconds: 1,
  toSeconds: 3,
  startedAtMs: 4250,
  error: null,
};

/**
 * A folder of multi-node broadcast runs: ws on one node (100 and 300 clients) and over Redis on
 * 2 and 3 nodes; Socket.IO over Redis on 3 nodes with node-3 killed, on the cluster adapter with
 * long-polling, on Postgres; SockJS over Redis with Redis paused. Also one echo run (not a
 * broadcast run).
 */
export function writeBroadcastFolder(dir: string): void {
  const put = (name: string, r: RunResult) => writeJson(path.join(dir, `${name}.json`), r);
  put('ws-1-100', broadcastResult('ws', 100, { p50: 1 }));
  put('ws-1-300', broadcastResult('ws', 300, { p50: 1.5 }));
  put('ws-2-300', broadcastResult('ws', 300, { nodes: 2, p50: 2, deliveries: [1500, 1500] }));
  put('ws-3-300', broadcastResult('ws', 300, { nodes: 3, p50: 3, deliveries: [1000, 1000, 1000] }));
  put(
    'socketio-redis-3-300',
    broadcastResult('socketio', 300, {
      nodes: 3,
      p50: 4,
      lost: 270,
      gaps: 0,
      missedWhileReconnecting: 280,
      reconnect: RECONNECT,
      faults: [KILL_NODE],
      deliveries: [1000, 1000, 730],
      killed: 'node-3',
    }),
  );
  put(
    'socketio-cluster-2-300',
    broadcastResult('socketio', 300, { nodes: 2, adapter: 'cluster', transport: 'polling' }),
  );
  put('socketio-postgres-3-300', broadcastResult('socketio', 300, { nodes: 3, adapter: 'postgres', p50: 6 }));
  put(
    'sockjs-redis-3-300',
    broadcastResult('sockjs', 300, { nodes: 3, p50: 5, lost: 600, gaps: 600, faults: [REDIS_OUTAGE] }),
  );
  put('ws-echo-300', makeResult('ws', 300));
}
