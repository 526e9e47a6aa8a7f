import type { RequestListener } from 'node:http';
import type { BufferedStats } from './buffered';
import type { Lib, NativeAddons, SioParser, Transport } from 'artillery-engine-bench/protocol';

/**
 * What carries broadcasts between server nodes. `key` names this run's shared state (Redis
 * channels, PostgreSQL NOTIFY channels), so nodes of concurrent or later runs never meet.
 */
export type AdapterOptions =
  /** one lone node */
  | { kind: 'none' }
  /** Socket.IO: the official Redis adapter; ws and SockJS: Redis pub/sub */
  | { kind: 'redis'; url: string; key: string }
  /**
   * RabbitMQ (Socket.IO: our adapter on ClusterAdapterWithHeartbeat): one exchange per run, laid
   * out as `topology` says (default fanout); `extraBindings` routing keys bound at start by each
   * node that nothing is published to (the incident of docs/scale-out.md); default 0
   */
  | { kind: 'amqp'; url: string; key: string; topology?: AmqpTopology; extraBindings?: number }
  /** NATS core pub/sub (Socket.IO: our adapter on ClusterAdapterWithHeartbeat) */
  | { kind: 'nats'; url: string; key: string }
  /** Socket.IO only: the Redis streams adapter (XADD/XREAD), built to survive Redis outages */
  | { kind: 'redis-streams'; url: string; key: string }
  /** Socket.IO only: the official PostgreSQL adapter (LISTEN/NOTIFY) */
  | { kind: 'postgres'; url: string; key: string }
  /** Socket.IO only: one primary (sticky by session) handing connections to `workers` processes */
  | { kind: 'cluster'; workers: number };

export type AdapterKind = AdapterOptions['kind'];

/**
 * How RabbitMQ carries a run's messages (Crisp's three layouts): `fanout`, every node's queue
 * gets every message; `routing`, a direct exchange, one routing key per room bound by the nodes
 * with members in it (broadcasts on a key every node binds); `prefix`, rooms hashed into
 * `prefixes` routing keys, each bound by the nodes with members in one of its rooms.
 */
export type AmqpTopology = { kind: 'fanout' } | { kind: 'routing' } | { kind: 'prefix'; prefixes: number };

/** Options every server takes. Resolved: optional are only what makes a node of several, and the delivery log. */
export interface ServerOptions {
  /** TCP port; 0 picks a free one */
  port: number;
  /** address to bind, 127.0.0.1 unless told otherwise */
  host: string;
  /** Socket.IO only: `websocket` only, or `polling` then upgrade; ignored by ws and SockJS */
  transport: Transport;
  /** per-message deflate, where the library supports it */
  deflate: boolean;
  /** heartbeat interval (ms) */
  pingIntervalMs: number;
  /** what syncs this node with others; default `{ kind: 'none' }`, a lone node */
  adapter?: AdapterOptions;
  /** this node's label in stats and the ready line; default `node-1` */
  nodeId?: string;
  /** print a `DeliveryLine` on stdout for every broadcast this node delivers; default false */
  logDeliveries?: boolean;
  /**
   * the seq this node's broadcasts count on from: its first is `firstSeq + 1`; default 0. A
   * publisher restarted during a run continues the run's numbering, so clients see no repeats.
   */
  firstSeq?: number;
  /** for tests: send the `welcome` this many ms after the connection opened; default 0, at once */
  welcomeDelayMs?: number;
  /** for tests: answer every echo this many ms late (an injected latency regression); default 0 */
  echoDelayMs?: number;
  /**
   * for tests: keep this many bytes for every TCP connection accepted, never freed (an injected
   * memory regression, and a leak a soak must find); default 0
   */
  retainPerConnectionBytes?: number;
  /** Socket.IO only: its performance-tuning options; default SIO_DEFAULTS */
  sio?: SioTuning;
}

/** The options of Socket.IO's performance-tuning page. */
export interface SioTuning {
  parser: SioParser;
  /** drop each connection's initial HTTP request once the handshake is done */
  discardRequest: boolean;
  /** module engine.io takes as `wsEngine` (its `Server` export); null: engine.io's own ws */
  wsEngine: string | null;
  /**
   * connection state recovery: a lost session and the broadcasts it misses are kept this many ms
   * (`connectionStateRecovery.maxDisconnectionDuration`) and given back to a client that
   * reconnects in time; null: off, Socket.IO's default. Absent in results before it existed.
   */
  recoveryMs?: number | null;
}

export const SIO_DEFAULTS: SioTuning = { parser: 'default', discardRequest: false, wsEngine: null, recoveryMs: null };

export const LONE_NODE: AdapterOptions = { kind: 'none' };
export const DEFAULT_NODE_ID = 'node-1';

/** What per-message deflate ended up as on this server. */
export type DeflateState = 'on' | 'off' | 'unsupported';

/** A process that serves clients: a node, or one worker of a cluster. */
export interface WorkerDescription {
  pid: number;
  nodeId: string;
}

/** Recorded in every result, so a run states the conditions it measured. */
export interface ServerDescription {
  lib: Lib;
  /** the URL that library's client connects to */
  url: string;
  port: number;
  host: string;
  transports: Transport[] | ['websocket'];
  deflate: DeflateState;
  pingIntervalMs: number;
  /** package name → installed version of every library this server loads, adapters included */
  versions: Record<string, string>;
  adapter: AdapterKind;
  /** --adapter amqp: its topology as given (`fanout`, `routing`, `prefix:N`); absent with other adapters */
  amqpTopology?: string;
  nodeId: string;
  /** a cluster primary's workers, which serve its clients; absent otherwise */
  workers?: WorkerDescription[];
  /** Socket.IO only: the tuning options as applied */
  sio?: SioTuning;
  /** ws's native add-ons, as loaded in the server process */
  native: NativeAddons;
}

/** The answer to `POST /control/broadcast`. */
export interface BroadcastResult {
  seq: number;
  /** clients the broadcast went to, on every node: the deliveries to expect */
  clients: number;
  /**
   * With an adapter: nodes whose clients `clients` counts, this one included (fewer than the
   * synced nodes when one did not answer in time). Absent on a lone node.
   */
  nodes?: number;
}

/**
 * What a node started with `logDeliveries` prints on stdout, one line per broadcast, just before
 * it writes that broadcast to its own clients: so the count includes deliveries the publisher's
 * answer misses (late ones, a node that died), and never more than the clients were sent.
 */
export interface DeliveryLine {
  event: 'delivery';
  /** the node (a cluster worker: its own id) that delivers */
  node: string;
  pid: number;
  /** the broadcast's seq */
  seq: number;
  /** this node's open clients it is about to write the broadcast to */
  clients: number;
}

/** The answer to `GET /control/stats`: this node as it is now. */
export interface NodeStats {
  nodeId: string;
  pid: number;
  /** clients connected to this node (a cluster primary: to all its workers) */
  clients: number;
  /** nodes this one is synced with, itself included (1 without an adapter) */
  servers: number;
  /** a cluster primary's workers, each as its own node */
  workers?: NodeStats[];
  /**
   * Rooms scenario: this node's members per room (rooms with at least one member; a Socket.IO
   * socket's own room is not one), and room messages it wrote to its members since it started.
   * Absent before any client joined a room.
   */
  rooms?: { members: Record<string, number>; writes: number };
  /**
   * Socket.IO and SockJS: this node's clients by the transport each is on now (`websocket`,
   * `polling`, SockJS's `xhr-polling` …), as the library says. Absent for ws (WebSocket only).
   */
  transports?: Record<string, number>;
  /**
   * Bytes waiting to go out to this node's WebSocket clients, now: in the library's queues, Node's
   * socket buffers and the kernel's send queues (see servers/buffered.ts). A cluster primary's
   * own is empty: its workers hold the connections. Absent from older servers.
   */
  buffered?: BufferedStats;
  /** Socket.IO with extra namespaces (--namespaces): this node's sockets per namespace; absent without */
  namespaces?: Record<string, number>;
}

/** One library's server. Every implementation behaves the same (docs/server-contract.md). */
export interface BenchServer {
  readonly lib: Lib;
  /** Starts listening (after connecting its adapter); resolves once the port is bound. */
  listen(): Promise<ServerDescription>;
  /**
   * Sends one broadcast to this node's own clients, bypassing any adapter; returns its seq and
   * how many it went to. What `publish()` does on a lone node.
   */
  broadcast(): { seq: number; clients: number };
  /** What `POST /control/broadcast` does: one broadcast to every client of every node. */
  publish(): Promise<BroadcastResult>;
  /** Clients connected to this node right now. */
  clientCount(): number;
  /** What `GET /control/stats` answers. */
  stats(): Promise<NodeStats>;
  /** Serves one more HTTP path on the same port (exact match), ahead of the library's own. */
  route(path: string, handler: RequestListener): void;
  /** Closes every client, the listener and the adapter's connections. */
  close(): Promise<void>;
}

export type ServerFactory = (options: ServerOptions) => BenchServer;

/** Tells a child which pid is bench, for parent-watch (a cluster primary passes it on to its workers). */
export const PARENT_PID_ENV = 'BENCH_PARENT_PID';
