import type { RequestListener } from 'node:http';
import * as sockjs from 'sockjs';
import { SOCKJS_PREFIX, nativeAddons } from 'artillery-engine-bench/protocol';
import {
  DEFAULT_NODE_ID,
  LONE_NODE,
  type AdapterOptions,
  type BenchServer,
  type BroadcastResult,
  type NodeStats,
  type ServerFactory,
  type ServerOptions,
} from './types';
import { measureBuffered } from './buffered';
import { clientsClosedCount, countClientClosed, HttpHost, urlHost } from './http';
import { parseClientText, sendAfter, welcomeMessage } from './messages';
import { versionsOf } from './versions';
import { TextBroadcaster } from './adapters/text-broadcaster';
import { formatTopology } from './adapters/amqp-topology';

/** sockjs's `readyState` of an open connection. */
const OPEN = 1;

/**
 * SockJS on `http://HOST:PORT/sockjs`.
 *
 * - `port` {number} TCP port; 0 picks a free one
 * - `host` {string} address to bind
 * - `transport` ignored: the client picks (websocket first, then its http fallbacks)
 * - `deflate` {boolean} cannot be honoured: sockjs 0.3 has no per-message deflate option, so
 *   `true` is reported as `unsupported`
 * - `pingIntervalMs` {number} SockJS heartbeat frame interval (`heartbeat_delay`)
 * - `adapter` {AdapterOptions} `redis`, `amqp`, `nats`: broadcasts and room messages reach the
 *   clients of every node through the broker (`adapters/redis-fanout.ts` and its kin); default none
 * - `nodeId` {string} this node's label; default `node-1`
 * - `logDeliveries` {boolean} print a `DeliveryLine` on stdout per broadcast delivered; default false
 * - `welcomeDelayMs` {number} for tests: send the welcome this many ms after the connection; default 0
 */
class SockJsServer implements BenchServer {
  readonly lib = 'sockjs' as const;
  private readonly host: HttpHost;
  private readonly connections = new Set<sockjs.Connection>();
  private readonly adapter: AdapterOptions;
  private readonly nodeId: string;
  private readonly broadcaster: TextBroadcaster<sockjs.Connection>;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ServerOptions) {
    this.adapter = options.adapter ?? LONE_NODE;
    this.nodeId = options.nodeId ?? DEFAULT_NODE_ID;
    this.broadcaster = new TextBroadcaster(
      { all: () => this.connections, isOpen: (c) => c.readyState === OPEN, write: (c, text) => c.write(text) },
      this.adapter,
      this.nodeId,
      options.logDeliveries ?? false,
      options.firstSeq,
    );
    this.host = new HttpHost({ publish: () => this.publish(), stats: () => this.stats() }, options);
    const server = sockjs.createServer({
      prefix: SOCKJS_PREFIX,
      heartbeat_delay: options.pingIntervalMs,
      // it logs every request to stdout by default, which would break `bench serve`'s one line
      log: () => {},
    });
    server.on('connection', (conn: sockjs.Connection | null) => {
      // null when the session closed before its open event was delivered
      if (conn) this.onConnection(conn);
    });
    server.installHandlers(this.host.server);
  }

  private onConnection(conn: sockjs.Connection): void {
    this.connections.add(conn);
    conn.on('close', () => {
      this.connections.delete(conn);
      this.broadcaster.rooms.leave(conn);
      countClientClosed();
    });
    conn.on('data', (text: string) => {
      const message = parseClientText(text);
      if (message?.type === 'echo') sendAfter(this.options.echoDelayMs, () => conn.write(text));
      else if (message) this.broadcaster.onRoomMessage(conn, message, text);
    });
    const delay = this.options.welcomeDelayMs ?? 0;
    if (delay <= 0) return void conn.write(JSON.stringify(welcomeMessage(this.nodeId)));
    const timer = setTimeout(() => conn.write(JSON.stringify(welcomeMessage(this.nodeId))), delay);
    conn.once('close', () => clearTimeout(timer));
  }

  async listen() {
    await this.broadcaster.open();
    const port = await this.host.listen(this.options.port, this.options.host).catch(async (err: unknown) => {
      await this.close();
      throw err;
    });
    return {
      lib: this.lib,
      url: `http://${urlHost(this.options.host)}:${port}${SOCKJS_PREFIX}`,
      port,
      host: this.options.host,
      transports: ['websocket'] as ['websocket'],
      deflate: this.options.deflate ? ('unsupported' as const) : ('off' as const),
      pingIntervalMs: this.options.pingIntervalMs,
      versions: {
        ...versionsOf([['sockjs'], ['sockjs', 'faye-websocket'], ['sockjs', 'websocket-driver']]),
        ...this.broadcaster.versions,
      },
      adapter: this.adapter.kind,
      ...(this.adapter.kind === 'amqp' && { amqpTopology: formatTopology(this.adapter.topology) }),
      nodeId: this.nodeId,
      // faye-websocket, not ws
      native: nativeAddons(null),
    };
  }

  broadcast() {
    return this.broadcaster.broadcast();
  }

  publish(): Promise<BroadcastResult> {
    return this.broadcaster.publish();
  }

  async stats(): Promise<NodeStats> {
    const transports: Record<string, number> = {};
    for (const c of this.connections) transports[c.protocol] = (transports[c.protocol] ?? 0) + 1;
    const stats = await this.broadcaster.stats(this.clientCount());
    return {
      ...stats,
      transports,
      buffered: measureBuffered(this.host.upgradedSockets(), sendBuffers(this.connections), clientsClosedCount()),
    };
  }

  route(path: string, handler: RequestListener): void {
    this.host.route(path, handler);
  }

  clientCount(): number {
    return this.connections.size;
  }

  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    this.host.stopAccepting();
    for (const conn of this.connections) conn.close();
    await this.host.close();
    await this.broadcaster.close();
  }
}

export const create: ServerFactory = (options) => new SockJsServer(options);

/**
 * SockJS's own queue: each connection's Session keeps `send_buffer` (strings) until a receiver
 * takes it; a WebSocket receiver takes it at once (Session.tryFlush → doSendBulk → faye's
 * `send`), so it holds bytes only between polls of the HTTP transports.
 */
function* sendBuffers(connections: Iterable<sockjs.Connection>): Iterable<number> {
  for (const c of connections) {
    const buffer = (c as unknown as { _session?: { send_buffer?: unknown[] } })._session?.send_buffer ?? [];
    let n = 0;
    for (const m of buffer) n += typeof m === 'string' ? Buffer.byteLength(m) : 0;
    yield n;
  }
}
