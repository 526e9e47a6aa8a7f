import * as path from 'node:path';
import type { FlapFault, FlapReport, NodeRestart, RollingRestartFault, RunResult } from '../../runner/result/schema';
import { broadcastResult } from './report-broadcast-fixtures';
import { writeJson } from './report-fixtures';

export interface FlapFixture {
  /** deliveries received of the 500 intended (100 clients × 5 broadcasts) */
  delivered?: number;
  missedWhileReconnecting?: number;
  /** reconnect p50 (ms); p95, p99 and max follow from it */
  p50?: number;
  neverBack?: number;
  /** Socket.IO's connection state recovery: sessions restored and broadcasts replayed */
  recovery?: { sessions: number; replayed: number };
}

/** Two flaps of 20 % every 2 s, 20 connections of 100 each. */
const FLAPS: FlapFault[] = [2, 4].map((atSeconds) => ({
  kind: 'flap',
  atSeconds,
  sharePct: 20,
  startedAtMs: 5000 + atSeconds * 1000,
  cut: 20,
  of: 100,
  error: null,
}));

/** A broadcast run of `lib` at 100 clients with --flap 20%@2 (and --sio-recovery when `recovery`). */
export function flapResult(lib: 'ws' | 'socketio' | 'sockjs', f: FlapFixture = {}): RunResult {
  const r = broadcastResult(lib, 100, { sent: 5 });
  const intended = 500;
  const delivered = f.delivered ?? intended;
  const p50 = f.p50 ?? 1000;
  const flaps: FlapReport = {
    sharePct: 20,
    everySeconds: 2,
    flaps: 2,
    cut: 40,
    lost: 40,
    intended,
    delivered,
    deliveredPct: Math.round((delivered / intended) * 10_000) / 100,
    missed: intended - delivered,
    missedWhileReconnecting: f.missedWhileReconnecting ?? 0,
    duplicates: 0,
    outOfOrder: 0,
    reconnectMs: { p50, p95: p50 * 1.4, p99: p50 * 1.5, max: p50 * 1.5, count: 40 - (f.neverBack ?? 0) },
    neverBack: f.neverBack ?? 0,
    recovery: f.recovery
      ? {
          maxDisconnectionMs: 120_000,
          sessionsRecovered: f.recovery.sessions,
          sessionsNotRecovered: 40 - f.recovery.sessions,
          broadcastsRecovered: f.recovery.replayed,
          recoveredLatencyMs: { p50: 220, p95: 540, p99: 560, max: 560, count: f.recovery.replayed },
        }
      : null,
  };
  r.flaps = flaps;
  r.faults = [...FLAPS];
  r.options.flap = { sharePct: 20, everySeconds: 2 };
  r.options.sioRecoveryMs = f.recovery ? 120_000 : null;
  return r;
}

function restart(nodeId: string, publisher: boolean, p50: number | null, neverBack = 0): NodeRestart {
  return {
    nodeId,
    publisher,
    pid: 2000,
    newPid: 2100,
    stopAtMs: 6000,
    exitMs: 40,
    downMs: 900,
    clientsAtStop: 50,
    firstSeq: publisher ? 7 : null,
    clientsDisconnected: 50,
    reconnected: 50 - neverBack,
    reconnectMs: p50 === null ? null : { p50, p95: p50 * 2, max: p50 * 3, count: 50 - neverBack },
    neverBack,
    connectFailures: 0,
    survivors: null,
    error: null,
  };
}

/** A broadcast run of `lib` at 100 clients on 2 nodes over Redis with --rolling-restart: node-2, then node-1 (the publisher). */
export function restartResult(lib: 'ws' | 'socketio' | 'sockjs', p50s: [number | null, number | null]): RunResult {
  const r = broadcastResult(lib, 100, { nodes: 2, sent: 5 });
  const fault: RollingRestartFault = {
    kind: 'rolling-restart',
    atSeconds: 2,
    restarts: [restart('node-2', false, p50s[0]), restart('node-1', true, p50s[1], p50s[1] === null ? 50 : 0)],
    clientsPerNodeAtEnd: { 'node-1': 40, 'node-2': 60 },
    skewAtEnd: 1.2,
    error: null,
  };
  r.faults = [fault];
  return r;
}

/**
 * A folder of runs that drop connections: ws, Socket.IO without and with recovery, and SockJS
 * under --flap 20%@2; ws and Socket.IO with --rolling-restart on 2 nodes; and a ws broadcast run
 * without either.
 */
export function writeDropsFolder(dir: string): void {
  const put = (name: string, r: RunResult) => writeJson(path.join(dir, `${name}.json`), r);
  put('ws-flap', flapResult('ws', { delivered: 458, missedWhileReconnecting: 16, p50: 1013 }));
  put('socketio-flap', flapResult('socketio', { delivered: 470, missedWhileReconnecting: 12, p50: 1100 }));
  put(
    'socketio-flap-recovery',
    flapResult('socketio', { delivered: 500, p50: 1090, recovery: { sessions: 40, replayed: 29 } }),
  );
  put('sockjs-flap', flapResult('sockjs', { delivered: 400, p50: 1500, neverBack: 2 }));
  put('ws-restart', restartResult('ws', [300, 450]));
  put('socketio-restart', restartResult('socketio', [500, null]));
  put('ws-plain', broadcastResult('ws', 100, { sent: 5 }));
}
