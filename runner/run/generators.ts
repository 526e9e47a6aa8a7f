import { GENERATOR_FD_MARGIN, MAX_GENERATORS, type ResolvedRunOptions } from '../config/run-options';
import type { SystemLimits } from './preflight';

/**
 * The run's Artillery processes: --generators when given; else 1, or the fewest whose share of
 * clients + probes stays under `ulimit -n` minus GENERATOR_FD_MARGIN, at most MAX_GENERATORS.
 */
export function generatorCount(
  o: Pick<ResolvedRunOptions, 'generators' | 'clients' | 'probes'>,
  limits: Pick<SystemLimits, 'openFilesSoft'>,
): number {
  if (o.generators !== null) return o.generators;
  const soft = limits.openFilesSoft;
  if (soft === null || !Number.isFinite(soft)) return 1;
  const perProcess = Math.max(1, soft - GENERATOR_FD_MARGIN);
  const held = (o.clients ?? 0) + o.probes;
  return Math.min(MAX_GENERATORS, Math.max(1, Math.ceil(held / perProcess)));
}
