import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GATE_DEFAULT_THRESHOLDS, GATE_METRICS, resolveThresholds } from '../../reports/gate/gate';
import { formatEnsure } from '../../runner/summary/ensure-text';
import { numbersOf } from '../../reports/report/metrics';
import { formatSummary } from '../../runner/summary/text';
import { evaluateEnsure } from '../../runner/result/ensure';
import { parseEnsure, parseSlo, parseThreshold } from '../../runner/metrics/expr';
import { latencyOf, METRICS, readMetric, SLO_METRICS } from '../../runner/metrics/registry';
import { bytes } from '../../runner/metrics/units';
import { asV2, baseResult } from '../helpers/report-fixtures';
import { usageMessage } from '../helpers/usage';

const V2_LATENCIES = ['connectService', 'arrivalLag', 'timeToFirstMessage', 'echoService'] as const;

describe('the metric registry', () => {
  it('is what --ensure, --threshold and --slo accept: every flag reads the same names', () => {
    for (const [name, m] of METRICS) {
      assert.equal(parseEnsure(`${name}<=1`).metric, name);
      if (m.gate) assert.equal(parseThreshold(`${name}=5`).metric, name);
      else
        assert.match(
          usageMessage(() => parseThreshold(`${name}=5`)),
          /unknown metric/,
        );
      if (m.slo) assert.equal(parseSlo(`${name}<5ms`).metric, name);
      else
        assert.match(
          usageMessage(() => parseSlo(`${name}<5ms`)),
          /unknown metric/,
        );
    }
  });

  it('gives the gate its metrics, defaults and order, and capacity its SLOs', () => {
    assert.deepEqual(GATE_METRICS, [
      'connect.p50',
      'connect.p99',
      'echo.p50',
      'echo.p99',
      'timeToFirstMessage.p50',
      'timeToFirstMessage.p99',
      'room.p50',
      'room.p99',
      'rss.steady',
      'bytesPerClient',
      'connected',
      'failed',
    ]);
    assert.deepEqual(Object.keys(resolveThresholds([])), GATE_METRICS);
    assert.equal(GATE_DEFAULT_THRESHOLDS['connect.p99'], 50);
    assert.deepEqual(SLO_METRICS, [
      'connect.p50',
      'connect.p90',
      'connect.p99',
      'timeToFirstMessage.p50',
      'timeToFirstMessage.p90',
      'timeToFirstMessage.p99',
      'room.p50',
      'room.p90',
      'room.p99',
    ]);
  });

  it('gates and fits the time to the first message users wait for, not the near-zero connected → welcome', () => {
    assert.equal(METRICS.get('timeToFirstMessage.p50')!.gate?.kind, 'median');
    assert.equal(METRICS.get('timeToFirstMessage.p99')!.gate?.kind, 'tail');
    for (const stat of ['p50', 'p90', 'p99', 'max', 'mean'] as const) {
      const m = METRICS.get(`firstMessage.${stat}`)!;
      assert.equal(m.gate, undefined, `firstMessage.${stat} gated`);
      assert.notEqual(m.slo, true, `firstMessage.${stat} an SLO`);
    }
  });

  it('reads the schemaVersion-2 latencies, and null from a schemaVersion-1 file that has none', () => {
    const v1 = baseResult();
    assert.equal(v1.schemaVersion, 1);
    const v2 = asV2(baseResult(), 500, 3);
    for (const name of V2_LATENCIES) {
      assert.equal(readMetric(`${name}.p99`, v1), null, `${name} in v1`);
      const p99 = (v2[`${name}Ms`] as { p99: number }).p99;
      assert.equal(readMetric(`${name}.p99`, v2), p99, `${name} in v2`);
    }
    const out = evaluateEnsure([parseEnsure('timeToFirstMessage.p99<100000')], v2);
    assert.deepEqual(
      out.map((o) => [o.ok, o.actual]),
      [[true, v2.timeToFirstMessageMs!.p99]],
    );
  });

  it('is what the reports read', () => {
    const r = asV2(baseResult(), 500, 3);
    const n = numbersOf({ result: r, clients: 1000 } as Parameters<typeof numbersOf>[0]);
    assert.deepEqual(n.connectServiceMs, latencyOf('connectService', r));
    assert.equal(n.rssSteadyBytes, readMetric('rss.steady', r));
    assert.equal(n.connected, r.clients.connected);
  });

  it('reads a statistic the file lacks as null, never as another statistic', () => {
    const trimmed = { ...baseResult(), connectMs: { p50: 5 }, echoMs: { p99: 9, count: 3 } };
    const r = trimmed as unknown as ReturnType<typeof baseResult>;
    assert.deepEqual(latencyOf('connect', r), { p50: 5, p90: null, p99: null, max: null, mean: null, count: null });
    for (const stat of ['p90', 'p99', 'max', 'mean'] as const) assert.equal(readMetric(`connect.${stat}`, r), null);
    // A p99 without its p50 is still the p99 measured.
    assert.deepEqual(latencyOf('echo', r), { p50: null, p90: null, p99: 9, max: null, mean: null, count: 3 });
    assert.equal(readMetric('echo.p99', r), 9);
    assert.equal(latencyOf('connect', { ...baseResult(), connectMs: {} } as unknown as typeof r), null);
  });

  it('reads a hand-broken file as not measured instead of throwing', () => {
    const broken = { ...baseResult(), server: 'gone', clients: null, connectMs: { p50: 'fast' } };
    for (const name of ['rss.steady', 'connected', 'connect.p99', 'cpu'] as const) {
      assert.equal(readMetric(name, broken as unknown as ReturnType<typeof baseResult>), null, name);
    }
  });
});

describe('units', () => {
  it('prints sizes in binary units named as such, in the summary and the --ensure lines alike', () => {
    const r = baseResult();
    const steady = r.server.rssBytes.steady!;
    assert.equal(bytes(steady), `${(steady / 2 ** 20).toFixed(1)} MiB`);
    const line = formatEnsure(evaluateEnsure([parseEnsure('rss.steady<300MB')], r));
    assert.equal(line, `  ensure  ok    rss.steady<300MB: ${bytes(steady)}`);
    assert.match(formatSummary(r), new RegExp(` steady ${(steady / 2 ** 20).toFixed(1)} MiB `));
    assert.doesNotMatch(formatSummary(r), /\bMB\b|\bKB\b/);
  });
});
