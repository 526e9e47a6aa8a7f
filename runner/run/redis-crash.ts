import { CONTROL_STATS_PATH } from '../../servers/http';
import type { ResolvedRunOptions } from '../config/run-options';
import type { AdapterCrashFault, FaultRecord } from '../result/schema';
import { controlOf, type NodeSet } from '../topology/nodes';
import type { OwnRedis } from '../topology/redis-server';

/** How often the nodes' delivery counts are read while watching a crash (ms): the resolution of `deliveryStopMs`. */
const WATCH_MS = 100;

export type AtHoldOffset = (seconds: number, fn: () => void) => { cancel(): void };

/** Nodes a node counts through its adapter (its stats' `servers`); null when it does not answer. */
async function serversOf(url: string): Promise<number | null> {
  try {
    const res = await fetch(controlOf(url, CONTROL_STATS_PATH), { signal: AbortSignal.timeout(2_000) });
    return ((await res.json()) as { servers?: number }).servers ?? null;
  } catch {
    return null;
  }
}

/**
 * --adapter-crash: SIGKILLs bench's own redis-server FROM s after the hold starts and starts it
 * again, empty, on the same port at TO. From the kill to the end of the hold it reads each node's
 * delivery count every 100 ms, for the longest stretch without a delivery; at the end of the hold
 * it asks every node how many nodes its adapter sees. The record is filled in as that happens.
 */
export function scheduleCrash(
  o: ResolvedRunOptions,
  redis: OwnRedis,
  nodeSet: NodeSet,
  startedAt: number,
  faults: FaultRecord[],
  at: AtHoldOffset,
): { cancel(): void } {
  const { fromSeconds, toSeconds } = o.adapterCrash!;
  const record: AdapterCrashFault = {
    kind: 'adapter-crash',
    fromSeconds,
    toSeconds,
    adapter: o.adapter,
    killedAtMs: null,
    backAtMs: null,
    nodes: nodeSet.nodes.map((n) => ({
      nodeId: n.nodeId,
      missed: 0,
      deliveryStopMs: null,
      deliveredAfter: false,
      serversAfter: null,
    })),
    recovered: null,
    error: null,
  };
  faults.push(record);
  const count = (id: string) => nodeSet.deliveries.byNode.get(id)?.broadcasts ?? 0;
  const last = new Map<string, { count: number; at: number }>();
  let backAt: number | null = null;
  let watch: NodeJS.Timeout | undefined;
  const observe = () => {
    const now = Date.now();
    for (const node of record.nodes) {
      const seen = last.get(node.nodeId)!;
      const gap = now - seen.at;
      if (count(node.nodeId) === seen.count) continue;
      node.deliveryStopMs = Math.max(node.deliveryStopMs ?? 0, Math.round(gap / WATCH_MS) * WATCH_MS);
      if (backAt !== null) node.deliveredAfter = true;
      last.set(node.nodeId, { count: count(node.nodeId), at: now });
    }
  };
  const tallyMissed = () => {
    const all = nodeSet.deliveries.total().broadcasts;
    for (const node of record.nodes) node.missed = all - count(node.nodeId);
  };
  const timers = [
    at(fromSeconds, () => {
      const now = Date.now();
      for (const n of record.nodes) last.set(n.nodeId, { count: count(n.nodeId), at: now });
      watch = setInterval(observe, WATCH_MS);
      redis.kill().then(
        () => (record.killedAtMs = Date.now() - startedAt),
        (err: Error) => (record.error = `kill failed: ${err.message}`),
      );
    }),
    at(toSeconds, () => {
      redis.restart().then(
        () => {
          backAt = Date.now();
          record.backAtMs = backAt - startedAt;
        },
        (err: Error) => (record.error = `restart failed: ${err.message}`),
      );
    }),
    at(o.holdSeconds, () => {
      observe();
      clearInterval(watch);
      // A node still silent at the end of the hold: its stop lasted at least until now.
      const now = Date.now();
      for (const node of record.nodes) {
        const gap = Math.round((now - last.get(node.nodeId)!.at) / WATCH_MS) * WATCH_MS;
        if (!node.deliveredAfter) node.deliveryStopMs = Math.max(node.deliveryStopMs ?? 0, gap);
      }
      tallyMissed();
      void Promise.all(
        nodeSet.nodes.map(async (n, i) => {
          const server = nodeSet.servers.find((s) => s.ready.pid === n.pid);
          record.nodes[i]!.serversAfter = server ? await serversOf(server.ready.url) : null;
        }),
      ).then(() => {
        record.recovered =
          record.backAtMs !== null &&
          record.nodes.every((n) => n.deliveredAfter && n.serversAfter === nodeSet.nodes.length);
      });
    }),
  ];
  return {
    cancel() {
      clearInterval(watch);
      for (const t of timers) t.cancel();
      if (record.killedAtMs !== null) tallyMissed();
    },
  };
}
