import * as http from 'node:http';
import type { Socket } from 'node:net';
import { CONTROL_BROADCAST_PATH } from 'artillery-engine-bench/protocol';
import type { BroadcastResult, NodeStats, ServerOptions } from './types';

/** Liveness probe path; answers `ok`. */
export const HEALTHZ_PATH = '/healthz';
/** This node's `NodeStats` as JSON (GET). */
export const CONTROL_STATS_PATH = '/control/stats';
/** Cuts a share of this node's WebSocket connections abruptly (POST `?share=0..1`); answers `FlapResult`. */
export const CONTROL_FLAP_PATH = '/control/flap';

/** The answer to `POST /control/flap`. */
export interface FlapResult {
  /** connections cut */
  cut: number;
  /** upgraded (WebSocket) connections this node had before */
  of: number;
}

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
 * - `POST /control/flap?share=S` → resets that share of the WebSocket connections, `FlapResult`
 * - `GET /healthz` → `ok`
 * - paths added with `route()` (bench serve's metrics endpoint)
 * - anything else the library does not claim → 404
 *
 * The control routes are this server's own `request` listener. Socket.IO and SockJS wrap the
 * listeners already present when they attach and pass on every request outside their own path,
 * so libraries must attach after this is constructed, and the routes stay the same for all three.
 */
/** TCP connections this process accepted and saw close, over every HttpHost: a soak's connection cycles. */
const TCP = { accepted: 0, closed: 0 };

export function tcpConnections(): { accepted: number; closed: number } {
  return { ...TCP };
}

/**
 * Clients of the library that closed, in this process: a soak's connection cycles. Not TCP
 * connections: a Socket.IO client on long-polling opens several (one per poll, without
 * keep-alive) before it upgrades, and each would count as a life.
 */
let clientsClosed = 0;
export const countClientClosed = (): void => void clientsClosed++;
export const clientsClosedCount = (): number => clientsClosed;

export class HttpHost {
  readonly server: http.Server;
  // Upgraded sockets leave http's own bookkeeping, so `closeAllConnections` cannot reach them.
  private readonly sockets = new Set<Socket>();
  /** the TCP sockets of WebSocket connections (every library's WebSocket transport upgrades one) */
  private readonly upgraded = new Set<Socket>();
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
      } else if (path === CONTROL_FLAP_PATH && req.method === 'POST') {
        req.resume();
        const share = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('share'));
        if (!(share >= 0 && share <= 1)) sendText(res, 400, 'text/plain', 'share must be a number from 0 to 1');
        else sendJson(res, () => this.flap(share));
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
      TCP.accepted++;
      socket.once('close', () => {
        TCP.closed++;
        this.sockets.delete(socket);
      });
    });
  }

  /**
   * A network flap: resets a random `share` of the WebSocket connections' TCP sockets (RST, no
   * close frame, no FIN), so the client and the library here both see the connection die
   * abnormally, as when a phone changes networks. Done here, under every library, so the cut is
   * the same for all three; long-polling requests are not connections to cut and are left alone.
   */
  flap(share: number): FlapResult {
    const open = [...this.upgraded].filter((s) => !s.destroyed);
    const n = Math.round(share * open.length);
    // A partial Fisher–Yates shuffle: the first n are a uniform random choice.
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(Math.random() * (open.length - i));
      [open[i], open[j]] = [open[j]!, open[i]!];
      open[i]!.resetAndDestroy();
    }
    return { cut: n, of: open.length };
  }

  /** The TCP sockets of this node's WebSocket connections, open now (bench run --slow-clients reads their buffers). */
  upgradedSockets(): Iterable<Socket> {
    return this.upgraded;
  }

  /** Serves one more path (exact match, any method), ahead of the built-in routes. */
  route(path: string, handler: http.RequestListener): void {
    this.routes.set(path, handler);
  }

  /** Binds; resolves with the port actually bound (port 0 picks a free one). */
  listen(port: number, host: string): Promise<number> {
    // One more `upgrade` listener beside the library's, added once the library has attached:
    // SockJS replaces every `upgrade` listener present when it attaches with its own, which
    // passes on only what is outside its path. This one only remembers the socket.
    if (!this.listened) {
      this.server.on('upgrade', (_req: http.IncomingMessage, socket: Socket) => {
        this.upgraded.add(socket);
        socket.once('close', () => this.upgraded.delete(socket));
      });
    }
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
