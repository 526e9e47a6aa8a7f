/**
 * Slow consumers (`EngineConfig.slowClients`): a slow client connects through a TCP proxy in the
 * engine's own process. Client → server bytes pass at once; server → client bytes pass through a
 * token bucket at `bytesPerSecond`. While the budget is spent the proxy stops reading from the
 * server (net.Socket pause), so the server's kernel send buffer fills, then the library's own
 * user-space buffer: what a phone on a bad network does to a server. Library-agnostic: ws,
 * Socket.IO and SockJS clients are throttled alike, and each library's client code is unchanged.
 */
import * as net from 'node:net';

/** Ticks of the pump are at least this far apart (ms): timers finer than that only cost CPU. */
export const MIN_TICK_MS = 10;

/**
 * Bytes per `bytesPerSecond` the bucket holds when full: one second's worth, so a slow client's
 * handshake and welcome pass at once after it connects, and a link idle for a second delivers
 * one second's bytes in one go, as a real link's queue does.
 */
export const BURST_SECONDS = 1;

/**
 * A token bucket: `rate` tokens (bytes) per second, at most `capacity` saved up. Time is passed
 * in (ms, one monotonic clock), so tests drive it without waiting.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    readonly rate: number,
    readonly capacity: number,
    now: number = performance.now(),
  ) {
    if (!(rate > 0) || !(capacity >= 1)) throw new RangeError(`bad bucket: rate ${rate}, capacity ${capacity}`);
    this.tokens = capacity;
    this.at = now;
  }

  private refill(now: number): void {
    if (now > this.at) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) * this.rate) / 1000);
      this.at = now;
    }
  }

  /** Takes up to `want` whole tokens; returns how many it took (0 when fewer than one is there). */
  take(want: number, now: number = performance.now()): number {
    this.refill(now);
    const n = Math.min(want, Math.floor(this.tokens));
    this.tokens -= n;
    return n;
  }

  /** ms until `want` whole tokens (at most the capacity) are there; 0 when they already are. */
  msUntil(want: number, now: number = performance.now()): number {
    this.refill(now);
    const missing = Math.min(want, this.capacity) - this.tokens;
    return missing <= 0 ? 0 : (missing * 1000) / this.rate;
  }
}

/** Where a proxy forwards to, and from which local address (none: the kernel's choice). */
export interface Upstream {
  host: string;
  port: number;
}

/** What a throttle proxy has seen, over every connection it carried. */
export interface ThrottleStats {
  /** connections accepted */
  connections: number;
  /** server → client bytes delivered to the clients */
  bytesDelivered: number;
  /** server → client bytes read from the server and not yet delivered (at most one read per connection) */
  bytesHeld: number;
}

/**
 * One server → client direction: reads a chunk from the server, pauses it, hands the chunk to
 * the client as the bucket allows, resumes once the chunk is gone.
 */
class Throttled {
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | null = null;
  /** the server ended (`end`) or closed: end the client once the queue is delivered */
  private ending = false;

  constructor(
    private readonly from: net.Socket,
    private readonly to: net.Socket,
    private readonly bucket: TokenBucket,
    private readonly stats: ThrottleStats,
  ) {
    from.on('data', (chunk: Buffer) => {
      this.queue.push(chunk);
      this.queued += chunk.length;
      this.stats.bytesHeld += chunk.length;
      this.pump();
    });
    from.on('end', () => {
      this.ending = true;
      this.pump();
    });
  }

  /** The smallest piece worth a timer: a twentieth of a second's bytes, at least one byte. */
  private get quantum(): number {
    return Math.max(1, Math.floor(this.bucket.rate / 20));
  }

  private pump(): void {
    if (this.timer !== null || this.to.destroyed) return;
    while (this.queued > 0) {
      const n = this.bucket.take(this.queued);
      if (n === 0) break;
      this.deliver(n);
    }
    if (this.queued > 0) {
      this.from.pause();
      const wait = Math.max(MIN_TICK_MS, this.bucket.msUntil(Math.min(this.queued, this.quantum)));
      this.timer = setTimeout(Throttled.onTick, wait, this);
      return;
    }
    if (this.ending) this.to.end();
    else this.from.resume();
  }

  /** Writes the next `n` queued bytes to the client. */
  private deliver(n: number): void {
    let left = n;
    while (left > 0) {
      const head = this.queue[0]!;
      if (head.length <= left) {
        this.queue.shift();
        this.to.write(head);
        left -= head.length;
      } else {
        this.to.write(head.subarray(0, left));
        this.queue[0] = head.subarray(left);
        left = 0;
      }
    }
    this.queued -= n;
    this.stats.bytesHeld -= n;
    this.stats.bytesDelivered += n;
  }

  /** Drops what is queued (the connection is gone). */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.stats.bytesHeld -= this.queued;
    this.queued = 0;
    this.queue.length = 0;
  }

  private static onTick(t: Throttled): void {
    t.timer = null;
    t.pump();
  }
}

/** A listener on 127.0.0.1 that throttles every connection to one upstream. */
export class ThrottleProxy {
  readonly stats: ThrottleStats = { connections: 0, bytesDelivered: 0, bytesHeld: 0 };
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  /**
   * Starts listening; `port` is known a tick later (Node looks the host up, even a literal, on
   * the next tick), long before Artillery's first arrival.
   * @param localAddress the source address of the next upstream connection (undefined: the kernel's)
   */
  constructor(
    readonly upstream: Upstream,
    readonly bytesPerSecond: number,
    private readonly localAddress: () => string | undefined = () => undefined,
  ) {
    this.server = net.createServer({ noDelay: true }, (client) => this.accept(client));
    // Errors after listening (EMFILE on accept) cost that one connection, which the client sees.
    this.server.on('error', () => {});
    this.server.listen(0, '127.0.0.1');
    this.server.unref();
  }

  get port(): number {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('bench: the throttle proxy is not listening');
    return a.port;
  }

  /** `url` with its host and port replaced by this proxy's: the same path, query and scheme. */
  urlFor(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  private accept(client: net.Socket): void {
    this.stats.connections++;
    const localAddress = this.localAddress();
    const server = net.connect({ ...this.upstream, noDelay: true, ...(localAddress && { localAddress }) });
    this.track(client);
    this.track(server);
    const bucket = new TokenBucket(this.bytesPerSecond, Math.max(1, this.bytesPerSecond * BURST_SECONDS));
    const down = new Throttled(server, client, bucket, this.stats);
    client.pipe(server);
    // A reset from the server reaches the client at once: its queued bytes are lost, as on a real link.
    server.on('close', (hadError) => {
      if (hadError) client.destroy();
    });
    client.on('close', () => {
      down.stop();
      server.destroy();
    });
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    // A reset on either side is ordinary here; the other side is torn down by the handlers above.
    s.on('error', () => {});
  }

  /** Destroys every connection and stops listening. */
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
