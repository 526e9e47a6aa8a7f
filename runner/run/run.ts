import { kernelNetDelta, readKernelNet, type KernelNetCounters } from '../sampling/kernel-net';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as YAML from 'yaml';
import {
  buildPhases,
  buildScript,
  mergeArtilleryReports,
  readArtilleryReport,
  spawnArtillery,
  type ArtilleryProcess,
} from '../loadgen/artillery';
import { exited, hasExited, stopChild } from '../topology/children';
import { readEngineState } from '../loadgen/engine-events';
import { collectEnv } from '../result/env';
import { applyProfile, type Isolation } from '../topology/isolation/index';
import type { ResolvedRunOptions } from '../config/run-options';
import { ProcSampler } from '../sampling/proc-stats';
import { RemoteSampler } from '../sampling/remote-sampler';
import { buildResult } from '../result/build';
import type { FaultRecord, MemoryCapReport, RunOutcome, RunResult, TopologyRecord } from '../result/schema';
import type { RoomRead, SlowRead } from '../result/measurements';
import { clientsPerAddress } from '../topology/source-addresses';
import { startNodes, type NodeSet } from '../topology/nodes';
import { OwnRedis } from '../topology/redis-server';
import { removeStaleRuns } from '../topology/amqp-leftovers';
import { removeStaleStreams } from '../topology/redis-leftovers';
import { BrokerSampler, brokerOf } from './broker';
import { raceExits } from './exit-race';
import { checkBeforeStart, sourcePlan } from './start-checks';
import { readLimits, type SystemLimits } from './preflight';
import { generatorCount } from './generators';
import { scheduleFaults, type Cancel } from './faults';
import { scheduleFlaps } from './flaps';
import { readRoomsAfter, scheduleRoomReads } from './room-reads';
import { scheduleSlowReads } from './slow-reads';
import { scheduleForcedGc } from './forced-gc';
import { scheduleRollingRestart, type RollingRestart } from './rolling-restart';
import { reportProgress, type Progress } from './progress';
import { wsNativeEnv } from '../config/sio-options';

export type { Progress } from './progress';

export interface RunHooks {
  onProgress?: (p: Progress) => void;
  /** abort() with the signal name ("SIGINT"/"SIGTERM") as reason to stop the run */
  signal?: AbortSignal;
  /** limits to check against; read from the OS when absent */
  limits?: SystemLimits;
  /** told about namespaces and cgroups of killed runs that were removed before this one */
  onNotice?: (line: string) => void;
}

/**
 * One run: start the server (unless --target), sample it, drive it with Artillery, and return
 * the result. Never throws once the server is up: failures become `errored`/`aborted` results
 * that keep what was measured.
 */
export async function runBench(o: ResolvedRunOptions, hooks: RunHooks = {}): Promise<RunResult> {
  await checkBeforeStart(o, hooks.limits);
  const iso = placeSides(o, hooks);
  const remote = await startRemoteSampler(o, iso);
  const run = newRun(o, hooks, iso, remote);
  try {
    await startServers(run);
    await startBrokerSampler(run);
    await settleIdle(run);
    const scriptFiles = writeScripts(run);
    if (hooks.signal?.aborted) throw hooks.signal.reason;
    startLoad(run, scriptFiles);
    run.faultTimers = scheduleFaults(o, run.nodeSet, run.runDir, run.startedAt, run.faults, run.ownRedis);
    run.faultTimers.push(...scheduleForcedGc(o, run.nodeSet, run.runDir));
    if (o.flap) run.faultTimers.push(...scheduleFlaps(o, run.nodeSet, run.runDir, run.startedAt, run.faults));
    if (o.rooms || o.pollingSharePct !== null)
      run.faultTimers.push(...scheduleRoomReads(o, run.nodeSet, run.runDir, run.startedAt, run.roomReads));
    if (o.slowClients)
      run.faultTimers.push(...scheduleSlowReads(o, run.nodeSet, run.runDir, run.startedAt, run.slowReads));
    startRollingRestart(run);
    run.outcome = await awaitExit(run);
    if (o.rooms || o.pollingSharePct !== null) await readRoomsAfter(o, run.nodeSet, run.startedAt, run.roomReads);
    const failure = run.rolling?.failure();
    if (failure && run.outcome.status === 'completed') run.outcome = { status: 'errored', error: failure };
    await finishLoad(run);
  } catch (err) {
    run.outcome = hooks.signal?.aborted
      ? { status: 'aborted', error: `interrupted by ${String(hooks.signal.reason)}` }
      : { status: 'errored', error: (err as Error).message };
  } finally {
    await stopAndCollect(run);
  }
  noteMemoryCap(run);
  return writeUp(run);
}

/** What one run holds between its steps; each step fills in its part. */
interface RunState {
  readonly o: ResolvedRunOptions;
  readonly hooks: RunHooks;
  readonly iso: Isolation;
  /** reads a remote server's samples (--server-metrics) */
  readonly remote: RemoteSampler | null;
  /** the engine's event files, Artillery's report and log, the script: removed at the end */
  readonly runDir: string;
  readonly startedAt: number;
  readonly faults: FaultRecord[];
  /** --scenario rooms: the nodes' membership, read during the hold and after */
  readonly roomReads: RoomRead[];
  /** --slow-clients: the nodes' buffered bytes, read through the hold */
  readonly slowReads: SlowRead[];
  nodeSet: NodeSet | null;
  /** loopback addresses clients connect from; null: the kernel's choice */
  readonly sourceAddresses: string[] | null;
  /** bench's own redis-server, for --adapter-crash to kill */
  ownRedis: OwnRedis | null;
  /** all nodes together: the service's memory */
  serverSampler: ProcSampler | null;
  /** each node on its own, with several */
  nodeSamplers: { nodeId: string; sampler: ProcSampler }[];
  /** the adapter's broker (Redis, PostgreSQL, RabbitMQ, NATS) on this machine */
  brokerSampler: BrokerSampler | null;
  /** the Artillery processes, one per generator */
  artillery: ArtilleryProcess[];
  loadStartedAt: number | null;
  /** the kernel's network counters before the first client */
  kernelBefore: KernelNetCounters | null;
  loadgenSampler: ProcSampler | null;
  faultTimers: Cancel[];
  /** --rolling-restart, once scheduled */
  rolling: RollingRestart | null;
  outcome: RunOutcome;
  memoryCap: MemoryCapReport | null;
}

/** Applies the topology profile: where each side runs, and within what limits. */
function placeSides(o: ResolvedRunOptions, hooks: RunHooks): Isolation {
  return applyProfile(o.profile, {
    strict: o.strict,
    onStaleRemoved: (what) => hooks.onNotice?.(`profile: removed leftovers of a killed run: ${what.join(', ')}`),
    // Never silent: without a notice hook it goes to stderr.
    onCleanupFailed: (what) =>
      (hooks.onNotice ?? ((l: string) => process.stderr.write(l + '\n')))(
        `profile: cleanup incomplete: ${what.join('; ')}`,
      ),
  });
}

/** With --server-metrics: checks the endpoint answers, then polls it. Undoes the profile if it does not. */
async function startRemoteSampler(o: ResolvedRunOptions, iso: Isolation): Promise<RemoteSampler | null> {
  if (!o.serverMetrics) return null;
  const remote = new RemoteSampler(
    new URL(o.serverMetrics.url),
    o.serverMetrics.token,
    Math.max(500, o.sampleIntervalMs),
  );
  try {
    await remote.check();
  } catch (err) {
    iso.cleanup();
    throw err;
  }
  return remote.start();
}

function newRun(o: ResolvedRunOptions, hooks: RunHooks, iso: Isolation, remote: RemoteSampler | null): RunState {
  return {
    o,
    hooks,
    iso,
    remote,
    runDir: fs.mkdtempSync(path.join(os.tmpdir(), 'bench-run-')),
    startedAt: Date.now(),
    faults: [],
    roomReads: [],
    slowReads: [],
    nodeSet: null,
    sourceAddresses: sourcePlan(o, hooks.limits),
    ownRedis: null,
    serverSampler: null,
    nodeSamplers: [],
    brokerSampler: null,
    artillery: [],
    loadStartedAt: null,
    kernelBefore: null,
    loadgenSampler: null,
    faultTimers: [],
    rolling: null,
    outcome: { status: 'completed' },
    memoryCap: null,
  };
}

/** Starts the server nodes (none with --target) and samples them. */
async function startServers(run: RunState): Promise<void> {
  const { o } = run;
  if (o.target !== null) return;
  if (o.adapterCrash) run.ownRedis = await OwnRedis.start();
  if (o.adapter === 'amqp') noteStale(run, await removeStaleRuns(o.amqpUrl));
  if (o.adapter === 'redis-streams') noteStale(run, await removeStaleStreams(o.redisUrl));
  const nodeSet = await startNodes(run.ownRedis ? { ...o, redisUrl: run.ownRedis.url } : o, run.iso, run.runDir);
  run.nodeSet = nodeSet;
  // The service's memory is all its nodes together; each node is also sampled on its own.
  run.serverSampler = new ProcSampler(
    nodeSet.nodes.map((n) => n.pid),
    o.sampleIntervalMs,
  ).start();
  if (nodeSet.nodes.length > 1) {
    run.nodeSamplers = nodeSet.nodes.map((n) => ({
      nodeId: n.nodeId,
      sampler: new ProcSampler(n.pid, o.sampleIntervalMs).start(),
    }));
  }
}

/** Tells what the cleanup of killed runs removed from the broker, and what it could not. */
function noteStale(run: RunState, stale: { removed: string[]; failed: string[] }): void {
  const notice = run.hooks.onNotice ?? ((l: string) => process.stderr.write(l + '\n'));
  if (stale.removed.length > 0) notice(`adapter: removed leftovers of a killed run: ${stale.removed.join(', ')}`);
  if (stale.failed.length > 0) notice(`adapter: cleanup incomplete: ${stale.failed.join('; ')}`);
}

/** Samples the adapter's broker from before the load (idle) to the end, as the nodes. */
async function startBrokerSampler(run: RunState): Promise<void> {
  const broker = brokerOf(run.ownRedis ? { ...run.o, redisUrl: run.ownRedis.url } : run.o);
  if (broker) run.brokerSampler = await BrokerSampler.start(broker, run.o.sampleIntervalMs);
}

/** --rolling-restart: each new node process is sampled, in the sum and on its own, where the old one was. */
function startRollingRestart(run: RunState): void {
  if (!run.o.rollingRestart || !run.nodeSet) return;
  run.rolling = scheduleRollingRestart(run.o, run.nodeSet, run.runDir, run.startedAt, run.faults, (id, prev, next) => {
    run.serverSampler?.replacePid(prev, next);
    run.nodeSamplers.find((n) => n.nodeId === id)?.sampler.replacePid(prev, next);
  });
}

/**
 * Idle memory is read in the pause after the warm-up; without a warm-up, sample a moment
 * before any client arrives.
 */
async function settleIdle(run: RunState): Promise<void> {
  const { o } = run;
  if (o.warmup === 0 || o.scenario.kind === 'custom') {
    await sleep(Math.max(1_000, 3 * o.sampleIntervalMs), undefined, { signal: run.hooks.signal }).catch(() => {});
  }
}

const targetOf = (run: RunState): string => run.o.target ?? run.nodeSet!.target;

/**
 * The Artillery scripts to run, one per generator: a custom one as given (one generator), a
 * built-in one written into the run's folder with each generator's share of the arrivals.
 */
function writeScripts(run: RunState): string[] {
  const { o, nodeSet } = run;
  if (o.scenario.kind !== 'builtin') return [o.scenario.file];
  const count = generatorCount(o, run.hooks.limits ?? readLimits());
  const spread = {
    // Behind HAProxy, or spread over nodes, broadcasts are asked of the publisher itself.
    ...(nodeSet && (nodeSet.balancer || nodeSet.targets.length > 1) && { controlUrl: nodeSet.controlUrl }),
    ...(nodeSet && { targets: nodeSet.targets }),
    sourceAddresses: run.sourceAddresses,
  };
  return Array.from({ length: count }, (_, index) => {
    const scriptFile = path.join(run.runDir, count > 1 ? `${o.scenario.name}-${index}.yml` : `${o.scenario.name}.yml`);
    const script = buildScript(o.scenario.file, o, targetOf(run), spread, { index, count });
    fs.writeFileSync(scriptFile, YAML.stringify(script));
    return scriptFile;
  });
}

/** Starts one Artillery process per script, and samples them together. */
function startLoad(run: RunState, scriptFiles: readonly string[]): void {
  const { o } = run;
  const count = scriptFiles.length;
  run.artillery = scriptFiles.map((scriptFile, index) =>
    spawnArtillery({
      scriptFile,
      target: targetOf(run),
      runDir: run.runDir,
      lib: o.lib,
      prefix: run.iso.prefix('loadgen'),
      env: wsNativeEnv(o.wsNative),
      generator: { index, count },
    }),
  );
  run.loadStartedAt = Date.now();
  run.kernelBefore = readKernelNet();
  const pids = loadgenPids(run);
  if (pids.length > 0) run.loadgenSampler = new ProcSampler(pids, o.sampleIntervalMs).start();
}

const loadgenPids = (run: RunState): number[] =>
  run.artillery.map((a) => a.child.pid).filter((pid): pid is number => pid !== undefined);

/** Waits for whatever ends the run first (see raceExits), telling the CLI how it goes meanwhile. */
async function awaitExit(run: RunState): Promise<RunOutcome> {
  const { o, nodeSet } = run;
  const progress = reportProgress(run.runDir, run.startedAt, run.hooks.onProgress);
  try {
    return await raceExits({
      loadgens: run.artillery,
      servers: nodeSet?.servers ?? [],
      balancer: nodeSet?.balancer ?? null,
      deadlineMs: (phaseSeconds(o) + o.connectTimeoutMs / 1000 + 120) * 1000,
      signal: run.hooks.signal,
      lib: o.lib,
    });
  } finally {
    progress.stop();
  }
}

/** Takes the last samples while every process still runs, then stops Artillery. */
async function finishLoad(run: RunState): Promise<void> {
  run.loadgenSampler?.sample();
  run.serverSampler?.sample();
  run.brokerSampler?.sample();
  await Promise.all(run.artillery.map((a) => stopChild(a.child)));
}

/**
 * Stops everything the run started, whatever happened: faults, samplers, Artillery, the nodes
 * (a node that fails on stop errors a completed run), the remote sampler, then the profile.
 */
async function stopAndCollect(run: RunState): Promise<void> {
  for (const t of run.faultTimers) t.cancel();
  run.rolling?.cancel();
  run.loadgenSampler?.stop();
  run.serverSampler?.stop();
  for (const n of run.nodeSamplers) n.sampler.stop();
  run.brokerSampler?.stop();
  await Promise.all(run.artillery.map((a) => stopChild(a.child)));
  await run.rolling?.settled();
  if (run.nodeSet) await stopServers(run, run.nodeSet);
  await run.ownRedis?.stop();
  if (run.remote) await run.remote.stop();
  run.memoryCap = run.iso.memoryReport('server');
  run.iso.cleanup();
}

async function stopServers(run: RunState, nodeSet: NodeSet): Promise<void> {
  const diedEarly = nodeSet.servers.map((s) => hasExited(s.child));
  await nodeSet.stop();
  await Promise.all(nodeSet.servers.map((s) => exited(s.child)));
  nodeSet.servers.forEach((s, i) => {
    if (!diedEarly[i] && run.outcome.status === 'completed' && s.child.exitCode !== 0) {
      run.outcome = {
        status: 'errored',
        error: `the ${run.o.lib} server exited with code ${s.child.exitCode} on stop`,
      };
    }
  });
}

/** An errored run says so when the server hit the profile's memory cap: likely why. */
function noteMemoryCap(run: RunState): void {
  const { outcome, memoryCap } = run;
  if (outcome.status === 'errored' && memoryCap?.capHits) {
    run.outcome = {
      ...outcome,
      error: `${outcome.error} (the server reached the profile's memory cap of ${memoryCap.capBytes} bytes ${memoryCap.capHits} times)`,
    };
  }
}

/** Builds the result from everything measured, and removes the run's folder. */
function writeUp(run: RunState): RunResult {
  const { o, nodeSet, remote, serverSampler } = run;
  const result = buildResult({
    options: o,
    startedAt: run.startedAt,
    finishedAt: Date.now(),
    loadStartedAt: run.loadStartedAt,
    server: {
      ready: nodeSet?.servers[0]?.ready ?? null,
      samples: remote?.samples ?? serverSampler?.samples ?? [],
      remotePid: remote?.pid,
      ...(remote && { remoteErrors: remote.errors() }),
      memoryCap: run.memoryCap,
      inner: remote
        ? [{ samples: remote.inner, heapAfterGc: [] }]
        : [...(nodeSet?.servers ?? []), ...(nodeSet?.retired ?? [])].map((s) => ({
            nodeId: s.ready.nodeId,
            samples: s.inner,
            heapAfterGc: s.heapAfterGc,
          })),
    },
    nodes: run.nodeSamplers.map((n) => ({ nodeId: n.nodeId, pid: n.sampler.pid, samples: n.sampler.samples })),
    broker: run.brokerSampler?.measured() ?? null,
    loadgen: {
      pid: run.artillery[0]?.child.pid ?? null,
      pids: loadgenPids(run),
      samples: run.loadgenSampler?.samples ?? [],
    },
    engine: readEngineState(run.runDir),
    artillery: mergeArtilleryReports(run.artillery.map((a) => readArtilleryReport(a.reportFile))),
    faults: run.faults,
    ...((o.rooms || o.pollingSharePct !== null) && { roomReads: run.roomReads }),
    ...(o.slowClients && { slowReads: run.slowReads }),
    topology: topologyOf(run),
    deliveries:
      nodeSet && nodeSet.deliveries.byNode.size > 0
        ? Object.fromEntries([...nodeSet.deliveries.byNode].map(([id, d]) => [id, d.clients]))
        : null,
    broadcastsLogged: nodeSet?.deliveries.total().broadcasts ?? 0,
    env: collectEnv(run.iso.record),
    kernel: kernelNetDelta(run.kernelBefore, readKernelNet()),
    outcome: run.outcome,
  });
  fs.rmSync(run.runDir, { recursive: true, force: true });
  return result;
}

function topologyOf(run: RunState): TopologyRecord {
  const { o, nodeSet } = run;
  const targets = nodeSet?.targets ?? [targetOf(run)];
  const vus = o.scenario.kind === 'builtin' ? (o.clients ?? 0) + o.warmup + o.probes : null;
  return {
    spread: nodeSet?.balancer ? 'balancer' : targets.length > 1 ? 'client' : 'single',
    targets,
    sourceAddresses:
      run.sourceAddresses === null
        ? null
        : vus === null
          ? run.sourceAddresses.map((address) => ({ address, clients: null }))
          : clientsPerAddress(run.sourceAddresses, vus),
  };
}

/** Seconds the scripted phases take, for a generous upper bound on the whole run. */
function phaseSeconds(o: ResolvedRunOptions): number {
  if (o.clients === null) return 3_600;
  return buildPhases({ ...o, clients: o.clients }).reduce((sum, p) => {
    const ms = Number.parseFloat(p.duration ?? p.pause ?? '0');
    return sum + ms / 1000;
  }, 0);
}
