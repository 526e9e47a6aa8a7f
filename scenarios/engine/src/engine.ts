import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';
import { ADAPTERS, type ClientAdapter, type ClientOptions } from './clients';
import { errorCode } from './clients/types';
import {
  EngineConfigError,
  compileFlow,
  isLocalHost,
  resolveEngineConfig,
  totalPhaseSeconds,
  type PhaseSpec,
  type ResolvedEngineConfig,
  type Step,
} from './config';
import { Recorder, type ScenarioEmitter } from './metrics';
import {
  BROADCAST_LEADER_FILE,
  HOLDING_PREFIX,
  PROBES_DONE_FILE,
  CONTROL_BROADCAST_PATH,
  ENGINE_DIR_ENV,
  LIB_COUNTER_PREFIX,
  arrivalDue,
  epochMs,
  nativeAddons,
  roomOf,
  isPollingClient,
  type CohortName,
  type Role,
  type ServerClock,
} from './protocol';
import { Reporter } from './reporter';
import { RoomMember, memberId } from './rooms';
import { memberPrefix, pickTarget } from './affinity';
import { CohortHost } from './cohorts';
import { ConnectionError, Session, type Endpoint, type SessionHost } from './session';
import { slowHosts, type HostChooser } from './slow';
import { busyWait, clientWsFrom, phaseName } from './engine-util';

/** Phase names the engine gives meaning to. */
export const HOLD_PHASE = 'hold';
export const PROBE_PHASE = 'probe';
export const WARMUP_PHASE = 'warmup';
/** Broadcast requests waiting for their answer at once, at most. */
export const MAX_BROADCASTS_IN_FLIGHT = 16;
/** Added to the sum of all phase lengths to bound every wait. */
export const HOLD_CAP_MARGIN_MS = 60_000;
/**
 * With broadcasts or room messages on, the holds end at the earliest this long after the last
 * broadcast tick or publish, so a message still on its way (through an adapter to another node)
 * reaches clients still held.
 */
export const BROADCAST_SETTLE_MS = 1_000;
/** How often a generator without probes looks for the probes-done file. */
export const PROBES_DONE_POLL_MS = 100;

/** The runner's emitter (eventemitter3), as Artillery passes it to an engine. */
interface RunnerEmitter {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- listeners take what each event carries
  on(event: string, listener: (...args: any[]) => void): unknown;
}

/** The part of an Artillery script the engine reads. */
export interface ArtilleryScript {
  config: {
    target?: string;
    phases?: PhaseSpec[];
    engines?: Record<string, unknown>;
  };
  scenarios?: { name?: string; engine?: string; flow?: unknown }[];
}

export interface ScenarioSpec {
  name?: string;
  flow?: unknown;
}

type Done = (err: Error | null, context: unknown) => void;

function roleIn(phase: string | undefined): Role {
  if (phase === PROBE_PHASE) return 'probe';
  if (phase === WARMUP_PHASE) return 'warmup';
  return 'main';
}

/**
 * Test hook: `BENCH_TEST_STALL=AFTER:MS` busy-waits MS ms in the engine's thread once AFTER main
 * arrivals have started, to make the generator late on purpose (tests check that connectMs
 * counts the wait and connectServiceMs does not).
 */
export const STALL_ENV = 'BENCH_TEST_STALL';

function parseStall(raw: string | undefined): { after: number; ms: number } | null {
  const m = raw ? /^(\d+):(\d+)$/.exec(raw) : null;
  return m ? { after: Number(m[1]), ms: Number(m[2]) } : null;
}

/** `http(s)://host:port` + the control path, for a target of any library. */
function controlUrl(target: string): string {
  const u = new URL(target);
  const scheme = u.protocol === 'wss:' || u.protocol === 'https:' ? 'https:' : 'http:';
  return `${scheme}//${u.host}${CONTROL_BROADCAST_PATH}`;
}

/**
 * Artillery engine `bench`: connects with ws, socket.io-client or sockjs-client and measures
 * them through one code path (see session.ts).
 *
 * Flow steps: `connect: {}`, `join: {}` (rooms scenario), `hold: { echoEveryMs?, broadcastEveryMs? }`,
 * `disconnect: {}`, `think: <seconds>`. Phase names `hold` and `probe` carry meaning:
 * - a `hold` step keeps the connection until the `probe` phase (else the last phase) completes; echoes and
 *   broadcasts run only while the `hold` phase runs (or, with no such phase, for the whole hold);
 * - a VU that arrives during `warmup` connects, is counted apart and leaves at once: it only
 *   warms up code paths on both sides, so the measured ramp does not start cold;
 * - a VU that arrives during `probe` is a probe: it is measured apart, probes connect one at a
 *   time, and its `hold` returns at once.
 * Every wait ends at the latest after the sum of all phase lengths + 60 s.
 */
export class Engine implements SessionHost {
  readonly config: ResolvedEngineConfig;
  readonly adapter: ClientAdapter;
  readonly url: string;
  readonly clientOptions: ClientOptions;
  /** every URL clients connect to, and every source address they connect from (empty: the kernel's choice) */
  readonly targets: readonly string[];
  readonly sourceOptions: readonly ClientOptions[];
  private nextTarget = 0;
  private nextSource = 0;
  readonly recorder = new Recorder();
  readonly serverClock: ServerClock;
  readonly sameClock: boolean;

  private readonly reporter: Reporter | null = null;
  private readonly holders = new Set<Session>();
  private readonly hasHoldPhase: boolean;
  private readonly hasProbePhase: boolean;
  /** the probe phase is a pause: another generator runs the probes */
  private readonly probesElsewhere: boolean;
  private readonly lastPhaseIndex: number;
  private readonly lastProbeIndex: number;
  private currentPhase: string | undefined;
  private traffic: boolean;
  private released = false;
  private readonly capTimer: NodeJS.Timeout;
  private probeQueue: Promise<void> = Promise.resolve();
  private echoId = 0;
  private broadcastEveryMs = 0;
  private broadcastTimer: NodeJS.Timeout | null = null;
  private broadcastsInFlight = 0;
  /** main clients whose first connection is in progress: broadcasts wait until none is */
  private mainConnecting = 0;
  /** the hold started while clients were still connecting: mark it once they are done */
  private holdMarkPending = false;
  /** when broadcasts stopped (performance.now() ms); 0: they never ran */
  private broadcastsStoppedAt = 0;
  /** when the last broadcast request was answered or failed (performance.now() ms) */
  private lastBroadcastAnsweredAt = 0;
  /** the last scenario emitter seen, so engine-level errors reach Artillery too */
  private ee: ScenarioEmitter | null = null;
  private readonly stall = parseStall(process.env[STALL_ENV]);
  private mainArrivals = 0;
  /** main clients this engine has started: the next one's arrival index (rooms are given out by it) */
  private mainIndex = 0;
  /** null until the first hold that asks for broadcasts decides it */
  private leader: boolean | null = null;
  /** every generator has started its hold (see EngineConfig.generators) */
  private allHolding: boolean;
  private readonly slow: HostChooser;

  constructor(script: ArtilleryScript, runnerEE: RunnerEmitter, _helpers?: unknown) {
    this.config = resolveEngineConfig(script.config.engines?.bench);
    this.adapter = ADAPTERS[this.config.lib];
    const target = script.config.target;
    if (!target) {
      throw new EngineConfigError('No target. Set config.target in the script or pass --target <url>.');
    }
    this.url = target;
    this.serverClock = this.config.serverClock ?? (isLocalHost(target) ? 'same' : 'other');
    this.sameClock = this.serverClock === 'same';
    const { transport, deflate, sioParser, connectTimeoutMs, namespaces } = this.config;
    this.clientOptions = { transport, deflate, sioParser, connectTimeoutMs, namespaces };
    this.targets = this.config.targets ?? [target];
    this.sourceOptions = (this.config.sourceAddresses ?? []).map((localAddress) => ({
      ...this.clientOptions,
      localAddress,
    }));
    for (const s of script.scenarios ?? []) {
      if (s.engine === 'bench') compileFlow(s.flow, s.name ?? 'unnamed', { rooms: this.config.rooms !== null });
    }
    this.slow = slowHosts(script.config.engines?.bench, this, runnerEE);

    const phases = script.config.phases ?? [];
    this.hasHoldPhase = phases.some((p) => p.name === HOLD_PHASE);
    this.allHolding = this.config.generators <= 1 || !process.env[ENGINE_DIR_ENV];
    this.hasProbePhase = phases.some((p) => p.name === PROBE_PHASE);
    this.probesElsewhere = phases.some((p) => p.name === PROBE_PHASE && p.pause !== undefined);
    this.lastPhaseIndex = phases.length - 1;
    // Several `probe` phases (bench limit's steps): only the last one ends the holds.
    this.lastProbeIndex = phases.map((p) => p.name).lastIndexOf(PROBE_PHASE);
    this.traffic = !this.hasHoldPhase;
    const capMs = totalPhaseSeconds(phases) * 1000 + HOLD_CAP_MARGIN_MS;
    this.capTimer = setTimeout(() => this.release('bench.hold_capped'), capMs).unref();

    runnerEE.on('phaseStarted', (spec: PhaseSpec) => this.onPhaseStarted(spec));
    runnerEE.on('phaseCompleted', (spec: PhaseSpec) => this.onPhaseCompleted(spec));
    runnerEE.on('done', () => this.onDone());

    const dir = process.env[ENGINE_DIR_ENV];
    if (dir) {
      this.reporter = new Reporter(dir, this.recorder);
      this.reporter.write({
        event: 'started',
        t: epochMs(),
        pid: process.pid,
        threadId,
        lib: this.config.lib,
        rssBytes: process.memoryUsage().rss,
        target,
        transport: this.config.transport,
        deflate: this.config.deflate ? this.adapter.deflateSupport : 'off',
        ...(this.config.lib === 'socketio' && { sioParser: this.config.sioParser }),
        native: nativeAddons(clientWsFrom(this.config.lib)),
        serverClock: this.serverClock,
      });
      this.reporter.start();
    }
  }

  createScenario(spec: ScenarioSpec, ee: ScenarioEmitter): (context: unknown, done: Done) => void {
    const steps = compileFlow(spec.flow, spec.name ?? 'unnamed', { rooms: this.config.rooms !== null });
    return (context, done) => {
      // Read first, in the arrival's own tick: the scheduler's due time for this VU.
      const scheduled = arrivalDue();
      const dueAt = scheduled ?? performance.now();
      ee.emit('started');
      // Once per engine: an Artillery report (Fargate and Lambda merge theirs) then says the library.
      if (this.ee === null) ee.emit('counter', `${LIB_COUNTER_PREFIX}${this.config.lib}`, 1);
      this.ee = ee;
      const role = roleIn(this.currentPhase);
      if (scheduled === undefined && role !== 'warmup') this.recorder.count('arrivalsUnscheduled', ee);
      if (role === 'main' && this.stall && ++this.mainArrivals === this.stall.after) busyWait(this.stall.ms);
      const index = role === 'main' ? this.mainIndex++ : -1;
      let run: Promise<void>;
      if (role === 'probe') {
        run = this.probeQueue.then(() => this.runFlow(steps, new Session(this, role, ee, dueAt)));
        this.probeQueue = run.then(noop, noop);
      } else {
        const prefix = memberPrefix(this.config, index);
        run = this.runFlow(steps, new Session(this.slow(this.hostOf(index), index), role, ee, dueAt, prefix), index);
      }
      run.then(
        () => done(null, context),
        (err: Error) => {
          // Connection failures were already counted and emitted by the session.
          if (!(err instanceof ConnectionError)) ee.emit('error', err.message);
          done(err, context);
        },
      );
    };
  }

  nextEndpoint(prefix: number | null = null): Endpoint {
    const url = pickTarget(this.targets, prefix, this.nextTarget++);
    const n = this.sourceOptions.length;
    return { url, options: n === 0 ? this.clientOptions : this.sourceOptions[this.nextSource++ % n]! };
  }

  get reconnect() {
    return this.config.reconnect;
  }

  nextEchoId(): number {
    return ++this.echoId;
  }

  trafficOn(): boolean {
    return this.traffic;
  }

  isReleased(): boolean {
    return this.released;
  }

  forget(session: Session): void {
    this.holders.delete(session);
  }

  /** @param index the main client's arrival index in this engine (-1: not a main client) */
  private async runFlow(steps: readonly Step[], session: Session, index = -1): Promise<void> {
    // A member still joining counts as connecting: nobody publishes before every room is whole.
    let joining = false;
    try {
      for (const step of steps) {
        switch (step.kind) {
          case 'connect':
            if (session.role !== 'main') {
              await session.connect();
              break;
            }
            this.mainConnecting++;
            try {
              await session.connect();
              joining = steps.some((s) => s.kind === 'join');
            } finally {
              if (!joining) this.connected();
            }
            break;
          case 'join':
            // Probes and warm-up clients join no room. compileFlow refused `join` without rooms.
            try {
              if (session.role === 'main') await session.join(this.member(index));
            } finally {
              if (joining) {
                joining = false;
                this.connected();
              }
            }
            break;
          case 'hold':
            await this.hold(session, step);
            break;
          case 'disconnect':
            session.close();
            break;
          case 'think':
            await sleep(step.ms);
            break;
        }
      }
    } finally {
      session.close();
    }
  }

  /** main clients' hosts by cohort (see cohorts.ts); empty without pollingShare */
  private readonly cohortHosts = new Map<CohortName, CohortHost>();

  /** What main client `index` sees of the engine: the engine itself, or with pollingShare its cohort's host. */
  private hostOf(index: number): SessionHost {
    const { pollingShare, generators, generatorIndex } = this.config;
    if (index < 0 || pollingShare <= 0) return this;
    const name: CohortName = isPollingClient(index * generators + generatorIndex, pollingShare)
      ? 'polling'
      : 'websocket';
    const options = name === 'polling' ? { pollingOnly: true } : {};
    if (!this.cohortHosts.has(name))
      this.cohortHosts.set(name, new CohortHost(this, this.recorder.cohort(name), options));
    return this.cohortHosts.get(name)!;
  }

  /** Main client `index` of this engine is client `index × generators + generatorIndex` of the run. */
  private member(index: number): RoomMember {
    const { rooms, generators, generatorIndex } = this.config;
    return new RoomMember(roomOf(index * generators + generatorIndex, rooms!.roomSize), memberId(), rooms!);
  }

  private hold(session: Session, step: Extract<Step, { kind: 'hold' }>): Promise<void> {
    const { echoEveryMs, broadcastEveryMs } = step;
    if (session.role !== 'main' || this.released) return Promise.resolve();
    const lifeMs = step.lifeMs > 0 ? step.lifeMs * (0.5 + Math.random()) : 0;
    const held = session.hold(echoEveryMs, lifeMs, Math.random() < step.abruptShare);
    this.holders.add(session);
    if (broadcastEveryMs > 0 && this.broadcastEveryMs === 0) {
      this.broadcastEveryMs = broadcastEveryMs;
      if (this.traffic) this.startBroadcasts();
    }
    if (this.traffic && (this.config.rooms === null || this.mainConnecting === 0)) session.startTraffic();
    return held;
  }

  private onPhaseStarted(spec: PhaseSpec): void {
    this.currentPhase = spec.name;
    this.reporter?.write({
      event: 'phase',
      t: epochMs(),
      name: phaseName(spec),
      index: spec.index ?? -1,
      state: 'started',
    });
    if (spec.name === HOLD_PHASE) {
      this.markHolding();
      this.setTraffic(true);
    }
    // Artillery never completes an `arrivalCount: 0` phase (it skips it silently).
    if (spec.pause === undefined && spec.arrivalCount !== undefined && Number(spec.arrivalCount) === 0) {
      this.onPhaseCompleted(spec);
    }
  }

  private onPhaseCompleted(spec: PhaseSpec): void {
    if (this.currentPhase === spec.name) this.currentPhase = undefined;
    this.reporter?.write({
      event: 'phase',
      t: epochMs(),
      name: phaseName(spec),
      index: spec.index ?? -1,
      state: 'completed',
    });
    if (spec.name === HOLD_PHASE) this.setTraffic(false);
    if (spec.name === PROBE_PHASE && spec.index !== undefined) {
      const index = spec.index;
      void this.probeQueue.then(() => this.reporter?.snapshotAfter(index));
    }
    const releases = this.hasProbePhase
      ? spec.name === PROBE_PHASE && (spec.index === undefined || spec.index === this.lastProbeIndex)
      : spec.index === this.lastPhaseIndex;
    // The last probe arrives as its phase completes: let it finish before every held client
    // disconnects at once, or it measures that teardown instead of a connection at N clients.
    if (!releases) return;
    if (this.probesElsewhere) void this.probesDone().then(() => this.releaseAfterBroadcasts());
    else
      void this.probeQueue.then(() => {
        this.markProbesDone(spec);
        this.releaseAfterBroadcasts();
      });
  }

  /**
   * Tells the other generators this one's clients are all held, once no first connection is in
   * progress: a broadcast then reaches every client that connected, so each can count what it missed.
   */
  /** A main client's first connection (and join) is done: the last one starts the rooms' traffic and marks the hold. */
  private connected(): void {
    if (--this.mainConnecting > 0) return;
    if (this.holdMarkPending) this.markHolding();
    if (this.traffic && this.config.rooms !== null) for (const s of this.holders) s.startTraffic();
  }

  private markHolding(): void {
    this.holdMarkPending = this.mainConnecting > 0;
    if (this.holdMarkPending) return;
    const dir = process.env[ENGINE_DIR_ENV];
    if (!dir || this.config.generators <= 1) return;
    try {
      fs.writeFileSync(path.join(dir, `${HOLDING_PREFIX}${process.pid}-${threadId}`), '');
    } catch {
      // The leader then sends no broadcast: counted as skipped ticks, never a partial broadcast.
    }
  }

  /** Whether every generator's clients are in their hold, so a broadcast reaches all of them. */
  private everyGeneratorHolds(): boolean {
    if (this.allHolding) return true;
    try {
      const dir = process.env[ENGINE_DIR_ENV]!;
      const holding = fs.readdirSync(dir).filter((f) => f.startsWith(HOLDING_PREFIX)).length;
      this.allHolding = holding >= this.config.generators;
    } catch {
      // Read again on the next tick.
    }
    return this.allHolding;
  }

  private markProbesDone(spec: PhaseSpec): void {
    const dir = process.env[ENGINE_DIR_ENV];
    if (!dir || spec.name !== PROBE_PHASE) return;
    try {
      fs.writeFileSync(path.join(dir, PROBES_DONE_FILE), '');
    } catch {
      // The other generators then hold until their cap: late, never early.
    }
  }

  /** Resolves once the generator with the probes has run them all, or with the run folder gone. */
  private async probesDone(): Promise<void> {
    const dir = process.env[ENGINE_DIR_ENV];
    if (!dir) return;
    // Bounded by the hold cap: release() from the cap timer ends the wait.
    while (!this.released) {
      try {
        fs.accessSync(path.join(dir, PROBES_DONE_FILE));
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return;
      }
      await sleep(PROBES_DONE_POLL_MS);
    }
  }

  private setTraffic(on: boolean): void {
    if (this.traffic === on) return;
    this.traffic = on;
    for (const s of this.holders) {
      if (!on) s.stopTraffic();
      else if (this.config.rooms === null || this.mainConnecting === 0) s.startTraffic();
    }
    if (on) this.startBroadcasts();
    else this.stopBroadcasts();
  }

  /**
   * Ends every hold once the last broadcast has had BROADCAST_SETTLE_MS to arrive (at once
   * without broadcasts): counted from when broadcasts stopped, and on the leader from the answer
   * to its last request, however late a busy publisher gave it. Bounded by the hold cap.
   */
  private releaseAfterBroadcasts(): void {
    if ((this.broadcastEveryMs <= 0 && !this.config.rooms) || this.broadcastsStoppedAt === 0) return this.release();
    const last = Math.max(this.broadcastsStoppedAt, this.lastBroadcastAnsweredAt);
    const wait = this.broadcastsInFlight > 0 ? PROBES_DONE_POLL_MS : last + BROADCAST_SETTLE_MS - performance.now();
    if (wait <= 0) this.release();
    else setTimeout(() => this.releaseAfterBroadcasts(), wait);
  }

  /** Ends every hold, now and for VUs still to come. */
  private release(cappedCode?: string): void {
    if (this.released) return;
    this.released = true;
    clearTimeout(this.capTimer);
    this.setTraffic(false);
    for (const s of this.holders) {
      if (cappedCode) this.recorder.error(cappedCode, null);
      s.release();
    }
    this.holders.clear();
  }

  private onDone(): void {
    this.release();
    this.reporter?.stop();
  }

  /**
   * One leader per run: one control request per interval, whatever the number of VUs, worker
   * threads and generator processes. Without the run folder (plain `artillery run`), each
   * engine leads its own.
   */
  private isLeader(): boolean {
    if (this.leader !== null) return this.leader;
    const dir = process.env[ENGINE_DIR_ENV];
    if (!dir) return (this.leader = true);
    try {
      fs.writeFileSync(path.join(dir, BROADCAST_LEADER_FILE), JSON.stringify({ pid: process.pid, threadId }), {
        flag: 'wx',
      });
      this.leader = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        this.recorder.error('bench.broadcast_leader_failed', this.ee);
      this.leader = false;
    }
    return this.leader;
  }

  private startBroadcasts(): void {
    if (this.broadcastEveryMs <= 0 || this.broadcastTimer !== null || !this.isLeader()) return;
    const url = this.config.controlUrl ?? controlUrl(this.url);
    this.broadcastTimer = setInterval(() => void this.postBroadcast(url), this.broadcastEveryMs);
  }

  private stopBroadcasts(): void {
    if (this.broadcastEveryMs > 0 || this.config.rooms) this.broadcastsStoppedAt = performance.now();
    if (this.broadcastTimer !== null) clearInterval(this.broadcastTimer);
    this.broadcastTimer = null;
  }

  /**
   * Asks for one broadcast. Requests do not wait for each other: a publisher that waits up to
   * its adapter's timeout for a dead node's count must not slow the broadcast rate. At most
   * MAX_BROADCASTS_IN_FLIGHT wait at once; a tick beyond that is skipped and counted.
   */
  private async postBroadcast(url: string): Promise<void> {
    // Not before every client of this generator, and of every other, has connected (or failed).
    if (this.mainConnecting > 0 || !this.everyGeneratorHolds()) return;
    if (this.broadcastsInFlight >= MAX_BROADCASTS_IN_FLIGHT) {
      this.recorder.error('bench.broadcast_skipped', this.ee);
      return;
    }
    this.broadcastsInFlight++;
    try {
      const res = await fetch(url, {
        method: 'POST',
        signal: AbortSignal.timeout(this.config.connectTimeoutMs),
      });
      const body = await res.text();
      if (res.ok) {
        this.recorder.count('broadcastsSent', this.ee);
        // The server says how many clients it sent this one to: the deliveries to expect.
        const clients = (JSON.parse(body) as { clients?: unknown }).clients;
        if (typeof clients === 'number') this.recorder.count('broadcastsExpected', this.ee, clients);
      } else this.recorder.error(`bench.broadcast_http_${res.status}`, this.ee);
    } catch (err) {
      this.recorder.error(errorCode(err, 'bench.broadcast_failed'), this.ee);
    } finally {
      this.broadcastsInFlight--;
      this.lastBroadcastAnsweredAt = performance.now();
    }
  }
}

function noop(): void {}
