import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseLimitSlo, resolveLimitOptions } from '../../runner/config/limit-options';
import {
  answerLine,
  heldClients,
  limitPhases,
  stepClients,
  stopAfter,
  type StepMeasure,
} from '../../runner/run/limit-steps';
import { analyseCapacity } from '../../reports/capacity/capacity';
import type { LoadedReport } from '../../reports/read/read';
import type { LimitResult, LimitStep } from '../../runner/result/limit-schema';
import { buildHistogram } from '../../runner/metrics/histograms';

const proc = (openFiles: number, rssBytes = 100 * 2 ** 20) => ({
  pid: 1,
  rssBytes,
  cpuPercent: 10,
  openFiles,
  openFilesLimit: 20_000,
});

function step(clients: number, extra: Partial<LimitStep> = {}): LimitStep {
  return {
    clients,
    open: clients,
    failed: 0,
    errors: {},
    probe: { connect: null, connected: 5, failed: 0 },
    echo: null,
    broadcast: null,
    p95: { probeConnect: null, echo: null, broadcast: null },
    server: proc(clients + 20),
    generator: { ...proc(clients + 30), loopDelayP99Ms: 5, arrivalLagP99Ms: 2 },
    ok: true,
    ...extra,
  };
}

function measure(echoMs: number[]): StepMeasure {
  const h = buildHistogram();
  for (const v of echoMs) h.recordValue(v * 1000);
  return {
    open: 0,
    failed: 0,
    errors: {},
    probesConnected: 0,
    probesFailed: 0,
    loopDelayP99Ms: 0,
    histograms: { echoMs: h },
  };
}

const o = resolveLimitOptions({ lib: 'ws', slo: ['echo.p95<500ms'], step: 1000, max: 20000 });
const roomy = { ports: 28_232, memoryBytes: 16 * 2 ** 30, idleRssBytes: 50 * 2 ** 20 };

describe('bench limit steps', () => {
  it('steps of --step up to --max, the last one smaller', () => {
    assert.deepEqual(stepClients(100, 300), [100, 200, 300]);
    assert.deepEqual(stepClients(1000, 2500), [1000, 2000, 2500]);
    const phases = limitPhases({ step: 1000, max: 2500, holdSeconds: 5, probes: 3, arrivalRate: 1000 });
    assert.deepEqual(
      phases.map((p) => [p.name, p.arrivalCount ?? p.pause]),
      [
        ['ramp', 1000],
        ['hold', '5000ms'],
        ['probe', 3],
        ['ramp', 1000],
        ['hold', '5000ms'],
        ['probe', 3],
        ['ramp', 500],
        ['hold', '5000ms'],
        ['probe', 3],
      ],
    );
  });

  it('reads --slo as a percentile below a limit, p95 and max included', () => {
    assert.deepEqual(parseLimitSlo('echo.p95 < 0.5s'), {
      expression: 'echo.p95 < 0.5s',
      metric: 'echo',
      percentile: 95,
      limitMs: 500,
    });
    assert.equal(parseLimitSlo('probe.connect.max<1s').percentile, 100);
    assert.throws(() => parseLimitSlo('echo.p95>5ms'), /is not METRIC\.pNN<VALUE/);
  });

  it('stops on an SLO the step breaks, naming it; the step is not held', () => {
    // Below 2,048 µs the histogram is exact.
    const fast = resolveLimitOptions({ lib: 'ws', slo: ['echo.p95<1ms'], step: 1000, max: 20000 });
    const stop = stopAfter(step(18_000), measure([0.1, 1.2, 1.5]), fast, 19_000, roomy);
    assert.deepEqual(stop, { kind: 'slo', expression: 'echo.p95<1ms', valueMs: 1.5, atClients: 18_000 });
    assert.equal(
      answerLine('socketio', 17_000, stop!, fast.slos),
      'socketio held 17,000 clients; echo p95 crossed 1 ms at 18,000 (1.5 ms)',
    );
    assert.equal(stopAfter(step(1000), measure([100, 200]), o, 2000, roomy), null);
  });

  it('stops before the next step would pass the open files limit, naming the process and the numbers', () => {
    const s = step(19_000, { server: proc(19_040) });
    const stop = stopAfter(s, measure([1]), o, 20_000, roomy);
    assert.deepEqual(stop, {
      kind: 'resource',
      resource: 'open-files',
      process: 'server',
      used: 19_040,
      limit: 20_000,
      atClients: 20_000,
    });
    assert.equal(
      answerLine('ws', 19_000, stop!, o.slos),
      "ws held 19,000 clients; the server's open files would run out at 20,000 (19,040 of 20,000 in use)",
    );
  });

  it('stops on ports and on memory the next step would not fit', () => {
    const ports = stopAfter(step(1000), measure([1]), o, 2000, { ...roomy, ports: 1000 });
    assert.equal(ports?.kind === 'resource' && ports.resource, 'ports');
    // 400 MiB before any client, 900 MiB with 1,000: 500 MiB more for the next 1,000.
    const mem = stopAfter(step(1000, { server: proc(1020, 900 * 2 ** 20) }), measure([1]), o, 2000, {
      ports: 28_232,
      memoryBytes: 1024 * 2 ** 20,
      idleRssBytes: 400 * 2 ** 20,
    });
    assert.deepEqual(mem, {
      kind: 'resource',
      resource: 'memory',
      process: 'server',
      used: 900 * 2 ** 20,
      limit: 1024 * 2 ** 20,
      atClients: 2000,
      perClientBytes: 524_288,
    });
    assert.equal(
      answerLine('ws', 1000, mem!, []),
      "ws held 1,000 clients; the server's memory would run out at 2,000 (RSS 900 MiB of 1,024 MiB, 512 KiB per client over the steps)",
    );
  });

  it('projects memory by what each client adds, fitted over the steps, not by the whole RSS over the clients', () => {
    const MiB = 2 ** 20;
    // 500 MiB idle, 600 MiB at 1,000 clients: the next 1,000 add about 100 MiB, to 700 MiB.
    // The whole RSS over the clients (600 KiB each) would have said 1,200 MiB, past the limit.
    const limits = { ports: 28_232, memoryBytes: 1024 * MiB, idleRssBytes: 500 * MiB };
    assert.equal(stopAfter(step(1000, { server: proc(1020, 600 * MiB) }), measure([1]), o, 2000, limits), null);
    // The slope comes from every step so far, the idle server included: 700, 790 and 910 MiB at
    // 1,000, 2,000 and 3,000 (0.1 MiB per client by least squares over the four points).
    const earlier = [step(1000, { server: proc(1020, 600 * MiB) }), step(2000, { server: proc(2020, 690 * MiB) })];
    const at3000 = step(3000, { server: proc(3020, 810 * MiB) });
    assert.equal(stopAfter(at3000, measure([1]), o, 4000, { ...limits, memoryBytes: 950 * MiB }, earlier), null);
    const stop = stopAfter(at3000, measure([1]), o, 4000, { ...limits, memoryBytes: 900 * MiB }, earlier);
    assert.equal(stop?.kind === 'resource' && stop.resource, 'memory');
    assert.equal(stop?.kind === 'resource' && Math.round(stop.perClientBytes! / 1024), 104);
    // No idle reading and one step: nothing to fit, so no projection invented from the whole RSS.
    const unknown = { ...limits, idleRssBytes: null, memoryBytes: 601 * MiB };
    assert.equal(stopAfter(step(1000, { server: proc(1020, 600 * MiB) }), measure([1]), o, 2000, unknown), null);
  });

  it('stops on a saturated generator, on failed connections, and at --max', () => {
    const gen = stopAfter(
      step(5000, { generator: { ...proc(10), loopDelayP99Ms: 250, arrivalLagP99Ms: 3 } }),
      measure([1]),
      o,
      6000,
      roomy,
    );
    assert.deepEqual(gen, { kind: 'generator', reason: 'event loop delay p99 250 ms > 100 ms', atClients: 5000 });
    const failed = stopAfter(step(5000, { failed: 3, errors: { EMFILE: 3 } }), measure([1]), o, 6000, roomy);
    assert.equal(
      answerLine('ws', 4000, failed!, []),
      'ws held 4,000 clients; 3 connections failed at 5,000 (EMFILE ×3)',
    );
    const max = stopAfter(step(20_000), measure([1]), o, null, roomy);
    assert.deepEqual(max, { kind: 'max', max: 20_000 });
    assert.equal(answerLine('ws', 20_000, max!, []), 'ws held 20,000 clients; reached --max 20,000 with every SLO met');
  });

  it('holds the clients of the last step that passed', () => {
    assert.equal(heldClients([step(1000), step(2000), step(3000, { ok: false })]), 2000);
    assert.equal(heldClients([step(1000, { ok: false })]), 0);
  });
});

function limitResult(stop: LimitResult['stop'], held: number): LimitResult {
  return {
    schemaVersion: 2,
    kind: 'bench-limit',
    lib: 'ws',
    scenario: 'echo',
    startedAt: '2026-12-01T00:00:00.000Z',
    finishedAt: '2026-12-01T00:01:00.000Z',
    config: {
      step: 1000,
      max: 20000,
      holdSeconds: 5,
      probes: 5,
      arrivalRate: 1000,
      slo: [],
      memoryLimitBytes: null,
      maxLoopDelayMs: 100,
    },
    heldClients: held,
    stop,
    answer: 'ws held …',
    steps: [step(held)],
    env: {} as LimitResult['env'],
  };
}

const report = (l: LimitResult): LoadedReport => ({
  inputs: ['limit.json'],
  cells: [],
  manifest: null,
  sweeps: [],
  conditions: { env: null, options: {}, differs: {} },
  limits: [{ file: '/tmp/limit.json', result: l }],
  soaks: [],
});

const capOptions = { memoryBytes: null, cpuHeadroom: 0.5, slos: [], users: 10_000 };

describe('bench capacity with a bench limit result', () => {
  it('takes the held clients as the measured limit when the server ran into one', () => {
    const r = analyseCapacity(
      report(limitResult({ kind: 'slo', expression: 'echo.p95<500ms', valueMs: 700, atClients: 5000 }, 4000)),
      capOptions,
    );
    const s = r.series[0]!;
    assert.equal(s.maxClients, 4000);
    assert.equal(s.binding?.constraint, 'measured');
    assert.equal(s.plannedClients, 2000);
    assert.equal(s.serversNeeded, 5);
  });

  it('does not take a limit stopped by --max or the generator as the server’s', () => {
    const r = analyseCapacity(report(limitResult({ kind: 'max', max: 20000 }, 20000)), capOptions);
    assert.equal(r.series[0]!.maxClients, null);
    assert.match(
      r.series[0]!.warnings.join('\n'),
      /not the server's limit, so not used as one \(it held at least 20,000 clients\)/,
    );
  });
});
