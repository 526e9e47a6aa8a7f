/**
 * One virtual user's connection, and the one timing code path every library goes through.
 *
 * t0 is taken right before the library's client object is created; connectMs ends at the
 * library's own "connected" event, firstMessageMs at the `welcome` message. Echo latency is a
 * round trip on `performance.now()`; broadcast latency compares the server's epoch stamp with
 * ours (same host: same clock).
 *
 * Kept small on purpose (thousands live at once): no per-session closures beyond the promise in
 * flight, one timer at a time, no stored samples.
 */
import type { BenchClient, ClientAdapter, ClientHandlers, ClientOptions } from './clients';
import { errorCode } from './clients/types';
import type { Recorder, ScenarioEmitter } from './metrics';
import { epochMs, type Role } from './protocol';

/** A connection attempt or an open connection failed; `code` is what Artillery counts. */
const FAILED_COUNTER = { main: 'failed', probe: 'probesFailed', warmup: 'warmupFailed' } as const;

export class ConnectionError extends Error {
  override name = 'ConnectionError';
  constructor(readonly code: string) {
    super(`bench: connection failed (${code})`);
  }
}

/** What a session needs from its engine. */
export interface SessionHost {
  readonly adapter: ClientAdapter;
  readonly url: string;
  readonly clientOptions: ClientOptions;
  readonly recorder: Recorder;
  nextEchoId(): number;
  /** the session is gone; the engine stops tracking it as a holder */
  forget(session: Session): void;
}

const enum State {
  Idle,
  Connecting,
  Open,
  Closed,
}

export class Session implements ClientHandlers {
  private state = State.Idle;
  private client: BenchClient | null = null;
  private t0 = 0;
  private tOpen = 0;
  /** broadcast seqs this client has received, for duplicates and order */
  private readonly seenSeqs = new Set<number>();
  private maxSeq = 0;
  /** connect timeout while connecting, then the echo timer while holding */
  private timer: NodeJS.Timeout | null = null;
  /** settles the step in progress (connect or hold) */
  private settle: ((err?: Error) => void) | null = null;
  private echoEveryMs = 0;
  /** why the connection was lost, so a later step fails with the same code */
  private lost: ConnectionError | null = null;

  constructor(
    private readonly host: SessionHost,
    readonly role: Role,
    private readonly ee: ScenarioEmitter,
  ) {}

  /** Resolves once the welcome arrived; rejects with a ConnectionError otherwise. */
  connect(): Promise<void> {
    if (this.state !== State.Idle) {
      return Promise.reject(new Error('bench: `connect` may appear once per flow, before `hold`.'));
    }
    return new Promise<void>((resolve, reject) => {
      this.settle = (err) => (err ? reject(err) : resolve());
      this.state = State.Connecting;
      this.timer = setTimeout(Session.onConnectTimeout, this.host.clientOptions.connectTimeoutMs, this);
      this.t0 = performance.now();
      try {
        this.client = this.host.adapter.connect(this.host.url, this.host.clientOptions, this);
      } catch (err) {
        this.fail(errorCode(err, 'bench.client_error'));
      }
    });
  }

  /** Waits until `release()`; starts echoes when told to by `startTraffic()`. */
  hold(echoEveryMs: number): Promise<void> {
    if (this.lost) return Promise.reject(this.lost);
    if (this.state !== State.Open) {
      return Promise.reject(new Error('bench: `hold` needs an open connection; put `connect` before it.'));
    }
    this.echoEveryMs = echoEveryMs;
    return new Promise<void>((resolve, reject) => {
      this.settle = (err) => (err ? reject(err) : resolve());
    });
  }

  /** Ends a `hold`. */
  release(): void {
    this.clearTimer();
    this.finish();
  }

  startTraffic(): void {
    if (this.echoEveryMs <= 0 || this.timer !== null || this.state !== State.Open) return;
    // A random first offset keeps thousands of clients from echoing in lockstep.
    this.timer = setTimeout(Session.onFirstEcho, Math.random() * this.echoEveryMs, this);
  }

  stopTraffic(): void {
    this.clearTimer();
  }

  /** Closes the client; safe to call in any state. */
  close(): void {
    this.clearTimer();
    const wasOpen = this.state === State.Open;
    this.state = State.Closed;
    if (wasOpen && this.role === 'main') this.host.recorder.counts.open--;
    this.host.forget(this);
    const client = this.client;
    this.client = null;
    client?.close();
  }

  onOpen(): void {
    if (this.state === State.Connecting) this.tOpen = performance.now();
  }

  onMessage(message: unknown): void {
    const now = performance.now();
    const m = message as { type?: unknown; t?: unknown } | null;
    if (m === null || typeof m !== 'object' || typeof m.t !== 'number') {
      this.host.recorder.error('bench.bad_message', this.ee);
      return;
    }
    const { recorder } = this.host;
    switch (m.type) {
      case 'welcome':
        if (this.state === State.Connecting) this.connected(now);
        break;
      case 'echo':
        recorder.latency('echoMs', now - m.t, this.ee);
        recorder.count('echoReceived', this.ee);
        break;
      case 'broadcast': {
        const seq = (m as { seq?: unknown }).seq;
        if (typeof seq !== 'number') {
          recorder.error('bench.bad_message', this.ee);
          break;
        }
        // Each (client, seq) counts once; a seq below the highest seen arrived out of order.
        if (this.seenSeqs.has(seq)) {
          recorder.count('broadcastDuplicates', this.ee);
          break;
        }
        this.seenSeqs.add(seq);
        if (seq < this.maxSeq) recorder.count('broadcastOutOfOrder', this.ee);
        this.maxSeq = Math.max(this.maxSeq, seq);
        recorder.latency('broadcastMs', epochMs() - m.t, this.ee);
        recorder.count('broadcastsReceived', this.ee);
        break;
      }
      default:
        recorder.error('bench.bad_message', this.ee);
    }
  }

  onError(code: string): void {
    this.fail(code);
  }

  onClose(code: string): void {
    this.fail(code);
  }

  private connected(now: number): void {
    this.clearTimer();
    this.state = State.Open;
    // Some libraries could deliver the first message in the same tick as "connected".
    const tOpen = this.tOpen || now;
    const { recorder } = this.host;
    if (this.role === 'probe') {
      recorder.latency('probeConnectMs', tOpen - this.t0, this.ee);
      recorder.latency('probeFirstMessageMs', now - tOpen, this.ee);
      recorder.count('probesConnected', this.ee);
    } else if (this.role === 'warmup') {
      recorder.count('warmupConnected', this.ee);
    } else {
      recorder.latency('connectMs', tOpen - this.t0, this.ee);
      recorder.latency('firstMessageMs', now - tOpen, this.ee);
      recorder.count('connected', this.ee);
      recorder.counts.open++;
    }
    this.finish();
  }

  /** A failed attempt, or a connection lost while open. Our own `close()` is not a failure. */
  private fail(code: string): void {
    if (this.state === State.Connecting) {
      this.clearTimer();
      this.host.recorder.count(FAILED_COUNTER[this.role], this.ee);
    } else if (this.state !== State.Open) {
      return;
    }
    this.host.recorder.error(code, this.ee);
    this.close();
    this.lost = new ConnectionError(code);
    this.finish(this.lost);
  }

  private finish(err?: Error): void {
    const settle = this.settle;
    this.settle = null;
    settle?.(err);
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private sendEcho(): void {
    if (this.client === null) return;
    this.client.send({
      type: 'echo',
      id: this.host.nextEchoId(),
      t: performance.now(),
    });
    this.host.recorder.count('echoSent', this.ee);
  }

  // Static so timers carry the session as an argument instead of a closure per session.
  private static onConnectTimeout(s: Session): void {
    s.timer = null;
    s.fail('bench.connect_timeout');
  }

  private static onFirstEcho(s: Session): void {
    s.sendEcho();
    s.timer = setInterval(Session.onEcho, s.echoEveryMs, s);
  }

  private static onEcho(s: Session): void {
    s.sendEcho();
  }
}
