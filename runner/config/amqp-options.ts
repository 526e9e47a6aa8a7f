// --amqp-topology and --amqp-extra-bindings (bench run and bench serve), checked before any load.
import { MAX_PREFIXES } from 'artillery-engine-bench/protocol';
import { formatTopology, parseTopology } from '../../servers/adapters/amqp-topology';
import type { AmqpTopology } from '../../servers/types';
import { UsageError } from '../errors';
import { wholeNumber } from './flag-values';

/** The most extra routing keys a node may bind (--amqp-extra-bindings). */
export const MAX_EXTRA_BINDINGS = 1_000_000;

/** The two flags as typed. */
export interface AmqpFlags {
  /** fanout | routing | prefix:N */
  amqpTopology?: string;
  /** routing keys each node binds at start that nothing is published to */
  amqpExtraBindings?: string | number;
}

/** Resolved: the topology (fanout when not given) and the extra bindings per node (0 when not given). */
export interface AmqpSettings {
  topology: AmqpTopology;
  extraBindings: number;
}

/** Checks both flags against the adapter (they apply to --adapter amqp only). */
export function resolveAmqp(raw: AmqpFlags, adapter: string): AmqpSettings {
  for (const [flag, given] of [
    ['amqp-topology', raw.amqpTopology],
    ['amqp-extra-bindings', raw.amqpExtraBindings],
  ] as const) {
    if (given !== undefined && adapter !== 'amqp') {
      throw new UsageError(
        `--${flag} applies to --adapter amqp only (got --adapter ${adapter}). Remove --${flag}, or add --adapter amqp.`,
      );
    }
  }
  let topology: AmqpTopology = { kind: 'fanout' };
  if (raw.amqpTopology !== undefined) {
    const text = String(raw.amqpTopology).trim();
    const parsed = parseTopology(text);
    if (parsed === null) {
      throw new UsageError(
        `--amqp-topology must be fanout, routing or prefix:N with N from 1 to ${MAX_PREFIXES} (got "${text}"). Example: --amqp-topology prefix:256`,
      );
    }
    topology = parsed;
  }
  const extraBindings =
    raw.amqpExtraBindings === undefined
      ? 0
      : wholeNumber('amqp-extra-bindings', raw.amqpExtraBindings, 0, MAX_EXTRA_BINDINGS, '40000');
  if (extraBindings > 0 && topology.kind === 'fanout') {
    throw new UsageError(
      '--amqp-extra-bindings binds routing keys, which a fanout exchange ignores. Add --amqp-topology routing or prefix:N.',
    );
  }
  return { topology, extraBindings };
}

/** The `bench serve` flags that give a node these settings (none for the defaults). */
export function amqpArgs(s: AmqpSettings): string[] {
  return [
    ...(s.topology.kind === 'fanout' ? [] : ['--amqp-topology', formatTopology(s.topology)]),
    ...(s.extraBindings > 0 ? ['--amqp-extra-bindings', String(s.extraBindings)] : []),
  ];
}

/**
 * Whether each client goes to the node of its room's routing prefix: --amqp-topology prefix:N
 * with --scenario rooms (through HAProxy on `?prefix=P`, or with --spread client by itself).
 */
export function roomAffinity(o: { adapter: string; amqp: AmqpSettings; rooms: object | null }): number | null {
  return o.adapter === 'amqp' && o.amqp.topology.kind === 'prefix' && o.rooms !== null
    ? o.amqp.topology.prefixes
    : null;
}
