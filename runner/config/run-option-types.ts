// The `bench run` options twice over: as the user typed them, and resolved (checked, defaults
// filled in). In a file of their own so that the resolvers in run-options.ts and its helper files
// can all name them without importing one another.
import type { Lib, Transport } from 'artillery-engine-bench/protocol';
import type { EnsureCheck } from '../metrics/expr';
import type { SioTuning } from '../../servers/types';
import type { AdapterKind, ArrivalRate, FailLimit, ScenarioName } from './defaults';
import type { SioFlags } from './sio-options';
import type { AmqpFlags, AmqpSettings } from './amqp-options';
import type { SourceAddressSpec, Spread } from './spread-options';
import type { ServerTestSwitches } from './test-switches';

/** `bench run` options as the user gave them. Everything is optional; strings are raw input. */
export interface RunOptions extends SioFlags, AmqpFlags {
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
  /** --scenario rooms: members per room */
  roomSize?: string | number;
  /** --scenario rooms: each member's publish interval (ms) */
  publishEvery?: string | number;
  /** --scenario rooms: bytes per message */
  messageBytes?: string | number;
  /** --scenario rooms: every message goes to the room but its sender */
  exceptSender?: boolean;
  /** Socket.IO, --scenario rooms: namespaces each client multiplexes on its connection */
  namespaces?: string | number;
  /** a share of the clients stays on long-polling, e.g. `5%` */
  pollingShare?: string | number;
  /** SHARE%:BYTES_PER_S: that share of the clients reads at a capped rate */
  slowClients?: string;
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
  /** for tests: every node answers echoes this many ms late */
  echoDelay?: string | number;
  /** for tests: every node keeps this many bytes per connection, never freed */
  retainPerConnection?: string | number;
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
  amqpUrl?: string;
  natsUrl?: string;
  adapterOutage?: string;
  adapterCrash?: string;
  killNodeAt?: string | number;
  /** SHARE@EVERY: e.g. `10%@5` cuts 10 % of the connections every 5 s of the hold */
  flap?: string;
  /** seconds after the hold starts of the first restart; '' (the flag alone): the default */
  rollingRestart?: string | number;
  /** true/false from --reconnect / --no-reconnect; absent: on with --kill-node-at, --flap or --rolling-restart only */
  reconnect?: boolean;
  reconnectAttempts?: string | number;
  reconnectDelay?: string | number;
  reconnectDelayMax?: string | number;
  reconnectJitter?: string | number;
}

/** --scenario rooms, resolved: `rooms` rooms of `roomSize` members (the last one takes the remainder when clients do not divide). */
export interface RoomsSettings {
  /** Socket.IO: sockets per connection, `/` and `/n2` … (1: the main namespace alone) */
  namespaces: number;
  rooms: number;
  roomSize: number;
  publishEveryMs: number;
  messageBytes: number;
  exceptSender: boolean;
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
  /** the rooms scenario's shape; null for every other scenario */
  rooms: RoomsSettings | null;
  /** percent of the main clients that stay on long-polling (Socket.IO, SockJS); null: none */
  pollingSharePct: number | null;
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
  /** injected regressions passed to every node this run starts (tests; both 0 normally) */
  serverTest: ServerTestSwitches;
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
  /** RabbitMQ for `--adapter amqp` */
  amqpUrl: string;
  /** NATS for `--adapter nats` */
  natsUrl: string;
  /** `--adapter amqp`: the exchange's layout and the extra bindings per node (fanout and 0 with other adapters) */
  amqp: AmqpSettings;
  /** Redis made unavailable (CLIENT PAUSE) from..to seconds after the hold starts; null: no fault */
  adapterOutage: { fromSeconds: number; toSeconds: number } | null;
  /** bench's own redis-server killed (SIGKILL) at from and started again at to, seconds after the hold starts; null: no fault */
  adapterCrash: { fromSeconds: number; toSeconds: number } | null;
  /** one node (the last, never the publisher) killed with SIGKILL this many seconds after the hold starts; null: none */
  killNodeAt: number | null;
  /** network flaps during the hold; null: none */
  flap: FlapSettings | null;
  /** every node stopped gracefully and started again, one at a time, from this many seconds after the hold starts; null: none */
  rollingRestart: { atSeconds: number } | null;
  /** how clients whose connection is lost during the hold reconnect; null: they do not */
  reconnect: ReconnectSettings | null;
  /** slow consumers; null: every client reads as fast as it can */
  slowClients: SlowClientsSettings | null;
}

/** --slow-clients: `slow` of the main clients (sharePct % of them, rounded down) read at most `bytesPerSecond`. */
export interface SlowClientsSettings {
  sharePct: number;
  bytesPerSecond: number;
  /** main clients that are slow: ⌊clients × sharePct / 100⌋ (artillery-engine-bench's slowClientCount) */
  slow: number;
  fast: number;
}

/** --flap: every `everySeconds` of the hold, each node resets `sharePct` % of its WebSocket connections. */
export interface FlapSettings {
  /** percent of the connections each node has at that moment, above 0 and up to 100 */
  sharePct: number;
  everySeconds: number;
}

/** Back-off of reconnecting clients (the engine's; Socket.IO's defaults). */
export interface ReconnectSettings {
  attempts: number;
  delayMs: number;
  delayMaxMs: number;
  jitter: number;
}
