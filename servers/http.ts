import * as http from 'node:http';
import type { Socket } from 'node:net';
import { CONTROL_BROADCAST_PATH } from 'artillery-engine-bench/protocol';
import type { BroadcastResult, NodeStats, ServerOptions } from './types';

/** Liveness probe path; answers `ok`. */
export const HEALTHZ_PATH = '/healthz';
/** This node's `NodeStats` as JSON (GET). */
export const CONTROL_STATS_PATH = '/control/stats';

/** What `retainPerConnectionBytes` keeps: never freed, by design (tests only). */
const RETAINED: Buffer[] = [];

/** What the control routes ask of the server. */
export interface ControlHandlers {
  publish(): BroadcastResult | Promise<BroadcastResult>;
  stats(): NodeStats | Promise<NodeStats>;
}

/**
 * The HTTP server every library attaches to, with the routes the runner drives.
 *
 * - `POST /control/broadcast` → broadcasts once, answers `{"seq":N,"clients":C}`
 * - `GET /control/stats` → this node's `NodeStats`
 * - `GET /healthz` → `ok`
 * - paths added with `route()` (bench serve's metrics endpoint)
 * - anything else the library does not claim → 404
 *
 * The control routes are this server's own `request` listener. Socket.IO and SockJS wrap the
 * listeners already present when they attach and pass on every request outside their own path,
 * so libraries must attach after this is constructed, and the routes stay the same for all three.
 */
export class HttpHost {
  readonly server: http.Server;
  // Upgraded sockets leave http's own bookkeeping, so `closeAllConnections` cannot reach them.
  private readonly sockets = new Set<Socket>();
  private closing: Promise<void> | null = null;
  private listened = false;
  private closed = false;
  private readonly routes = new Map<string, http.RequestListener>();

  constructor(control: ControlHandlers, test: Pick<ServerOptions, 'retainPerConnectionBytes'> = {}) {
    const retain = test.retainPerConnectionBytes ?? 0;
    this.server = http.createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      const extra = this.routes.get(path);
      if (extra) {
        extra(req, res);
      } else if (path === CONTROL_BROADCAST_PATH && req.method === 'POST') {
        req.resume();
        sendJson(res, () => control.publish());
      } else if (path === CONTROL_STATS_PATH && req.method === 'GET') {
        sendJson(res, () => control.stats());
      } else if (path === HEALTHZ_PATH && req.method === 'GET') {
        sendText(res, 200, 'text/plain', 'ok');
      } else {
        sendText(res, 404, 'text/plain', 'not found');
      }
    });
    this.server.once('close', () => (this.closed = true));
    this.server.on('connection', (socket: Socket) => {
      // Filled, so the pages are touched and RSS grows by what is kept, as a real leak's would.
      if (retain > 0) RETAINED.push(Buffer.alloc(retain, 1));
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Serves one more path (exact match, any method), ahead of the built-in routes. */
  route(path: string, handler: http.RequestListener): void {
    this.routes.set(path, handler);
  }

  /** Binds; resolves with the port actually bound (port 0 picks a free one). */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.listened = true;
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
      });
    });
  }

  /** Stops taking new connections; those open stay until `close()`. The first step of a graceful stop. */
  stopAccepting(): void {
    if (this.listened && this.server.listening) this.server.close();
  }

  /**
   * Stops listening and destroys every connection still open, so it resolves even while
   * clients are connected. Call it after the library has sent its own goodbyes.
   */
  close(): Promise<void> {
    if (this.closing === null) {
      this.closing = new Promise((resolve) => {
        if (this.closed || !this.listened) return resolve();
        this.server.once('close', () => resolve());
        // Socket.IO closes the server itself; a second `close()` would only report an error.
        if (this.server.listening) this.server.close();
      });
      for (const socket of this.sockets) socket.destroy();
    }
    return this.closing;
  }
}

/** Answers with what `produce` gives, or 503 with the reason (an adapter's service went away). */
function sendJson(res: http.ServerResponse, produce: () => unknown): void {
  Promise.resolve()
    .then(produce)
    .then(
      (body) => sendText(res, 200, 'application/json', JSON.stringify(body)),
      (err: unknown) => sendText(res, 503, 'text/plain', err instanceof Error ? err.message : String(err)),
    );
}

function sendText(res: http.ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** A host to put in a URL: wildcard binds become loopback, IPv6 gets brackets. */
export function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
