import type { RequestListener } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
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

/**
 * Raw WebSocket (`ws`) on `ws://HOST:PORT/`.
 *
 * - `port` {number} TCP port; 0 picks a free one
 * - `host` {string} address to bind
 * - `transport` ignored: always `websocket`
 * - `deflate` {boolean} per-message deflate with ws's defaults (threshold 1024 bytes)
 * - `pingIntervalMs` {number} ping every client this often; one that has not answered the
 *   previous ping by then is terminated
 * - `adapter` {AdapterOptions} `redis`: broadcasts reach the clients of every node through
 *   Redis pub/sub (`adapters/redis-fanout.ts`); default none
 * - `nodeId` {string} this node's label; default `node-1`
 * - `logDeliveries` {boolean} print a `DeliveryLine` on stdout per broadcast delivered; default false
 */
class WsServer implements BenchServer {
  readonly lib = 'ws' as const;
  private readonly host: HttpHost;
  private readonly wss: WebSocketServer;
  private readonly awaitingPong = new WeakSet<WebSocket>();
  private heartbeat: NodeJS.Timeout | undefined;
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
    this.wss = new WebSocketServer({
      server: this.host.server,
      path: '/',
      perMessageDeflate: options.deflate,
    });
    // ws re-emits the http server's errors here; `listen()` already rejects with them.
    this.wss.on('error', () => {});
    this.wss.on('connection', (socket) => this.onConnection(socket));
  }

  private onConnection(socket: WebSocket): void {
    // A client's protocol error closes its socket; unhandled, it would crash the server.
    socket.on('error', () => {});
    socket.on('pong', () => this.awaitingPong.delete(socket));
    socket.on('message', (data, isBinary) => {
      if (isEchoText(data.toString())) socket.send(data, { binary: isBinary });
    });
    socket.send(JSON.stringify(welcomeMessage()));
  }

  private ping(): void {
    for (const socket of this.wss.clients) {
      if (this.awaitingPong.has(socket)) {
        socket.terminate();
        continue;
      }
      this.awaitingPong.add(socket);
      socket.ping();
    }
  }

  async listen() {
    this.fanout = await openFanout(this.adapter, this.nodeId, (seq, text) => this.deliver(seq, text));
    const port = await this.host.listen(this.options.port, this.options.host).catch(async (err: unknown) => {
      await this.close();
      throw err;
    });
    this.heartbeat = setInterval(() => this.ping(), this.options.pingIntervalMs);
    this.heartbeat.unref();
    return {
      lib: this.lib,
      url: `ws://${urlHost(this.options.host)}:${port}/`,
      port,
      host: this.options.host,
      transports: ['websocket'] as ['websocket'],
      deflate: this.options.deflate ? ('on' as const) : ('off' as const),
      pingIntervalMs: this.options.pingIntervalMs,
      versions: { ...versionsOf([['ws']]), ...this.fanout.versions },
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
    for (const socket of this.wss.clients) if (socket.readyState === WebSocket.OPEN) open++;
    this.logDelivery(seq, open);
    let clients = 0;
    for (const socket of this.wss.clients) {
      if (socket.readyState !== WebSocket.OPEN) continue;
      socket.send(text);
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
    return this.wss.clients.size;
  }

  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.heartbeat);
    // terminate, not close: a closing handshake waits up to 30 s for clients that may be gone.
    for (const socket of this.wss.clients) socket.terminate();
    this.wss.close();
    await this.host.close();
    await this.fanout.close();
  }
}

export const create: ServerFactory = (options) => new WsServer(options);
