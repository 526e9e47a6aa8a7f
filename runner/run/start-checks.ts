import { checkCustomScript } from '../loadgen/artillery';
import type { ResolvedRunOptions } from '../config/run-options';
import { checkBalancer } from '../topology/balancer';
import { checkAdapterService } from '../topology/nodes';
import { planSourceAddresses } from '../topology/source-addresses';
import { checkLimits, checkTempDir, readLimits, type SystemLimits } from './preflight';
import { checkTarget } from './target-check';
import { checkPushgateway } from './push-check';
import { generatorCount } from './generators';

/** Checks the machine's limits against what the options ask for. Throws PreflightError. */
export function preflight(o: ResolvedRunOptions, limits: SystemLimits = readLimits()): void {
  if (o.scenario.kind === 'custom') {
    checkCustomScript(o.scenario.file);
    return;
  }
  const balanced = usesBalancer(o);
  if (balanced) checkBalancer();
  const held = (o.clients ?? 0) + o.probes;
  const connections = held * (balanced ? 2 : 1);
  // Open files are per process: each generator holds its share, each node its share (cluster
  // workers share one node's); HAProxy alone holds both ends of every client.
  const nodes = o.adapter === 'cluster' ? 1 : o.nodes;
  const perProcessConnections = Math.max(
    Math.ceil(held / generatorCount(o, limits)),
    Math.ceil(held / nodes),
    balanced ? 2 * held : 0,
  );
  // Upgrades in flight: at most one second of arrivals.
  const transientSockets =
    o.lib === 'socketio' && o.transport === 'polling'
      ? o.arrivalRate === 'burst'
        ? (o.clients ?? 0)
        : o.arrivalRate
      : 0;
  const destinations = spreadTargets(o);
  checkLimits(
    {
      // Behind HAProxy every client is two connections of one process: to it, and on to a node.
      connections,
      perProcessConnections,
      transientSockets,
      destinations,
      sourceAddresses: sourcePlan(o, limits),
    },
    limits,
  );
}

/** Whether the run's nodes sit behind HAProxy. */
export const usesBalancer = (o: ResolvedRunOptions): boolean =>
  o.nodes > 1 && o.adapter !== 'cluster' && o.spread === 'balancer';

/** Destinations the generator connects to: every node with --spread client, else one. */
const spreadTargets = (o: ResolvedRunOptions): number => (o.spread === 'client' ? o.nodes : 1);

/** The source addresses this run's clients connect from (null: the kernel's choice), for this machine's port range. */
export function sourcePlan(o: ResolvedRunOptions, limits: SystemLimits = readLimits()): string[] | null {
  return planSourceAddresses(
    o.sourceAddresses,
    // Warm-up clients hold their ports too, in TIME_WAIT, after they leave.
    { sockets: (o.clients ?? 0) + o.probes + o.warmup, destinations: spreadTargets(o) },
    limits.ephemeralPorts,
  );
}

/** Refuses, before anything starts, what cannot run here. Throws PreflightError or UsageError. */
export async function checkBeforeStart(o: ResolvedRunOptions, limits: SystemLimits | undefined): Promise<void> {
  preflight(o, limits);
  checkTempDir();
  if (o.target !== null) await checkTarget(o.target, o);
  if (o.pushMetrics !== null) await checkPushgateway(o.pushMetrics);
  // --adapter-crash brings its own Redis.
  if (!o.adapterCrash) await checkAdapterService(o);
}
