/**
 * Which runs `bench gate` may compare: the run options that must match for two cells to pair
 * (the key), their labels, and why a run is left out.
 */
import { faultLabel } from '../../runner/result/faults';
import { readMetric } from '../../runner/metrics/registry';
import { count } from '../../runner/metrics/units';
import type { ReportCell } from '../read/read';

/** The run options that change what is measured: cells pair only when all of them match. */
export interface GateKey {
  lib: string;
  scenario: string;
  /** clients requested */
  clients: number;
  transport: string;
  deflate: boolean;
  /** clients/s */
  arrivalRate: number | 'burst';
  holdSeconds: number;
  pingIntervalMs: number;
  echoEveryMs: number;
  broadcastEveryMs: number;
  /** --scenario rooms: its shape, `<size>×every <ms>·<bytes> B·all|but sender` ('' for other scenarios) */
  rooms: string;
  /** warm-up clients */
  warmup: number;
  probes: number;
  /** true when the server was a remote --target */
  remote: boolean;
  /** server nodes and what synced them (1 and `none` for results from before scale-out) */
  nodes: number;
  adapter: string;
  /** the faults injected, short ('' for none): a faulted run never pairs with a clean one */
  fault: string;
  /** Socket.IO's tuning options and ws's add-ons (`default`, false, '', `on` for results before them) */
  sioParser: string;
  sioDiscardRequest: boolean;
  sioWsEngine: string;
  wsNative: string;
}

type Loose<T> = { [K in keyof T]?: T[K] | null };

/** The run options `--ignore-option` may leave out of the pairing. */
export const GATE_OPTIONS = [
  'transport',
  'deflate',
  'arrivalRate',
  'holdSeconds',
  'pingIntervalMs',
  'echoEveryMs',
  'broadcastEveryMs',
  'rooms',
  'warmup',
  'probes',
  'remote',
  'nodes',
  'adapter',
  'fault',
  'sioParser',
  'sioDiscardRequest',
  'sioWsEngine',
  'wsNative',
] as const satisfies readonly (keyof GateKey)[];
export type GateOption = (typeof GATE_OPTIONS)[number];

/** What `--ignore-option` takes: a run option, or `machine` (see {@link machineOf}). */
export const GATE_IGNORABLE = [...GATE_OPTIONS, 'machine'] as const;
export type GateIgnore = (typeof GATE_IGNORABLE)[number];

const KEY_FIELDS = ['lib', 'scenario', 'clients', ...GATE_OPTIONS] as const satisfies readonly (keyof GateKey)[];

export function keyOf(c: ReportCell, ignore: readonly GateIgnore[]): GateKey | null {
  const key = fullKeyOf(c);
  if (!key) return null;
  // An ignored option takes one value on both sides, so cells pair across it.
  for (const f of ignore) if (f !== 'machine') (key as unknown as Record<string, unknown>)[f] = 'any';
  return key;
}

function fullKeyOf(c: ReportCell): GateKey | null {
  if (!c.result) return null;
  const o = (c.result.options ?? {}) as Loose<NonNullable<ReportCell['result']>['options']>;
  return {
    lib: c.lib,
    scenario: c.scenario,
    clients: c.clients,
    transport: String(o.transport ?? 'websocket'),
    deflate: o.deflate === true,
    arrivalRate: o.arrivalRate === 'burst' ? 'burst' : Number(o.arrivalRate),
    holdSeconds: Number(o.holdSeconds),
    pingIntervalMs: Number(o.pingIntervalMs),
    echoEveryMs: Number(o.echoEveryMs),
    broadcastEveryMs: Number(o.broadcastEveryMs),
    rooms: o.rooms
      ? `${o.rooms.roomSize} members, a message every ${o.rooms.publishEveryMs} ms, ${o.rooms.messageBytes} B, ${o.rooms.exceptSender ? 'to all but the sender' : 'to all'}${(o.rooms.namespaces ?? 1) > 1 ? `, ${o.rooms.namespaces} namespaces` : ''}`
      : '',
    warmup: Number(o.warmup),
    probes: Number(o.probes),
    remote: o.target !== null && o.target !== undefined,
    nodes: Number(o.nodes ?? 1),
    adapter: String(o.adapter ?? 'none'),
    fault: faultLabel(c.result),
    sioParser: String(o.sioParser ?? 'default'),
    sioDiscardRequest: o.sioDiscardRequest === true,
    sioWsEngine: String(o.sioWsEngine ?? ''),
    wsNative: String(o.wsNative ?? 'on'),
  };
}

export const idOf = (k: GateKey) => JSON.stringify(KEY_FIELDS.map((f) => k[f]));

function describeField(k: GateKey, f: (typeof KEY_FIELDS)[number]): string {
  switch (f) {
    case 'deflate':
      return k.deflate ? 'deflate on' : 'deflate off';
    case 'remote':
      return k.remote ? 'remote server' : 'local server';
    case 'arrivalRate':
      return k.arrivalRate === 'burst' ? 'burst arrivals' : `arrival ${k.arrivalRate}/s`;
    case 'holdSeconds':
      return `hold ${k.holdSeconds} s`;
    case 'pingIntervalMs':
      return `ping every ${k.pingIntervalMs} ms`;
    case 'echoEveryMs':
      return `echo every ${k.echoEveryMs} ms`;
    case 'broadcastEveryMs':
      return `broadcast every ${k.broadcastEveryMs} ms`;
    case 'rooms':
      return k.rooms ? `rooms of ${k.rooms}` : 'no rooms';
    case 'warmup':
      return `warm-up ${k.warmup}`;
    case 'probes':
      return `${k.probes} probes`;
    case 'nodes':
      return `${k.nodes} node${k.nodes === 1 ? '' : 's'}`;
    case 'adapter':
      return `adapter ${k.adapter}`;
    case 'fault':
      return k.fault || 'no fault';
    case 'sioParser':
      return `${k.sioParser} parser`;
    case 'sioDiscardRequest':
      return k.sioDiscardRequest ? 'request discarded' : 'request kept';
    case 'sioWsEngine':
      return `wsEngine ${k.sioWsEngine || 'engine.io ws'}`;
    case 'wsNative':
      return `ws native ${k.wsNative}`;
    default:
      return String(k[f]);
  }
}

export const OPTION_FIELDS = KEY_FIELDS.filter((f) => f !== 'lib' && f !== 'scenario' && f !== 'clients');

/** `ws · echo · 1,000 clients`, plus whichever options are not the same across all keys. */
export function labeller(keys: readonly GateKey[]): (k: GateKey) => string {
  const differing = OPTION_FIELDS.filter((f) => new Set(keys.map((k) => String(k[f]))).size > 1);
  return (k) =>
    [k.lib, k.scenario, `${count(k.clients)} clients`, ...differing.map((f) => describeField(k, f))].join(' · ');
}

/** Why a run cannot be compared; null when it can. */
export function unusable(c: ReportCell): string | null {
  const parts: string[] = [];
  if (!c.result) parts.push(`${c.status === 'completed' ? 'errored' : c.status}: ${c.error ?? 'no result file'}`);
  else if (c.status !== 'completed') parts.push(`${c.status}${c.error ? `: ${c.error}` : ''}`);
  if (c.valid === false) {
    parts.push(`invalid${c.invalidReasons.length ? `: ${c.invalidReasons.join('; ')}` : ''}`);
  }
  const connected = readMetric('connected', c.result);
  const requested = c.result?.clients?.requested;
  if (connected !== null && typeof requested === 'number' && Number.isFinite(requested) && connected < requested) {
    parts.push(`connected ${count(connected)} of ${count(requested)} clients`);
  }
  return parts.length ? parts.join(' — ') : null;
}
