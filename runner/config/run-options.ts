import * as fs from 'node:fs';
import * as path from 'node:path';
import * as net from 'node:net';
import { DEFAULT_RECONNECT, LIBS, TRANSPORTS, type Lib, type Transport } from 'artillery-engine-bench/protocol';
import { parseEnsure, type EnsureCheck } from '../metrics/expr';
import { UsageError } from '../errors';
import { packageRoot } from '../paths';
import { findTopology } from './profiles';
import { resolveSioTuning, type SioFlags } from './sio-options';
import type { SioTuning } from '../../servers/types';
import {
  ADAPTERS,
  BURST,
  DEFAULT_PG_URL,
  DEFAULT_REDIS_URL,
  LOCAL_PROFILE,
  METRICS_PATH,
  METRICS_TOKEN_ENV,
  MAX_CLIENTS,
  MAX_GENERATORS,
  MAX_NODES,
  RUN_DEFAULTS,
  SCENARIOS,
  type AdapterKind,
  type ArrivalRate,
  type FailLimit,
  type ScenarioName,
} from './defaults';

import {
  checkSourceAddressReach,
  parseSourceAddresses,
  resolveSpread,
  type SourceAddressSpec,
  type Spread,
} from './spread-options';

export * from './defaults';
export type { SourceAddressSpec, Spread } from './spread-options';

/** `bench run` options as the user gave them. Everything is optional; strings are raw input. */
export interface RunOptions extends SioFlags {
  lib?: string;
  /** ws's native add-ons (bufferutil, utf-8-validate) in the server and the clients: on | off */
  wsNative?: string;
  clients?: string | number;
  scenario?: string;
  arrivalRate?: string | number;
  warmup?: string | number;
  hold?: string | number;
  probes?: string | number;
  transport?: string;
  deflate?: boolean;
  pingInterval?: string | number;
  target?: string;
  allowRemoteTarget?: boolean;
  out?: string;
  json?: boolean;
  sampleInterval?: string | number;
  echoEvery?: string | number;
  broadcastEvery?: string | number;
  connectTimeout?: string | number;
  maxLoopDelay?: string | number;
  quiet?: boolean;
  profile?: string;
  strict?: boolean;
  serverMetrics?: string;
  metricsToken?: string;
  /** a Prometheus Pushgateway URL Artillery's publish-metrics plugin pushes the run's metrics to */
  pushMetrics?: string;
  /** SLO expressions such as `connect.p99<500ms`; the run exits 1 when one fails */
  ensure?: string | string[];
  /** failed connections a valid run may have: a count (`5`) or a percentage (`1%`) */
  maxFailed?: string | number;
  /** arrival lag p99 (ms) above which the run is invalid */
  maxLag?: string | number;
  /** exit 0 even when the run is invalid */
  allowInvalid?: boolean;
  /** read heap used after a forced full GC near the end of the hold */
  forcedGcHeap?: boolean;
  nodes?: string | number;
  /** Artillery processes that share the arrival schedule */
  generators?: string | number;
  adapter?: string;
  /** `balancer` (HAProxy) or `client` (each client picks a node, round robin) */
  spread?: string;
  /** `auto`, a count, or a comma-separated list of 127.x.x.x addresses */
  sourceAddresses?: string;
  redisUrl?: string;
  pgUrl?: string;
  adapterOutage?: string;
  adapterCrash?: string;
  killNodeAt?: string | number;
  /** true/false from --reconnect / --no-reconnect; absent: on with --kill-node-at only */
  reconnect?: boolean;
  reconnectAttempts?: string | number;
  reconnectDelay?: string | number;
  reconnectDelayMax?: string | number;
  reconnectJitter?: string | number;
}

/** A built-in scenario of ours, or the user's own Artillery script. */
export type ScenarioRef =
  { kind: 'builtin'; name: ScenarioName; file: string } | { kind: 'custom'; name: string; file: string };

/** `bench run` options with every default filled in and every value checked. */
export interface ResolvedRunOptions {
  lib: Lib;
  /** clients to connect and hold; null for a custom script, whose phases set the load */
  clients: number | null;
  scenario: ScenarioRef;
  /** new clients per second during the ramp, or `burst`: every client due at once */
  arrivalRate: ArrivalRate;
  /** clients that connect and leave before the ramp, unmeasured, to warm up both sides */
  warmup: number;
  /** seconds to hold all clients after the ramp */
  holdSeconds: number;
  /** clients that connect one at a time after the hold */
  probes: number;
  transport: Transport;
  deflate: boolean;
  /** server heartbeat interval (ms) */
  pingIntervalMs: number;
  /** a server already running; null starts one on loopback */
  target: string | null;
  /** where the result file goes */
  out: string;
  /** also print the result JSON on stdout */
  json: boolean;
  /** RSS/CPU sampling interval (ms) */
  sampleIntervalMs: number;
  /** each client's echo interval during the hold (ms) */
  echoEveryMs: number;
  /** interval between broadcasts in the broadcast scenario (ms) */
  broadcastEveryMs: number;
  /** a connection attempt fails after this long (ms) */
  connectTimeoutMs: number;
  /** the generator counts as saturated above this event-loop delay p99 (ms) */
  maxLoopDelayMs: number;
  /** no progress on stderr */
  quiet: boolean;
  /** topology profile from hardware-profiles/ to apply (`local`: nothing) */
  profile: string;
  /** refuse to run when a part of the profile cannot be applied */
  strict: boolean;
  /** a remote bench serve's metrics endpoint, read for server RSS/CPU with --target; null: none */
  serverMetrics: { url: string; token: string } | null;
  /** Pushgateway URL for Artillery's publish-metrics plugin; null: no push */
  pushMetrics: string | null;
  /** checks on the result; any that fails makes the run exit 1 */
  ensure: EnsureCheck[];
  /** failed connections (main and probe) beyond this make the run invalid */
  maxFailed: FailLimit;
  /** the run is invalid when arrivals start later than this behind their schedule, at p99 (ms) */
  maxLagMs: number;
  /** an invalid run still exits 0 */
  allowInvalid: boolean;
  forcedGcHeap: boolean;
  /** Socket.IO's tuning options, the server's and (the parser) the clients' */
  sio: SioTuning;
  /** off: WS_NO_BUFFER_UTIL and WS_NO_UTF_8_VALIDATE for the server and Artillery */
  wsNative: 'on' | 'off';
  /**
   * Artillery processes that share the arrival schedule; null: as many as the open-files limit
   * calls for (see generatorCount in runner/run/generators.ts)
   */
  generators: number | null;
  /** server nodes; more than one sit behind a load balancer and share broadcasts via `adapter` */
  nodes: number;
  /** what carries broadcasts between nodes */
  adapter: AdapterKind;
  /** how clients reach several nodes: HAProxy, or a node each picked round robin */
  spread: Spread;
  /** loopback addresses clients connect from; null: the kernel's choice */
  sourceAddresses: SourceAddressSpec | null;
  /** Redis for `--adapter redis` */
  redisUrl: string;
  /** PostgreSQL for `--adapter postgres` */
  pgUrl: string;
  /** Redis made unavailable (CLIENT PAUSE) from..to seconds after the hold starts; null: no fault */
  adapterOutage: { fromSeconds: number; toSeconds: number } | null;
  /** bench's own redis-server killed (SIGKILL) at from and started again at to, seconds after the hold starts; null: no fault */
  adapterCrash: { fromSeconds: number; toSeconds: number } | null;
  /** one node (the last, never the publisher) killed with SIGKILL this many seconds after the hold starts; null: none */
  killNodeAt: number | null;
  /** how clients whose connection is lost during the hold reconnect; null: they do not */
  reconnect: ReconnectSettings | null;
}

/** Back-off of reconnecting clients (the engine's; Socket.IO's defaults). */
export interface ReconnectSettings {
  attempts: number;
  delayMs: number;
  delayMaxMs: number;
  jitter: number;
}

/**
 * Default echo interval per client: 1 s, or longer so that all clients together send at most
 * 1,000 echoes/s. Echo latency samples the steady state; it is not a throughput test, and at
 * 10,000 clients × 1/s the generator, not the server, would set the numbers.
 */
export function autoEchoEveryMs(clients: number | null): number {
  return Math.max(RUN_DEFAULTS.echoEveryMs, Math.ceil(((clients ?? 0) / RUN_DEFAULTS.maxEchoesPerSecond) * 1000));
}

function wholeNumber(flag: string, raw: unknown, min: number, max: number, example: string): number {
  const text = String(raw).trim();
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(
      `--${flag} must be a whole number from ${min} to ${max} (got "${text}"). Example: --${flag} ${example}`,
    );
  }
  return n;
}

function oneOf<T extends string>(flag: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new UsageError(
      `--${flag} must be one of ${allowed.join(', ')} (got "${raw}"). Example: --${flag} ${allowed[0]}`,
    );
  }
  return raw as T;
}

/** Loopback, or the 198.18.0.0/15 benchmark range that bench's own namespaces use. */
export function isBenchmarkAddress(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  if (net.isIPv4(h)) {
    const [a, b] = h.split('.').map(Number);
    return a === 127 || (a === 198 && (b === 18 || b === 19));
  }
  return false;
}

function resolveTarget(raw: string, allowRemote: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(
      `--target must be a URL such as ws://127.0.0.1:8080/ or http://127.0.0.1:8080 (got "${raw}"). Use the "url" from the ready line of bench serve.`,
    );
  }
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol)) {
    throw new UsageError(
      `--target must use ws://, wss://, http:// or https:// (got "${url.protocol}"). Use the "url" from the ready line of bench serve.`,
    );
  }
  if (!allowRemote && !isBenchmarkAddress(url.hostname)) {
    throw new UsageError(
      `--target ${url.hostname} is not a loopback or 198.18.0.0/15 address. To load a server on another machine you own, add --allow-remote-target.`,
    );
  }
  return url.toString();
}

function resolveScenario(raw: string): ScenarioRef {
  if ((SCENARIOS as readonly string[]).includes(raw)) {
    const name = raw as ScenarioName;
    return { kind: 'builtin', name, file: path.join(packageRoot, 'scenarios', `${name}.yml`) };
  }
  if (/\.ya?ml$/i.test(raw) || raw.includes('/')) {
    const file = path.resolve(raw);
    if (!fs.existsSync(file)) {
      throw new UsageError(`--scenario file not found: ${raw}. Give the path of an Artillery script (.yml).`);
    }
    return { kind: 'custom', name: path.basename(file).replace(/\.ya?ml$/i, ''), file };
  }
  throw new UsageError(
    `--scenario must be one of ${SCENARIOS.join(', ')} or the path of an Artillery script ending in .yml (got "${raw}").`,
  );
}

function resolveNodes(
  raw: RunOptions,
  lib: Lib,
  target: string | null,
): Pick<ResolvedRunOptions, 'nodes' | 'adapter' | 'redisUrl' | 'pgUrl'> {
  const nodes = raw.nodes === undefined ? 1 : wholeNumber('nodes', raw.nodes, 1, MAX_NODES, '3');
  const adapter = oneOf('adapter', raw.adapter ?? (nodes > 1 ? 'redis' : 'none'), ADAPTERS);
  if (nodes > 1 && adapter === 'none') {
    throw new UsageError(
      `--nodes ${nodes} needs an --adapter to carry broadcasts between the nodes: redis, postgres or cluster.`,
    );
  }
  if ((adapter === 'postgres' || adapter === 'cluster' || adapter === 'redis-streams') && lib !== 'socketio') {
    throw new UsageError(
      `--adapter ${adapter} exists for Socket.IO only; ${lib} nodes share broadcasts through --adapter redis.`,
    );
  }
  if (target !== null && (nodes > 1 || adapter !== 'none')) {
    throw new UsageError(
      '--nodes and --adapter start servers of their own; they cannot apply to --target. Remove one of them.',
    );
  }
  const url = (flag: string, value: string, schemes: string[]) => {
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      u = new URL('invalid://');
    }
    if (!schemes.includes(u.protocol)) {
      throw new UsageError(`--${flag} must be a ${schemes.join(' or ')}// URL (got "${value}").`);
    }
    if (!isBenchmarkAddress(u.hostname)) {
      throw new UsageError(
        `--${flag} ${u.hostname} is not a loopback address. Use the ${flag === 'redis-url' ? 'Redis' : 'PostgreSQL'} running on this machine.`,
      );
    }
    return value;
  };
  return {
    nodes,
    adapter,
    redisUrl: url('redis-url', raw.redisUrl ?? DEFAULT_REDIS_URL, ['redis:']),
    pgUrl: url('pg-url', raw.pgUrl ?? DEFAULT_PG_URL, ['postgres:', 'postgresql:']),
  };
}

function resolveGenerators(raw: string | number | undefined, scenario: ScenarioRef): number | null {
  if (raw === undefined) return scenario.kind === 'custom' ? 1 : null;
  const k = wholeNumber('generators', raw, 1, MAX_GENERATORS, '2');
  if (k > 1 && scenario.kind === 'custom') {
    throw new UsageError(
      `--generators ${k} splits a built-in scenario's arrivals; your own script ${scenario.file} runs in one Artillery process, whose worker threads share its arrivalRate phases. Remove --generators.`,
    );
  }
  return k;
}

/** FROM..TO seconds after the hold starts, within the hold. */
function holdWindow(flag: string, raw: string, example: string) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*\.\.\s*(\d+(?:\.\d+)?)\s*$/.exec(raw);
  const from = m ? Number(m[1]) : NaN;
  const to = m ? Number(m[2]) : NaN;
  if (!(from < to)) {
    throw new UsageError(
      `--${flag} must be FROM..TO in seconds after the hold starts, FROM below TO (got "${raw}"). Example: --${flag} ${example}`,
    );
  }
  return { from, to };
}

function resolveOutage(raw: string | undefined, o: ResolvedRunOptions): ResolvedRunOptions['adapterOutage'] {
  if (raw === undefined) return null;
  const { from, to } = holdWindow('adapter-outage', raw, '2..5');
  if (o.adapter !== 'redis') {
    throw new UsageError(
      `--adapter-outage pauses Redis, so it needs --adapter redis (got --adapter ${o.adapter}). Example: --nodes 3 --adapter redis --adapter-outage 2..5`,
    );
  }
  if (to > o.holdSeconds) {
    throw new UsageError(
      `--adapter-outage ${raw} ends after the hold (${o.holdSeconds} s): broadcasts run only during the hold. Give --hold ${Math.ceil(to) + 2} or more.`,
    );
  }
  return { fromSeconds: from, toSeconds: to };
}

function resolveCrash(raw: RunOptions, o: ResolvedRunOptions): ResolvedRunOptions['adapterCrash'] {
  if (raw.adapterCrash === undefined) return null;
  const { from, to } = holdWindow('adapter-crash', raw.adapterCrash, '3..6');
  if (o.adapter !== 'redis' && o.adapter !== 'redis-streams') {
    throw new UsageError(
      `--adapter-crash kills Redis, so it needs --adapter redis or redis-streams (got --adapter ${o.adapter}). Example: --nodes 3 --adapter redis --adapter-crash 3..6`,
    );
  }
  if (raw.redisUrl !== undefined) {
    throw new UsageError(
      "--adapter-crash kills bench's own redis-server, never the one at --redis-url. Remove --redis-url.",
    );
  }
  if (raw.adapterOutage !== undefined) {
    throw new UsageError(
      '--adapter-crash and --adapter-outage both take Redis away during the hold. Give one of them.',
    );
  }
  if (to > o.holdSeconds) {
    throw new UsageError(
      `--adapter-crash ${raw.adapterCrash} ends after the hold (${o.holdSeconds} s): broadcasts run only during the hold. Give --hold ${Math.ceil(to) + 2} or more.`,
    );
  }
  return { fromSeconds: from, toSeconds: to };
}

function resolveKillNode(raw: RunOptions, o: ResolvedRunOptions): number | null {
  if (raw.killNodeAt === undefined) return null;
  const at = Number(raw.killNodeAt);
  if (String(raw.killNodeAt).trim() === '' || !Number.isFinite(at) || at < 0) {
    throw new UsageError(
      `--kill-node-at must be seconds after the hold starts, a number >= 0 (got "${String(raw.killNodeAt)}"). Example: --kill-node-at 3`,
    );
  }
  if (o.nodes < 2) {
    throw new UsageError(
      `--kill-node-at needs --nodes 2 or more, so that its clients have a node to reconnect to (got --nodes ${o.nodes}).`,
    );
  }
  if (at >= o.holdSeconds) {
    throw new UsageError(
      `--kill-node-at ${at} is not within the hold (${o.holdSeconds} s). Give --hold ${Math.ceil(at) + 5} or more.`,
    );
  }
  return at;
}

function resolveForcedGc(raw: RunOptions, o: ResolvedRunOptions): boolean {
  if (raw.forcedGcHeap !== true) return false;
  if (o.target !== null) {
    throw new UsageError(
      '--forced-gc-heap needs the server bench starts; it cannot apply to --target. Remove one of them.',
    );
  }
  if (o.adapter === 'cluster') {
    throw new UsageError(
      '--forced-gc-heap reads each server process from inside; a cluster primary cannot read its workers. Use --adapter redis or postgres.',
    );
  }
  if (o.holdSeconds < 2) {
    throw new UsageError(
      `--forced-gc-heap runs the GC near the end of the hold, which is ${o.holdSeconds} s. Give --hold 2 or more.`,
    );
  }
  return true;
}

function resolveReconnect(raw: RunOptions, killNodeAt: number | null): ReconnectSettings | null {
  const tuned =
    raw.reconnectAttempts !== undefined ||
    raw.reconnectDelay !== undefined ||
    raw.reconnectDelayMax !== undefined ||
    raw.reconnectJitter !== undefined;
  const on = raw.reconnect ?? (killNodeAt !== null || tuned);
  if (!on) {
    if (tuned) {
      throw new UsageError(
        '--reconnect-* flags tune reconnecting, which --no-reconnect turns off. Remove one of them.',
      );
    }
    return null;
  }
  const d = DEFAULT_RECONNECT;
  const num = (flag: string, value: unknown, fallback: number, min: number, max: number, example: string) =>
    value === undefined ? fallback : wholeNumber(flag, value, min, max, example);
  const r: ReconnectSettings = {
    attempts: num('reconnect-attempts', raw.reconnectAttempts, d.attempts, 1, 1_000, String(d.attempts)),
    delayMs: num('reconnect-delay', raw.reconnectDelay, d.delayMs, 0, 600_000, String(d.delayMs)),
    delayMaxMs: num('reconnect-delay-max', raw.reconnectDelayMax, d.delayMaxMs, 0, 600_000, String(d.delayMaxMs)),
    jitter: fraction('reconnect-jitter', raw.reconnectJitter, d.jitter),
  };
  if (r.delayMaxMs < r.delayMs) {
    throw new UsageError(`--reconnect-delay-max (${r.delayMaxMs}) must be at least --reconnect-delay (${r.delayMs}).`);
  }
  return r;
}

function fraction(flag: string, raw: string | number | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (String(raw).trim() === '' || !(n >= 0 && n <= 1)) {
    throw new UsageError(`--${flag} must be a number from 0 to 1 (got "${String(raw)}"). Example: --${flag} 0.5`);
  }
  return n;
}

function resolveArrivalRate(raw: string | number | undefined): ArrivalRate {
  if (raw === undefined) return RUN_DEFAULTS.arrivalRate;
  if (String(raw).trim() === BURST) return BURST;
  const text = String(raw).trim();
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 100_000)) {
    throw new UsageError(
      `--arrival-rate must be clients per second from 1 to 100000, or burst (got "${text}"). Example: --arrival-rate 500`,
    );
  }
  return n;
}

/** `5` (connections) or `1%` / `0.5%` (of the connections attempted). */
export function parseFailLimit(raw: string | number | undefined, flag = 'max-failed'): FailLimit {
  if (raw === undefined) return RUN_DEFAULTS.maxFailed;
  const text = String(raw).trim();
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (pct && Number(pct[1]) <= 100) return { percent: Number(pct[1]) };
  if (/^\d+$/.test(text) && Number.isSafeInteger(Number(text))) return { count: Number(text) };
  throw new UsageError(
    `--${flag} must be a count of connections or a percentage of them (got "${text}"). Example: --${flag} 5 or --${flag} 1%`,
  );
}

function resolveServerMetrics(raw: RunOptions, target: string | null): ResolvedRunOptions['serverMetrics'] {
  if (raw.serverMetrics === undefined) {
    if (raw.metricsToken !== undefined) {
      throw new UsageError(
        '--metrics-token needs --server-metrics URL, the "metrics" URL from the ready line of bench serve.',
      );
    }
    return null;
  }
  if (target === null) {
    throw new UsageError(
      '--server-metrics reads a remote bench serve and needs --target; without --target bench samples its own server.',
    );
  }
  let url: URL;
  try {
    url = new URL(raw.serverMetrics);
  } catch {
    url = new URL('invalid://');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(
      `--server-metrics must be an http:// or https:// URL (got "${raw.serverMetrics}"). Use the "metrics" URL from the ready line of bench serve.`,
    );
  }
  if (url.pathname === '/') url.pathname = METRICS_PATH;
  if (raw.allowRemoteTarget !== true && !isBenchmarkAddress(url.hostname)) {
    throw new UsageError(
      `--server-metrics ${url.hostname} is not a loopback or 198.18.0.0/15 address. For a server on another machine you own, add --allow-remote-target.`,
    );
  }
  const token = raw.metricsToken ?? process.env[METRICS_TOKEN_ENV];
  if (token === undefined || token === '') {
    throw new UsageError(
      `--server-metrics needs --metrics-token (or ${METRICS_TOKEN_ENV}): the token bench serve was started with.`,
    );
  }
  return { url: url.toString(), token };
}

function resolvePushMetrics(raw: string | undefined, scenario: ScenarioRef): string | null {
  if (raw === undefined) return null;
  if (scenario.kind === 'custom') {
    throw new UsageError(
      `--push-metrics fills in the built-in scenarios only; ${scenario.file} runs as written: add config.plugins.publish-metrics to it (docs/prometheus.md).`,
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    url = new URL('invalid://');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(
      `--push-metrics must be the http:// URL of a Prometheus Pushgateway (got "${raw}"). Example: --push-metrics http://127.0.0.1:9091`,
    );
  }
  // Metrics name the run's servers and results: they stay on this machine's own addresses.
  if (!isBenchmarkAddress(url.hostname)) {
    throw new UsageError(
      `--push-metrics ${url.hostname} is not a loopback or 198.18.0.0/15 address. Run a Pushgateway on this machine, e.g. --push-metrics http://127.0.0.1:9091`,
    );
  }
  return url.origin;
}

function resolveProfileName(raw: string | undefined, target: string | null): string {
  const name = raw ?? LOCAL_PROFILE;
  // Checks the name now: a typo should not wait for the server to start.
  findTopology(name);
  if (name !== LOCAL_PROFILE && target !== null) {
    throw new UsageError(
      `--profile ${name} places the server bench starts; it cannot apply to --target. Remove --profile, or apply it on the server host.`,
    );
  }
  return name;
}

function defaultOutFile(lib: Lib, scenario: string, clients: number | null, now: Date): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return path.resolve('results', `${stamp}-${lib}-${scenario}-${clients ?? 'script'}.json`);
}

/** Checks every option once and fills in the defaults. Throws UsageError naming the flag and the fix. */
export function resolveRunOptions(raw: RunOptions, now = new Date()): ResolvedRunOptions {
  if (raw.lib === undefined) {
    throw new UsageError(`Missing --lib. Choose one of ${LIBS.join(', ')}, e.g. --lib socketio.`);
  }
  const lib = oneOf('lib', String(raw.lib), LIBS);
  const scenario = resolveScenario(raw.scenario ?? RUN_DEFAULTS.scenario);

  let clients: number | null = null;
  if (scenario.kind === 'builtin') {
    if (raw.clients === undefined) {
      throw new UsageError('Missing --clients. Say how many clients to connect, e.g. --clients 1000.');
    }
    clients = wholeNumber('clients', raw.clients, 1, MAX_CLIENTS, '1000');
  } else if (raw.clients !== undefined) {
    throw new UsageError(
      `--clients does not apply to your own script ${scenario.file}: its config.phases set the load. Remove --clients.`,
    );
  }

  const transport = oneOf('transport', raw.transport ?? RUN_DEFAULTS.transport, TRANSPORTS);
  if (raw.transport !== undefined && lib !== 'socketio') {
    throw new UsageError(
      `--transport applies to --lib socketio only; ${lib} clients always use websocket. Remove --transport.`,
    );
  }

  const target = raw.target === undefined ? null : resolveTarget(raw.target, raw.allowRemoteTarget === true);
  const num = (flag: string, value: unknown, fallback: number, min: number, max: number, example: string) =>
    value === undefined ? fallback : wholeNumber(flag, value, min, max, example);

  const resolved: ResolvedRunOptions = {
    lib,
    clients,
    scenario,
    arrivalRate: resolveArrivalRate(raw.arrivalRate),
    warmup: num('warmup', raw.warmup, RUN_DEFAULTS.warmup, 0, MAX_CLIENTS, '100'),
    holdSeconds: num('hold', raw.hold, RUN_DEFAULTS.holdSeconds, 0, 86_400, '10'),
    probes: num('probes', raw.probes, RUN_DEFAULTS.probes, 0, 1_000, '10'),
    transport,
    deflate: raw.deflate === true,
    pingIntervalMs: num('ping-interval', raw.pingInterval, RUN_DEFAULTS.pingIntervalMs, 100, 3_600_000, '25000'),
    target,
    out: raw.out === undefined ? defaultOutFile(lib, scenario.name, clients, now) : path.resolve(raw.out),
    json: raw.json === true,
    sampleIntervalMs: num('sample-interval', raw.sampleInterval, RUN_DEFAULTS.sampleIntervalMs, 10, 60_000, '250'),
    echoEveryMs: num('echo-every', raw.echoEvery, autoEchoEveryMs(clients), 10, 3_600_000, '1000'),
    broadcastEveryMs: num('broadcast-every', raw.broadcastEvery, RUN_DEFAULTS.broadcastEveryMs, 10, 3_600_000, '1000'),
    connectTimeoutMs: num('connect-timeout', raw.connectTimeout, RUN_DEFAULTS.connectTimeoutMs, 100, 600_000, '30000'),
    maxLoopDelayMs: num('max-loop-delay', raw.maxLoopDelay, RUN_DEFAULTS.maxLoopDelayMs, 1, 60_000, '100'),
    quiet: raw.quiet === true,
    profile: resolveProfileName(raw.profile, target),
    strict: raw.strict === true,
    serverMetrics: resolveServerMetrics(raw, target),
    pushMetrics: resolvePushMetrics(raw.pushMetrics, scenario),
    ensure: (raw.ensure === undefined ? [] : [raw.ensure].flat()).map(parseEnsure),
    maxFailed: parseFailLimit(raw.maxFailed),
    maxLagMs: num('max-lag', raw.maxLag, RUN_DEFAULTS.maxLagMs, 1, 3_600_000, '100'),
    allowInvalid: raw.allowInvalid === true,
    forcedGcHeap: false,
    sio: resolveSioTuning(raw, lib),
    wsNative: oneOf('ws-native', raw.wsNative ?? RUN_DEFAULTS.wsNative, ['on', 'off'] as const),
    generators: resolveGenerators(raw.generators, scenario),
    ...resolveNodes(raw, lib, target),
    spread: 'balancer',
    sourceAddresses: parseSourceAddresses(raw.sourceAddresses),
    adapterOutage: null,
    adapterCrash: null,
    killNodeAt: null,
    reconnect: null,
  };
  resolved.spread = resolveSpread(raw.spread, resolved);
  checkSourceAddressReach(resolved.sourceAddresses, resolved, LOCAL_PROFILE);
  resolved.adapterOutage = resolveOutage(raw.adapterOutage, resolved);
  resolved.adapterCrash = resolveCrash(raw, resolved);
  resolved.killNodeAt = resolveKillNode(raw, resolved);
  resolved.reconnect = resolveReconnect(raw, resolved.killNodeAt);
  resolved.forcedGcHeap = resolveForcedGc(raw, resolved);
  if (raw.out !== undefined && fs.existsSync(resolved.out) && fs.statSync(resolved.out).isDirectory()) {
    throw new UsageError(
      `--out ${raw.out} is a folder. Give a file name, e.g. --out ${path.join(raw.out, 'result.json')}.`,
    );
  }
  return resolved;
}
