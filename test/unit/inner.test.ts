import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { heapAfterForcedGc, InnerSampler } from '../../runner/sampling/inner';
import { summariseInner } from '../../runner/result/inner';
import type { InnerSample } from '../../runner/result/measurements';
import { resolveServeOptions } from '../../runner/config/serve-options';
import { parseInnerLine } from '../../runner/topology/server-process';
import type { InnerSummary } from '../../runner/result/schema';
import { readMetric } from '../../runner/metrics/registry';
import { parseEnsure } from '../../runner/metrics/expr';
import { evaluateEnsure } from '../../runner/result/ensure';
import { formatSummary } from '../../runner/summary/text';
import { numbersOf } from '../../reports/report/metrics';
import { baseResult } from '../helpers/report-fixtures';

const MIB = 2 ** 20;

const sample = (t: number, heapUsedBytes: number, more: Partial<InnerSample> = {}): InnerSample => ({
  t,
  heapUsedBytes,
  heapTotalBytes: heapUsedBytes * 2,
  externalBytes: 1_000,
  arrayBuffersBytes: 100,
  elu: 0.1,
  delayMeanMs: 1,
  delayMaxMs: 2,
  gcPauseMs: 0,
  gcCount: 0,
  ...more,
});

describe('inner sampler (this process, real perf_hooks)', () => {
  it('reads heap used within heap total, ELU in [0, 1], and sees a forced GC', async () => {
    const got: InnerSample[] = [];
    const sampler = new InnerSampler(20, (s) => got.push(s)).start();
    try {
      // The histogram's first tick only starts its clock; then busy, so the loop is utilised and late.
      await new Promise((r) => setTimeout(r, 100));
      const until = Date.now() + 100;
      while (Date.now() < until);
      await new Promise((r) => setTimeout(r, 30));
      const garbage = Array.from({ length: 50_000 }, (_, i) => ({ i, s: String(i) }));
      const before = process.memoryUsage().heapUsed;
      const after = heapAfterForcedGc();
      assert.ok(garbage.length > 0);
      assert.ok(after > 0 && after < before, `after GC ${after} B, before ${before} B`);
      // The GC entry reaches the observer asynchronously.
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      sampler.stop();
    }
    got.push(sampler.sample());
    assert.ok(got.length >= 3, `${got.length} samples`);
    for (const s of got) {
      assert.ok(s.heapUsedBytes > 0 && s.heapUsedBytes <= s.heapTotalBytes, JSON.stringify(s));
      assert.ok(s.elu >= 0 && s.elu <= 1, `elu ${s.elu}`);
      assert.ok(s.delayMeanMs >= 0 && s.delayMaxMs >= s.delayMeanMs, JSON.stringify(s));
    }
    assert.ok(Math.max(...got.map((s) => s.elu)) > 0.3, 'the busy loop shows as utilisation');
    assert.ok(
      Math.max(...got.map((s) => s.delayMaxMs)) >= 40,
      `the busy loop shows as delay: ${JSON.stringify(got.map((g) => g.delayMaxMs))}`,
    );
    assert.ok(got.reduce((n, s) => n + s.gcCount, 0) >= 1, 'the forced GC is counted');
    assert.equal(sampler.taken, got.length);
  });
});

describe('summariseInner', () => {
  const idle = { window: [0, 100] as [number, number] };
  const steady: [number, number] = [1_000, 2_000];

  it('sums heaps over nodes, takes the busiest loop, and counts GC in the steady window', () => {
    const a = [sample(50, 10), sample(1_500, 100, { gcPauseMs: 4, gcCount: 1, elu: 0.2 }), sample(2_500, 30)];
    const b = [sample(60, 20), sample(1_600, 200, { gcPauseMs: 6, gcCount: 2, elu: 0.5 }), sample(2_600, 40)];
    const s = summariseInner(
      [
        { samples: a, heapAfterGc: [70] },
        { samples: b, heapAfterGc: [90, 150] },
      ],
      idle,
      steady,
    )!;
    assert.equal(s.samples, 6);
    assert.deepEqual(s.heapBytes.used, { idle: 30, steady: 300, peak: 300 });
    assert.deepEqual(s.heapBytes.total, { idle: 60, steady: 600, peak: 600 });
    assert.equal(s.eventLoop.utilization.steady, 0.5);
    assert.deepEqual(s.gc, { count: 3, pauseMs: 10, steadyPauseMsPerSecond: 10 });
    // each node's latest forced GC
    assert.equal(s.heapAfterGcBytes, 220);
  });

  it('gives null where a node has no sample in a window, and none at all without samples', () => {
    const s = summariseInner(
      [
        { samples: [sample(50, 10), sample(1_500, 100)], heapAfterGc: [] },
        { samples: [sample(1_600, 20)], heapAfterGc: [] },
      ],
      idle,
      steady,
    )!;
    assert.equal(s.heapBytes.used.idle, null);
    assert.equal(s.heapBytes.used.steady, 120);
    assert.equal(s.heapAfterGcBytes, null);
    assert.equal(summariseInner([{ samples: [], heapAfterGc: [] }], idle, steady), null);
  });
});

describe('inner lines and flag', () => {
  it('reads inner and heap-after-gc lines, nothing else', () => {
    const line = JSON.stringify({ event: 'inner', pid: 1, ...sample(5, 10) });
    assert.equal(parseInnerLine(line)?.event, 'inner');
    assert.equal(parseInnerLine('{"event":"heap-after-gc","pid":1,"t":5,"heapUsedBytes":9}')?.event, 'heap-after-gc');
    assert.equal(parseInnerLine('{"event":"delivery","node":"n","seq":1,"clients":2}'), null);
    assert.equal(parseInnerLine('{"event":"inner", broken'), null);
  });

  it('--inner-sample-interval is 0 or 10..60000 ms', () => {
    assert.equal(resolveServeOptions({ lib: 'ws' }).innerSampleIntervalMs, 0);
    assert.equal(resolveServeOptions({ lib: 'ws', innerSampleInterval: '250' }).innerSampleIntervalMs, 250);
    assert.throws(
      () => resolveServeOptions({ lib: 'ws', innerSampleInterval: '5' }),
      new RegExp(
        '^UsageError: --inner-sample-interval must be 0 \\(off\\) or a whole number of ms from 10 to 60000 \\(got "5"\\)\\. Example: --inner-sample-interval 250$',
      ),
    );
  });
});

describe('server.inner in metrics, summary and report', () => {
  const inner = (): InnerSummary => ({
    samples: 40,
    heapBytes: {
      used: { idle: 10 * MIB, steady: 120 * MIB, peak: 130 * MIB },
      total: { idle: 20 * MIB, steady: 140 * MIB, peak: 150 * MIB },
      external: { idle: 2 * MIB, steady: 3 * MIB, peak: 3 * MIB },
      arrayBuffers: { idle: 1_000, steady: 2_000, peak: 3_000 },
    },
    eventLoop: {
      utilization: { idle: 0.01, steady: 0.163, peak: 0.9 },
      delayMs: { idle: 0.1, steady: 0.4, peak: 5 },
      delayMaxMs: 80,
    },
    gc: { count: 12, pauseMs: 300, steadyPauseMsPerSecond: 25.5 },
    heapAfterGcBytes: 100 * MIB,
  });

  it('reads the registry metrics, summary lines and the report column from it', () => {
    const r = baseResult();
    r.server.inner = inner();
    assert.equal(readMetric('heap.steady', r), 120 * MIB);
    assert.equal(readMetric('heap.afterGc', r), 100 * MIB);
    assert.equal(readMetric('elu.steady', r), 16.3);
    assert.equal(readMetric('serverLoopDelay.steady', r), 0.4);
    assert.equal(readMetric('gc.steadyPerSecond', r), 25.5);
    assert.equal(evaluateEnsure([parseEnsure('heap.afterGc<110MiB')], r)[0]!.ok, true);
    const text = formatSummary(r);
    assert.match(
      text,
      /\n {2}server heap {6}idle 10\.0 MiB {2}steady 120\.0 MiB {2}peak 130\.0 MiB {2}after forced GC 100\.0 MiB {2}external 3\.0 MiB\n/,
    );
    assert.match(
      text,
      /\n {2}server loop {6}busy 16\.3% {2}delay 0\.40 ms \(max 80\.0\) {2}GC 25\.5 ms\/s \(12 in all\)\n/,
    );
    assert.equal(numbersOf({ result: r, clients: 1000 } as Parameters<typeof numbersOf>[0]).heapSteadyBytes, 120 * MIB);
  });

  it('gives null and no lines for a result without it', () => {
    const r = baseResult();
    delete r.server.inner;
    for (const name of ['heap.steady', 'heap.afterGc', 'elu.steady', 'gc.steadyPerSecond'] as const) {
      assert.equal(readMetric(name, r), null, name);
    }
    assert.doesNotMatch(formatSummary(r), /server heap|server loop/);
  });
});
