import type { RequestListener } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { SOCKETIO_EVENT } from 'artillery-engine-bench/protocol';
import type { BenchServer, ServerFactory, ServerOptions } from './types';
import { HttpHost, urlHost } from './http';
import { broadcastMessage, isEcho, welcomeMessage } from './messages';
import { versionsOf } from './versions';

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
 *
 * An echo sent with an acknowledgement callback is answered through the ack, so acknowledged
 * round trips can be measured too (Artillery's socketio-v3 engine does).
 */
class SocketIoServer implements BenchServer {
  readonly lib = 'socketio' as const;
  private readonly host: HttpHost;
  private readonly io: Server;
  private seq = 0;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ServerOptions) {
    this.host = new HttpHost(() => this.broadcast());
    this.io = new Server(this.host.server, {
      transports: options.transport === 'websocket' ? ['websocket'] : ['polling', 'websocket'],
      perMessageDeflate: options.deflate,
      httpCompression: false,
      pingInterval: options.pingIntervalMs,
    });
    this.io.on('connection', (socket) => this.onConnection(socket));
  }

  private onConnection(socket: Socket): void {
    socket.on(SOCKETIO_EVENT, (message: unknown, ack?: unknown) => {
      if (!isEcho(message)) return;
      if (typeof ack === 'function') ack(message);
      else socket.emit(SOCKETIO_EVENT, message);
    });
    socket.emit(SOCKETIO_EVENT, welcomeMessage());
  }

  async listen() {
    const port = await this.host.listen(this.options.port, this.options.host);
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
      versions: versionsOf([
        ['socket.io'],
        ['socket.io', 'socket.io-adapter'],
        ['socket.io', 'socket.io-parser'],
        ['socket.io', 'engine.io'],
        // engine.io pins its own ws, which can differ from the top-level copy
        ['socket.io', 'engine.io', 'ws'],
      ]),
    };
  }

  broadcast() {
    const clients = this.clientCount();
    // The adapter encodes the packet once for all sockets.
    this.io.emit(SOCKETIO_EVENT, broadcastMessage(++this.seq));
    return { seq: this.seq, clients };
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
    // Disconnects every socket, closes Engine.IO, then calls `server.close()` without waiting.
    await this.io.close();
    await this.host.close();
  }
}

export const create: ServerFactory = (options) => new SocketIoServer(options);
