/**
 * Resolves what the engine reads from an Artillery script, once, with errors that name the fix:
 * `config.engines.bench`, the target, the phases and the flow steps.
 */
import { isIP } from 'node:net';
import { MAX_MESSAGE_BYTES, MIN_PUBLISH_EVERY_MS, smallestPublishBytes } from './rooms';
import { MAX_PREFIXES } from './affinity';
import {
  DEFAULT_RECONNECT,
  LIBS,
  LIB_ENV,
  SIO_PARSERS,
  TRANSPORTS,
  type EngineConfig,
  type Lib,
  type ReconnectConfig,
  type RoomsConfig,
  type ServerClock,
  type SioParser,
  type Transport,
} from './protocol';

/** Thrown when the script asks for something the engine cannot do. */
export class EngineConfigError extends Error {
  override name = 'EngineConfigError';
}

/** `config.engines.bench` with every default filled in. */
export interface ResolvedEngineConfig {
  lib: Lib;
  transport: Transport;
  deflate: boolean;
  sioParser: SioParser;
  connectTimeoutMs: number;
  /** null: the target's own control route */
  controlUrl: string | null;
  /** null: a lost connection stays lost */
  reconnect: Required<ReconnectConfig> | null;
  /** null: decided from the target (see EngineConfig.serverClock) */
  serverClock: ServerClock | null;
  /** null: `config.target` alone */
  targets: string[] | null;
  /** null: the kernel picks the source address */
  sourceAddresses: string[] | null;
  /** Artillery processes sharing the run's schedule (see EngineConfig.generators) */
  generators: number;
  /** which of them this is, 0-based (see EngineConfig.generatorIndex) */
  generatorIndex: number;
  /** null: no rooms scenario (a `join` step is refused) */
  rooms: RoomsConfig | null;
  /** null: no room affinity (see EngineConfig.affinity) */
  affinity: { prefixes: number } | null;
  /** 0: every main client on `transport` (see EngineConfig.pollingShare) */
  pollingShare: number;
  /** Socket.IO sockets per connection (see EngineConfig.namespaces); 1 without */
  namespaces: number;
}

/** `config.engines.bench.rooms`, every field checked; null when absent. */
export function resolveRooms(raw: unknown): RoomsConfig | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new EngineConfigError(
      `config.engines.bench.rooms must be an object { roomSize, publishEveryMs, messageBytes, exceptSender }, got ${JSON.stringify(raw)}.`,
    );
  }
  const r = raw as Record<string, unknown>;
  const bad = (key: keyof RoomsConfig, expected: string) =>
    new EngineConfigError(`config.engines.bench.rooms.${key} must be ${expected}, got '${String(r[key])}'.`);
  const exceptSender = r.exceptSender ?? false;
  if (typeof exceptSender !== 'boolean') throw bad('exceptSender', 'true or false');
  const roomSize = Number(r.roomSize);
  if (!(Number.isInteger(roomSize) && roomSize >= 1)) throw bad('roomSize', 'an integer >= 1');
  const publishEveryMs = Number(r.publishEveryMs);
  if (!(Number.isFinite(publishEveryMs) && publishEveryMs >= MIN_PUBLISH_EVERY_MS)) {
    throw bad('publishEveryMs', `a number of ms >= ${MIN_PUBLISH_EVERY_MS}`);
  }
  const messageBytes = Number(r.messageBytes);
  const least = smallestPublishBytes(exceptSender);
  if (!(Number.isInteger(messageBytes) && messageBytes >= least && messageBytes <= MAX_MESSAGE_BYTES)) {
    throw bad(
      'messageBytes',
      `an integer from ${least} (the smallest publish message${exceptSender ? ' with x' : ''}) to ${MAX_MESSAGE_BYTES} (1 MiB)`,
    );
  }
  return { roomSize, publishEveryMs, messageBytes, exceptSender };
}

/** `config.engines.bench.reconnect` with defaults filled in; throws on a value out of range. */
export function resolveReconnect(raw: unknown): Required<ReconnectConfig> | null {
  if (raw === undefined || raw === null || raw === false) return null;
  const r = (raw === true ? {} : raw) as ReconnectConfig & Record<string, unknown>;
  if (typeof r !== 'object') {
    throw new EngineConfigError(`config.engines.bench.reconnect must be an object, got '${String(raw)}'.`);
  }
  const out = { ...DEFAULT_RECONNECT };
  const field = (key: keyof ReconnectConfig, ok: (n: number) => boolean, expected: string) => {
    if (r[key] === undefined) return;
    const n = Number(r[key]);
    if (!ok(n)) {
      throw new EngineConfigError(
        `config.engines.bench.reconnect.${key} must be ${expected}, got '${String(r[key])}'.`,
      );
    }
    out[key] = n;
  };
  field('attempts', (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1');
  field('delayMs', (n) => Number.isFinite(n) && n >= 0, 'a number of ms >= 0');
  field('delayMaxMs', (n) => Number.isFinite(n) && n >= 0, 'a number of ms >= 0');
  field('jitter', (n) => n >= 0 && n <= 1, 'between 0 and 1');
  if (out.delayMaxMs < out.delayMs) {
    throw new EngineConfigError(
      `config.engines.bench.reconnect.delayMaxMs (${out.delayMaxMs}) must be >= delayMs (${out.delayMs}).`,
    );
  }
  return out;
}

/**
 * The wait before reconnect attempt `attempt` (0-based), as Socket.IO's Backoff computes it:
 * min(delayMax, delay × 2^attempt), spread by ± jitter with `random` in [0, 1).
 */
export function backoffMs(r: Required<ReconnectConfig>, attempt: number, random: number): number {
  let ms = r.delayMs * 2 ** Math.min(attempt, 30);
  if (r.jitter > 0) {
    const deviation = Math.floor(random * r.jitter * ms);
    ms = (Math.floor(random * 10) & 1) === 0 ? ms - deviation : ms + deviation;
  }
  return Math.min(ms, r.delayMaxMs);
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/** A non-empty list of strings that pass `ok`, or null when absent. */
function stringList(raw: unknown, key: string, ok: (s: string) => boolean, expected: string): string[] | null {
  if (raw === undefined || raw === null) return null;
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every((v) => typeof v === 'string' && ok(v))) {
    throw new EngineConfigError(
      `config.engines.bench.${key} must be a non-empty list of ${expected}, got ${JSON.stringify(raw)}.`,
    );
  }
  return raw as string[];
}

const isLib = (s: string): s is Lib => (LIBS as readonly string[]).includes(s);
const isTransport = (s: string): s is Transport => (TRANSPORTS as readonly string[]).includes(s);

/** `lib` from the script, else `$BENCH_LIB`, else `ws`. */
export function resolveEngineConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): ResolvedEngineConfig {
  const c = (raw ?? {}) as EngineConfig & Record<string, unknown>;
  const lib: string = c.lib ?? (env[LIB_ENV] || 'ws');
  if (!isLib(lib)) {
    const from = c.lib !== undefined ? 'config.engines.bench.lib' : `$${LIB_ENV}`;
    throw new EngineConfigError(`Unknown library '${lib}' in ${from}. Use one of: ${LIBS.join(', ')}.`);
  }
  const transport: string = c.transport ?? 'websocket';
  if (!isTransport(transport)) {
    throw new EngineConfigError(
      `Unknown transport '${transport}' in config.engines.bench.transport. Use one of: ${TRANSPORTS.join(', ')}.`,
    );
  }
  const deflate = c.deflate ?? false;
  if (typeof deflate !== 'boolean') {
    throw new EngineConfigError(`config.engines.bench.deflate must be true or false, got '${String(deflate)}'.`);
  }
  const sioParser: string = c.sioParser ?? 'default';
  if (!(SIO_PARSERS as readonly string[]).includes(sioParser)) {
    throw new EngineConfigError(
      `Unknown parser '${sioParser}' in config.engines.bench.sioParser. Use one of: ${SIO_PARSERS.join(', ')}.`,
    );
  }
  const connectTimeoutMs = Number(c.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  if (!(connectTimeoutMs > 0)) {
    throw new EngineConfigError(
      `config.engines.bench.connectTimeoutMs must be a positive number of ms, got '${String(c.connectTimeoutMs)}'.`,
    );
  }
  const controlUrl = c.controlUrl ?? null;
  if (controlUrl !== null && (typeof controlUrl !== 'string' || !/^https?:\/\//.test(controlUrl))) {
    throw new EngineConfigError(
      `config.engines.bench.controlUrl must be an http:// or https:// URL, got '${String(controlUrl)}'.`,
    );
  }
  const serverClock = c.serverClock ?? null;
  if (serverClock !== null && serverClock !== 'same' && serverClock !== 'other') {
    throw new EngineConfigError(
      `config.engines.bench.serverClock must be 'same' or 'other', got '${String(c.serverClock)}'.`,
    );
  }
  const generators = Number(c.generators ?? 1);
  if (!(Number.isInteger(generators) && generators >= 1)) {
    throw new EngineConfigError(
      `config.engines.bench.generators must be an integer >= 1, got '${String(c.generators)}'.`,
    );
  }
  const generatorIndex = Number(c.generatorIndex ?? 0);
  if (!(Number.isInteger(generatorIndex) && generatorIndex >= 0 && generatorIndex < generators)) {
    throw new EngineConfigError(
      `config.engines.bench.generatorIndex must be an integer from 0 to generators - 1 (${generators - 1}), got '${String(c.generatorIndex)}'.`,
    );
  }
  const pollingShare = Number(c.pollingShare ?? 0);
  if (!(pollingShare >= 0 && pollingShare < 1) || (pollingShare > 0 && lib === 'ws')) {
    throw new EngineConfigError(
      `config.engines.bench.pollingShare must be a number from 0 to 1 (exclusive), for socketio or sockjs (ws has no long-polling), got '${String(c.pollingShare)}' with lib ${lib}.`,
    );
  }
  const namespaces = Number(c.namespaces ?? 1);
  if (
    !(Number.isInteger(namespaces) && namespaces >= 1 && namespaces <= 16) ||
    (namespaces > 1 && lib !== 'socketio')
  ) {
    throw new EngineConfigError(
      `config.engines.bench.namespaces must be an integer from 1 to 16, above 1 for socketio only, got '${String(c.namespaces)}' with lib ${lib}.`,
    );
  }
  return {
    targets: stringList(c.targets, 'targets', (t) => /^(wss?|https?):\/\//.test(t), 'ws(s):// or http(s):// URLs'),
    sourceAddresses: stringList(c.sourceAddresses, 'sourceAddresses', (a) => isIP(a) !== 0, 'IP addresses'),
    lib,
    transport,
    deflate,
    sioParser: sioParser as SioParser,
    connectTimeoutMs,
    controlUrl,
    reconnect: resolveReconnect(c.reconnect),
    serverClock,
    generators,
    generatorIndex,
    rooms: resolveRooms(c.rooms),
    affinity: resolveAffinity(c.affinity),
    pollingShare,
    namespaces,
  };
}

/** Loopback, or 198.18.0.0/15 (bench's own namespaces): a server on this host, with this host's clock. */
export function isLocalHost(target: string): boolean {
  const h = new URL(target).hostname.replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  const m = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(h);
  return m !== null && (m[1] === '127' || (m[1] === '198' && (m[2] === '18' || m[2] === '19')));
}

/** `config.engines.bench.affinity`, checked; null when absent. */
export function resolveAffinity(raw: unknown): { prefixes: number } | null {
  if (raw === undefined || raw === null) return null;
  const prefixes = Number((raw as { prefixes?: unknown }).prefixes);
  if (typeof raw !== 'object' || !(Number.isInteger(prefixes) && prefixes >= 1 && prefixes <= MAX_PREFIXES)) {
    throw new EngineConfigError(
      `config.engines.bench.affinity must be { prefixes: N } with N an integer from 1 to ${MAX_PREFIXES}, got ${JSON.stringify(raw)}.`,
    );
  }
  return { prefixes };
}

/** One step of a scenario flow, parsed. */
export type Step =
  | { kind: 'connect' }
  /** rooms scenario: join this client's room and wait for the server's `joined` */
  | { kind: 'join' }
  | {
      kind: 'hold';
      echoEveryMs: number;
      broadcastEveryMs: number;
      /** 0: held until the holds end; else each client's mean life (ms), drawn from 0.5× to 1.5× this */
      lifeMs: number;
      /** the share of clients (0 to 1) whose life ends abruptly (a reset socket) rather than with a clean close */
      abruptShare: number;
    }
  | { kind: 'disconnect' }
  | { kind: 'think'; ms: number };

const STEP_NAMES = ['connect', 'join', 'hold', 'disconnect', 'think'] as const;

function positiveOrZero(value: unknown, what: string): number {
  if (value === undefined || value === null) return 0;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    throw new EngineConfigError(`${what} must be a number >= 0, got '${String(value)}'.`);
  }
  return n;
}

function share(value: unknown, what: string): number {
  const n = positiveOrZero(value, what);
  if (n > 1) throw new EngineConfigError(`${what} must be a share from 0 to 1, got '${String(value)}'.`);
  return n;
}

/**
 * Parses a flow; throws on a step the engine does not know. With `rooms: false` (the script has
 * no `config.engines.bench.rooms`) a `join` step is refused too.
 */
export function compileFlow(flow: unknown, scenarioName: string, opts: { rooms?: boolean } = {}): Step[] {
  if (!Array.isArray(flow)) {
    throw new EngineConfigError(
      `Scenario '${scenarioName}' has no flow. Give it a list of steps: ${STEP_NAMES.join(', ')}.`,
    );
  }
  return flow.map((raw: unknown, i): Step => {
    const keys = raw !== null && typeof raw === 'object' ? Object.keys(raw) : [];
    const key = keys[0];
    if (keys.length !== 1 || !STEP_NAMES.includes(key as (typeof STEP_NAMES)[number])) {
      throw new EngineConfigError(
        `Scenario '${scenarioName}', step ${i + 1}: unknown step ${JSON.stringify(raw)}. ` +
          `The bench engine supports: ${STEP_NAMES.join(', ')}.`,
      );
    }
    const arg = (raw as Record<string, unknown>)[key as string];
    const where = `Scenario '${scenarioName}', step ${i + 1} (${key})`;
    switch (key) {
      case 'hold': {
        const h = (arg ?? {}) as Record<string, unknown>;
        return {
          kind: 'hold',
          echoEveryMs: positiveOrZero(h.echoEveryMs, `${where}: echoEveryMs`),
          broadcastEveryMs: positiveOrZero(h.broadcastEveryMs, `${where}: broadcastEveryMs`),
          lifeMs: positiveOrZero(h.lifeMs, `${where}: lifeMs`),
          abruptShare: share(h.abruptShare, `${where}: abruptShare`),
        };
      }
      case 'think':
        return {
          kind: 'think',
          ms: positiveOrZero(arg, `${where}: seconds`) * 1000,
        };
      case 'connect':
        return { kind: 'connect' };
      case 'join':
        if (opts.rooms === false) {
          throw new EngineConfigError(
            `${where} needs config.engines.bench.rooms: { roomSize, publishEveryMs, messageBytes, exceptSender }.`,
          );
        }
        return { kind: 'join' };
      default:
        return { kind: 'disconnect' };
    }
  });
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
};

/** Seconds from an Artillery duration (`5`, `"5"`, `"5s"`, `"2m"`); 0 when absent or unreadable. */
export function durationSeconds(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : 0;
  if (typeof value !== 'string') return 0;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  if (!m) return 0;
  const unit = (m[2] ?? '').toLowerCase();
  if (unit === '') return Number(m[1]);
  const factor = UNIT_MS[unit];
  return factor === undefined ? 0 : (Number(m[1]) * factor) / 1000;
}

/** The part of an Artillery phase spec the engine reads. */
export interface PhaseSpec {
  name?: string;
  index?: number;
  pause?: unknown;
  duration?: unknown;
  arrivalCount?: unknown;
}

/** Sum of every phase's length (s): the longest a run can legitimately take to launch its VUs. */
export function totalPhaseSeconds(phases: readonly PhaseSpec[]): number {
  return phases.reduce((sum, p) => sum + durationSeconds(p.pause ?? p.duration), 0);
}
