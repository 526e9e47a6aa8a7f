import { CONTROL_FLAP_PATH, type FlapResult } from '../../servers/http';
import type { ResolvedRunOptions } from '../config/run-options';
import type { FaultRecord, FlapFault } from '../result/schema';
import { controlOf, type NodeSet } from '../topology/nodes';
import { atHoldOffset, type Cancel } from './faults';

/** How long one node may take to answer a flap request (ms). */
const FLAP_TIMEOUT_MS = 5_000;

/** The seconds after the hold starts at which flaps come: every EVERY, leaving EVERY after the last. */
export function flapTimes(everySeconds: number, holdSeconds: number): number[] {
  const times: number[] = [];
  for (let t = everySeconds; t <= holdSeconds - everySeconds + 1e-9 && times.length < 10_000; t += everySeconds) {
    times.push(Math.round(t * 1000) / 1000);
  }
  return times;
}

/** Asks one node to reset `sharePct` % of its WebSocket connections. */
async function flapNode(url: string, sharePct: number): Promise<FlapResult> {
  const res = await fetch(`${controlOf(url, CONTROL_FLAP_PATH)}?share=${sharePct / 100}`, {
    method: 'POST',
    signal: AbortSignal.timeout(FLAP_TIMEOUT_MS),
  });
  const body = await res.text();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${body.slice(0, 200)}`);
  return JSON.parse(body) as FlapResult;
}

/**
 * --flap SHARE@EVERY: every EVERY seconds of the hold, every node resets SHARE % of the
 * WebSocket connections it holds at that moment (servers/http.ts, `flap`), each flap recorded
 * in `faults` as it is scheduled and filled in with what the nodes cut.
 */
export function scheduleFlaps(
  o: ResolvedRunOptions,
  nodeSet: NodeSet | null,
  runDir: string,
  startedAt: number,
  faults: FaultRecord[],
): Cancel[] {
  const flap = o.flap!;
  // The nodes' own URLs (behind HAProxy too): each cuts its own connections.
  const urls = nodeSet ? nodeSet.servers.map((s) => s.ready.url) : o.target ? [o.target] : [];
  return flapTimes(flap.everySeconds, o.holdSeconds).map((at) => {
    const record: FlapFault = {
      kind: 'flap',
      atSeconds: at,
      sharePct: flap.sharePct,
      startedAtMs: null,
      cut: 0,
      of: 0,
      error: null,
    };
    faults.push(record);
    return atHoldOffset(runDir, at, () => {
      record.startedAtMs = Date.now() - startedAt;
      void Promise.allSettled(urls.map((u) => flapNode(u, flap.sharePct))).then((results) => {
        for (const r of results) {
          if (r.status === 'fulfilled') {
            record.cut += r.value.cut;
            record.of += r.value.of;
          } else record.error = (r.reason as Error).message;
        }
      });
    });
  });
}
