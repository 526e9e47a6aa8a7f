import type { MetricName, NodeCounts } from 'artillery-engine-bench/protocol';
import { mergeEncoded, toStats, type LatencyStats } from '../metrics/histograms';
import { failLimitOf, formatFailLimit } from '../config/run-options';
import type { EngineState, Measurements, ProcSample } from './measurements';
import { perClientMemory, summariseBy, type IdleWindow } from './series';
import { summariseInner } from './inner';
import { flapReport } from './flaps';
import { roomsReport } from './rooms';
import { transportsReport } from './transports';
import { slowClientsReport } from './slow';
import { withClientFigures } from './rolling-restart';
import {
  SCHEMA_VERSION,
  type ArtilleryMetrics,
  type PhaseTimes,
  type RssSummary,
  type RunResult,
  type RunResultBase,
  type StoredSample,
} from './schema';
import { formatTopology } from '../../servers/adapters/amqp-topology';

// Readers import the result's types from here as well as from schema.ts.
export * from './schema';
export type { Measurements } from './measurements';
export { median, type IdleWindow } from './series';

const mean = (values: readonly number[]) =>
  values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;

/** [from, to] of the steady state: the second half of the hold, else ramp end → probe start. */
export function steadyWindow(phases: Record<string, PhaseTimes>): [number, number] | null {
  const hold = phases.hold;
  if (hold?.startedAt !== undefined && hold.completedAt !== undefined) {
    return [hold.startedAt + (hold.completedAt - hold.startedAt) / 2, hold.completedAt];
  }
  const rampEnd = phases.ramp?.completedAt;
  const probeStart = phases.probe?.startedAt;
  if (rampEnd !== undefined && probeStart !== undefined) return [rampEnd, probeStart];
  return null;
}

/**
 * When idle memory is read: the second half of the `settle` pause after the warm-up (no client
 * connected, code paths already warm), else the last samples before `fallbackBefore`.
 */
export function idleWindow(phases: Record<string, PhaseTimes>, fallbackBefore: number | null): IdleWindow {
  const settle = phases.settle;
  if (settle?.startedAt !== undefined && settle.completedAt !== undefined) {
    return { window: [settle.startedAt + (settle.completedAt - settle.startedAt) / 2, settle.completedAt] };
  }
  return { before: fallbackBefore };
}

/** Summarises RSS samples around the run's phases. */
export function summariseRss(
  samples: readonly ProcSample[],
  idleAt: IdleWindow,
  window: [number, number] | null,
): RssSummary {
  return summariseBy(samples, (s) => s.rssBytes, idleAt, window);
}

function activeCpu(samples: readonly ProcSample[], from: number | null, to: number | null): number | null {
  if (from === null || to === null) return null;
  const m = mean(samples.filter((s) => s.t > from && s.t <= to).map((s) => s.cpuPercent));
  return m === null ? null : Math.round(m * 10) / 10;
}

const store = (samples: readonly ProcSample[], t0: number): StoredSample[] =>
  samples.map((s) => ({ t: s.t - t0, rssBytes: s.rssBytes, cpuPercent: Math.round(s.cpuPercent * 10) / 10 }));

function stats(engine: EngineState, name: MetricName): LatencyStats | null {
  return toStats(mergeEncoded(engine.histograms[name] ?? []));
}

/** Artillery metrics a script's engine would have reported, beyond Artillery's own VU bookkeeping. */
function engineReported(a: ArtilleryMetrics | null): boolean {
  if (a === null) return false;
  const own = (k: string) => !/^(vusers\.|errors\.|http\.|plugins\.)/.test(k);
  return Object.keys(a.counters).some(own) || Object.keys(a.summaries).some(own);
}

const fmtMs = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

/** How the reasons that blame the load generator (not the server) begin: see isGeneratorReason. */
const GENERATOR_REASONS = [
  'arrivals started late:',
  'the load generator was saturated:',
  'the engine never wrote its final state:',
] as const;

/**
 * Whether an invalid reason says the load generator, not the server under test, failed to
 * measure (it fell behind its schedule, its event loop was saturated, it went silent): what a
 * busy machine does to any build alike.
 */
export function isGeneratorReason(reason: string): boolean {
  return GENERATOR_REASONS.some((p) => reason.startsWith(p));
}

/** Why a run's numbers cannot be trusted; empty when they can. The first reason is the weightiest. */
export function invalidReasons(m: Measurements): string[] {
  const reasons: string[] = [];
  const o = m.options;
  const custom = o.scenario.kind === 'custom';
  const counts = m.engine.counts;
  if (!custom && m.engine.workers === 0) {
    reasons.push('the engine reported nothing: no client was measured');
  }
  if (custom && m.engine.workers === 0 && !engineReported(m.artillery)) {
    reasons.push(
      `your script's engine reported nothing to Artillery beyond its virtual users (${o.scenario.file}): no latency was measured`,
    );
  }
  const artilleryCounters = m.artillery?.counters ?? {};
  const failed = custom ? (artilleryCounters['vusers.failed'] ?? 0) : counts.failed + counts.probesFailed;
  const attempted = custom
    ? (artilleryCounters['vusers.created'] ?? failed)
    : (o.clients ?? 0) + (counts.probesConnected + counts.probesFailed);
  const limit = failLimitOf(o.maxFailed, attempted);
  if (failed > limit) {
    reasons.push(`${failed} of ${attempted} connections failed (limit ${formatFailLimit(o.maxFailed)}, --max-failed)`);
  }
  // Clients that connected and then lost their connection for good: the hold held fewer than asked.
  const dropped = (counts.dropped ?? 0) + (counts.reconnectFailed ?? 0);
  if (!custom && dropped > failLimitOf(o.maxFailed, counts.connected)) {
    reasons.push(
      `${dropped} of ${counts.connected} connected clients lost their connection and did not get it back (limit ${formatFailLimit(o.maxFailed)}, --max-failed); see errors for the close codes`,
    );
  }
  if (m.engine.workers > 0 && !m.engine.final && m.outcome.status === 'completed') {
    reasons.push(`${GENERATOR_REASONS[2]} counts and histograms miss what happened after its last snapshot`);
  }
  const lag = toStats(mergeEncoded(m.engine.histograms.arrivalLagMs ?? []));
  if (lag && lag.p99 > o.maxLagMs) {
    reasons.push(
      `${GENERATOR_REASONS[0]} the generator ran ${fmtMs(lag.p99)} ms behind its schedule at p99 (limit ${o.maxLagMs} ms, --max-lag); connectMs counts that wait, connectServiceMs does not`,
    );
  }
  const loop = m.engine.loopDelayMs;
  if (loop && loop.p99 > m.options.maxLoopDelayMs) {
    reasons.push(
      `${GENERATOR_REASONS[1]} its event-loop delay p99 was ${loop.p99} ms (limit ${m.options.maxLoopDelayMs} ms, --max-loop-delay), so latencies include its own queueing`,
    );
  }
  if (o.rooms) reasons.push(...roomReasons(m));
  return reasons;
}

/** Why a rooms run cannot check its deliveries: joins that failed, or rooms no node reported. */
function roomReasons(m: Measurements): string[] {
  const counts = m.engine.counts;
  const reasons: string[] = [];
  const joinFailed = counts.roomJoinFailed ?? 0;
  if (joinFailed > failLimitOf(m.options.maxFailed, counts.connected)) {
    reasons.push(
      `${joinFailed} of ${counts.connected} clients could not join their room (limit ${formatFailLimit(m.options.maxFailed)}, --max-failed); see errors`,
    );
  }
  const reads = m.roomReads ?? [];
  const heldReads = reads.filter((r) => r.at !== 'after' && r.takenAtMs !== null);
  if (heldReads.length > 0 && !heldReads.some((r) => r.error === null)) {
    reasons.push(
      `no read of the nodes' rooms during the hold was whole (${heldReads[0]!.error}): deliveries cannot be checked against the membership`,
    );
  }
  return reasons;
}

/**
 * Delivery counts. Expected deliveries come from the nodes' own logs when bench started them
 * (every client each node wrote each broadcast to, late ones included), else from the
 * publisher's answers to the engine. `lost` is what was expected and never received.
 */
function broadcastReport(m: Measurements): RunResultBase['broadcast'] {
  const counts = m.engine.counts;
  const logged = m.deliveries ? Object.values(m.deliveries).reduce((a, b) => a + b, 0) : null;
  // The engine counts only answers that came back before it stopped; the nodes' logs have
  // every broadcast, even one the publisher answered after a 5 s wait for a dead node.
  const sent = logged !== null ? (m.broadcastsLogged ?? 0) : (counts.broadcastsSent ?? 0);
  if (sent === 0 && !logged) return null;
  const expected = logged ?? counts.broadcastsExpected ?? 0;
  // A restored Socket.IO session's replays are written by Socket.IO itself, outside the nodes'
  // logs and the publisher's count: compared with what was expected, only live deliveries.
  const recovered = counts.broadcastsRecovered ?? 0;
  return {
    sent,
    expectedDeliveries: expected,
    delivered: counts.broadcastsReceived,
    lost: expected - (counts.broadcastsReceived - recovered),
    recovered,
    outOfOrder: counts.broadcastOutOfOrder ?? 0,
    duplicates: counts.broadcastDuplicates ?? 0,
    latencyMs: stats(m.engine, 'broadcastMs'),
    serverClock: m.engine.serverClock ?? 'same',
    clockNegative: counts.broadcastNegative ?? 0,
    expectedFrom: logged === null ? 'control' : 'nodes',
    gaps: counts.broadcastGaps ?? 0,
    missedWhileReconnecting: counts.broadcastsMissedReconnecting ?? 0,
  };
}

/** What a node's clients counted of it: welcomes and broadcasts received (0 for none). */
function nodeCounts(byNode: Record<string, NodeCounts>, nodeId: string): NodeCounts {
  const n = byNode[nodeId];
  return { welcomed: n?.welcomed ?? 0, received: n?.received ?? 0 };
}

export function buildResult(m: Measurements): RunResult {
  const o = m.options;
  const t0 = m.startedAt;
  const window = steadyWindow(m.engine.phases);
  const counts = m.engine.counts;
  const custom = o.scenario.kind === 'custom';
  const artilleryCounters = m.artillery?.counters ?? {};
  const connected = custom ? (artilleryCounters['vusers.completed'] ?? 0) : counts.connected;
  const failed = custom ? (artilleryCounters['vusers.failed'] ?? 0) : counts.failed;
  const activeFrom = m.engine.phases.ramp?.startedAt ?? m.loadStartedAt;
  const activeTo = m.engine.phases.probe?.completedAt ?? m.engine.phases.hold?.completedAt ?? m.finishedAt;

  const phases = m.engine.phases;
  const serverIdle = idleWindow(phases, m.loadStartedAt);
  const loadgenIdle = idleWindow(phases, phases.warmup?.startedAt ?? phases.ramp?.startedAt ?? null);
  const serverRss = summariseRss(m.server.samples, serverIdle, window);
  const loadgenRss = summariseRss(m.loadgen.samples, loadgenIdle, window);
  const reasons = invalidReasons(m);
  const broadcast = broadcastReport(m);
  const unscheduled = counts.arrivalsUnscheduled ?? 0;
  const relPhases: Record<string, PhaseTimes> = {};
  for (const [name, p] of Object.entries(m.engine.phases)) {
    relPhases[name] = {
      ...(p.startedAt !== undefined && { startedAt: p.startedAt - t0 }),
      ...(p.completedAt !== undefined && { completedAt: p.completedAt - t0 }),
    };
  }
  const ready = m.server.ready;
  const killed = new Set(
    (m.faults ?? []).flatMap((f) => (f.kind === 'kill-node' && f.startedAtMs !== null ? [f.nodeId] : [])),
  );
  const base: RunResultBase = {
    schemaVersion: SCHEMA_VERSION,
    lib: o.lib,
    scenario: o.scenario.name,
    startedAt: new Date(m.startedAt).toISOString(),
    finishedAt: new Date(m.finishedAt).toISOString(),
    durationSeconds: Math.round((m.finishedAt - m.startedAt) / 100) / 10,
    options: {
      clients: o.clients,
      arrivalRate: o.arrivalRate,
      warmup: o.warmup,
      holdSeconds: o.holdSeconds,
      probes: o.probes,
      transport: o.lib === 'socketio' ? o.transport : 'websocket',
      deflate: o.deflate,
      pingIntervalMs: o.pingIntervalMs,
      echoEveryMs: o.echoEveryMs,
      broadcastEveryMs: o.broadcastEveryMs,
      connectTimeoutMs: o.connectTimeoutMs,
      target: o.target,
      scenarioFile: o.scenario.file,
      nodes: o.nodes,
      killNodeAt: o.killNodeAt,
      ...(o.rollingRestart && { rollingRestart: o.rollingRestart.atSeconds }),
      reconnect: o.reconnect,
      adapter: o.adapter,
      ...(o.adapter === 'amqp' && {
        amqpTopology: formatTopology(o.amqp.topology),
        amqpExtraBindings: o.amqp.extraBindings,
      }),
      maxFailed: formatFailLimit(o.maxFailed),
      maxLagMs: o.maxLagMs,
      allowInvalid: o.allowInvalid,
      forcedGcHeap: o.forcedGcHeap,
      sioParser: o.sio.parser,
      sioDiscardRequest: o.sio.discardRequest,
      sioWsEngine: o.sio.wsEngine,
      sioRecoveryMs: o.sio.recoveryMs ?? null,
      flap: o.flap,
      ...(o.rooms && { rooms: o.rooms }),
      ...(o.pollingSharePct !== null && { pollingSharePct: o.pollingSharePct }),
      ...(o.slowClients && { slowClients: o.slowClients }),
      wsNative: o.wsNative,
      serverTest: o.serverTest.echoDelayMs || o.serverTest.retainPerConnectionBytes ? o.serverTest : null,
    },
    valid: reasons.length === 0,
    invalidReasons: reasons,
    schedule: { source: unscheduled > 0 || m.engine.workers === 0 ? 'actual' : 'arrivals', unscheduled },
    clients: { requested: o.clients, connected, failed, dropped: custom ? 0 : (counts.dropped ?? 0) },
    connectMs: stats(m.engine, 'connectMs'),
    connectServiceMs: stats(m.engine, 'connectServiceMs'),
    arrivalLagMs: stats(m.engine, 'arrivalLagMs'),
    firstMessageMs: stats(m.engine, 'firstMessageMs'),
    timeToFirstMessageMs: stats(m.engine, 'timeToFirstMessageMs'),
    welcomeDeliveryMs: stats(m.engine, 'welcomeDeliveryMs'),
    welcomeDelivery: {
      serverClock: m.engine.serverClock ?? 'same',
      negative: counts.welcomeDeliveryNegative ?? 0,
    },
    echoMs: stats(m.engine, 'echoMs'),
    echoServiceMs: stats(m.engine, 'echoServiceMs'),
    broadcastMs: stats(m.engine, 'broadcastMs'),
    echo: { sent: counts.echoSent, received: counts.echoReceived, late: counts.echoLate ?? 0 },
    warmup: {
      requested: custom ? 0 : o.warmup,
      connected: counts.warmupConnected ?? 0,
      failed: counts.warmupFailed ?? 0,
    },
    broadcasts: { received: counts.broadcastsReceived },
    broadcast,
    flaps: flapReport(m),
    rooms: roomsReport(m),
    byTransport: transportsReport(m, broadcast),
    slowClients: slowClientsReport(m, serverRss),
    reconnect: o.reconnect
      ? {
          settings: o.reconnect,
          lost: counts.connectionsLost ?? 0,
          reconnected: counts.reconnected ?? 0,
          failed: counts.reconnectFailed ?? 0,
          attempts: counts.reconnectAttempts ?? 0,
          timeMs: stats(m.engine, 'reconnectMs'),
        }
      : null,
    probe: {
      requested: custom ? 0 : o.probes,
      connected: counts.probesConnected,
      failed: counts.probesFailed,
      connectMs: stats(m.engine, 'probeConnectMs'),
      connectServiceMs: stats(m.engine, 'probeConnectServiceMs'),
      firstMessageMs: stats(m.engine, 'probeFirstMessageMs'),
      timeToFirstMessageMs: stats(m.engine, 'probeTimeToFirstMessageMs'),
    },
    server: {
      pid: o.target === null ? (ready?.pid ?? null) : (m.server.remotePid ?? null),
      url: ready?.url ?? o.target,
      // Only what the server said it applied; a --target says nothing, and options holds what was asked.
      deflate: ready?.deflate ?? null,
      transports: ready?.transports ?? null,
      pingIntervalMs: ready?.pingIntervalMs ?? null,
      rssBytes: serverRss,
      // Not for several nodes: an adapter node's idle RSS holds start-up garbage (loading the
      // Redis client: 116 MB for ~8 s, then 59 MB) that V8 releases at a moment of its choosing,
      // often mid-run, so steady − idle can even come out negative. A killed node also leaves
      // the steady sum. Each node's own RSS is in `nodes`.
      ...perClientMemory(m.nodes && m.nodes.length > 1 ? [] : m.server.samples, serverIdle, window, connected),
      cpuPercent: activeCpu(m.server.samples, activeFrom, activeTo),
      samplesFrom: m.server.samples.length === 0 ? 'none' : m.server.remotePid != null ? 'remote' : 'local',
      ...(m.server.remoteErrors !== undefined && { remoteErrors: m.server.remoteErrors }),
      sio: ready?.sio ?? null,
      ...(ready?.amqpTopology && { amqpTopology: ready.amqpTopology }),
      native: ready?.native ?? null,
      memoryCap: m.server.memoryCap ?? null,
      samples: store(m.server.samples, t0),
      inner: summariseInner(m.server.inner ?? [], idleWindow(phases, m.loadStartedAt), window),
    },
    loadgen: {
      pid: m.loadgen.pid,
      generators: m.loadgen.pids?.length ?? (m.loadgen.pid === null ? 0 : 1),
      pids: m.loadgen.pids ?? (m.loadgen.pid === null ? [] : [m.loadgen.pid]),
      cpuPercent: activeCpu(m.loadgen.samples, activeFrom, activeTo),
      rssBytes: loadgenRss.peak,
      rss: loadgenRss,
      ...perClientMemory(m.loadgen.samples, loadgenIdle, window, connected),
      loopDelayMs: m.engine.loopDelayMs,
      native: m.engine.client?.native ?? null,
      sioParser: m.engine.client?.sioParser ?? null,
      valid: reasons.length === 0,
      invalidReasons: reasons,
      samples: store(m.loadgen.samples, t0),
    },
    engine: { workers: m.engine.workers, final: m.engine.final },
    phases: relPhases,
    errors: counts.errors,
    artillery: m.artillery,
    faults: (m.faults ?? []).map((f) => (f.kind === 'rolling-restart' ? withClientFigures(f, m) : f)),
    ...(m.topology && { topology: m.topology }),
    nodes:
      m.nodes && m.nodes.length > 1
        ? m.nodes.map((n) => ({
            nodeId: n.nodeId,
            pid: n.pid,
            rssBytes: summariseRss(n.samples, idleWindow(phases, m.loadStartedAt), window),
            cpuPercent: activeCpu(n.samples, activeFrom, activeTo),
            ...(m.deliveries && { deliveries: m.deliveries[n.nodeId] ?? 0 }),
            ...(counts.byNode && Object.keys(counts.byNode).length > 0 && nodeCounts(counts.byNode, n.nodeId)),
            ...(killed.has(n.nodeId) && { killed: true }),
            samples: store(n.samples, t0),
          }))
        : null,
    broker: m.broker
      ? {
          kind: m.broker.kind,
          url: m.broker.url,
          pids: m.broker.pids,
          process: m.broker.process,
          cpuPercent: activeCpu(m.broker.samples, activeFrom, activeTo),
          rssBytes: summariseRss(m.broker.samples, serverIdle, window),
          error: m.broker.error,
          samples: store(m.broker.samples, t0),
        }
      : null,
    env: { ...m.env, versions: { ...m.env.versions, ...(ready?.versions ?? {}) } },
    kernel: m.kernel ?? null,
  };
  return m.outcome.status === 'completed'
    ? { ...base, status: 'completed' }
    : { ...base, status: m.outcome.status, error: m.outcome.error };
}
