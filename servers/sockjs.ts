import type { RequestListener } from 'node:http';
import * as sockjs from 'sockjs';
import { SOCKJS_PREFIX } from 'artillery-engine-bench/protocol';
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
import { HttpHost, urlHost } from './http';
import { broadcastMessage, isEchoText, welcomeMessage } from './messages';
import { versionsOf } from './versions';
import { deliveryLog, type LogDelivery } from './delivery-log';
import { localFanout, openFanout, type Fanout } from './adapters/index';

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
 * - `adapter` {AdapterOptions} `redis`: broadcasts reach the clients of every node through
 *   Redis pub/sub (`adapters/redis-fanout.ts`); default none
 * - `nodeId` {string} this node's label; default `node-1`
 * - `logDeliveries` {boolean} print a `DeliveryLine` on stdout per broadcast delivered; default false
 */
class SockJsServer implements BenchServer {
  readonly lib = 'sockjs' as const;
  private readonly host: HttpHost;
  private readonly connections = new Set<sockjs.Connection>();
  private readonly adapter: AdapterOptions;
  private readonly nodeId: string;
  private fanout: Fanout;
  private seq = 0;
  private closing: Promise<void> | undefined;
  private readonly logDelivery: LogDelivery;

  constructor(private readonly options: ServerOptions) {
    this.adapter = options.adapter ?? LONE_NODE;
    this.nodeId = options.nodeId ?? DEFAULT_NODE_ID;
    this.logDelivery = deliveryLog(options.logDeliveries ?? false, this.nodeId);
    this.fanout = localFanout((seq, text) => this.deliver(seq, text));
    this.host = new HttpHost({ publish: () => this.publish(), stats: () => this.stats() });
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
    conn.on('close', () => this.connections.delete(conn));
    conn.on('data', (text: string) => {
      if (isEchoText(text)) conn.write(text);
    });
    conn.write(JSON.stringify(welcomeMessage()));
  }

  async listen() {
    this.fanout = await openFanout(this.adapter, this.nodeId, (seq, text) => this.deliver(seq, text));
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
        ...this.fanout.versions,
      },
      adapter: this.adapter.kind,
      nodeId: this.nodeId,
    };
  }

  /**
   * Writes `text` (broadcast `seq`) to every open client of this node; returns how many. Logged
   * first: a node killed in between has promised deliveries it never made, which count as lost.
   */
  private deliver(seq: number, text: string): number {
    let open = 0;
    for (const conn of this.connections) if (conn.readyState === OPEN) open++;
    this.logDelivery(seq, open);
    let clients = 0;
    for (const conn of this.connections) {
      if (conn.readyState !== OPEN) continue;
      conn.write(text);
      clients++;
    }
    return clients;
  }

  broadcast() {
    const seq = ++this.seq;
    return { seq, clients: this.deliver(seq, JSON.stringify(broadcastMessage(seq))) };
  }

  async publish(): Promise<BroadcastResult> {
    const seq = ++this.seq;
    return { seq, ...(await this.fanout.publish(seq, JSON.stringify(broadcastMessage(seq)))) };
  }

  async stats(): Promise<NodeStats> {
    return { nodeId: this.nodeId, pid: process.pid, clients: this.clientCount(), servers: await this.fanout.servers() };
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
    for (const conn of this.connections) conn.close();
    await this.host.close();
    await this.fanout.close();
  }
}

export const create: ServerFactory = (options) => new SockJsServer(options);
