import * as net from 'node:net';
import { UsageError } from '../errors';
import { RUN_DEFAULTS } from './defaults';

/** How clients reach several nodes: through HAProxy, or each client picking a node (round robin). */
export type Spread = 'balancer' | 'client';
export const SPREADS: readonly Spread[] = ['balancer', 'client'];

/** `--source-addresses`: `auto` (as many as the port range calls for), a count, or a list. */
export type SourceAddressSpec = { kind: 'auto' } | { kind: 'list'; addresses: string[] };

/** The most loopback source addresses a run may use: 127.0.0.2 .. 127.0.0.255. */
export const MAX_SOURCE_ADDRESSES = 254;

/**
 * `count` loopback addresses from 127.0.0.2 on. Not 127.0.0.1: bench's own connections (control
 * requests, Redis, HAProxy) take ports there, so its range is not the clients' alone.
 */
export function loopbackAddresses(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `127.0.0.${i + 2}`);
}

export function parseSourceAddresses(raw: string | undefined): SourceAddressSpec | null {
  if (raw === undefined) return null;
  const text = String(raw).trim();
  if (text === 'auto') return { kind: 'auto' };
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < 1 || n > MAX_SOURCE_ADDRESSES) {
      throw new UsageError(
        `--source-addresses must be auto, a count from 1 to ${MAX_SOURCE_ADDRESSES} or a list of 127.x.x.x addresses (got "${text}"). Example: --source-addresses 4`,
      );
    }
    return { kind: 'list', addresses: loopbackAddresses(n) };
  }
  const addresses = text.split(',').map((a) => a.trim());
  const bad = addresses.find((a) => !net.isIPv4(a) || !a.startsWith('127.'));
  if (bad !== undefined) {
    throw new UsageError(
      `--source-addresses ${bad} is not a 127.x.x.x loopback address: clients connect only from loopback. Give auto, a count, or e.g. 127.0.0.2,127.0.0.3`,
    );
  }
  if (new Set(addresses).size !== addresses.length) {
    throw new UsageError(`--source-addresses lists an address twice (got "${text}"). Give each address once.`);
  }
  return { kind: 'list', addresses };
}

/** What --spread and --source-addresses need of the rest of the options. */
export interface SpreadContext {
  lib: string;
  transport: string;
  nodes: number;
  adapter: string;
  target: string | null;
  profile: string;
}

export function resolveSpread(raw: string | undefined, c: SpreadContext): Spread {
  if (raw === undefined) return RUN_DEFAULTS.spread;
  const spread = String(raw).trim() as Spread;
  if (!SPREADS.includes(spread)) {
    throw new UsageError(`--spread must be one of ${SPREADS.join(', ')} (got "${raw}").`);
  }
  if (spread === 'balancer') return spread;
  if (c.nodes < 2 || c.adapter === 'cluster') {
    throw new UsageError(
      `--spread client spreads clients over server nodes of their own: give --nodes 2 or more with --adapter redis or postgres (got --nodes ${c.nodes}${c.adapter === 'cluster' ? ' --adapter cluster' : ''}).`,
    );
  }
  // Long-polling requests of one session must all reach the node that holds it: only a sticky balancer does that.
  if (c.lib === 'socketio' && c.transport === 'polling') {
    throw new UsageError(
      '--spread client needs the websocket transport: long-polling needs the sticky balancer. Remove --transport polling or --spread client.',
    );
  }
  return spread;
}

/** Checks that source addresses can reach the target: both loopback. */
export function checkSourceAddressReach(spec: SourceAddressSpec | null, c: SpreadContext, localProfile: string): void {
  if (spec === null) return;
  if (c.profile !== localProfile) {
    throw new UsageError(
      `--source-addresses binds loopback addresses, which a --profile's namespaces do not reach (got --profile ${c.profile}). Remove one of them.`,
    );
  }
  if (c.target !== null) {
    // Not `localhost`: it may resolve to ::1, which a 127.x.x.x socket cannot reach.
    const host = new URL(c.target).hostname;
    if (!net.isIPv4(host) || !host.startsWith('127.')) {
      throw new UsageError(
        `--source-addresses binds 127.x.x.x addresses, which reach only a loopback --target (got ${host}). Use a 127.x.x.x target or remove --source-addresses.`,
      );
    }
  }
}
