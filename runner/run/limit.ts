import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as YAML from 'yaml';
import { buildScript, spawnArtillery, type ArtilleryProcess } from '../loadgen/artillery';
import { hasExited, stopChild } from '../topology/children';
import { collectEnv } from '../result/env';
import { applyProfile } from '../topology/isolation/index';
import { LOCAL_PROFILE } from '../config/defaults';
import { resolveRunOptions } from '../config/run-options';
import type { ResolvedLimitOptions } from '../config/limit-options';
import { readCpuSeconds, readRssBytes } from '../sampling/proc-stats';
import { SCHEMA_VERSION } from '../result/schema';
import type { LimitProcess, LimitResult, LimitStep, LimitStop } from '../result/limit-schema';
import { startNodes, type NodeSet } from '../topology/nodes';
import { checkTempDir, parseLimits, readLimits } from './preflight';
import {
  answerLine,
  heldClients,
  limitPhases,
  measureStep,
  probePhaseOf,
  readStepSnapshots,
  stepClients,
  stepStats,
  stopAfter,
  type Limits,
} from './limit-steps';

export interface LimitHooks {
  signal?: AbortSignal;
  /** told each step as it ends */
  onStep?: (s: LimitStep) => void;
}

const POLL_MS = 100;

function openFiles(pid: number | null): Pick<LimitProcess, 'openFiles' | 'openFilesLimit'> {
  if (pid === null) return { openFiles: null, openFilesLimit: null };
  let count: number | null = null;
  let limitsText: string | null = null;
  try {
    count = fs.readdirSync(`/proc/${pid}/fd`).length;
    limitsText = fs.readFileSync(`/proc/${pid}/limits`, 'utf8');
  } catch {
    // gone, or not Linux: unknown, and no open-files stop
  }
  const soft = parseLimits(limitsText, null).openFilesSoft;
  return { openFiles: count, openFilesLimit: soft !== null && Number.isFinite(soft) ? soft : null };
}

/** Reads a process at a step's end; CPU is over the time since `since`. */
function readProcess(pid: number | null, since: { t: number; cpu: number | null }): LimitProcess {
  const t = Date.now();
  const cpu = pid === null ? null : readCpuSeconds(pid);
  const cpuPercent =
    cpu !== null && since.cpu !== null && t > since.t
      ? Math.round(((cpu - since.cpu) / ((t - since.t) / 1000)) * 1000) / 10
      : null;
  since.t = t;
  since.cpu = cpu;
  return { pid, rssBytes: pid === null ? null : readRssBytes(pid), cpuPercent, ...openFiles(pid) };
}

function machineLimits(o: ResolvedLimitOptions, idleRssBytes: number | null): Limits {
  const range = readLimits().ephemeralPorts;
  const available = os.freemem();
  const text = (() => {
    try {
      return fs.readFileSync('/proc/meminfo', 'utf8');
    } catch {
      return '';
    }
  })();
  const m = /^MemAvailable:\s+(\d+)\s+kB/m.exec(text);
  return {
    ports: range ? range.high - range.low + 1 : Infinity,
    memoryBytes: o.memoryLimitBytes ?? (idleRssBytes ?? 0) + (m ? Number(m[1]) * 1024 : available),
    idleRssBytes,
  };
}

/**
 * `bench limit`: one server, one Artillery run whose phases add --step clients, hold them with
 * traffic, then probe, step after step; every client stays connected until the run ends. After
 * each step's probes the engine writes a snapshot; the step's numbers are its difference to the
 * one before. The run is stopped (Artillery killed) as soon as a step says stop.
 */
export async function runLimit(o: ResolvedLimitOptions, hooks: LimitHooks = {}): Promise<LimitResult> {
  checkTempDir();
  const startedAt = new Date();
  const ro = resolveRunOptions({
    lib: o.lib,
    scenario: o.scenario,
    clients: o.max,
    warmup: 0,
    hold: o.holdSeconds,
    probes: o.probes,
    arrivalRate: o.arrivalRate,
    maxLoopDelay: o.maxLoopDelayMs,
    ...(o.pollingShare !== null && { pollingShare: o.pollingShare }),
    out: o.out,
  });
  const iso = applyProfile(LOCAL_PROFILE);
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-limit-'));
  const steps: LimitStep[] = [];
  let stop: LimitStop | null = null;
  let nodeSet: NodeSet | null = null;
  let artillery: ArtilleryProcess | null = null;
  let idleRssBytes: number | null = null;
  const targets = stepClients(o.step, o.max);
  try {
    nodeSet = await startNodes(ro, iso, runDir);
    const serverPid = nodeSet.nodes[0]!.pid;
    idleRssBytes = readRssBytes(serverPid);
    const limits = machineLimits(o, idleRssBytes);
    const script = buildScript(ro.scenario.file, ro, nodeSet.target);
    (script.config as Record<string, unknown>).phases = limitPhases(o);
    const scriptFile = path.join(runDir, `${o.scenario}.yml`);
    fs.writeFileSync(scriptFile, YAML.stringify(script));
    if (hooks.signal?.aborted) throw hooks.signal.reason;
    artillery = spawnArtillery({ scriptFile, target: nodeSet.target, runDir, lib: o.lib });
    const genPid = artillery.child.pid ?? null;
    const serverSince = { t: Date.now(), cpu: readCpuSeconds(serverPid) };
    const genSince = { t: Date.now(), cpu: genPid === null ? null : readCpuSeconds(genPid) };
    for (let i = 0; i < targets.length && stop === null; i++) {
      const clients = targets[i]!;
      // Bounded: the step's phases plus generous slack for connects that time out.
      const deadline =
        Date.now() + (clients / o.arrivalRate + o.holdSeconds + o.probes + ro.connectTimeoutMs / 1000 + 60) * 1000;
      let measure = null;
      // The processes are read as the step's probes start: every client of the step is in and
      // held then, while after the last step's probes the engine lets them all go.
      let server: LimitProcess | null = null;
      let generator: LimitProcess | null = null;
      while (measure === null) {
        if (hooks.signal?.aborted) throw hooks.signal.reason;
        if (hasExited(artillery.child))
          throw new Error(`Artillery exited (code ${artillery.child.exitCode}): ${artillery.output.lastLines(1)}`);
        if (nodeSet.servers.some((s) => hasExited(s.child))) throw new Error(`the ${o.lib} server exited`);
        if (Date.now() > deadline) throw new Error(`step ${i + 1} did not finish in time`);
        await sleep(POLL_MS);
        const seen = readStepSnapshots(runDir);
        if (server === null && seen.started.has(probePhaseOf(i))) {
          server = readProcess(serverPid, serverSince);
          generator = readProcess(genPid, genSince);
        }
        if (seen.some((f) => f.has(probePhaseOf(i)))) {
          // Give every worker's snapshot of the phase a moment to land.
          await sleep(POLL_MS);
          measure = measureStep(readStepSnapshots(runDir), i);
        }
      }
      const stats = stepStats(measure);
      const step: LimitStep = {
        clients,
        open: measure.open,
        failed: measure.failed,
        errors: measure.errors,
        probe: stats.probe,
        echo: stats.echo,
        broadcast: stats.broadcast,
        p95: stats.p95,
        server: server ?? readProcess(serverPid, serverSince),
        generator: {
          ...(generator ?? readProcess(genPid, genSince)),
          loopDelayP99Ms: measure.loopDelayP99Ms,
          arrivalLagP99Ms: stats.arrivalLagP99Ms,
        },
        ok: true,
      };
      stop = stopAfter(step, measure, o, targets[i + 1] ?? null, limits, steps);
      step.ok = stop === null || stop.kind === 'max' || stop.kind === 'resource';
      steps.push(step);
      hooks.onStep?.(step);
    }
  } catch (err) {
    const aborted = hooks.signal?.aborted === true;
    stop = {
      kind: 'errored',
      error: aborted ? `interrupted by ${String(hooks.signal!.reason)}` : (err as Error).message,
      atClients: targets[steps.length] ?? o.max,
    };
  } finally {
    if (artillery) await stopChild(artillery.child);
    if (nodeSet) await nodeSet.stop();
    iso.cleanup();
    fs.rmSync(runDir, { recursive: true, force: true });
  }
  const finalStop = stop ?? { kind: 'errored', error: 'no step ran', atClients: targets[0]! };
  const held = heldClients(steps);
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: 'bench-limit',
    lib: o.lib,
    scenario: o.scenario,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    config: {
      step: o.step,
      max: o.max,
      holdSeconds: o.holdSeconds,
      probes: o.probes,
      arrivalRate: o.arrivalRate,
      slo: o.slos.map((s) => s.expression),
      memoryLimitBytes: o.memoryLimitBytes,
      maxLoopDelayMs: o.maxLoopDelayMs,
      ...(ro.pollingSharePct !== null && { pollingSharePct: ro.pollingSharePct }),
    },
    idleRssBytes,
    heldClients: held,
    stop: finalStop,
    answer: answerLine(o.lib, held, finalStop, o.slos),
    steps,
    env: collectEnv(iso.record),
  };
}
