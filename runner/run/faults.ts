import { readEngineState } from '../loadgen/engine-events';
import type { ResolvedRunOptions } from '../config/run-options';
import type { FaultRecord, KillNodeFault } from '../result/schema';
import type { NodeSet } from '../topology/nodes';
import type { OwnRedis } from '../topology/redis-server';
import { pauseRedis } from './redis-pause';
import { scheduleCrash } from './redis-crash';

export interface Cancel {
  cancel(): void;
}

/**
 * Calls `fn` `seconds` after the hold starts, as read from the engine's events. Bounded: polls
 * only until the hold starts, and `cancel()` (at the end of the run) stops everything.
 */
export function atHoldOffset(runDir: string, seconds: number, fn: () => void): Cancel {
  let timer: NodeJS.Timeout | undefined;
  const poll = setInterval(() => {
    const hold = readEngineState(runDir).phases.hold?.startedAt;
    if (hold === undefined) return;
    clearInterval(poll);
    timer = setTimeout(fn, Math.max(0, hold + seconds * 1000 - Date.now()));
  }, 100);
  return {
    cancel() {
      clearInterval(poll);
      clearTimeout(timer);
    },
  };
}

/** Pauses Redis for the window of --adapter-outage, counted from the start of the hold. */
function scheduleOutage(o: ResolvedRunOptions, runDir: string, startedAt: number, faults: FaultRecord[]): Cancel {
  const { fromSeconds, toSeconds } = o.adapterOutage!;
  const record: FaultRecord = { kind: 'adapter-outage', fromSeconds, toSeconds, startedAtMs: null, error: null };
  faults.push(record);
  return atHoldOffset(runDir, fromSeconds, () => {
    record.startedAtMs = Date.now() - startedAt;
    pauseRedis(o.redisUrl, (toSeconds - fromSeconds) * 1000).catch((err: Error) => (record.error = err.message));
  });
}

/**
 * Kills the last node (never node-1, the publisher) with SIGKILL --kill-node-at seconds after
 * the hold starts: a crash, not a shutdown. Its clients see their connections drop and
 * reconnect through the balancer (or the cluster primary) to the nodes left.
 */
function scheduleKill(
  o: ResolvedRunOptions,
  nodeSet: NodeSet,
  runDir: string,
  startedAt: number,
  faults: FaultRecord[],
): Cancel {
  const victim = nodeSet.nodes[nodeSet.nodes.length - 1]!;
  const record: KillNodeFault = {
    kind: 'kill-node',
    atSeconds: o.killNodeAt!,
    nodeId: victim.nodeId,
    pid: victim.pid,
    startedAtMs: null,
    clientsAtKill: null,
    error: null,
  };
  faults.push(record);
  return atHoldOffset(runDir, o.killNodeAt!, () => {
    record.clientsAtKill = nodeSet.lastClients(victim.nodeId);
    // Its `bench serve` process is expected to die now; the run goes on.
    nodeSet.servers.find((s) => s.ready.pid === victim.pid)?.expectExit();
    try {
      process.kill(victim.pid, 'SIGKILL');
      record.startedAtMs = Date.now() - startedAt;
    } catch (err) {
      record.error = (err as Error).message;
    }
  });
}

/**
 * Schedules the faults the options ask for (--adapter-outage, --adapter-crash, --kill-node-at), each recorded in
 * `faults` as it is scheduled and filled in when applied. Cancel them all at the end of the run.
 */
export function scheduleFaults(
  o: ResolvedRunOptions,
  nodeSet: NodeSet | null,
  runDir: string,
  startedAt: number,
  faults: FaultRecord[],
  redis: OwnRedis | null = null,
): Cancel[] {
  const timers: Cancel[] = [];
  if (o.adapterOutage) timers.push(scheduleOutage(o, runDir, startedAt, faults));
  if (o.adapterCrash && redis && nodeSet) {
    timers.push(scheduleCrash(o, redis, nodeSet, startedAt, faults, (s, fn) => atHoldOffset(runDir, s, fn)));
  }
  if (o.killNodeAt !== null && nodeSet) timers.push(scheduleKill(o, nodeSet, runDir, startedAt, faults));
  return timers;
}
