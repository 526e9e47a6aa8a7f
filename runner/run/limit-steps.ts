/**
 * The pure part of `bench limit`: the phases of its one Artillery run, each step's numbers from
 * the engine's per-probe-phase snapshots, the stop rule and the one-line answer.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as hdr from 'hdr-histogram-js';
import type { EngineCounts, EngineEvent, MetricName } from 'artillery-engine-bench/protocol';
import type { PhaseSpec } from '../loadgen/artillery';
import { linearFit } from '../metrics/fit';
import { buildHistogram, toStats } from '../metrics/histograms';
import type { LimitSlo, ResolvedLimitOptions } from '../config/limit-options';
import type { LimitStep, LimitStop } from '../result/limit-schema';

const millis = (ms: number) => `${Math.max(1, Math.round(ms))}ms`;
/** Time between probes, as in `bench run`. */
const PROBE_SPACING_MS = 150;

/** The clients held after each step: step, 2·step, ... up to --max (the last step may be smaller). */
export function stepClients(step: number, max: number): number[] {
  const out: number[] = [];
  for (let n = step; n < max; n += step) out.push(n);
  out.push(max);
  return out;
}

/** Per step: a `ramp` adding its clients, a `hold` with traffic, a `probe`. Step k's probe is phase 3k+2. */
export function limitPhases(o: Pick<ResolvedLimitOptions, 'step' | 'max' | 'holdSeconds' | 'probes' | 'arrivalRate'>) {
  const phases: PhaseSpec[] = [];
  let held = 0;
  for (const clients of stepClients(o.step, o.max)) {
    const add = clients - held;
    held = clients;
    phases.push({ name: 'ramp', duration: millis((add / o.arrivalRate) * 1000), arrivalCount: add });
    phases.push({ name: 'hold', pause: millis(o.holdSeconds * 1000) });
    phases.push({ name: 'probe', duration: millis(o.probes * PROBE_SPACING_MS), arrivalCount: o.probes });
  }
  return phases;
}

export const probePhaseOf = (stepIndex: number) => 3 * stepIndex + 2;

interface Snapshot {
  counts: EngineCounts;
  loopDelayP99Ms: number;
  histograms: Partial<Record<MetricName, string>>;
}

/** What the engine files say so far: per file its snapshots by the probe phase they follow, and the phases started. */
export function readStepSnapshots(dir: string): Map<number, Snapshot>[] & { started: Set<number> } {
  let files: string[] = [];
  const started = new Set<number>();
  try {
    files = fs.readdirSync(dir).filter((f) => f.startsWith('engine-') && f.endsWith('.ndjson'));
  } catch {
    return Object.assign([], { started });
  }
  const perFile = files.map((f) => {
    const byPhase = new Map<number, Snapshot>();
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      let e: EngineEvent;
      try {
        e = JSON.parse(line) as EngineEvent;
      } catch {
        continue; // a line still being written, or the empty last one
      }
      if (e.event === 'snapshot' && e.afterPhase !== undefined) {
        byPhase.set(e.afterPhase, { counts: e.counts, loopDelayP99Ms: e.loopDelayMs.p99, histograms: e.histograms });
      } else if (e.event === 'phase' && e.state === 'started') started.add(e.index);
    }
    return byPhase;
  });
  return Object.assign(perFile, { started });
}

/** What the engine measured in one step: the difference of the snapshots after its probe phase and the one before. */
export interface StepMeasure {
  open: number;
  failed: number;
  errors: Record<string, number>;
  probesConnected: number;
  probesFailed: number;
  loopDelayP99Ms: number | null;
  histograms: Partial<Record<MetricName, hdr.Histogram>>;
}

export function measureStep(files: Map<number, Snapshot>[], stepIndex: number): StepMeasure | null {
  const at = probePhaseOf(stepIndex);
  const prevAt = stepIndex === 0 ? null : probePhaseOf(stepIndex - 1);
  const seen = files.filter((f) => f.has(at));
  if (seen.length === 0) return null;
  const m: StepMeasure = {
    open: 0,
    failed: 0,
    errors: {},
    probesConnected: 0,
    probesFailed: 0,
    loopDelayP99Ms: null,
    histograms: {},
  };
  for (const f of seen) {
    const now = f.get(at)!;
    const before = prevAt === null ? undefined : f.get(prevAt);
    m.open += now.counts.open;
    // A held client whose connection the server dropped no longer counts as held: a failure too.
    const lostOf = (c: typeof now.counts | undefined) => (c ? c.failed + (c.dropped ?? 0) : 0);
    m.failed += lostOf(now.counts) - lostOf(before?.counts);
    m.probesConnected += now.counts.probesConnected - (before?.counts.probesConnected ?? 0);
    m.probesFailed += now.counts.probesFailed - (before?.counts.probesFailed ?? 0);
    for (const [code, n] of Object.entries(now.counts.errors)) {
      const d = n - (before?.counts.errors[code] ?? 0);
      if (d > 0) m.errors[code] = (m.errors[code] ?? 0) + d;
    }
    // The loop delay is over the whole run so far: a saturated step stays visible after it.
    m.loopDelayP99Ms = Math.max(m.loopDelayP99Ms ?? 0, now.loopDelayP99Ms);
    for (const [name, encoded] of Object.entries(now.histograms) as [MetricName, string][]) {
      const h = hdr.decodeFromCompressedBase64(encoded);
      const old = before?.histograms[name];
      if (old) h.subtract(hdr.decodeFromCompressedBase64(old));
      (m.histograms[name] ??= buildHistogram()).add(h);
    }
  }
  return m;
}

const pct = (h: hdr.Histogram | undefined, p: number): number | null =>
  h === undefined || h.totalCount === 0 ? null : Math.round(p >= 100 ? h.maxValue : h.getValueAtPercentile(p)) / 1000;

const SLO_HISTOGRAM: Record<LimitSlo['metric'], MetricName> = {
  'probe.connect': 'probeConnectMs',
  echo: 'echoMs',
  broadcast: 'broadcastMs',
};

/** The step's value of an SLO's metric (ms), or null when the step has none. */
export const sloValue = (m: StepMeasure, s: LimitSlo) => pct(m.histograms[SLO_HISTOGRAM[s.metric]], s.percentile);

export function stepStats(m: StepMeasure) {
  const h = m.histograms;
  return {
    probe: { connect: toStats(h.probeConnectMs ?? null), connected: m.probesConnected, failed: m.probesFailed },
    echo: toStats(h.echoMs ?? null),
    broadcast: toStats(h.broadcastMs ?? null),
    p95: { probeConnect: pct(h.probeConnectMs, 95), echo: pct(h.echoMs, 95), broadcast: pct(h.broadcastMs, 95) },
    arrivalLagP99Ms: pct(h.arrivalLagMs, 99),
  };
}

/** What the machine allows, read once before the run. */
export interface Limits {
  /** ephemeral ports to one destination from one source address */
  ports: number;
  /** memory the server may grow into: --memory-limit, else its RSS now plus what the machine has available */
  memoryBytes: number;
  /** the server's RSS before any client (bytes); null: not read */
  idleRssBytes: number | null;
}

/**
 * The RSS each client adds to the server (bytes): the least-squares slope of RSS against clients
 * over the idle server and every step so far, never below 0. Not RSS ÷ clients: that charges
 * the idle server to the clients. Null with fewer than two points to fit.
 */
export function rssPerClient(idleRssBytes: number | null, steps: readonly LimitStep[]): number | null {
  const points = steps.flatMap((s) => (s.server.rssBytes === null ? [] : [[s.clients, s.server.rssBytes] as const]));
  if (idleRssBytes !== null) points.unshift([0, idleRssBytes]);
  const fit = linearFit(
    points.map((p) => p[0]),
    points.map((p) => p[1]),
  );
  return fit === null ? null : Math.max(0, fit.slope);
}

/**
 * Why the run stops after this step, or null to go on. A step that broke something holds
 * nothing more than the one before; a step that passed but leaves no room for the next one is
 * held, and the resource is named with the clients that would not fit.
 */
export function stopAfter(
  step: LimitStep,
  measure: StepMeasure,
  o: Pick<ResolvedLimitOptions, 'slos' | 'maxLoopDelayMs' | 'max'>,
  next: number | null,
  limits: Limits,
  earlier: readonly LimitStep[] = [],
): LimitStop | null {
  if (step.failed > 0) return { kind: 'failed', failed: step.failed, errors: step.errors, atClients: step.clients };
  if (step.generator.loopDelayP99Ms !== null && step.generator.loopDelayP99Ms > o.maxLoopDelayMs) {
    return {
      kind: 'generator',
      reason: `event loop delay p99 ${step.generator.loopDelayP99Ms} ms > ${o.maxLoopDelayMs} ms`,
      atClients: step.clients,
    };
  }
  if (step.generator.arrivalLagP99Ms !== null && step.generator.arrivalLagP99Ms > o.maxLoopDelayMs) {
    return {
      kind: 'generator',
      reason: `arrival lag p99 ${step.generator.arrivalLagP99Ms} ms > ${o.maxLoopDelayMs} ms`,
      atClients: step.clients,
    };
  }
  for (const s of o.slos) {
    const v = sloValue(measure, s);
    if (v !== null && !(v < s.limitMs))
      return { kind: 'slo', expression: s.expression, valueMs: v, atClients: step.clients };
  }
  if (next === null) return { kind: 'max', max: o.max };
  const add = next - step.clients;
  for (const [who, p, fdsPerClient] of [
    ['server', step.server, 1],
    ['generator', step.generator, 1],
  ] as const) {
    if (p.openFiles !== null && p.openFilesLimit !== null && p.openFiles + add * fdsPerClient > p.openFilesLimit) {
      return {
        kind: 'resource',
        resource: 'open-files',
        process: who,
        used: p.openFiles,
        limit: p.openFilesLimit,
        atClients: next,
      };
    }
  }
  if (next > limits.ports) {
    return {
      kind: 'resource',
      resource: 'ports',
      process: 'machine',
      used: step.clients,
      limit: limits.ports,
      atClients: next,
    };
  }
  const rss = step.server.rssBytes;
  const perClient = rssPerClient(limits.idleRssBytes, [...earlier, step]);
  if (rss !== null && perClient !== null && rss + add * perClient > limits.memoryBytes) {
    return {
      kind: 'resource',
      resource: 'memory',
      process: 'server',
      used: rss,
      limit: limits.memoryBytes,
      atClients: next,
      perClientBytes: Math.round(perClient),
    };
  }
  return null;
}

/** The clients a stop leaves held: the step that broke holds nothing more than the one before. */
export function heldClients(steps: readonly LimitStep[]): number {
  const passed = steps.filter((s) => s.ok);
  return passed.at(-1)?.clients ?? 0;
}

const n = (v: number) => v.toLocaleString('en-US');
// Three significant digits: a limit of 0.001 ms and one of 500 ms both read as given.
const ms = (v: number) => `${n(Number(v.toPrecision(3)))} ms`;
const mib = (v: number) => `${n(Math.round(v / 2 ** 20))} MiB`;
const kib = (v: number) => `${n(Math.round(v / 2 ** 10))} KiB`;

/** The answer, e.g. "socketio held 17,000 clients; broadcast p95 crossed 500 ms at 18,000". */
export function answerLine(lib: string, held: number, stop: LimitStop, slos: readonly LimitSlo[]): string {
  const head = `${lib} held ${n(held)} clients`;
  switch (stop.kind) {
    case 'max':
      return `${head}; reached --max ${n(stop.max)} with every SLO met`;
    case 'slo': {
      const s = slos.find((x) => x.expression === stop.expression)!;
      const stat = s.percentile === 100 ? 'max' : `p${s.percentile}`;
      return `${head}; ${s.metric} ${stat} crossed ${ms(s.limitMs)} at ${n(stop.atClients)} (${ms(stop.valueMs)})`;
    }
    case 'resource': {
      const what =
        stop.resource === 'open-files'
          ? `the ${stop.process}'s open files would run out at ${n(stop.atClients)} (${n(stop.used)} of ${n(stop.limit)} in use)`
          : stop.resource === 'ports'
            ? `ephemeral ports would run out at ${n(stop.atClients)} (${n(stop.limit)} per source address)`
            : `the server's memory would run out at ${n(stop.atClients)} (RSS ${mib(stop.used)} of ${mib(stop.limit)}${stop.perClientBytes === undefined ? '' : `, ${kib(stop.perClientBytes)} per client over the steps`})`;
      return `${head}; ${what}`;
    }
    case 'generator':
      return `${head}; the generator saturated at ${n(stop.atClients)} (${stop.reason})`;
    case 'failed': {
      const codes = Object.entries(stop.errors)
        .map(([c, k]) => `${c} ×${n(k)}`)
        .join(', ');
      return `${head}; ${n(stop.failed)} connections failed at ${n(stop.atClients)}${codes ? ` (${codes})` : ''}`;
    }
    case 'errored':
      return `${head}; the run errored at ${n(stop.atClients)}: ${stop.error}`;
  }
}
