// --rolling-restart: a deploy during the hold. Each node in turn is stopped as an orchestrator
// stops one (SIGTERM: `bench serve` closes its clients and exits) and started again on the port it
// had; the next goes once it answers /healthz. The publisher, node-1, goes last.
import { setTimeout as sleep } from 'node:timers/promises';
import { CONTROL_STATS_PATH, HEALTHZ_PATH } from '../../servers/http';
import type { ResolvedRunOptions } from '../config/run-options';
import type { FaultRecord, NodeRestart, RollingRestartFault } from '../result/schema';
import { controlOf, type NodeSet } from '../topology/nodes';
import { atHoldOffset, type Cancel } from './faults';

/**
 * Between a node answering /healthz and the next stop (ms): HAProxy checks each node every
 * 500 ms and takes one back after one good check, so by then it sends clients there again.
 */
const NEXT_AFTER_READY_MS = 1_000;
/** A started node that does not answer /healthz within this long did not come back (ms). */
const HEALTHZ_TIMEOUT_MS = 15_000;
/** How long before the end of the hold the nodes are asked how many clients they have (ms): before any probe. */
const SPREAD_BEFORE_END_MS = 500;

export interface RollingRestart extends Cancel {
  /** resolves once no restart is in progress; call after `cancel()` */
  settled(): Promise<void>;
  /** why the run should count as errored (a restarted node died, or did not come back); null when nothing did */
  failure(): string | null;
}

/** Clients a node says it has; null when it does not answer. */
async function clientsOf(url: string): Promise<number | null> {
  try {
    const res = await fetch(controlOf(url, CONTROL_STATS_PATH), { signal: AbortSignal.timeout(2_000) });
    const clients = ((await res.json()) as { clients?: unknown }).clients;
    return typeof clients === 'number' ? clients : null;
  } catch {
    return null;
  }
}

async function answersHealthz(url: string): Promise<boolean> {
  try {
    const res = await fetch(controlOf(url, HEALTHZ_PATH), { signal: AbortSignal.timeout(1_000) });
    await res.text();
    return res.ok;
  } catch {
    return false;
  }
}

export function newRestartRecord(nodeId: string, pid: number, publisher: boolean): NodeRestart {
  return {
    nodeId,
    publisher,
    pid,
    newPid: null,
    stopAtMs: null,
    exitMs: null,
    downMs: null,
    clientsAtStop: null,
    firstSeq: null,
    clientsDisconnected: 0,
    reconnected: 0,
    reconnectMs: null,
    neverBack: 0,
    connectFailures: 0,
    survivors: null,
    error: null,
  };
}

/**
 * Schedules the rolling restart; its record goes into `faults` at once and is filled in as the
 * restarts happen. `onPid` is told of each new process, for the samplers.
 */
export function scheduleRollingRestart(
  o: ResolvedRunOptions,
  nodeSet: NodeSet,
  runDir: string,
  startedAt: number,
  faults: FaultRecord[],
  onPid: (nodeId: string, prev: number, next: number) => void,
): RollingRestart {
  const order = [...nodeSet.nodes.slice(1), nodeSet.nodes[0]!];
  const record: RollingRestartFault = {
    kind: 'rolling-restart',
    atSeconds: o.rollingRestart!.atSeconds,
    restarts: order.map((n) => newRestartRecord(n.nodeId, n.pid, n === nodeSet.nodes[0])),
    clientsPerNodeAtEnd: Object.fromEntries(nodeSet.nodes.map((n) => [n.nodeId, null])),
    skewAtEnd: null,
    error: null,
  };
  faults.push(record);
  let cancelled = false;
  let failure: string | null = null;
  let running: Promise<void> = Promise.resolve();
  const abort = new AbortController();

  const serverOf = (nodeId: string) => nodeSet.servers[nodeSet.nodes.findIndex((n) => n.nodeId === nodeId)]!;

  const restartOne = async (r: NodeRestart): Promise<void> => {
    const old = serverOf(r.nodeId);
    r.clientsAtStop = await clientsOf(old.ready.url);
    if (cancelled) return;
    old.expectExit();
    const t0 = Date.now();
    r.stopAtMs = t0 - startedAt;
    // SIGTERM, then SIGKILL if it outlives its grace; resolves once it exited and its log is read.
    await old.stop();
    r.exitMs = Date.now() - t0;
    // Its own count as it began to close them; the stats read just before SIGTERM if it did not say.
    r.clientsAtStop = old.stoppingClients ?? r.clientsAtStop;
    if (cancelled) return;
    // Every seq the publisher numbered is in the tally once its output is drained.
    if (r.publisher) r.firstSeq = nodeSet.deliveries.maxSeq();
    const next = await nodeSet.startAgain(r.nodeId, r.firstSeq ?? 0);
    r.newPid = next.ready.pid;
    onPid(r.nodeId, r.pid, next.ready.pid);
    next.child.once('exit', (code, signal) => {
      if (cancelled || next.exitExpected) return;
      r.error = `${r.nodeId} exited after its restart (${signal ?? `code ${code}`})`;
      failure ??= r.error;
    });
    const deadline = Date.now() + HEALTHZ_TIMEOUT_MS;
    while (!cancelled && !(await answersHealthz(next.ready.url))) {
      if (Date.now() > deadline)
        throw new Error(`did not answer ${HEALTHZ_PATH} within ${HEALTHZ_TIMEOUT_MS / 1000} s`);
      await sleep(50, undefined, { signal: abort.signal }).catch(() => {});
    }
    if (!cancelled) r.downMs = Date.now() - t0;
  };

  const run = async (): Promise<void> => {
    for (const r of record.restarts) {
      if (cancelled) return;
      try {
        await restartOne(r);
      } catch (err) {
        r.error = `${r.nodeId} did not come back: ${(err as Error).message}`;
        record.error = r.error;
        failure ??= r.error;
        // Taking down the next node while this one is away would be no deploy anyone runs.
        return;
      }
      await sleep(NEXT_AFTER_READY_MS, undefined, { signal: abort.signal }).catch(() => {});
    }
  };

  const timers = [
    atHoldOffset(runDir, record.atSeconds, () => {
      running = run();
    }),
    atHoldOffset(runDir, Math.max(0, o.holdSeconds - SPREAD_BEFORE_END_MS / 1000), () => {
      void Promise.all(
        nodeSet.nodes.map(async (n, i) => {
          record.clientsPerNodeAtEnd[n.nodeId] = await clientsOf(nodeSet.servers[i]!.ready.url);
        }),
      );
    }),
  ];
  return {
    cancel() {
      cancelled = true;
      abort.abort();
      for (const t of timers) t.cancel();
    },
    settled: () => running.catch(() => {}),
    failure: () => failure,
  };
}
