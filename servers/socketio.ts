import type { RequestListener } from 'node:http';
import { Server, type DefaultEventsMap, type Socket } from 'socket.io';
import * as msgpackParser from 'socket.io-msgpack-parser';
import { SOCKETIO_EVENT, nativeAddons, packageDir } from 'artillery-engine-bench/protocol';
import {
  DEFAULT_NODE_ID,
  LONE_NODE,
  SIO_DEFAULTS,
  type AdapterOptions,
  type BenchServer,
  type BroadcastResult,
  type NodeStats,
  type ServerFactory,
  type ServerOptions,
  type SioTuning,
} from './types';
import { clientsClosedCount, countClientClosed, HttpHost, urlHost } from './http';
import { measureBuffered, packetBytes } from './buffered';
import {
  broadcastMessage,
  clientMessage,
  joinedMessage,
  sendAfter,
  welcomeMessage,
  type ClientMessage,
} from './messages';
import { versionsOf } from './versions';
import { wsEngineClass } from './ws-engine';
import { deliveryLog } from './delivery-log';
import { attachSocketIoAdapter, type SocketIoSync } from './adapters/index';
import { formatTopology } from './adapters/amqp-topology';

/**
 * The extra namespaces a client may open beside `/` (`/n2`, `/n3` …, --namespaces): rooms in
 * each are that namespace's own; stats count the main namespace's members.
 */
export const EXTRA_NAMESPACES = /^\/n\d+$/;

/** Asks every other node how many clients it has (server-side, through the adapter). */
const COUNT_EVENT = 'bench:count';

interface ServerSideEvents {
  [COUNT_EVENT]: (reply: (clients: number) => void) => void;
}

/**
 * Socket.IO on `http://HOST:PORT` (path `/socket.io/`, default namespace). Every message travels
 * on the one event `SOCKETIO_EVENT`.
 *
 * - `port` {number} TCP port; 0 picks a free one
 * - `host` {string} address to bind
 * - `transport` {"websocket" | "polling"} `websocket` only, or long-polling first and then
 *   upgrade to websocket
 * - `deflate` {boolean} per-message deflate (engine.io's defaults, threshold 1024 bytes);
 *   HTTP compression of polling responses stays off either way, so deflate means one thing
 * - `pingIntervalMs` {number} Engine.IO heartbeat interval
 * - `adapter` {AdapterOptions} the official adapter that syncs it with other nodes (redis,
 *   postgres), or `cluster`: a worker that binds no port, its connections handed over by the
 *   primary (`adapters/cluster-primary.ts`); default none
 * - `nodeId` {string} this node's label; default `node-1`
 * - `logDeliveries` {boolean} print a `DeliveryLine` on stdout per broadcast delivered; default false
 * - `welcomeDelayMs` {number} for tests: send the welcome this many ms after the connection; default 0
 * - `sio` {SioTuning} the performance-tuning options: msgpack parser, discarding the initial
 *   request, another wsEngine; default none of them
 *
 * An echo sent with an acknowledgement callback is answered through the ack, so acknowledged
 * round trips can be measured too (Artillery's socketio-v3 engine does). A join is
 * `socket.join(room)`, a publish `io.to(room)` (with `x`, `socket.to(room)`) over the adapter.
 */
export class SocketIoServer implements BenchServer {
  readonly lib = 'socketio' as const;
  private readonly host: HttpHost;
  private readonly io: Server<DefaultEventsMap, DefaultEventsMap, ServerSideEvents>;
  private readonly adapter: AdapterOptions;
  private readonly nodeId: string;
  private readonly tuning: SioTuning;
  private sync: SocketIoSync | undefined;
  /** rooms clients joined here (Socket.IO keeps their members), and room messages written; null before the first join */
  private rooms: { names: Set<string>; writes: number } | null = null;
  private seq = 0;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ServerOptions) {
    this.adapter = options.adapter ?? LONE_NODE;
    this.nodeId = options.nodeId ?? DEFAULT_NODE_ID;
    this.tuning = options.sio ?? SIO_DEFAULTS;
    this.seq = options.firstSeq ?? 0;
    this.host = new HttpHost({ publish: () => this.publish(), stats: () => this.stats() }, options);
    this.io = new Server(this.host.server, {
      transports: options.transport === 'websocket' ? ['websocket'] : ['polling', 'websocket'],
      perMessageDeflate: options.deflate,
      httpCompression: false,
      pingInterval: options.pingIntervalMs,
      ...(this.tuning.parser === 'msgpack' && { parser: msgpackParser }),
      ...(this.tuning.wsEngine !== null && { wsEngine: wsEngineClass(this.tuning.wsEngine) }),
      // A restored session skips the middlewares (there are none here) and gets its missed broadcasts replayed.
      ...(typeof this.tuning.recoveryMs === 'number' && {
        connectionStateRecovery: { maxDisconnectionDuration: this.tuning.recoveryMs, skipMiddlewares: true },
      }),
    });
    // As Socket.IO's performance-tuning page does: the handshake has already copied what it needs.
    if (this.tuning.discardRequest) {
      this.io.engine.on('connection', (raw: { request: unknown }) => {
        raw.request = null;
      });
    }
    this.io.on('connection', (socket) => this.onConnection(socket));
    // The rooms scenario's extra namespaces (--namespaces): the same handlers, multiplexed on one connection.
    this.io.of(EXTRA_NAMESPACES).on('connection', (socket) => this.onConnection(socket));
    this.io.on(COUNT_EVENT, (reply) => reply(this.clientCount()));
  }

  private onConnection(socket: Socket): void {
    // One client, one close: its extra namespaces' sockets go with its connection.
    if (socket.nsp.name === '/') socket.once('disconnect', countClientClosed);
    socket.on(SOCKETIO_EVENT, (received: unknown, ack?: unknown) => {
      const message = clientMessage(received);
      if (message === null) return;
      if (message.type !== 'echo') return this.onRoomMessage(socket, message);
      sendAfter(this.options.echoDelayMs, () => {
        if (typeof ack === 'function') ack(message);
        else socket.emit(SOCKETIO_EVENT, message);
      });
    });
    const delay = this.options.welcomeDelayMs ?? 0;
    if (delay <= 0) return void socket.emit(SOCKETIO_EVENT, welcomeMessage(this.nodeId));
    const timer = setTimeout(() => socket.emit(SOCKETIO_EVENT, welcomeMessage(this.nodeId)), delay);
    socket.once('disconnect', () => clearTimeout(timer));
  }

  /**
   * A join (answered `joined` once the socket is in the room) or a publish: to every member of
   * the room on every node, through the adapter, the sender too unless it asked not.
   */
  private onRoomMessage(socket: Socket, message: Exclude<ClientMessage, { type: 'echo' }>): void {
    if (message.type === 'publish') {
      (message.x === 1 ? socket.to(message.room) : socket.nsp.to(message.room)).emit(SOCKETIO_EVENT, message);
      return;
    }
    (this.rooms ??= { names: new Set(), writes: 0 }).names.add(message.room);
    // Once per socket (a session restored by connection state recovery is in its rooms already).
    if (!socket.listenersAnyOutgoing().includes(this.countRoomWrite)) socket.onAnyOutgoing(this.countRoomWrite);
    const joined = () => void socket.emit(SOCKETIO_EVENT, joinedMessage(message.room));
    const joining = socket.join(message.room);
    if (joining instanceof Promise) void joining.then(joined);
    else joined();
  }

  /**
   * A member's listener: counts each room message written to it. Every write of a broadcast,
   * local or from another node, tells the socket's listeners (socket.io-adapter 2.5).
   */
  private readonly countRoomWrite = (_event: string, sent?: { type?: unknown }): void => {
    if (sent?.type === 'publish' && this.rooms !== null) this.rooms.writes++;
  };

  async listen() {
    this.sync = await attachSocketIoAdapter(this.io as unknown as Server, this.adapter, this.nodeId);
    if (this.options.logDeliveries) this.logDeliveries();
    // A cluster worker binds nothing: the primary owns the port and hands connections over.
    const port =
      this.adapter.kind === 'cluster'
        ? this.options.port
        : await this.host.listen(this.options.port, this.options.host).catch(async (err: unknown) => {
            await this.close();
            throw err;
          });
    return {
      lib: this.lib,
      url: `http://${urlHost(this.options.host)}:${port}`,
      port,
      host: this.options.host,
      transports:
        this.options.transport === 'websocket'
          ? (['websocket'] as ['websocket'])
          : (['polling', 'websocket'] as ['polling', 'websocket']),
      deflate: this.options.deflate ? ('on' as const) : ('off' as const),
      pingIntervalMs: this.options.pingIntervalMs,
      versions: {
        ...versionsOf([
          ['socket.io'],
          ['socket.io', 'socket.io-adapter'],
          ['socket.io', 'socket.io-parser'],
          ['socket.io', 'engine.io'],
          // engine.io pins its own ws, which can differ from the top-level copy
          ['socket.io', 'engine.io', 'ws'],
          ...(this.tuning.parser === 'msgpack' ? [['socket.io-msgpack-parser']] : []),
          ...(this.tuning.wsEngine !== null ? [[this.tuning.wsEngine]] : []),
        ]),
        ...this.sync.versions,
      },
      adapter: this.adapter.kind,
      ...(this.adapter.kind === 'amqp' && { amqpTopology: formatTopology(this.adapter.topology) }),
      nodeId: this.nodeId,
      // Recovery read back from Socket.IO, which fills in its defaults: what it applies, not what was asked.
      sio: {
        ...this.tuning,
        recoveryMs:
          (this.io as unknown as { opts: { connectionStateRecovery?: { maxDisconnectionDuration?: number } } }).opts
            .connectionStateRecovery?.maxDisconnectionDuration ?? null,
      },
      native: nativeAddons(this.wsFrom()),
    };
  }

  /** Where the ws in use resolves from: engine.io's own, or the one given as wsEngine; another engine uses none. */
  private wsFrom(): string | null {
    if (this.tuning.wsEngine === null) return packageDir('engine.io', __dirname);
    return this.tuning.wsEngine === 'ws' ? __dirname : null;
  }

  /**
   * Logs each broadcast of ours this node delivers to its own clients. Every adapter, whether the
   * broadcast started here or came from another node, hands it to the in-memory adapter's
   * `broadcast()`, which encodes it once (`_encode`) and then writes it to each socket of the
   * namespace (socket.io-adapter 2.5). The attached adapter replaced the namespace's, so this
   * wraps the instance it installed.
   */
  private logDeliveries(): void {
    const log = deliveryLog(true, this.nodeId);
    const adapter = this.io.of('/').adapter as unknown as { _encode: (packet: unknown, opts: unknown) => unknown };
    const encode = adapter._encode.bind(adapter);
    adapter._encode = (packet, opts) => {
      const seq = broadcastSeq(packet);
      if (seq !== null) log(seq, this.clientCount());
      return encode(packet, opts);
    };
  }

  broadcast() {
    const clients = this.clientCount();
    this.io.local.emit(SOCKETIO_EVENT, broadcastMessage(++this.seq));
    return { seq: this.seq, clients };
  }

  publish(): Promise<BroadcastResult> {
    return this.publishSeq(++this.seq);
  }

  /**
   * Broadcast `seq` to every client of every node through the adapter (one encoding for all
   * sockets), then count: this node's clients as it sent, and each other node's as it answers
   * the count request that follows the broadcast on the same channel.
   */
  async publishSeq(seq: number): Promise<BroadcastResult> {
    const clients = this.clientCount();
    this.io.emit(SOCKETIO_EVENT, broadcastMessage(seq));
    if (this.adapter.kind === 'none') return { seq, clients };
    const others = await this.countOthers();
    return { seq, clients: clients + others.reduce((a, b) => a + b, 0), nodes: 1 + others.length };
  }

  /** Each other node's client count; a node that does not answer within the adapter's timeout is left out. */
  private countOthers(): Promise<number[]> {
    return new Promise((resolve) =>
      this.io.serverSideEmit(COUNT_EVENT, (_err: Error | null, counts: number[]) => resolve(counts ?? [])),
    );
  }

  async stats(): Promise<NodeStats> {
    return {
      nodeId: this.nodeId,
      pid: process.pid,
      clients: this.clientCount(),
      servers: await this.io.of('/').adapter.serverCount(),
      ...(this.rooms && { rooms: { members: this.members(this.rooms.names), writes: this.rooms.writes } }),
      transports: this.transports(),
      buffered: measureBuffered(
        this.host.upgradedSockets(),
        writeBuffers((this.io.engine as unknown as { clients: unknown }).clients),
        clientsClosedCount(),
      ),
      ...this.namespaceSockets(),
    };
  }

  /** Sockets per namespace, once a client opened one beside `/`. */
  private namespaceSockets(): Pick<NodeStats, 'namespaces'> {
    const nsps = (this.io as unknown as { _nsps: Map<string, { name: string; sockets: Map<string, unknown> }> })._nsps;
    if (nsps.size <= 1) return {};
    return { namespaces: Object.fromEntries([...nsps.values()].map((n) => [n.name, n.sockets.size])) };
  }

  /** This node's Engine.IO clients by their transport now (`polling` until an upgrade completes). */
  private transports(): Record<string, number> {
    const out: Record<string, number> = {};
    const clients = (this.io.engine as unknown as { clients: Record<string, { transport: { name: string } }> }).clients;
    for (const c of Object.values(clients)) out[c.transport.name] = (out[c.transport.name] ?? 0) + 1;
    return out;
  }

  /** This node's members of each room clients joined; an emptied room is forgotten, as Socket.IO does. */
  private members(names: Set<string>): Record<string, number> {
    const members: Record<string, number> = {};
    const rooms = this.io.of('/').adapter.rooms;
    for (const name of names) {
      const size = rooms.get(name)?.size ?? 0;
      if (size > 0) members[name] = size;
      else names.delete(name);
    }
    return members;
  }

  route(path: string, handler: RequestListener): void {
    this.host.route(path, handler);
  }

  clientCount(): number {
    return this.io.of('/').sockets.size;
  }

  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    // Disconnects every socket, closes Engine.IO and the adapter, then calls `server.close()`
    // without waiting (a no-op once we stopped accepting).
    this.host.stopAccepting();
    await this.io.close();
    await this.host.close();
    await this.sync?.close();
  }
}

/** The seq of a packet that carries one of our broadcasts; null for any other packet. */
function broadcastSeq(packet: unknown): number | null {
  const data = (packet as { data?: unknown }).data;
  if (!Array.isArray(data) || data[0] !== SOCKETIO_EVENT) return null;
  const message = data[1] as { type?: unknown; seq?: unknown } | undefined;
  return message?.type === 'broadcast' && typeof message.seq === 'number' ? message.seq : null;
}

export const create: ServerFactory = (options) => new SocketIoServer(options);

/**
 * Engine.IO's own queue: every packet for a client goes into its Socket's `writeBuffer`, and
 * `flush()` hands the lot to the transport only while the transport is `writable`. The websocket
 * transport turns unwritable on `send()` and writable again once ws calls back for the last
 * frame, which it does once the socket has taken it: with a full socket the packets stay here.
 */
function* writeBuffers(clients: unknown): Iterable<number> {
  for (const c of Object.values((clients ?? {}) as Record<string, { writeBuffer?: { data?: unknown }[] }>)) {
    let n = 0;
    for (const p of c.writeBuffer ?? []) n += packetBytes(p.data);
    yield n;
  }
}
