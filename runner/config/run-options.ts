import * as fs from 'node:fs';
import * as path from 'node:path';
import { LIBS, type Lib } from 'artillery-engine-bench/protocol';
import { parseEnsure } from '../metrics/expr';
import { UsageError } from '../errors';
import { packageRoot } from '../paths';
import { findTopology } from './profiles';
import { resolveSioTuning } from './sio-options';
import { resolveTestSwitches } from './test-switches';
import { resolveRooms } from './rooms-options';
import { resolveAmqp } from './amqp-options';
import { resolvePollingShare } from './polling-options';
import { resolveSlowClients } from './slow-options';
import {
  ADAPTERS,
  BURST,
  DEFAULT_AMQP_URL,
  DEFAULT_NATS_URL,
  DEFAULT_PG_URL,
  DEFAULT_REDIS_URL,
  LOCAL_PROFILE,
  MAX_CLIENTS,
  MAX_GENERATORS,
  MAX_NODES,
  RUN_DEFAULTS,
  SCENARIOS,
  type ArrivalRate,
  type FailLimit,
  type ScenarioName,
} from './defaults';
import { checkSourceAddressReach, parseSourceAddresses, resolveSpread } from './spread-options';
import { oneOf, resolveTransport, wholeNumber } from './flag-values';
import { isBenchmarkAddress, resolveTarget } from './target-options';
import { resolveForcedGc, resolvePushMetrics, resolveServerMetrics } from './metrics-options';
import {
  checkFlapTiming,
  resolveCrash,
  resolveFlap,
  resolveKillNode,
  resolveOutage,
  resolveReconnect,
  resolveRollingRestart,
} from './fault-options';
import type { ResolvedRunOptions, RunOptions, ScenarioRef } from './run-option-types';

export * from './defaults';
export type { SourceAddressSpec, Spread } from './spread-options';
export type {
  ReconnectSettings,
  ResolvedRunOptions,
  RoomsSettings,
  RunOptions,
  ScenarioRef,
  SlowClientsSettings,
} from './run-option-types';
export { isBenchmarkAddress } from './target-options';

/**
 * Default echo interval per client: 1 s, or longer so that all clients together send at most
 * 1,000 echoes/s. Echo latency samples the steady state; it is not a throughput test, and at
 * 10,000 clients × 1/s the generator, not the server, would set the numbers.
 */
export function autoEchoEveryMs(clients: number | null): number {
  return Math.max(RUN_DEFAULTS.echoEveryMs, Math.ceil(((clients ?? 0) / RUN_DEFAULTS.maxEchoesPerSecond) * 1000));
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

/** The service each URL flag of `bench run` points at. */
const SERVICE_OF: Record<string, string> = {
  'redis-url': 'Redis',
  'pg-url': 'PostgreSQL',
  'amqp-url': 'RabbitMQ',
  'nats-url': 'NATS',
};

function resolveNodes(
  raw: RunOptions,
  lib: Lib,
  target: string | null,
): Pick<ResolvedRunOptions, 'nodes' | 'adapter' | 'redisUrl' | 'pgUrl' | 'amqpUrl' | 'natsUrl'> {
  const nodes = raw.nodes === undefined ? 1 : wholeNumber('nodes', raw.nodes, 1, MAX_NODES, '3');
  const adapter = oneOf('adapter', raw.adapter ?? (nodes > 1 ? 'redis' : 'none'), ADAPTERS);
  if (nodes > 1 && adapter === 'none') {
    throw new UsageError(
      `--nodes ${nodes} needs an --adapter to carry broadcasts between the nodes: redis, postgres, amqp, nats or cluster.`,
    );
  }
  if ((adapter === 'postgres' || adapter === 'cluster' || adapter === 'redis-streams') && lib !== 'socketio') {
    throw new UsageError(
      `--adapter ${adapter} exists for Socket.IO only; ${lib} nodes share broadcasts through --adapter redis, amqp or nats.`,
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
        `--${flag} ${u.hostname} is not a loopback address. Use the ${SERVICE_OF[flag]} running on this machine.`,
      );
    }
    return value;
  };
  return {
    nodes,
    adapter,
    redisUrl: url('redis-url', raw.redisUrl ?? DEFAULT_REDIS_URL, ['redis:']),
    pgUrl: url('pg-url', raw.pgUrl ?? DEFAULT_PG_URL, ['postgres:', 'postgresql:']),
    amqpUrl: url('amqp-url', raw.amqpUrl ?? DEFAULT_AMQP_URL, ['amqp:']),
    natsUrl: url('nats-url', raw.natsUrl ?? DEFAULT_NATS_URL, ['nats:']),
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

  const transport = resolveTransport(raw.transport, lib);

  const target = raw.target === undefined ? null : resolveTarget(raw.target, raw.allowRemoteTarget === true);
  const num = (flag: string, value: unknown, fallback: number, min: number, max: number, example: string) =>
    value === undefined ? fallback : wholeNumber(flag, value, min, max, example);
  const nodes = resolveNodes(raw, lib, target);

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
    rooms: null,
    pollingSharePct: null,
    connectTimeoutMs: num('connect-timeout', raw.connectTimeout, RUN_DEFAULTS.connectTimeoutMs, 100, 600_000, '30000'),
    maxLoopDelayMs: num('max-loop-delay', raw.maxLoopDelay, RUN_DEFAULTS.maxLoopDelayMs, 1, 60_000, '100'),
    quiet: raw.quiet === true,
    profile: resolveProfileName(raw.profile, target),
    strict: raw.strict === true,
    serverMetrics: resolveServerMetrics(raw, target),
    pushMetrics: resolvePushMetrics(raw.pushMetrics, scenario),
    ensure: (raw.ensure === undefined ? [] : [raw.ensure].flat()).map(parseEnsure),
    serverTest: resolveTestSwitches(raw),
    maxFailed: parseFailLimit(raw.maxFailed),
    maxLagMs: num('max-lag', raw.maxLag, RUN_DEFAULTS.maxLagMs, 1, 3_600_000, '100'),
    allowInvalid: raw.allowInvalid === true,
    forcedGcHeap: false,
    sio: resolveSioTuning(raw, lib, nodes.adapter),
    wsNative: oneOf('ws-native', raw.wsNative ?? RUN_DEFAULTS.wsNative, ['on', 'off'] as const),
    generators: resolveGenerators(raw.generators, scenario),
    ...nodes,
    amqp: resolveAmqp(raw, nodes.adapter),
    spread: 'balancer',
    sourceAddresses: parseSourceAddresses(raw.sourceAddresses),
    adapterOutage: null,
    adapterCrash: null,
    killNodeAt: null,
    flap: null,
    rollingRestart: null,
    reconnect: null,
    slowClients: null,
  };
  if (target !== null && typeof resolved.sio.recoveryMs === 'number') {
    throw new UsageError(
      '--sio-recovery applies to the servers bench run starts; with --target, give it to bench serve there. Remove --sio-recovery.',
    );
  }
  if (target !== null && (resolved.serverTest.echoDelayMs || resolved.serverTest.retainPerConnectionBytes)) {
    const flag = resolved.serverTest.echoDelayMs ? 'echo-delay' : 'retain-per-connection';
    throw new UsageError(
      `--${flag} applies to the servers bench run starts; with --target, give it to bench serve there. Remove --${flag}.`,
    );
  }
  const builtinName = scenario.kind === 'builtin' ? scenario.name : null;
  resolved.rooms = resolveRooms(raw, builtinName, clients, resolved.holdSeconds, lib);
  resolved.spread = resolveSpread(raw.spread, resolved);
  resolved.pollingSharePct = resolvePollingShare(raw.pollingShare, resolved, raw.transport !== undefined);
  checkSourceAddressReach(resolved.sourceAddresses, resolved, LOCAL_PROFILE);
  resolved.adapterOutage = resolveOutage(raw.adapterOutage, resolved);
  resolved.adapterCrash = resolveCrash(raw, resolved);
  resolved.killNodeAt = resolveKillNode(raw, resolved);
  resolved.flap = resolveFlap(raw, resolved);
  resolved.rollingRestart = resolveRollingRestart(raw, resolved);
  resolved.reconnect = resolveReconnect(
    raw,
    resolved.killNodeAt !== null || resolved.flap !== null || resolved.rollingRestart !== null,
  );
  checkFlapTiming(resolved.flap, resolved.reconnect);
  const fault = resolved.flap
    ? 'flap'
    : resolved.rollingRestart !== null
      ? 'rolling-restart'
      : resolved.killNodeAt !== null
        ? 'kill-node-at'
        : null;
  if (resolved.rooms && fault) {
    throw new UsageError(
      `--scenario rooms counts deliveries against a room membership that stays put; --${fault} makes clients leave and join again. Run --${fault} with --scenario broadcast.`,
    );
  }
  resolved.slowClients = resolveSlowClients(raw, resolved);
  resolved.forcedGcHeap = resolveForcedGc(raw, resolved);
  if (raw.out !== undefined && fs.existsSync(resolved.out) && fs.statSync(resolved.out).isDirectory()) {
    throw new UsageError(
      `--out ${raw.out} is a folder. Give a file name, e.g. --out ${path.join(raw.out, 'result.json')}.`,
    );
  }
  return resolved;
}
