import type { RequestListener } from 'node:http';
import * as sockjs from 'sockjs';
import { SOCKJS_PREFIX } from 'artillery-engine-bench/protocol';
import type { BenchServer, ServerFactory, ServerOptions } from './types';
import { HttpHost, urlHost } from './http';
import { broadcastMessage, isEchoText, welcomeMessage } from './messages';
import { versionsOf } from './versions';

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
 */
class SockJsServer implements BenchServer {
  readonly lib = 'sockjs' as const;
  private readonly host: HttpHost;
  private readonly connections = new Set<sockjs.Connection>();
  private seq = 0;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ServerOptions) {
    this.host = new HttpHost(() => this.broadcast());
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
    const port = await this.host.listen(this.options.port, this.options.host);
    return {
      lib: this.lib,
      url: `http://${urlHost(this.options.host)}:${port}${SOCKJS_PREFIX}`,
      port,
      host: this.options.host,
      transports: ['websocket'] as ['websocket'],
      deflate: this.options.deflate ? ('unsupported' as const) : ('off' as const),
      pingIntervalMs: this.options.pingIntervalMs,
      versions: versionsOf([['sockjs'], ['sockjs', 'faye-websocket'], ['sockjs', 'websocket-driver']]),
    };
  }

  broadcast() {
    const text = JSON.stringify(broadcastMessage(++this.seq));
    let clients = 0;
    for (const conn of this.connections) {
      if (conn.readyState !== OPEN) continue;
      conn.write(text);
      clients++;
    }
    return { seq: this.seq, clients };
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
  }
}

export const create: ServerFactory = (options) => new SockJsServer(options);
