import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import * as YAML from 'yaml';
import { ENGINE_DIR_ENV, LIB_ENV, type EngineConfig } from 'artillery-engine-bench/protocol';
import { OutputTail, spawnNode } from '../topology/children';
import { UsageError } from '../errors';
import { BURST, type ArrivalRate, type ResolvedRunOptions } from '../config/run-options';
import { artilleryPreload } from '../paths';
import type { ArtilleryMetrics } from '../result/schema';
import { roomAffinity } from '../config/amqp-options';

/** Artillery phases for one built-in run: ramp, hold, probe. */
export interface PhaseSpec {
  name: string;
  duration?: string;
  arrivalCount?: number;
  pause?: string;
}

/** Durations as "Nms" strings: Artillery rejects a fractional number of seconds. */
const millis = (ms: number) => `${Math.max(1, Math.round(ms))}ms`;

/**
 * Artillery's scheduler (the `arrivals` package) turns `arrivalCount` over `duration` into a
 * tick of floor(duration / count) whole µs and then fires floor(duration / tick) arrivals: unless
 * the duration is a whole number of ticks, that is more than `count` (16,669 instead of 16,667
 * for a third of 50,000 clients at 500/s). So the duration is made count × tick, a hair above it
 * so that floating point cannot round the tick down.
 */
const TICK_MARGIN = 1.000000001;

/**
 * A phase that brings exactly `count` arrivals, about as long as `total` arrivals take at `rate`
 * (a generator's share of an arrival schedule spans the same time as the whole). A burst's
 * arrivals are 1 µs apart in the whole: all due at once, as far as the scheduler can say it.
 */
function arrivalPhase(name: string, count: number, rate: ArrivalRate, total = count): PhaseSpec {
  const wholeUs = rate === BURST ? total : (total / rate) * 1e6;
  // A generator with no share still waits as long as the others (Artillery skips 0 arrivals).
  if (count === 0) return { name, duration: millis(wholeUs / 1000), arrivalCount: 0 };
  const tickUs = Math.max(1, Math.floor(wholeUs / count));
  return { name, duration: `${(count * tickUs * TICK_MARGIN) / 1000}ms`, arrivalCount: count };
}

/** How many arrivals Artillery 2.0.21's scheduler fires for a phase (arrivals' UniformProcess). */
export function scheduledArrivals(p: PhaseSpec): number {
  const durationMs = Number.parseFloat(p.duration ?? '0');
  const tickUs = Math.floor((durationMs / p.arrivalCount!) * 1000);
  return Math.floor((durationMs * 1000) / tickUs);
}

/** Time between probes; each takes a few ms, and the engine also runs them strictly one at a time. */
export const PROBE_SPACING_MS = 150;

/** How long the server rests after the warm-up; its idle memory is read in the second half. */
export const SETTLE_MS = 1_500;

/**
 * Generators without probes pause this much longer than the probe phase, then still hold their
 * clients until the probes are done (the engine waits for the probes-done file).
 */
export const PROBE_HOLD_MARGIN_MS = 1_000;

/** Generator `index` of `count`'s share of `total`: the shares add up to `total` exactly. */
export function shareOf(total: number, index: number, count: number): number {
  return Math.floor(total / count) + (index < total % count ? 1 : 0);
}

/** Which of the run's generators a script is for. */
export interface GeneratorSlot {
  index: number;
  count: number;
}

/**
 * Warm-up (connect and leave, unmeasured) and a settling pause, a ramp at the arrival rate,
 * the hold, then probes one at a time. With several generators, each gets its share of the
 * warm-up and the ramp over the same time, and only generator 0 probes: the others pause.
 */
export function buildPhases(p: {
  clients: number;
  arrivalRate: ArrivalRate;
  warmup: number;
  holdSeconds: number;
  probes: number;
  generator?: GeneratorSlot;
}): PhaseSpec[] {
  const { clients, arrivalRate, warmup, holdSeconds, probes } = p;
  const { index, count } = p.generator ?? { index: 0, count: 1 };
  const phases: PhaseSpec[] = [];
  if (warmup > 0) {
    phases.push(arrivalPhase('warmup', shareOf(warmup, index, count), arrivalRate, warmup));
    phases.push({ name: 'settle', pause: millis(SETTLE_MS) });
  }
  phases.push(arrivalPhase('ramp', shareOf(clients, index, count), arrivalRate, clients));
  if (holdSeconds > 0) phases.push({ name: 'hold', pause: millis(holdSeconds * 1000) });
  if (probes > 0) {
    const probeMs = probes * PROBE_SPACING_MS;
    phases.push(
      index === 0
        ? { name: 'probe', duration: millis(probeMs), arrivalCount: probes }
        : { name: 'probe', pause: millis(probeMs + PROBE_HOLD_MARGIN_MS) },
    );
  }
  return phases;
}

type Json = Record<string, unknown>;

/** Artillery's own publish-metrics plugin, pushing every stats period; labels say which run. */
export function pushConfig(o: Pick<ResolvedRunOptions, 'pushMetrics' | 'lib' | 'scenario' | 'clients'>): Json {
  return {
    type: 'prometheus',
    pushgateway: o.pushMetrics,
    prefix: 'artillery',
    tags: [`lib:${o.lib}`, `scenario:${o.scenario.name}`, `clients:${o.clients ?? 0}`],
  };
}

/**
 * Our scenario file with this run's target, phases, engine options and hold intervals filled in.
 * The file itself stays unchanged, so it still runs with plain `artillery run`.
 */
export function buildScript(
  templateFile: string,
  o: ResolvedRunOptions,
  target: string,
  spread: { controlUrl?: string; targets?: string[]; sourceAddresses?: string[] | null } = {},
  generator?: GeneratorSlot,
): Json {
  const { controlUrl, targets, sourceAddresses } = spread;
  const script = YAML.parse(fs.readFileSync(templateFile, 'utf8')) as Json;
  const config = (script.config ?? {}) as Json;
  const engines = (config.engines ?? {}) as Json;
  const engine: EngineConfig = {
    ...((engines.bench ?? {}) as EngineConfig),
    lib: o.lib,
    transport: o.transport,
    deflate: o.deflate,
    ...(o.lib === 'socketio' && { sioParser: o.sio.parser }),
    connectTimeoutMs: o.connectTimeoutMs,
    ...(controlUrl && { controlUrl }),
    ...(targets && targets.length > 1 && { targets }),
    ...(sourceAddresses && { sourceAddresses }),
    ...(o.reconnect && { reconnect: o.reconnect }),
    ...(generator && generator.count > 1 && { generators: generator.count, generatorIndex: generator.index }),
    ...(o.pollingSharePct !== null && { pollingShare: o.pollingSharePct / 100 }),
    ...(o.rooms && o.rooms.namespaces > 1 && { namespaces: o.rooms.namespaces }),
    ...(o.rooms && {
      rooms: {
        roomSize: o.rooms.roomSize,
        publishEveryMs: o.rooms.publishEveryMs,
        messageBytes: o.rooms.messageBytes,
        exceptSender: o.rooms.exceptSender,
      },
    }),
    ...(o.slowClients && {
      slowClients: { share: o.slowClients.sharePct / 100, bytesPerSecond: o.slowClients.bytesPerSecond },
    }),
    ...(roomAffinity(o) !== null && { affinity: { prefixes: roomAffinity(o)! } }),
  };
  script.config = {
    ...config,
    target,
    phases: buildPhases({ ...o, clients: o.clients ?? 0, generator }),
    engines: { ...engines, bench: engine },
    ...(o.pushMetrics && { plugins: { ...(config.plugins as Json), 'publish-metrics': [pushConfig(o)] } }),
  };
  for (const scenario of (script.scenarios ?? []) as Json[]) {
    for (const step of (scenario.flow ?? []) as Json[]) {
      const hold = step.hold as Json | undefined;
      if (hold && typeof hold === 'object') {
        if ('echoEveryMs' in hold) hold.echoEveryMs = o.echoEveryMs;
        if ('broadcastEveryMs' in hold) hold.broadcastEveryMs = o.broadcastEveryMs;
      }
    }
  }
  return script;
}

/** Reads a user's Artillery script just far enough to refuse what cannot run. */
export function checkCustomScript(file: string): void {
  let script: Json;
  try {
    script = YAML.parse(fs.readFileSync(file, 'utf8')) as Json;
  } catch (err) {
    throw new UsageError(`--scenario ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const config = script?.config as Json | undefined;
  if (!config || !Array.isArray(config.phases) || !Array.isArray(script.scenarios)) {
    throw new UsageError(`--scenario ${file} is not an Artillery script: it needs config.phases and scenarios.`);
  }
}

export interface ArtilleryProcess {
  child: ChildProcess;
  output: OutputTail;
  reportFile: string;
}

const artilleryBin = () => path.join(path.dirname(require.resolve('artillery/package.json')), 'bin', 'run');

/** Runs `artillery run` on a script file; its stdout/stderr go to `logFile`. */
export function spawnArtillery(opts: {
  scriptFile: string;
  target: string;
  runDir: string;
  lib: string;
  env?: NodeJS.ProcessEnv;
  /** command prefix that places the load generator (see spawnNode) */
  prefix?: readonly string[];
  /** which generator: names its report and log (`-<index>`) when the run has several */
  generator?: GeneratorSlot;
}): ArtilleryProcess {
  const suffix = opts.generator && opts.generator.count > 1 ? `-${opts.generator.index}` : '';
  const reportFile = path.join(opts.runDir, `artillery-report${suffix}.json`);
  const log = fs.createWriteStream(path.join(opts.runDir, `artillery${suffix}.log`));
  const child = spawnNode(
    [artilleryBin(), 'run', opts.scriptFile, '--target', opts.target, '--output', reportFile],
    {
      cwd: path.dirname(opts.scriptFile),
      env: {
        ...process.env,
        ...opts.env,
        [ENGINE_DIR_ENV]: opts.runDir,
        [LIB_ENV]: opts.lib,
        ARTILLERY_DISABLE_TELEMETRY: 'true',
      },
    },
    artilleryPreload,
    opts.prefix,
  );
  const output = new OutputTail();
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (d: Buffer) => {
      output.push(d);
      log.write(d);
    });
  }
  child.once('exit', () => log.end());
  return { child, output, reportFile };
}

export type { ArtilleryMetrics } from '../result/schema';

export function readArtilleryReport(file: string): ArtilleryMetrics | null {
  try {
    const report = JSON.parse(fs.readFileSync(file, 'utf8')) as { aggregate?: Partial<ArtilleryMetrics> };
    const agg = report.aggregate ?? {};
    return { counters: agg.counters ?? {}, summaries: agg.summaries ?? {} };
  } catch {
    return null;
  }
}

/**
 * Several generators' reports as one: counters add up, and so do summaries' counts; min and max
 * are exact, the mean is weighted by count, and each percentile is the highest of the
 * generators' (an upper bound: Artillery's reports carry no histogram to merge). Our own
 * latencies come from the engine's HDR histograms, which merge exactly. Null when none was read.
 */
export function mergeArtilleryReports(reports: readonly (ArtilleryMetrics | null)[]): ArtilleryMetrics | null {
  const read = reports.filter((r): r is ArtilleryMetrics => r !== null);
  if (read.length === 0) return null;
  if (read.length === 1) return read[0]!;
  const out: ArtilleryMetrics = { counters: {}, summaries: {} };
  for (const r of read) {
    for (const [k, n] of Object.entries(r.counters)) out.counters[k] = (out.counters[k] ?? 0) + n;
    for (const [name, s] of Object.entries(r.summaries)) {
      const into = out.summaries[name];
      if (!into) {
        out.summaries[name] = { ...s };
        continue;
      }
      const count = (into.count ?? 0) + (s.count ?? 0);
      for (const [stat, v] of Object.entries(s)) {
        if (stat === 'count') continue;
        if (stat === 'min') into.min = Math.min(into.min ?? v, v);
        else if (stat === 'mean')
          into.mean = count > 0 ? ((into.mean ?? 0) * (into.count ?? 0) + v * (s.count ?? 0)) / count : v;
        else into[stat] = Math.max(into[stat] ?? v, v);
      }
      into.count = count;
    }
  }
  return out;
}
