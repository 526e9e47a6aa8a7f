import type { RequestListener } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { nativeAddons } from 'artillery-engine-bench/protocol';
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
import { clientsClosedCount, countClientClosed, HttpHost, urlHost } from './http';
import { measureBuffered } from './buffered';
import { parseClientText, sendAfter, welcomeMessage } from './messages';
import { versionsOf } from './versions';
import { TextBroadcaster } from './adapters/text-broadcaster';
import { formatTopology } from './adapters/amqp-topology';

/** How long a stopping server waits for its clients to answer its close frame (ms). */
const CLOSE_WAIT_MS = 1_000;

/**
 * Raw WebSocket (`ws`) on `ws://HOST:PORT/`.
 *
 * - `port` {number} TCP port; 0 picks a free one
 * - `host` {string} address to bind
 * - `transport` ignored: always `websocket`
 * - `deflate` {boolean} per-message deflate with ws's defaults (threshold 1024 bytes)
 * - `pingIntervalMs` {number} ping each client this often, counted from its own connection (as
 *   Engine.IO and SockJS do, so pings spread as arrivals do, never one burst to every client);
 *   one that has not answered the previous ping by then is terminated
 * - `adapter` {AdapterOptions} `redis`, `amqp`, `nats`: broadcasts and room messages reach the
 *   clients of every node through the broker (`adapters/redis-fanout.ts` and its kin); default none
 * - `nodeId` {string} this node's label; default `node-1`
 * - `logDeliveries` {boolean} print a `DeliveryLine` on stdout per broadcast delivered; default false
 * - `welcomeDelayMs` {number} for tests: send the welcome this many ms after the connection; default 0
 */
class WsServer implements BenchServer {
  readonly lib = 'ws' as const;
  private readonly host: HttpHost;
  private readonly wss: WebSocketServer;
  private readonly adapter: AdapterOptions;
  private readonly nodeId: string;
  private readonly broadcaster: TextBroadcaster<WebSocket>;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ServerOptions) {
    this.adapter = options.adapter ?? LONE_NODE;
    this.nodeId = options.nodeId ?? DEFAULT_NODE_ID;
    this.broadcaster = new TextBroadcaster(
      { all: () => this.wss.clients, isOpen: (s) => s.readyState === WebSocket.OPEN, write: (s, text) => s.send(text) },
      this.adapter,
      this.nodeId,
      options.logDeliveries ?? false,
      options.firstSeq,
    );
    this.host = new HttpHost({ publish: () => this.publish(), stats: () => this.stats() }, options);
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
    socket.once('close', () => {
      countClientClosed();
      this.broadcaster.rooms.leave(socket);
    });
    this.heartbeat(socket);
    socket.on('message', (data, isBinary) => {
      const text = data.toString();
      const message = parseClientText(text);
      if (message?.type === 'echo') sendAfter(this.options.echoDelayMs, () => socket.send(data, { binary: isBinary }));
      else if (message) this.broadcaster.onRoomMessage(socket, message, text);
    });
    const delay = this.options.welcomeDelayMs ?? 0;
    if (delay <= 0) return void socket.send(JSON.stringify(welcomeMessage(this.nodeId)));
    const timer = setTimeout(() => socket.send(JSON.stringify(welcomeMessage(this.nodeId))), delay);
    socket.once('close', () => clearTimeout(timer));
  }

  /**
   * One timer per client, from its connection. A single interval over every client sent 16,000
   * pings in one loop at 50,000 clients over 3 nodes: each node stalled about a second every
   * 25 s, and the generator with it while it answered them all.
   */
  private heartbeat(socket: WebSocket): void {
    let awaitingPong = false;
    socket.on('pong', () => (awaitingPong = false));
    const timer = setInterval(() => {
      if (awaitingPong) return void socket.terminate();
      awaitingPong = true;
      socket.ping();
    }, this.options.pingIntervalMs);
    timer.unref();
    socket.once('close', () => clearInterval(timer));
  }

  async listen() {
    await this.broadcaster.open();
    const port = await this.host.listen(this.options.port, this.options.host).catch(async (err: unknown) => {
      await this.close();
      throw err;
    });
    return {
      lib: this.lib,
      url: `ws://${urlHost(this.options.host)}:${port}/`,
      port,
      host: this.options.host,
      transports: ['websocket'] as ['websocket'],
      deflate: this.options.deflate ? ('on' as const) : ('off' as const),
      pingIntervalMs: this.options.pingIntervalMs,
      versions: { ...versionsOf([['ws']]), ...this.broadcaster.versions },
      adapter: this.adapter.kind,
      ...(this.adapter.kind === 'amqp' && { amqpTopology: formatTopology(this.adapter.topology) }),
      nodeId: this.nodeId,
      native: nativeAddons(__dirname),
    };
  }

  broadcast() {
    return this.broadcaster.broadcast();
  }

  publish(): Promise<BroadcastResult> {
    return this.broadcaster.publish();
  }

  async stats(): Promise<NodeStats> {
    const stats = await this.broadcaster.stats(this.clientCount());
    return {
      ...stats,
      buffered: measureBuffered(this.host.upgradedSockets(), senderQueues(this.wss.clients), clientsClosedCount()),
    };
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
    // Going away (1001), as a server that stops gracefully says it; a closing handshake can wait
    // up to 30 s for clients that are gone, so whoever has not answered within CLOSE_WAIT_MS is
    // terminated.
    this.host.stopAccepting();
    const open = [...this.wss.clients];
    const closed = Promise.all(open.map((s) => new Promise((resolve) => s.once('close', resolve))));
    for (const socket of open) socket.close(1001, 'server shutting down');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
    clearTimeout(timer);
    for (const socket of this.wss.clients) socket.terminate();
    this.wss.close();
    await this.host.close();
    await this.broadcaster.close();
  }
}

export const create: ServerFactory = (options) => new WsServer(options);

/**
 * ws's own queue above the socket: `bufferedAmount` is the socket's `writableLength` plus its
 * Sender's `_bufferedBytes` (frames waiting for deflate), so the difference is the Sender's.
 */
function* senderQueues(clients: Iterable<WebSocket>): Iterable<number> {
  for (const c of clients) {
    const socket = (c as unknown as { _socket?: { writableLength?: number } })._socket;
    yield Math.max(0, c.bufferedAmount - (socket?.writableLength ?? 0));
  }
}
