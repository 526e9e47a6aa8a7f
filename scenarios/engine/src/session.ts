/**
 * One virtual user's connection, and the one timing code path every library goes through.
 *
 * Latency runs from when the arrival schedule said the attempt was due (`dueAt`), not from when
 * the generator got round to it, so a generator that falls behind cannot hide the wait
 * (coordinated omission, as wrk2 and HdrHistogram put it). connectMs ends at the library's own
 * "connected" event and timeToFirstMessageMs at the `welcome`; connectServiceMs and
 * firstMessageMs are the same from the client object's creation and from "connected". The lag
 * (actual start − due) is its own histogram. Echoes keep a fixed schedule too: each is stamped
 * with when it was due. Broadcast and welcome delivery compare the server's epoch stamp with
 * ours (only when the server shares this host's clock). Room members (rooms scenario) publish on
 * a fixed schedule too, and time each room message from its publisher's stamps: every publisher
 * is a client on this host, so those compare whatever the server's clock.
 *
 * Kept small on purpose (thousands live at once): no per-session closures beyond the promise in
 * flight, one timer at a time, no stored samples.
 */
import type { BenchClient, ClientAdapter, ClientHandlers, ClientOptions } from './clients';
import { errorCode } from './clients/types';
import { backoffMs } from './config';
import type { Recorder, ScenarioEmitter } from './metrics';
import { ECHO_LATE_MS, epochMs, type ReconnectConfig, type Role } from './protocol';
import type { RoomMember } from './rooms';

/** A connection attempt or an open connection failed; `code` is what Artillery counts. */
const FAILED_COUNTER = { main: 'failed', probe: 'probesFailed', warmup: 'warmupFailed' } as const;

export class ConnectionError extends Error {
  override name = 'ConnectionError';
  constructor(readonly code: string) {
    super(`bench: connection failed (${code})`);
  }
}

/** One connection's destination and the options it opens with (its source address among them). */
export interface Endpoint {
  url: string;
  options: ClientOptions;
}

/** What a session needs from its engine. */
export interface SessionHost {
  readonly adapter: ClientAdapter;
  readonly clientOptions: ClientOptions;
  /** where the next connection goes and from which address: round robin, or the node of room prefix `prefix` */
  nextEndpoint(prefix?: number | null): Endpoint;
  readonly recorder: Recorder;
  /** null: a lost connection stays lost */
  readonly reconnect: Required<ReconnectConfig> | null;
  nextEchoId(): number;
  /** whether echoes run now (a reconnected client resumes them) */
  trafficOn(): boolean;
  /** whether holds have ended (a client lost after that does not reconnect) */
  isReleased(): boolean;
  /** the server's send stamps compare with our epoch clock (same host) */
  readonly sameClock: boolean;
  /** the session is gone; the engine stops tracking it as a holder */
  forget(session: Session): void;
}

const enum State {
  Idle,
  Connecting,
  Open,
  /** lost while holding: waiting for the next attempt, or attempting */
  Reconnecting,
  Closed,
}

/**
 * The handlers of one connection attempt: events of a connection the session has already given
 * up on (a late `close` of the old one while reconnecting) must not reach it.
 */
class AttemptHandlers implements ClientHandlers {
  constructor(
    private readonly session: Session,
    private readonly generation: number,
  ) {}
  onOpen(): void {
    if (this.session.generation === this.generation) this.session.onOpen();
  }
  onMessage(message: unknown): void {
    if (this.session.generation === this.generation) this.session.onMessage(message);
  }
  onError(code: string): void {
    if (this.session.generation === this.generation) this.session.onError(code);
  }
  onClose(code: string): void {
    if (this.session.generation === this.generation) this.session.onClose(code);
  }
}

export class Session implements ClientHandlers {
  private state = State.Idle;
  private client: BenchClient | null = null;
  /** when the current attempt's client object was created */
  private tStart = 0;
  private tOpen = 0;
  /** the next echo's due time (performance.now() ms), while `echoing` */
  private echoDue = 0;
  private echoing = false;
  /** rooms scenario: this client's room, once its `join` step ran; null otherwise */
  private member: RoomMember | null = null;
  /** broadcast seqs this client has received, for duplicates, order and gaps */
  private readonly seenSeqs = new Set<number>();
  private maxSeq = 0;
  private minSeq = Infinity;
  /** the connection attempt current events belong to (see AttemptHandlers) */
  generation = 0;
  /** while reconnecting: attempts made, when the connection was lost, the last seq before */
  private attempt = 0;
  /** a reconnect attempt is in flight (not waiting for the next one) */
  private attempting = false;
  private tLost = 0;
  /** the highest seq before the loss, until the first broadcast after reconnecting; -1: none pending */
  private seqAtLoss = -1;
  /** connect timeout while connecting; then, open, the next of join timeout, echo and publish (see schedule) */
  private timer: NodeJS.Timeout | null = null;
  /** ends a held client's life (`hold` with `lifeMs`) */
  private lifeTimer: NodeJS.Timeout | null = null;
  /** settles the step in progress (connect, join or hold) */
  private settle: ((err?: Error) => void) | null = null;
  private echoEveryMs = 0;
  /** why the connection was lost, so a later step fails with the same code */
  private lost: ConnectionError | null = null;
  /** the node serving the connection, as its welcome said; null: not said (an older server) */
  private node: string | null = null;
  /** while reconnecting: the lost connection's session, for the server to restore (see BenchClient.resumeToken) */
  private resume: unknown = undefined;
  /** while reconnecting and after: the node the connection was lost to (per-node loss counts) */
  private lostNode: string | null = null;

  /**
   * @param dueAt when the arrival schedule said this VU should start (performance.now() ms);
   *   the actual start when the scheduler gave none
   */
  constructor(
    private readonly host: SessionHost,
    readonly role: Role,
    private readonly ee: ScenarioEmitter,
    private readonly dueAt: number = performance.now(),
    /** room affinity: the routing prefix of this client's room, which decides its node; null: none */
    private readonly prefix: number | null = null,
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
      this.open();
      if (this.role !== 'warmup') this.host.recorder.latency('arrivalLagMs', this.tStart - this.dueAt, this.ee);
    });
  }

  /** Creates the library's client for a first connection or a reconnect attempt. */
  private open(): void {
    this.tStart = performance.now();
    this.tOpen = 0;
    const handlers = new AttemptHandlers(this, ++this.generation);
    try {
      // A reconnect takes the next endpoint too: with clients spread over nodes, its node may be the one that died.
      const endpoint = this.host.nextEndpoint(this.prefix);
      const options = this.resume === undefined ? endpoint.options : { ...endpoint.options, resume: this.resume };
      this.client = this.host.adapter.connect(endpoint.url, options, handlers);
    } catch (err) {
      this.fail(errorCode(err, 'bench.client_error'));
    }
  }

  /**
   * Rooms scenario: sends `join` for the member's room and resolves once the server answered
   * `joined`; with no answer within the connect timeout, or the connection lost first, counts
   * roomJoinFailed and rejects with a ConnectionError. After a reconnect the member joins again
   * by itself (see reconnected).
   */
  join(member: RoomMember): Promise<void> {
    if (this.lost) return Promise.reject(this.lost);
    if (this.state !== State.Open || this.member !== null) {
      return Promise.reject(new Error('bench: `join` may appear once per flow, after `connect` and before `hold`.'));
    }
    this.member = member;
    return new Promise<void>((resolve, reject) => {
      this.settle = (err) => (err ? reject(err) : resolve());
      this.sendJoin(member);
    });
  }

  private sendJoin(m: RoomMember): void {
    m.joined = false;
    m.joinSentAt = performance.now();
    this.client?.send({ type: 'join', room: m.room });
    this.schedule();
  }

  /**
   * Waits until `release()`, or with `lifeMs` until the client's life ends: it then closes
   * (cleanly, or with `abrupt` its socket reset) and counts one connection cycle. Starts echoes
   * when told to by `startTraffic()`.
   */
  hold(echoEveryMs: number, lifeMs = 0, abrupt = false): Promise<void> {
    if (this.lost) return Promise.reject(this.lost);
    if (this.state !== State.Open && this.state !== State.Reconnecting) {
      return Promise.reject(new Error('bench: `hold` needs an open connection; put `connect` before it.'));
    }
    this.echoEveryMs = echoEveryMs;
    if (lifeMs > 0) this.lifeTimer = setTimeout(Session.onLifeEnd, lifeMs, this, abrupt);
    return new Promise<void>((resolve, reject) => {
      this.settle = (err) => (err ? reject(err) : resolve());
    });
  }

  /** Ends a `hold`. */
  release(): void {
    this.clearTimer();
    this.clearLife();
    this.finish();
  }

  /** Starts echoes and, once joined, publishing; each from a random first offset. */
  startTraffic(): void {
    if (this.state !== State.Open) return;
    const now = performance.now();
    // A random first offset keeps thousands of clients from echoing in lockstep.
    if (this.echoEveryMs > 0 && !this.echoing) {
      this.echoing = true;
      this.echoDue = now + Math.random() * this.echoEveryMs;
    }
    const m = this.member;
    if (m !== null && m.joined && !m.publishing) m.startPublishing(now);
    this.schedule();
  }

  stopTraffic(): void {
    this.echoing = false;
    if (this.member !== null) this.member.publishing = false;
    // Only the traffic timer: a reconnecting client's timer is its next attempt.
    if (this.state === State.Open) this.schedule();
  }

  /**
   * The one timer of an open connection, set for the earliest of: the answer to a join due, the
   * next echo, the next published message.
   */
  private schedule(): void {
    this.clearTimer();
    if (this.state !== State.Open) return;
    let at = this.echoing ? this.echoDue : Infinity;
    const m = this.member;
    if (m !== null) {
      if (m.publishing) at = Math.min(at, m.due);
      if (m.joinSentAt > 0) at = Math.min(at, m.joinSentAt + this.host.clientOptions.connectTimeoutMs);
    }
    if (at < Infinity) this.timer = setTimeout(Session.onTick, Math.max(0, at - performance.now()), this);
  }

  /** Closes the client (`abrupt`: resets its socket); safe to call in any state. */
  close(abrupt = false): void {
    this.clearTimer();
    this.clearLife();
    if (this.state === State.Closed) return;
    const wasOpen = this.state === State.Open;
    this.state = State.Closed;
    if (wasOpen && this.role === 'main') this.host.recorder.counts.open--;
    this.countGaps();
    this.host.forget(this);
    this.dropClient(abrupt);
  }

  onOpen(): void {
    if (this.state === State.Connecting || this.state === State.Reconnecting) this.tOpen = performance.now();
  }

  onMessage(message: unknown): void {
    const now = performance.now();
    const m = message as { type?: unknown; t?: unknown; room?: unknown } | null;
    if (m !== null && typeof m === 'object' && m.type === 'joined') return this.onJoined(m.room, now);
    if (m === null || typeof m !== 'object' || typeof m.t !== 'number') {
      this.host.recorder.error('bench.bad_message', this.ee);
      return;
    }
    const { recorder } = this.host;
    switch (m.type) {
      case 'welcome': {
        const node = (m as { node?: unknown }).node;
        if (this.state !== State.Connecting && this.state !== State.Reconnecting) break;
        this.node = typeof node === 'string' ? node : null;
        if (this.role === 'main') recorder.atNode(this.node, 'welcomed');
        if (this.state === State.Connecting) this.connected(now, m.t);
        else this.reconnected(now);
        break;
      }
      case 'echo': {
        recorder.latency('echoMs', now - m.t, this.ee);
        const sentAt = (m as { s?: unknown }).s;
        if (typeof sentAt === 'number') recorder.latency('echoServiceMs', now - sentAt, this.ee);
        recorder.count('echoReceived', this.ee);
        break;
      }
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
        // Before the new connection's "connected": a restored session's replay of what it missed.
        const replayed = this.state === State.Reconnecting && this.tOpen === 0;
        if (this.seqAtLoss >= 0) {
          // The first broadcast since the connection was lost: what came in between was missed.
          if (this.seqAtLoss > 0 && seq > this.seqAtLoss + 1) {
            recorder.count('broadcastsMissedReconnecting', this.ee, seq - this.seqAtLoss - 1);
          }
          this.seqAtLoss = -1;
        }
        this.maxSeq = Math.max(this.maxSeq, seq);
        this.minSeq = Math.min(this.minSeq, seq);
        if (replayed) {
          recorder.count('broadcastsRecovered', this.ee);
          this.delivered(m.t, 'recoveredBroadcastMs', 'broadcastNegative');
        } else this.delivered(m.t, 'broadcastMs', 'broadcastNegative');
        recorder.count('broadcastsReceived', this.ee);
        recorder.atNode(this.node, 'received');
        break;
      }
      case 'publish':
        if (this.member !== null) this.member.receive(m, now, recorder, this.ee);
        else recorder.error('bench.bad_message', this.ee);
        break;
      default:
        recorder.error('bench.bad_message', this.ee);
    }
  }

  /** The server's answer to this member's join (first, or again after a reconnect). */
  private onJoined(room: unknown, now: number): void {
    const m = this.member;
    const { recorder } = this.host;
    if (m === null || m.joinSentAt === 0 || room !== m.room || this.state !== State.Open) {
      recorder.error('bench.bad_message', this.ee);
      return;
    }
    recorder.latency('joinMs', now - m.joinSentAt, this.ee);
    recorder.count('roomJoined', this.ee);
    m.joinSentAt = 0;
    m.joined = true;
    if (!m.joinedOnce) {
      m.joinedOnce = true;
      this.finish();
    } else if (this.host.trafficOn()) return this.startTraffic(); // a rejoin: publishing resumes
    this.schedule();
  }

  /**
   * A join not answered within the connect timeout: counted. A first join fails the VU; a
   * rejoin leaves the client held but out of its room (no publishing). True when the VU failed.
   */
  private joinFailed(m: RoomMember, code: string): boolean {
    m.joinSentAt = 0;
    this.host.recorder.count('roomJoinFailed', this.ee);
    this.host.recorder.error(code, this.ee);
    if (m.joinedOnce) return false;
    this.close();
    this.lost = new ConnectionError(code);
    this.finish(this.lost);
    return true;
  }

  onError(code: string): void {
    this.fail(code);
  }

  onClose(code: string): void {
    this.fail(code);
  }

  private connected(now: number, serverSentAt: number): void {
    this.clearTimer();
    this.state = State.Open;
    // Some libraries could deliver the first message in the same tick as "connected".
    const tOpen = this.tOpen || now;
    const { recorder } = this.host;
    if (this.role === 'probe') {
      recorder.latency('probeConnectMs', tOpen - this.dueAt, this.ee);
      recorder.latency('probeConnectServiceMs', tOpen - this.tStart, this.ee);
      recorder.latency('probeFirstMessageMs', now - tOpen, this.ee);
      recorder.latency('probeTimeToFirstMessageMs', now - this.dueAt, this.ee);
      recorder.count('probesConnected', this.ee);
    } else if (this.role === 'warmup') {
      recorder.count('warmupConnected', this.ee);
    } else {
      recorder.latency('connectMs', tOpen - this.dueAt, this.ee);
      recorder.latency('connectServiceMs', tOpen - this.tStart, this.ee);
      recorder.latency('firstMessageMs', now - tOpen, this.ee);
      recorder.latency('timeToFirstMessageMs', now - this.dueAt, this.ee);
      this.delivered(serverSentAt, 'welcomeDeliveryMs', 'welcomeDeliveryNegative');
      recorder.count('connected', this.ee);
      recorder.counts.open++;
    }
    this.finish();
  }

  /**
   * The server's send stamp (its epoch clock) → now, recorded only when the server shares this
   * host's clock: another machine's clock says nothing about delivery. Two processes on one host
   * can still disagree by a little, so a stamp later than now is counted, never clamped to 0.
   */
  private delivered(
    serverSentAt: number,
    metric: 'welcomeDeliveryMs' | 'broadcastMs' | 'recoveredBroadcastMs',
    negative: 'welcomeDeliveryNegative' | 'broadcastNegative',
  ): void {
    if (!this.host.sameClock) return;
    const ms = epochMs() - serverSentAt;
    if (ms < 0) this.host.recorder.count(negative, this.ee);
    else this.host.recorder.latency(metric, ms, this.ee);
  }

  /** A connection attempt after a loss succeeded: the client is back, counted once more as open. */
  private reconnected(now: number): void {
    this.clearTimer();
    this.state = State.Open;
    this.attempting = false;
    const { recorder } = this.host;
    recorder.latency('reconnectMs', now - this.tLost, this.ee);
    recorder.reconnectedFrom(this.lostNode, now - this.tLost);
    recorder.count('reconnected', this.ee);
    if (this.client?.recovered?.() === true) recorder.count('sessionsRecovered', this.ee);
    this.resume = undefined;
    recorder.counts.open++;
    // A member joins its room again on every new connection; it publishes again once joined.
    if (this.member !== null) this.sendJoin(this.member);
    if (this.host.trafficOn()) this.startTraffic();
  }

  /** A failed attempt, or a connection lost while open. Our own `close()` is not a failure. */
  private fail(code: string): void {
    const { recorder } = this.host;
    const wasOpen = this.state === State.Open;
    const m = this.member;
    // A join still waiting for its answer: lost first.
    const joinLost = wasOpen && m !== null && m.joinSentAt > 0;
    if (joinLost) {
      m.joinSentAt = 0;
      recorder.count('roomJoinFailed', this.ee);
    }
    if (this.state === State.Connecting) {
      this.clearTimer();
      recorder.count(FAILED_COUNTER[this.role], this.ee);
    } else if (this.state === State.Reconnecting) {
      if (!this.attempting) return; // between attempts: nothing in flight
      this.attempting = false;
      this.clearTimer();
      recorder.error(code, this.ee);
      recorder.atNode(this.lostNode, 'attemptsFailed');
      this.dropClient();
      if (this.attempt < this.host.reconnect!.attempts && !this.host.isReleased()) return this.scheduleAttempt();
      recorder.count('reconnectFailed', this.ee);
      recorder.atNode(this.lostNode, 'reconnectFailed');
      this.close();
      this.lost = new ConnectionError(code);
      this.finish(this.lost);
      return;
    } else if (this.state !== State.Open) {
      return;
    } else if (
      this.role === 'main' &&
      this.host.reconnect !== null &&
      this.settle !== null &&
      !this.host.isReleased() &&
      // Lost during the first join: the VU fails, it never held.
      !(joinLost && !m.joinedOnce)
    ) {
      // Lost while holding: reconnect with back-off; the hold goes on.
      recorder.error(code, this.ee);
      recorder.count('connectionsLost', this.ee);
      recorder.atNode((this.lostNode = this.node), 'lost');
      recorder.counts.open--;
      this.stopTraffic(); // and its timer; they start afresh once reconnected
      this.resume = this.client?.resumeToken?.();
      this.dropClient();
      this.state = State.Reconnecting;
      this.tLost = performance.now();
      this.attempt = 0;
      this.seqAtLoss = this.maxSeq;
      this.scheduleAttempt();
      return;
    }
    recorder.error(code, this.ee);
    // Open, not connecting: a connection that never opened is a failed one, counted above.
    if (wasOpen && this.role === 'main') recorder.count('dropped', this.ee);
    this.close();
    this.lost = new ConnectionError(code);
    this.finish(this.lost);
  }

  private scheduleAttempt(): void {
    const wait = backoffMs(this.host.reconnect!, this.attempt, Math.random());
    this.timer = setTimeout(Session.onReconnectAttempt, wait, this);
  }

  /** Closes the current library client, if any, and ignores its further events. */
  private dropClient(abrupt = false): void {
    const client = this.client;
    this.client = null;
    this.generation++;
    if (abrupt && client?.abort) client.abort();
    else client?.close();
  }

  /** Seqs missing between the first and the last broadcast received; counted once, at the end. */
  private countGaps(): void {
    if (this.seenSeqs.size === 0) return;
    const gaps = this.maxSeq - this.minSeq + 1 - this.seenSeqs.size;
    if (gaps > 0) this.host.recorder.count('broadcastGaps', this.ee, gaps);
    this.seenSeqs.clear();
  }

  private finish(err?: Error): void {
    const settle = this.settle;
    this.settle = null;
    settle?.(err);
  }

  private clearLife(): void {
    if (this.lifeTimer !== null) {
      clearTimeout(this.lifeTimer);
      this.lifeTimer = null;
    }
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /**
   * Sends every echo that has come due, each stamped with when it was due, so a late timer
   * (a busy generator) shows up in echoMs instead of silently stretching the schedule.
   */
  private sendDueEchoes(now: number): void {
    const { recorder } = this.host;
    while (this.echoDue <= now && this.client !== null) {
      if (now - this.echoDue > ECHO_LATE_MS) recorder.count('echoLate', this.ee);
      this.client.send({ type: 'echo', id: this.host.nextEchoId(), t: this.echoDue, s: now });
      recorder.count('echoSent', this.ee);
      this.echoDue += this.echoEveryMs;
    }
  }

  // Static so timers carry the session as an argument instead of a closure per session.
  private static onConnectTimeout(s: Session): void {
    s.timer = null;
    s.fail('bench.connect_timeout');
  }

  /** The end of a held client's life: one connection cycle, then the hold returns. */
  private static onLifeEnd(s: Session, abrupt: boolean): void {
    s.lifeTimer = null;
    if (s.state !== State.Open && s.state !== State.Reconnecting) return;
    if (s.state === State.Open) s.host.recorder.count(abrupt ? 'cyclesAbrupt' : 'cyclesClean', s.ee);
    s.close(abrupt);
    s.finish();
  }

  private static onReconnectAttempt(s: Session): void {
    s.timer = null;
    if (s.state !== State.Reconnecting) return;
    s.attempt++;
    s.attempting = true;
    s.host.recorder.count('reconnectAttempts', s.ee);
    s.timer = setTimeout(Session.onConnectTimeout, s.host.clientOptions.connectTimeoutMs, s);
    s.open();
  }

  private static onTick(s: Session): void {
    s.timer = null;
    if (s.state !== State.Open) return;
    const now = performance.now();
    const m = s.member;
    if (m !== null && m.joinSentAt > 0 && now - m.joinSentAt >= s.host.clientOptions.connectTimeoutMs) {
      if (s.joinFailed(m, 'bench.join_timeout')) return;
    }
    if (s.echoing) s.sendDueEchoes(now);
    if (m?.publishing && s.client !== null) m.publishDue(s.client, now, s.host.recorder, s.ee);
    s.schedule();
  }
}
