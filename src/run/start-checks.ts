import { checkCustomScript } from '../loadgen/artillery';
import type { ResolvedRunOptions } from '../config/run-options';
import { checkBalancer } from '../topology/balancer';
import { checkAdapterService } from '../topology/nodes';
import { checkLimits, checkTempDir, readLimits, type SystemLimits } from './preflight';
import { checkTarget } from './target-check';

/** Checks the machine's limits against what the options ask for. Throws PreflightError. */
export function preflight(o: ResolvedRunOptions, limits: SystemLimits = readLimits()): void {
  if (o.scenario.kind === 'custom') {
    checkCustomScript(o.scenario.file);
    return;
  }
  const balanced = o.nodes > 1 && o.adapter !== 'cluster';
  if (balanced) checkBalancer();
  checkLimits(
    {
      // Behind HAProxy every client is two connections of one process: to it, and on to a node.
      connections: ((o.clients ?? 0) + o.probes) * (balanced ? 2 : 1),
      // Upgrades in flight: at most one second of arrivals.
      transientSockets:
        o.lib === 'socketio' && o.transport === 'polling'
          ? o.arrivalRate === 'burst'
            ? (o.clients ?? 0)
            : o.arrivalRate
          : 0,
    },
    limits,
  );
}

/** Refuses, before anything starts, what cannot run here. Throws PreflightError or UsageError. */
export async function checkBeforeStart(o: ResolvedRunOptions, limits: SystemLimits | undefined): Promise<void> {
  preflight(o, limits);
  checkTempDir();
  if (o.target !== null) await checkTarget(o.target, o);
  // --adapter-crash brings its own Redis.
  if (!o.adapterCrash) await checkAdapterService(o);
}
