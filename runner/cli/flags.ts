// The one table of every command's flags: type, help, default, and whether a sweep passes it on.
// Pure data over runner/config/defaults: the lean `bench serve` entry reads it without yargs.
import { DEFAULT_RECONNECT, LIBS, TRANSPORTS } from 'artillery-engine-bench/protocol';
import { DEFAULT_NODE_ID } from '../../servers/types';
import {
  COMPARE_DEFAULTS,
  DEFAULT_AMQP_URL,
  DEFAULT_NATS_URL,
  DEFAULT_PG_URL,
  DEFAULT_REDIS_URL,
  formatFailLimit,
  GENERATOR_FD_MARGIN,
  MAX_GENERATORS,
  LOCAL_PROFILE,
  METRICS_TOKEN_ENV,
  ROOMS_DEFAULTS,
  RUN_DEFAULTS,
  SCENARIOS,
  SERVE_DEFAULTS,
  SWEEP_DEFAULTS,
} from '../config/defaults';
import type { RunOptions } from '../config/run-options';
import { LIMIT_DEFAULTS, LIMIT_SCENARIOS, type LimitOptions } from '../config/limit-options';
import type { ServeOptions } from '../config/serve-options';
import { SOAK_DEFAULTS, type SoakOptions } from '../config/soak-options';

export interface Flag {
  /** numbers stay strings until the options resolve them, so errors can quote what was typed */
  type: 'string' | 'boolean';
  /** repeatable; every value is kept */
  array?: true;
  describe: string;
  /** what the command gets when the flag is absent, shown in help; always from runner/config/defaults */
  default?: string | boolean;
  /** `bench sweep` takes it too and passes it, when given, to every cell's `bench run` */
  sweep?: true;
}

/** Flag name (as typed, without `--`) → its entry. Insertion order is the help order. */
export type FlagTable = Record<string, Flag>;

/** `maxLag` → `max-lag`, as a type: a table's keys must be its options' fields, each once. */
type Kebab<S extends string> = S extends `${infer H}${infer T}`
  ? `${H extends Lowercase<H> ? H : `-${Lowercase<H>}`}${Kebab<T>}`
  : S;
/** A table with exactly one flag per field of `O`: a missing or extra flag does not compile. */
type TableOf<O> = Record<Kebab<keyof O & string>, Flag>;

/** A positional argument of a command. */
export interface Positional {
  name: string;
  array?: true;
  describe: string;
}

const str = (describe: string, extra: Partial<Flag> = {}): Flag => ({ type: 'string', describe, ...extra });
const bool = (describe: string, extra: Partial<Flag> = {}): Flag => ({ type: 'boolean', describe, ...extra });

// Flags more than one command takes, with the same meaning: one entry each, spread into each command.
const SHARED = {
  lib: str(`library under test: ${LIBS.join(' | ')}`),
  transport: str(`Socket.IO only: ${TRANSPORTS.join(' | ')} (polling then upgrade)`, { sweep: true }),
  deflate: bool('per-message deflate, where the library supports it', { default: false }),
  'ping-interval': str('server heartbeat interval (ms)', {
    default: String(RUN_DEFAULTS.pingIntervalMs),
    sweep: true,
  }),
  'redis-url': str(`Redis for --adapter redis and redis-streams (default ${DEFAULT_REDIS_URL})`, { sweep: true }),
  'pg-url': str(`PostgreSQL for --adapter postgres (default ${DEFAULT_PG_URL})`, { sweep: true }),
  'amqp-url': str(`RabbitMQ for --adapter amqp (default ${DEFAULT_AMQP_URL})`, { sweep: true }),
  'nats-url': str(`NATS for --adapter nats (default ${DEFAULT_NATS_URL})`, { sweep: true }),
  'amqp-topology': str(
    "--adapter amqp: fanout (every node gets every message) | routing (direct exchange, a routing key per room, bound by the nodes with members in it) | prefix:N (rooms hashed into N keys, 1 to 65536; with --scenario rooms each client goes to its room's node) (default fanout)",
    { sweep: true },
  ),
  'amqp-extra-bindings': str(
    '--adapter amqp with --amqp-topology routing or prefix:N: routing keys each node binds to its queue at start, never published to (the bindings a restart tears down: docs/scale-out.md)',
    { sweep: true },
  ),
  quiet: bool('no progress on stderr'),
  'sio-parser': str(
    'Socket.IO only: packet encoding, default | msgpack (socket.io-msgpack-parser, server and clients)',
    {
      sweep: true,
    },
  ),
  'sio-discard-request': bool("Socket.IO only: drop each connection's initial HTTP request after the handshake", {
    sweep: true,
  }),
  'sio-ws-engine': str('Socket.IO only: an installed module engine.io takes as wsEngine, e.g. ws or eiows (Node 22)', {
    sweep: true,
  }),
  'sio-recovery': str(
    "Socket.IO only: connection state recovery, a lost session and what it missed kept MS ms (alone: Socket.IO's 120000); adapters none or redis-streams",
    { sweep: true },
  ),
} satisfies FlagTable;

// Injected regressions, for tests and for showing that the gate catches them (bench serve and bench run).
const TEST_SWITCHES = {
  'echo-delay': str('for tests: the server answers every echo MS ms late (an injected latency regression)'),
  'retain-per-connection': str(
    'for tests: the server keeps BYTES for every connection it accepts, never freed (an injected memory regression and leak)',
  ),
} satisfies FlagTable;

export const RUN_FLAGS = {
  lib: SHARED.lib,
  clients: str('clients to connect and hold (1 to 100000)'),
  scenario: str(`${SCENARIOS.join(' | ')} or the path of your own Artillery script`, {
    default: RUN_DEFAULTS.scenario,
  }),
  'arrival-rate': str('new clients per second during the ramp, or burst (every client due at once)', {
    default: String(RUN_DEFAULTS.arrivalRate),
    sweep: true,
  }),
  warmup: str('clients that connect and leave before the ramp, unmeasured, so it does not start cold', {
    default: String(RUN_DEFAULTS.warmup),
    sweep: true,
  }),
  hold: str('seconds to hold all clients after the ramp', { default: String(RUN_DEFAULTS.holdSeconds), sweep: true }),
  probes: str('clients that connect one at a time after the hold', {
    default: String(RUN_DEFAULTS.probes),
    sweep: true,
  }),
  transport: SHARED.transport,
  deflate: SHARED.deflate,
  'ping-interval': SHARED['ping-interval'],
  'sio-parser': SHARED['sio-parser'],
  'sio-discard-request': SHARED['sio-discard-request'],
  'sio-ws-engine': SHARED['sio-ws-engine'],
  'sio-recovery': SHARED['sio-recovery'],
  'ws-native': str("ws's native add-ons (bufferutil, utf-8-validate) in server and clients: on | off", {
    default: RUN_DEFAULTS.wsNative,
    sweep: true,
  }),
  target: str('URL of a server already running (bench serve); no local server is started'),
  'allow-remote-target': bool('allow a --target outside loopback and 198.18.0.0/15'),
  'server-metrics': str('with --target: the metrics URL of a bench serve --metrics-token, read for server RSS and CPU'),
  'metrics-token': str(`the token of --server-metrics (or $${METRICS_TOKEN_ENV})`),
  'push-metrics': str("push the run's metrics to this Prometheus Pushgateway (docs/prometheus.md)"),
  out: str('result file (default results/<time>-<lib>-<scenario>-<clients>.json)'),
  json: bool('also print the result JSON on stdout'),
  'sample-interval': str('RSS/CPU sampling interval (ms)', {
    default: String(RUN_DEFAULTS.sampleIntervalMs),
    sweep: true,
  }),
  'echo-every': str(
    `echo interval per client during the hold (ms); default ${RUN_DEFAULTS.echoEveryMs}, or clients ms when that is longer (${RUN_DEFAULTS.maxEchoesPerSecond.toLocaleString('en-US')} echoes/s in all at most)`,
    { sweep: true },
  ),
  'broadcast-every': str('broadcast interval in the broadcast scenario (ms)', {
    default: String(RUN_DEFAULTS.broadcastEveryMs),
    sweep: true,
  }),
  'room-size': str(
    `--scenario rooms: members per room; rooms fill one after another, size consecutive clients each (ceil(clients / size) rooms) (default ${ROOMS_DEFAULTS.roomSize}, or the clients when fewer)`,
    { sweep: true },
  ),
  // No parser default: resolveRooms refuses a room flag given with another scenario.
  'publish-every': str(
    `--scenario rooms: each member publishes one message to its room this often (ms, default ${ROOMS_DEFAULTS.publishEveryMs})`,
    { sweep: true },
  ),
  'message-bytes': str(
    `--scenario rooms: bytes per message (its JSON text, padded; default ${ROOMS_DEFAULTS.messageBytes})`,
    { sweep: true },
  ),
  namespaces: str(
    '--scenario rooms, Socket.IO: namespaces each client multiplexes on its one connection (/ and /n2 … /nN): it joins its room in each, its messages take turns (default 1)',
    { sweep: true },
  ),
  'except-sender': bool('--scenario rooms: each message goes to the room but its sender (Socket.IO socket.to(room))', {
    sweep: true,
  }),
  'polling-share': str(
    'Socket.IO or SockJS: this share of the clients stays on HTTP long-polling (e.g. 5%), the rest on websocket; each measured apart too',
    { sweep: true },
  ),
  'slow-clients': str(
    'SHARE%:BYTES_PER_S: slow consumers, that share of the clients reads at most that many bytes/s (e.g. 10%:2000); docs/slow-consumers.md',
    { sweep: true },
  ),
  'connect-timeout': str('a connection attempt fails after this long (ms)', {
    default: String(RUN_DEFAULTS.connectTimeoutMs),
    sweep: true,
  }),
  'max-loop-delay': str('generator event-loop delay p99 (ms) above which the run is invalid', {
    default: String(RUN_DEFAULTS.maxLoopDelayMs),
    sweep: true,
  }),
  'max-failed': str('failed connections (a count, or a percentage such as 1%) above which the run is invalid', {
    default: formatFailLimit(RUN_DEFAULTS.maxFailed),
    sweep: true,
  }),
  'max-lag': str('arrival lag p99 (ms): arrivals this far behind their schedule make the run invalid', {
    default: String(RUN_DEFAULTS.maxLagMs),
    sweep: true,
  }),
  'allow-invalid': bool('exit 0 even when the run is invalid (it still says so)'),
  'forced-gc-heap': bool(
    'also read heap used after a forced full GC near the end of the hold, as the Socket.IO team does',
  ),
  quiet: SHARED.quiet,
  profile: str('topology from hardware-profiles/ (bench profile list): namespaces, CPU sets, memory cap, link', {
    default: LOCAL_PROFILE,
    sweep: true,
  }),
  strict: bool('refuse to run when any part of --profile cannot be applied'),
  nodes: str('server nodes behind HAProxy (sticky for long-polling), synced by --adapter (default 1)', {
    sweep: true,
  }),
  generators: str(
    `Artillery processes that share the arrival schedule (1 to ${MAX_GENERATORS}); default 1, or the fewest that keep each one's clients + probes under ulimit -n minus ${GENERATOR_FD_MARGIN.toLocaleString('en-US')}`,
    { sweep: true },
  ),
  adapter: str(
    'what carries broadcasts between nodes: redis | redis-streams | postgres | amqp | nats | cluster (Socket.IO), redis | amqp | nats (ws, SockJS)',
    {
      sweep: true,
    },
  ),
  spread: str(
    'several nodes: balancer (HAProxy, sticky) | client (each client picks a node, round robin; websocket only)',
    {
      default: RUN_DEFAULTS.spread,
      sweep: true,
    },
  ),
  'source-addresses': str(
    'connect from several loopback addresses, each with its own port range: auto | a count | 127.0.0.2,127.0.0.3',
    { sweep: true },
  ),
  'adapter-outage': str('FROM..TO: pause Redis (CLIENT PAUSE) that many seconds after the hold starts, e.g. 2..5'),
  'adapter-crash': str(
    "FROM..TO: kill bench's own redis-server (SIGKILL) that many seconds after the hold starts, start it again at TO, e.g. 3..6",
  ),
  'kill-node-at': str(
    'S: kill one node (SIGKILL, never the publisher) S seconds after the hold starts; turns --reconnect on',
  ),
  flap: str(
    'SHARE@EVERY: network flaps, every EVERY s of the hold each node resets SHARE % of its WebSocket connections (e.g. 10%@5); turns --reconnect on',
    { sweep: true },
  ),
  'rolling-restart': str(
    '[S]: a deploy: stop each node gracefully (SIGTERM) and start it again, one at a time, the first S seconds after the hold starts (default 2), each next once the last answers /healthz again; the publisher last; turns --reconnect on',
    { sweep: true },
  ),
  reconnect: bool('clients that lose their connection during the hold reconnect with back-off (--no-reconnect: never)'),
  'reconnect-attempts': str(`attempts per lost connection (default ${DEFAULT_RECONNECT.attempts})`),
  'reconnect-delay': str(`first back-off delay in ms, doubled per attempt (default ${DEFAULT_RECONNECT.delayMs})`),
  'reconnect-delay-max': str(`largest back-off delay in ms (default ${DEFAULT_RECONNECT.delayMaxMs})`),
  'reconnect-jitter': str(`each delay spread by ± this fraction, 0..1 (default ${DEFAULT_RECONNECT.jitter})`),
  'redis-url': SHARED['redis-url'],
  'pg-url': SHARED['pg-url'],
  'amqp-url': SHARED['amqp-url'],
  'nats-url': SHARED['nats-url'],
  'amqp-topology': SHARED['amqp-topology'],
  'amqp-extra-bindings': SHARED['amqp-extra-bindings'],
  ensure: str(
    'SLO to check, repeatable: e.g. "connect.p99<500ms" "rss.steady<300MB" "failed==0"; exit 1 if one fails',
    { array: true },
  ),
  ...TEST_SWITCHES,
} satisfies TableOf<RunOptions>;

export const SERVE_FLAGS = {
  lib: SHARED.lib,
  port: str('TCP port; 0 picks a free one', { default: String(SERVE_DEFAULTS.port) }),
  host: str('address to bind; anything but loopback must be asked for', { default: SERVE_DEFAULTS.host }),
  transport: SHARED.transport,
  deflate: SHARED.deflate,
  'ping-interval': SHARED['ping-interval'],
  'sio-parser': SHARED['sio-parser'],
  'sio-discard-request': SHARED['sio-discard-request'],
  'sio-ws-engine': SHARED['sio-ws-engine'],
  'sio-recovery': SHARED['sio-recovery'],
  'metrics-token': str(
    `serve own RSS/CPU samples at /metrics/samples to holders of this token (or $${METRICS_TOKEN_ENV})`,
  ),
  'metrics-format': str('json | prometheus (also /metrics in Prometheus text format: docs/prometheus.md)', {
    default: SERVE_DEFAULTS.metricsFormat,
  }),
  adapter: str(
    'what syncs broadcasts with other nodes: none | redis | amqp | nats | redis-streams | postgres | cluster (the last three: Socket.IO)',
    {
      default: SERVE_DEFAULTS.adapter,
    },
  ),
  'redis-url': SHARED['redis-url'],
  'pg-url': SHARED['pg-url'],
  'amqp-url': SHARED['amqp-url'],
  'nats-url': SHARED['nats-url'],
  'amqp-topology': SHARED['amqp-topology'],
  'amqp-extra-bindings': SHARED['amqp-extra-bindings'],
  'node-id': str("this node's label in stats and the ready line", { default: DEFAULT_NODE_ID }),
  workers: str('--adapter cluster: worker processes (default: one per CPU)'),
  'cluster-key': str('nodes with the same key share broadcasts; give each run its own', {
    default: SERVE_DEFAULTS.clusterKey,
  }),
  'inner-sample-interval': str(
    'print heap, event-loop and GC samples of this process as JSON lines every MS ms; SIGUSR2 forces a GC and prints heap used after it (used by bench run); 0: off',
    { default: '0' },
  ),
  'log-deliveries': bool('print one JSON line per broadcast delivered by this node (used by bench run)', {
    default: false,
  }),
  'first-seq': str(
    "number this node's broadcasts on from N (its first is N+1): a publisher restarted during a run continues the run's numbering (used by bench run --rolling-restart)",
    { default: '0' },
  ),
  'welcome-delay': str('for tests: send the welcome MS ms after the connection', {
    default: String(SERVE_DEFAULTS.welcomeDelayMs),
  }),
  'echo-delay': TEST_SWITCHES['echo-delay'],
  'retain-per-connection': TEST_SWITCHES['retain-per-connection'],
} satisfies TableOf<ServeOptions>;

/** What `bench sweep` passes on to every cell; named in its help once, not per flag. */
export const SWEEP_PASS_THROUGH = 'passed to every bench run (see bench run --help)';

/**
 * The `bench run` flags a sweep passes on, as sweep flags: no default, so only given ones pass;
 * of the run flag's type, so a switch given alone (--sio-discard-request) passes as a switch.
 */
function passThrough(run: FlagTable): FlagTable {
  const out: FlagTable = {};
  for (const [name, f] of Object.entries(run)) {
    if (f.sweep) out[name] = { type: f.type, describe: SWEEP_PASS_THROUGH, sweep: true };
  }
  return out;
}

export const SWEEP_FLAGS: FlagTable = {
  libs: str(`libraries, comma-separated (default ${SWEEP_DEFAULTS.libs.join(',')})`),
  clients: str(`client levels, comma-separated (default ${SWEEP_DEFAULTS.clients.join(',')})`),
  trials: str('runs per library and level', { default: String(SWEEP_DEFAULTS.trials) }),
  scenario: str(SCENARIOS.join(' | '), { default: SWEEP_DEFAULTS.scenario }),
  out: str('folder for the manifest and one result file per cell (default results/sweep-<time>)'),
  resume: bool('run only the cells of --out that have not completed'),
  'arrival-rates': str(
    'arrival rates as a dimension, comma-separated: clients/s or burst (all at once), e.g. 250,500,burst',
  ),
  'allow-invalid': bool('exit 0 when every cell completed, even if some are invalid (they still say so)'),
  preset: str('paper-2020 (Socket.IO as its 2.x defaults: deflate, polling) | modern (today’s defaults)'),
  deflate: bool('per-message deflate in every cell'),
  strict: bool('every cell refuses to run when a part of --profile cannot be applied'),
  quiet: SHARED.quiet,
  ...passThrough(RUN_FLAGS),
};

export const REPORT_FLAGS: FlagTable = {
  html: str('write a self-contained HTML report here'),
  markdown: str('write a Markdown summary here'),
};

export const PROFILE_FLAGS: FlagTable = {};

export const CALIBRATE_FLAGS: FlagTable = {
  json: bool('print the calibration JSON on stdout'),
};

export const GATE_FLAGS: FlagTable = {
  baseline: str('sweep folder or result files of the baseline', { array: true }),
  current: str('sweep folder or result files to check', { array: true }),
  threshold: str('METRIC=PERCENT, repeatable, e.g. connect.p99=20 (defaults in the README)', { array: true }),
  'ignore-option': str('pair cells across this run option, to compare two configurations (e.g. deflate)', {
    array: true,
  }),
  // No default here: it lives beside the gate's other thresholds (reports/gate/options.ts), which
  // this table must not import (the lean `bench serve` entry reads it).
  'soak-threshold': str(
    "KIB_PER_1000: how much faster than the baseline's a soak's heap + external may grow per 1,000 connections before it is a regression (default in docs/gate-and-capacity.md)",
  ),
  markdown: str('write a Markdown summary (for a PR comment) here'),
  junit: str('write a JUnit XML report (one test case per cell and metric) here'),
  json: bool('print the gate report JSON on stdout'),
  'fail-on-unsure': bool(
    'exit 1 when the verdict is unsure (a change beyond a threshold the trials cannot tell from noise); default: exit 0',
  ),
};

/** What `bench compare` passes on to both sides' `bench run`: every run flag but the ones it owns. */
export const COMPARE_PASS_THROUGH = "passed to both sides' bench run (see bench run --help)";
const COMPARE_OWNS = [
  'out',
  'json',
  'quiet',
  'target',
  'allow-remote-target',
  'server-metrics',
  'metrics-token',
  'push-metrics',
  'allow-invalid',
  'ensure',
];

export const COMPARE_FLAGS: FlagTable = {
  baseline: str('the build to compare against: a checkout of this project (after npm ci) or its bin/bench.js'),
  current: str('the build to check: a checkout or its bin/bench.js'),
  'baseline-args': str(
    'extra bench run flags for the baseline side only, given with =: --baseline-args="--ws-native off"',
  ),
  'current-args': str('extra bench run flags for the current side only, given with =: --current-args="--echo-delay 2"'),
  'min-runs': str('runs in all (both sides) before a decision may stop the loop', {
    default: String(COMPARE_DEFAULTS.minRuns),
  }),
  'max-runs': str('the budget: at most this many runs in all; then "unsure" says how many more would decide', {
    default: String(COMPARE_DEFAULTS.maxRuns),
  }),
  confidence: str('two-sided confidence of the interval each metric is decided on', {
    default: String(COMPARE_DEFAULTS.confidence),
  }),
  threshold: GATE_FLAGS.threshold!,
  out: str('folder for every run and compare.json (default results/compare-<time>)'),
  markdown: GATE_FLAGS.markdown!,
  json: bool('print the compare report JSON on stdout'),
  'fail-on-unsure': bool('exit 1 when the budget ends unsure; default: exit 0'),
  quiet: SHARED.quiet,
  ...Object.fromEntries(
    Object.entries(RUN_FLAGS)
      .filter(([name]) => !COMPARE_OWNS.includes(name))
      .map(([name, f]) => [name, { type: f.type, describe: COMPARE_PASS_THROUGH, ...(f.array && { array: f.array }) }]),
  ),
};

export const CAPACITY_FLAGS: FlagTable = {
  memory: str('server memory to plan for, e.g. 8GiB (default: the sweep machine’s)'),
  'cpu-headroom': str('fraction of each server to fill, leaving the rest for bursts and CPU (default 0.7)'),
  slo: str('latency SLO, repeatable, e.g. "connect.p99<500ms"', { array: true }),
  users: str('users to plan for: prints the servers needed'),
  html: str('write a self-contained HTML capacity page here'),
  json: bool('print the capacity report JSON on stdout'),
};

export const LIMIT_FLAGS = {
  lib: SHARED.lib,
  scenario: str(`what the held clients do: ${LIMIT_SCENARIOS.join(' | ')}`, { default: LIMIT_DEFAULTS.scenario }),
  slo: str(
    'stop when a step breaks it, repeatable: probe.connect|echo|broadcast .pNN|.max < VALUE, e.g. "echo.p95<500ms"',
    {
      array: true,
    },
  ),
  step: str('clients each step adds (and holds)', { default: String(LIMIT_DEFAULTS.step) }),
  max: str('the most clients to try', { default: String(LIMIT_DEFAULTS.max) }),
  hold: str('seconds each step holds its clients with traffic before its probes', {
    default: String(LIMIT_DEFAULTS.holdSeconds),
  }),
  probes: str('probe connections per step, one at a time', { default: String(LIMIT_DEFAULTS.probes) }),
  'arrival-rate': str('clients per second in each step', { default: String(LIMIT_DEFAULTS.arrivalRate) }),
  'memory-limit': str("the server's memory to stop at, e.g. 2GiB (default: what the machine has available)"),
  'max-loop-delay': str('generator event loop delay or arrival lag p99 (ms) above which it is saturated', {
    default: String(RUN_DEFAULTS.maxLoopDelayMs),
  }),
  'polling-share': str(
    'Socket.IO or SockJS: this share of every step’s clients stays on long-polling (e.g. 5%), the rest on websocket',
  ),
  out: str('result file', { default: LIMIT_DEFAULTS.out }),
  json: bool('also print the result JSON on stdout'),
} satisfies TableOf<LimitOptions>;

export const SOAK_FLAGS = {
  lib: SHARED.lib,
  transport: SHARED.transport,
  deflate: SHARED.deflate,
  clients: str('the population: clients held at once', { default: String(SOAK_DEFAULTS.clients) }),
  churn: str(
    'connection cycles a second: clients that close, and as many that arrive; each lives clients ÷ churn s on average',
    {
      default: String(SOAK_DEFAULTS.churn),
    },
  ),
  duration: str('seconds of churn after --warmup, fitted once the population has filled (1.5 mean lives)', {
    default: String(SOAK_DEFAULTS.durationSeconds),
  }),
  warmup: str('seconds of churn before --duration, sampled but not fitted: a fresh server warms up', {
    default: String(SOAK_DEFAULTS.warmupSeconds),
  }),
  abrupt: str(
    'share of lives that end abruptly (socket reset, no closing handshake), the rest close cleanly: 0 to 1 or %',
    {
      default: String(SOAK_DEFAULTS.abruptShare),
    },
  ),
  'echo-every': str('echo interval per client (ms)', { default: String(SOAK_DEFAULTS.echoEveryMs) }),
  'sample-interval': str('a full GC on the server and a sample of its memory every MS ms', {
    default: String(SOAK_DEFAULTS.sampleIntervalMs),
  }),
  target: str('URL of a server already running: needs --server-metrics (not supported yet)'),
  'server-metrics': str('with --target: the metrics URL of its bench serve --metrics-token'),
  out: str('result file', { default: SOAK_DEFAULTS.out }),
  json: bool('also print the result JSON on stdout'),
  'retain-per-connection': TEST_SWITCHES['retain-per-connection'],
  'heap-snapshots': bool(
    'two heap snapshots of the server, as the fit starts and near the end, in <out>.heap/; the result says which constructors grew and what holds them',
  ),
} satisfies TableOf<SoakOptions>;

/** `max-lag` → `maxLag`: the key of the flag's value in the parsed arguments and in the options. */
export const camel = (flag: string): string => flag.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase());
