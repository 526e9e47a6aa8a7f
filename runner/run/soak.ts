import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as YAML from 'yaml';
import { buildScript, spawnArtillery, type ArtilleryProcess } from '../loadgen/artillery';
import { readEngineState } from '../loadgen/engine-events';
import { hasExited, stopChild } from '../topology/children';
import { collectEnv } from '../result/env';
import { applyProfile } from '../topology/isolation/index';
import { LOCAL_PROFILE } from '../config/defaults';
import { resolveRunOptions } from '../config/run-options';
import type { ResolvedSoakOptions } from '../config/soak-options';
import { readRssBytes } from '../sampling/proc-stats';
import { SCHEMA_VERSION } from '../result/schema';
import type { SoakHeapGrowth, SoakResult, SoakSample } from '../result/soak-schema';
import { diffHeapSnapshots } from './heap-diff';
import { startNodes, type NodeSet } from '../topology/nodes';
import type { ServerProcess } from '../topology/server-process';
import { checkTempDir } from './preflight';
import { soakFits, soakVerdict } from './soak-verdict';

export interface SoakHooks {
  signal?: AbortSignal;
  /** told each sample as it is taken */
  onSample?: (s: SoakSample) => void;
}

/** The phase the engine turns traffic on in: every arrival of the soak is in it. */
const SOAK_PHASE = 'hold';
/** How long a forced GC's answer may take before the sample is skipped (ms). */
const GC_ANSWER_MS = 3_000;
const POLL_MS = 20;

type Json = Record<string, unknown>;

/** Asks for a full GC and waits for its answer: the memory after it, or null when none came. */
async function afterGc(server: ServerProcess) {
  const before = server.afterGc.length;
  if (!server.forceGc()) return null;
  const until = Date.now() + GC_ANSWER_MS;
  while (server.afterGc.length === before && Date.now() < until) await sleep(POLL_MS);
  return server.afterGc[before] ?? null;
}

/** How long a heap snapshot may take to be written (ms): a Socket.IO server of 1,000 deflate clients held 330 MB. */
const SNAPSHOT_WAIT_MS = 120_000;
/** The signal Node is told to write a heap snapshot on (`--heapsnapshot-signal`); ignored by default. */
const SNAPSHOT_SIGNAL = 'SIGWINCH';

/**
 * Asks the server for a heap snapshot (Node writes it into `dir` on SNAPSHOT_SIGNAL) and waits
 * until the file is whole: its size still for half a second and its JSON closed. Renamed to
 * `name`; null when none came in time.
 */
async function heapSnapshot(pid: number, dir: string, name: string): Promise<string | null> {
  const before = new Set(fs.readdirSync(dir));
  process.kill(pid, SNAPSHOT_SIGNAL);
  const until = Date.now() + SNAPSHOT_WAIT_MS;
  let size = -1;
  while (Date.now() < until) {
    await sleep(500);
    const file = fs.readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (file === undefined) continue;
    const now = fs.statSync(path.join(dir, file)).size;
    if (now > 0 && now === size && tailOf(path.join(dir, file)).trimEnd().endsWith(']}')) {
      const to = path.join(dir, name);
      fs.renameSync(path.join(dir, file), to);
      return to;
    }
    size = now;
  }
  return null;
}

function tailOf(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const { size } = fs.fstatSync(fd);
    const buf = Buffer.alloc(Math.min(16, size));
    fs.readSync(fd, buf, 0, buf.length, size - buf.length);
    return buf.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * `bench soak`: one server and one Artillery run whose single phase brings `churn` clients a
 * second for the whole duration; each holds with echoes for a life of clients ÷ churn on average
 * (from 0.5× to 1.5×), then closes, cleanly or abruptly, so the population fills to `clients`
 * and stays there while connections cycle. Every sample interval the server does a full GC and
 * says its memory after it; the load generator's latest count of cycles completed goes beside it.
 */
export async function runSoak(o: ResolvedSoakOptions, hooks: SoakHooks = {}): Promise<SoakResult> {
  checkTempDir();
  const startedAt = new Date();
  const ro = resolveRunOptions({
    lib: o.lib,
    ...(o.lib === 'socketio' && { transport: o.transport }),
    deflate: o.deflate,
    scenario: 'echo',
    clients: o.clients,
    warmup: 0,
    hold: o.warmupSeconds + o.durationSeconds,
    probes: 0,
    echoEvery: o.echoEveryMs,
    sampleInterval: o.sampleIntervalMs,
    retainPerConnection: o.retainPerConnectionBytes,
    out: o.out,
  });
  const iso = applyProfile(LOCAL_PROFILE);
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-soak-'));
  const series: SoakSample[] = [];
  let nodeSet: NodeSet | null = null;
  let artillery: ArtilleryProcess | null = null;
  let error: string | null = null;
  let counts = readEngineState(runDir).counts;
  /** the two snapshots' files and the samples they were taken at */
  const snaps: { file: string; at: SoakSample }[] = [];
  let serverEnv: Record<string, string> = {};
  if (o.heapSnapshots) {
    fs.mkdirSync(o.heapSnapshotDir, { recursive: true });
    const flags = `--heapsnapshot-signal=${SNAPSHOT_SIGNAL} "--diagnostic-dir=${o.heapSnapshotDir}"`;
    serverEnv = { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${flags}`.trim() };
  }
  const total = o.warmupSeconds + o.durationSeconds;
  const intervalS = o.sampleIntervalMs / 1000;
  /**
   * The first snapshot is taken once the fit starts; the second in the last 15 % of the duration,
   * at a sample whose population is within 1 % of the first's (the heap holds every live
   * connection: two snapshots of different populations differ by that, leak or not), or, failing
   * a match, two samples before the end.
   */
  const snapshotDue = (x: SoakSample): string | null => {
    if (snaps.length === 0) return x.t >= o.fitFromSeconds ? 'fit-start.heapsnapshot' : null;
    if (snaps.length === 1) {
      const first = snaps[0]!.at.open;
      const matched = Math.abs(x.open - first) <= Math.max(3, first * 0.01);
      const late = x.t >= total - Math.max(0.15 * o.durationSeconds, 3 * intervalS);
      return (late && matched) || x.t >= total - 2 * intervalS ? 'end.heapsnapshot' : null;
    }
    return null;
  };
  try {
    nodeSet = await startNodes(ro, iso, runDir, serverEnv);
    const server = nodeSet.servers[0]!;
    const pid = nodeSet.nodes[0]!.pid;
    const script = buildScript(ro.scenario.file, ro, nodeSet.target);
    (script.config as Json).phases = [
      { name: SOAK_PHASE, duration: o.warmupSeconds + o.durationSeconds, arrivalRate: o.churn },
    ];
    for (const scenario of (script.scenarios ?? []) as Json[]) {
      for (const step of (scenario.flow ?? []) as Json[]) {
        if (step.hold && typeof step.hold === 'object') {
          Object.assign(step.hold as Json, { lifeMs: o.meanLifeMs, abruptShare: o.abruptShare });
        }
      }
    }
    const scriptFile = path.join(runDir, 'soak.yml');
    fs.writeFileSync(scriptFile, YAML.stringify(script));
    if (hooks.signal?.aborted) throw hooks.signal.reason;
    artillery = spawnArtillery({ scriptFile, target: nodeSet.target, runDir, lib: o.lib });
    const child = artillery.child;
    const deadline = Date.now() + (o.warmupSeconds + o.durationSeconds + 120) * 1000;
    let next = 0;
    for (;;) {
      if (hooks.signal?.aborted) throw hooks.signal.reason;
      if (hasExited(child))
        throw new Error(`Artillery exited (code ${child.exitCode}): ${artillery.output.lastLines(1)}`);
      if (hasExited(server.child)) throw new Error(`the ${o.lib} server exited`);
      if (Date.now() > deadline) throw new Error('the soak did not end in time');
      const state = readEngineState(runDir);
      const phase = state.phases[SOAK_PHASE];
      if (phase?.completedAt !== undefined) break;
      if (phase?.startedAt === undefined || Date.now() < next) {
        await sleep(POLL_MS * 5);
        continue;
      }
      next = Date.now() + o.sampleIntervalMs;
      const gc = await afterGc(server);
      if (gc === null) continue;
      // The server counts both at the GC itself; the generator's counts are up to a second old.
      counts = readEngineState(runDir).counts;
      const sample: SoakSample = {
        t: Math.round(gc.t - phase.startedAt) / 1000,
        cycles: gc.clientsClosed ?? gc.connectionsClosed ?? (counts.cyclesClean ?? 0) + (counts.cyclesAbrupt ?? 0),
        open: gc.clients ?? counts.open,
        heapUsedBytes: gc.heapUsedBytes,
        externalBytes: gc.externalBytes ?? null,
        arrayBuffersBytes: gc.arrayBuffersBytes ?? null,
        rssBytes: gc.rssBytes ?? readRssBytes(pid),
      };
      series.push(sample);
      hooks.onSample?.(sample);
      const snapName = o.heapSnapshots ? snapshotDue(sample) : null;
      if (snapName !== null) {
        const file = await heapSnapshot(nodeSet.nodes[0]!.pid, o.heapSnapshotDir, snapName);
        if (file === null) throw new Error(`the server wrote no heap snapshot within ${SNAPSHOT_WAIT_MS / 1000} s`);
        snaps.push({ file, at: sample });
      }
    }
    // Every client is let go as the phase ends; Artillery then exits by itself.
    const exitBy = Date.now() + 30_000;
    while (!hasExited(child) && Date.now() < exitBy) await sleep(POLL_MS * 5);
    counts = readEngineState(runDir).counts;
  } catch (err) {
    error = hooks.signal?.aborted ? `interrupted by ${String(hooks.signal.reason)}` : (err as Error).message;
  } finally {
    if (artillery) await stopChild(artillery.child);
    if (nodeSet) await nodeSet.stop();
    iso.cleanup();
    fs.rmSync(runDir, { recursive: true, force: true });
  }
  const cyclesClean = counts.cyclesClean ?? 0;
  const cyclesAbrupt = counts.cyclesAbrupt ?? 0;
  const { fit, rssFit } = soakFits(series, o.fitFromSeconds);
  let heapGrowth: SoakHeapGrowth | null = null;
  if (snaps.length === 2) {
    const [a, b] = snaps as [(typeof snaps)[0], (typeof snaps)[0]];
    const d = diffHeapSnapshots(a.file, b.file);
    heapGrowth = {
      files: [a.file, b.file],
      cycles: [a.at.cycles, b.at.cycles],
      open: [a.at.open, b.at.open],
      totalBytes: [d.totalBefore, d.totalAfter],
      grew: d.grew,
    };
  } else if (o.heapSnapshots && error === null) {
    error = `--heap-snapshots: ${snaps.length} of 2 heap snapshots taken (the soak ended before the fit's samples)`;
  }
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: 'bench-soak',
    lib: o.lib,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    status: error === null ? 'completed' : hooks.signal?.aborted ? 'aborted' : 'errored',
    error,
    config: {
      transport: o.transport,
      deflate: o.deflate,
      clients: o.clients,
      churnPerSecond: o.churn,
      durationSeconds: o.durationSeconds,
      warmupSeconds: o.warmupSeconds,
      abruptShare: o.abruptShare,
      meanLifeSeconds: o.meanLifeMs / 1000,
      fitFromSeconds: o.fitFromSeconds,
      echoEveryMs: o.echoEveryMs,
      sampleIntervalMs: o.sampleIntervalMs,
      retainPerConnectionBytes: o.retainPerConnectionBytes,
    },
    verdict: soakVerdict(fit, cyclesClean + cyclesAbrupt),
    cyclesCompleted: cyclesClean + cyclesAbrupt,
    cyclesClean,
    cyclesAbrupt,
    connected: counts.connected,
    failed: counts.failed,
    dropped: counts.dropped ?? 0,
    fit,
    rssFit,
    series,
    heapGrowth,
    env: collectEnv(iso.record),
  };
}
