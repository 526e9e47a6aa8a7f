import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as YAML from 'yaml';
import { buildPhases, buildScript, checkCustomScript, readArtilleryReport, spawnArtillery } from '../loadgen/artillery';
import type { ChildProcess } from 'node:child_process';
import { exited, hasExited, stopChild } from '../topology/children';
import { readEngineState, type EngineState } from '../loadgen/engine-events';
import { collectEnv } from '../result/env';
import { applyProfile } from '../topology/isolation/index';
import type { MemoryCapReport } from '../topology/isolation/linux';
import type { ResolvedRunOptions } from '../config/run-options';
import { checkLimits, checkTempDir, readLimits, type SystemLimits } from './preflight';
import { ProcSampler } from '../sampling/proc-stats';
import { pauseRedis } from './redis-pause';
import { RemoteSampler } from '../sampling/remote-sampler';
import { buildResult, type FaultRecord, type KillNodeFault, type RunOutcome, type RunResult } from '../result/build';
import { checkBalancer } from '../topology/balancer';
import { checkAdapterService, startNodes, type NodeSet } from '../topology/nodes';
import { checkTarget } from './target-check';

/** What the CLI shows while a run goes on. */
export interface Progress {
  phase: string;
  connected: number;
  failed: number;
  /** main clients open right now */
  open: number;
  elapsedMs: number;
}

export interface RunHooks {
  onProgress?: (p: Progress) => void;
  /** abort() with the signal name ("SIGINT"/"SIGTERM") as reason to stop the run */
  signal?: AbortSignal;
  /** limits to check against; read from the OS when absent */
  limits?: SystemLimits;
  /** told about namespaces and cgroups of killed runs that were removed before this one */
  onNotice?: (line: string) => void;
}

/** Seconds the scripted phases take, for a generous upper bound on the whole run. */
function phaseSeconds(o: ResolvedRunOptions): number {
  if (o.clients === null) return 3_600;
  return buildPhases({ ...o, clients: o.clients }).reduce((sum, p) => {
    const ms = Number.parseFloat(p.duration ?? p.pause ?? '0');
    return sum + ms / 1000;
  }, 0);
}

/** Checks the machine's limits against what the options ask for. Throws PreflightError. */
export function preflight(o: ResolvedRunOptions, limits: SystemLimits = readLimits()): void {
  if (o.scenario.kind === 'custom') {
    checkCustomScript(o.scenario.file);
    return;
  }
  const balanced = o.nodes > 1 && o.adapter !== 'cluster';
  if (balanced) checkBalancer();
  checkLimits(
    {
      // Behind HAProxy every client is two connections of one process: to it, and on to a node.
      connections: ((o.clients ?? 0) + o.probes) * (balanced ? 2 : 1),
      // Upgrades in flight: at most one second of arrivals.
      transientSockets:
        o.lib === 'socketio' && o.transport === 'polling'
          ? o.arrivalRate === 'burst'
            ? (o.clients ?? 0)
            : o.arrivalRate
          : 0,
    },
    limits,
  );
}

function currentPhase(engine: EngineState): string {
  let name = 'starting';
  let latest = -Infinity;
  for (const [phase, t] of Object.entries(engine.phases)) {
    if (t.startedAt !== undefined && t.startedAt > latest && t.completedAt === undefined) {
      latest = t.startedAt;
      name = phase;
    }
  }
  if (name === 'starting' && Object.keys(engine.phases).length > 0) name = 'teardown';
  return name;
}

/**
 * Calls `fn` `seconds` after the hold starts, as read from the engine's events. Bounded: polls
 * only until the hold starts, and `cancel()` (at the end of the run) stops everything.
 */
function atHoldOffset(runDir: string, seconds: number, fn: () => void): { cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const poll = setInterval(() => {
    const hold = readEngineState(runDir).phases.hold?.startedAt;
    if (hold === undefined) return;
    clearInterval(poll);
    timer = setTimeout(fn, Math.max(0, hold + seconds * 1000 - Date.now()));
  }, 100);
  return {
    cancel() {
      clearInterval(poll);
      clearTimeout(timer);
    },
  };
}

/** Pauses Redis for the window of --adapter-outage, counted from the start of the hold. */
function scheduleOutage(o: ResolvedRunOptions, runDir: string, startedAt: number, faults: FaultRecord[]) {
  const { fromSeconds, toSeconds } = o.adapterOutage!;
  const record: FaultRecord = { kind: 'adapter-outage', fromSeconds, toSeconds, startedAtMs: null, error: null };
  faults.push(record);
  return atHoldOffset(runDir, fromSeconds, () => {
    record.startedAtMs = Date.now() - startedAt;
    pauseRedis(o.redisUrl, (toSeconds - fromSeconds) * 1000).catch((err: Error) => (record.error = err.message));
  });
}

/**
 * Kills the last node (never node-1, the publisher) with SIGKILL --kill-node-at seconds after
 * the hold starts: a crash, not a shutdown. Its clients see their connections drop and
 * reconnect through the balancer (or the cluster primary) to the nodes left.
 */
function scheduleKill(
  o: ResolvedRunOptions,
  nodeSet: NodeSet,
  runDir: string,
  startedAt: number,
  faults: FaultRecord[],
) {
  const victim = nodeSet.nodes[nodeSet.nodes.length - 1]!;
  const record: KillNodeFault = {
    kind: 'kill-node',
    atSeconds: o.killNodeAt!,
    nodeId: victim.nodeId,
    pid: victim.pid,
    startedAtMs: null,
    clientsAtKill: null,
    error: null,
  };
  faults.push(record);
  return atHoldOffset(runDir, o.killNodeAt!, () => {
    record.clientsAtKill = nodeSet.lastClients(victim.nodeId);
    // Its `bench serve` process is expected to die now; the run goes on.
    nodeSet.servers.find((s) => s.ready.pid === victim.pid)?.expectExit();
    try {
      process.kill(victim.pid, 'SIGKILL');
      record.startedAtMs = Date.now() - startedAt;
    } catch (err) {
      record.error = (err as Error).message;
    }
  });
}

/**
 * One run: start the server (unless --target), sample it, drive it with Artillery, and return
 * the result. Never throws once the server is up: failures become `errored`/`aborted` results
 * that keep what was measured.
 */
export async function runBench(o: ResolvedRunOptions, hooks: RunHooks = {}): Promise<RunResult> {
  preflight(o, hooks.limits);
  checkTempDir();
  if (o.target !== null) await checkTarget(o.target, o);
  await checkAdapterService(o);
  const iso = applyProfile(o.profile, {
    strict: o.strict,
    onStaleRemoved: (what) => hooks.onNotice?.(`profile: removed leftovers of a killed run: ${what.join(', ')}`),
    // Never silent: without a notice hook it goes to stderr.
    onCleanupFailed: (what) =>
      (hooks.onNotice ?? ((l: string) => process.stderr.write(l + '\n')))(
        `profile: cleanup incomplete: ${what.join('; ')}`,
      ),
  });
  let remote: RemoteSampler | null = null;
  if (o.serverMetrics) {
    remote = new RemoteSampler(new URL(o.serverMetrics.url), o.serverMetrics.token, Math.max(500, o.sampleIntervalMs));
    try {
      await remote.check();
    } catch (err) {
      iso.cleanup();
      throw err;
    }
    remote.start();
  }
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-run-'));
  const startedAt = Date.now();
  let nodeSet: NodeSet | null = null;
  let serverSampler: ProcSampler | null = null;
  let nodeSamplers: { nodeId: string; sampler: ProcSampler }[] = [];
  let loadgenSampler: ProcSampler | null = null;
  let loadStartedAt: number | null = null;
  let outcome: RunOutcome = { status: 'completed' };
  let artilleryPid: number | null = null;
  let artilleryChild: ChildProcess | null = null;
  let memoryCap: MemoryCapReport | null = null;
  const faults: FaultRecord[] = [];
  let faultTimers: ({ cancel(): void } | null)[] = [];

  try {
    if (o.target === null) {
      nodeSet = await startNodes(o, iso, runDir);
      // The service's memory is all its nodes together; each node is also sampled on its own.
      serverSampler = new ProcSampler(
        nodeSet.nodes.map((n) => n.pid),
        o.sampleIntervalMs,
      ).start();
      if (nodeSet.nodes.length > 1) {
        nodeSamplers = nodeSet.nodes.map((n) => ({
          nodeId: n.nodeId,
          sampler: new ProcSampler(n.pid, o.sampleIntervalMs).start(),
        }));
      }
    }
    // Idle memory is read in the pause after the warm-up; without a warm-up, sample a moment
    // before any client arrives.
    if (o.warmup === 0 || o.scenario.kind === 'custom') {
      await sleep(Math.max(1_000, 3 * o.sampleIntervalMs), undefined, { signal: hooks.signal }).catch(() => {});
    }
    const target = o.target ?? nodeSet!.target;
    let scriptFile = o.scenario.file;
    if (o.scenario.kind === 'builtin') {
      scriptFile = path.join(runDir, `${o.scenario.name}.yml`);
      fs.writeFileSync(
        scriptFile,
        YAML.stringify(buildScript(o.scenario.file, o, target, nodeSet?.balancer ? nodeSet.controlUrl : undefined)),
      );
    }
    if (hooks.signal?.aborted) throw hooks.signal.reason;

    const artillery = spawnArtillery({ scriptFile, target, runDir, lib: o.lib, prefix: iso.prefix('loadgen') });
    artilleryChild = artillery.child;
    loadStartedAt = Date.now();
    artilleryPid = artillery.child.pid ?? null;
    if (artilleryPid !== null) loadgenSampler = new ProcSampler(artilleryPid, o.sampleIntervalMs).start();

    const deadlineMs = (phaseSeconds(o) + o.connectTimeoutMs / 1000 + 120) * 1000;
    faultTimers = [
      o.adapterOutage ? scheduleOutage(o, runDir, startedAt, faults) : null,
      o.killNodeAt !== null && nodeSet ? scheduleKill(o, nodeSet, runDir, startedAt, faults) : null,
    ];
    const why = await new Promise<RunOutcome>((resolve) => {
      const timers: NodeJS.Timeout[] = [];
      const done = (r: RunOutcome) => {
        timers.forEach(clearInterval);
        hooks.signal?.removeEventListener('abort', onAbort);
        for (const s of nodeSet?.servers ?? []) s.child.off('exit', onServerExit);
        nodeSet?.balancer?.child.off('exit', onBalancerExit);
        resolve(r);
      };
      const onAbort = () =>
        done({ status: 'aborted', error: `interrupted by ${String(hooks.signal?.reason ?? 'a signal')}` });
      const onServerExit = (code: number | null, sig: string | null) => {
        // The node --kill-node-at killed is meant to die; the run goes on without it.
        if (!nodeSet?.servers.some((s) => hasExited(s.child) && !s.exitExpected)) return;
        const tail = nodeSet?.servers.find((s) => hasExited(s.child) && !s.exitExpected)?.stderr.lastLines(3);
        done({
          status: 'errored',
          error: `the ${o.lib} server exited during the run (${sig ?? `code ${code}`})${tail ? `: ${tail}` : ''}`,
        });
      };
      const onBalancerExit = (code: number | null, sig: string | null) =>
        done({
          status: 'errored',
          error: `HAProxy, the nodes' load balancer, exited during the run (${sig ?? `code ${code}`})`,
        });
      if (hooks.signal?.aborted) return onAbort();
      hooks.signal?.addEventListener('abort', onAbort, { once: true });
      for (const s of nodeSet?.servers ?? []) s.child.once('exit', onServerExit);
      nodeSet?.balancer?.child.once('exit', onBalancerExit);
      artillery.child.once('exit', (code, sig) => {
        if (code === 0) return done({ status: 'completed' });
        const tail = artillery.output.lastLines(5);
        done({ status: 'errored', error: `Artillery exited with ${sig ?? `code ${code}`}${tail ? `: ${tail}` : ''}` });
      });
      timers.push(
        setTimeout(
          () => done({ status: 'errored', error: `the run did not finish within ${Math.round(deadlineMs / 1000)} s` }),
          deadlineMs,
        ),
      );
      if (hooks.onProgress) {
        timers.push(
          setInterval(() => {
            const e = readEngineState(runDir);
            hooks.onProgress!({
              phase: currentPhase(e),
              connected: e.counts.connected,
              failed: e.counts.failed,
              open: e.counts.open,
              elapsedMs: Date.now() - startedAt,
            });
          }, 1_000),
        );
      }
    });
    outcome = why;
    loadgenSampler?.sample();
    serverSampler?.sample();
    await stopChild(artillery.child);
  } catch (err) {
    outcome = hooks.signal?.aborted
      ? { status: 'aborted', error: `interrupted by ${String(hooks.signal.reason)}` }
      : { status: 'errored', error: (err as Error).message };
  } finally {
    for (const t of faultTimers) t?.cancel();
    loadgenSampler?.stop();
    serverSampler?.stop();
    for (const n of nodeSamplers) n.sampler.stop();
    if (artilleryChild) await stopChild(artilleryChild);
    if (nodeSet) {
      const diedEarly = nodeSet.servers.map((s) => hasExited(s.child));
      await nodeSet.stop();
      await Promise.all(nodeSet.servers.map((s) => exited(s.child)));
      nodeSet.servers.forEach((s, i) => {
        if (!diedEarly[i] && outcome.status === 'completed' && s.child.exitCode !== 0) {
          outcome = { status: 'errored', error: `the ${o.lib} server exited with code ${s.child.exitCode} on stop` };
        }
      });
    }
    if (remote) await remote.stop();
    memoryCap = iso.memoryReport('server');
    iso.cleanup();
  }
  if (outcome.status === 'errored' && memoryCap?.capHits) {
    outcome = {
      ...outcome,
      error: `${outcome.error} (the server reached the profile's memory cap of ${memoryCap.capBytes} bytes ${memoryCap.capHits} times)`,
    };
  }

  const engine = readEngineState(runDir);
  const result = buildResult({
    options: o,
    startedAt,
    finishedAt: Date.now(),
    loadStartedAt,
    server: {
      ready: nodeSet?.servers[0]?.ready ?? null,
      samples: remote?.samples ?? serverSampler?.samples ?? [],
      remotePid: remote?.pid,
      ...(remote && { remoteErrors: remote.errors() }),
      memoryCap,
    },
    nodes: nodeSamplers.map((n) => ({ nodeId: n.nodeId, pid: n.sampler.pid, samples: n.sampler.samples })),
    loadgen: { pid: artilleryPid, samples: loadgenSampler?.samples ?? [] },
    engine,
    artillery: readArtilleryReport(path.join(runDir, 'artillery-report.json')),
    faults,
    deliveries:
      nodeSet && nodeSet.deliveries.byNode.size > 0
        ? Object.fromEntries([...nodeSet.deliveries.byNode].map(([id, d]) => [id, d.clients]))
        : null,
    broadcastsLogged: nodeSet?.deliveries.total().broadcasts ?? 0,
    env: collectEnv(iso.record),
    outcome,
  });
  fs.rmSync(runDir, { recursive: true, force: true });
  return result;
}
