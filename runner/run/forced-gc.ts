import type { ResolvedRunOptions } from '../config/run-options';
import type { NodeSet } from '../topology/nodes';
import { atHoldOffset, type Cancel } from './faults';

/**
 * Where in the hold the forced GC runs: late, so that the steady heap (the median over the
 * second half) is nearly all read before it, and every client has long been connected.
 */
export const FORCED_GC_AT = 0.9;

/** With --forced-gc-heap, asks every node for a full GC and its heap used after it. */
export function scheduleForcedGc(o: ResolvedRunOptions, nodeSet: NodeSet | null, runDir: string): Cancel[] {
  if (!o.forcedGcHeap || !nodeSet) return [];
  return [
    atHoldOffset(runDir, o.holdSeconds * FORCED_GC_AT, () => {
      for (const s of nodeSet.servers) s.forceGc();
    }),
  ];
}
