import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../../runner/errors';
import { resolveThresholds } from '../../reports/gate/options';
import {
  compareExitCode,
  invalidFailures,
  orderOf,
  summarize,
  type CompareReport,
} from '../../reports/compare/compare';
import {
  COMPARE_METRICS,
  decideMetric,
  MANY_PAIRS,
  morePairsFor,
  outcomeOf,
  overallOutcome,
  type Pair,
} from '../../reports/compare/decide';
import { resolveCompareOptions, splitArgs } from '../../reports/compare/options';
import { formatCompareMarkdown, formatCompareText } from '../../reports/compare/format';
import { passedRunArgs } from '../../reports/commands/compare';
import { studentTQuantile, pairedMeanInterval } from '../../reports/stats';
import { makeResult } from '../helpers/report-fixtures';
import type { RunResult } from '../../runner/result/build';

const SETTINGS = { thresholds: resolveThresholds(), confidence: 0.95 };

/** A pair of ws results at 1,000 clients, echo p50 and connect p50 set as given (ms). */
function pair(base: { echo: number; connect: number }, cur: { echo: number; connect: number }): Pair {
  const b = makeResult('ws', 1000);
  const c = makeResult('ws', 1000);
  b.echoMs!.p50 = base.echo;
  c.echoMs!.p50 = cur.echo;
  b.connectMs!.p50 = base.connect;
  c.connectMs!.p50 = cur.connect;
  return [b, c];
}

describe('Student t and the paired interval', () => {
  it('gives the tabled quantiles', () => {
    for (const [p, df, t] of [
      [0.975, 1, 12.706],
      [0.975, 4, 2.776],
      [0.975, 9, 2.262],
      [0.95, 4, 2.132],
      [0.995, 9, 3.25],
    ] as const) {
      assert.equal(studentTQuantile(p, df).toFixed(3), t.toFixed(3), `t(${p}, ${df})`);
    }
  });

  it('puts mean ± t·s/√n around paired differences, null with one pair', () => {
    const i = pairedMeanInterval([1, 2, 3, 4, 5], 0.95)!;
    assert.equal(i.estimate, 3);
    // s = 1.581, √5 = 2.236, t(0.975, 4) = 2.776: half-width 1.963
    assert.equal((i.high - i.estimate).toFixed(3), '1.963');
    assert.equal(pairedMeanInterval([1], 0.95), null);
  });
});

describe('outcomeOf', () => {
  const at = (low: number, high: number) => ({ estimate: (low + high) / 2, low, high });
  it('decides only when the interval is wholly beyond or wholly within the limit', () => {
    assert.equal(outcomeOf(at(12, 40), 10, 'higher'), 'regressed');
    assert.equal(outcomeOf(at(-40, -12), 10, 'higher'), 'improved');
    assert.equal(outcomeOf(at(-5, 8), 10, 'higher'), 'same');
    assert.equal(outcomeOf(at(5, 15), 10, 'higher'), 'unsure');
    assert.equal(outcomeOf(at(-15, 5), 10, 'higher'), 'unsure');
    assert.equal(outcomeOf(null, 10, 'higher'), 'unsure');
  });
  it('reads a drop as the regression of a metric where lower is worse', () => {
    assert.equal(outcomeOf(at(-40, -12), 10, 'lower'), 'regressed');
    assert.equal(outcomeOf(at(12, 40), 10, 'lower'), 'improved');
  });
});

describe('morePairsFor', () => {
  it('scales the pairs by the square of half-width over the room left', () => {
    // estimate 4 %, half-width 12 %, limit 10 %: room 6 %, so (12/6)² = 4 times the 3 pairs.
    assert.equal(morePairsFor({ estimate: 4, low: -8, high: 16 }, 10, 3), 9);
    assert.equal(morePairsFor({ estimate: 10, low: 0, high: 20 }, 10, 3), MANY_PAIRS);
  });
});

describe('decideMetric', () => {
  it('finds an echo delay of 2 ms in every pair a regression, and connect the same', () => {
    const pairs = [0, 1, 2].map((i) =>
      pair({ echo: 1 + i * 0.01, connect: 2 + i * 0.02 }, { echo: 3 + i * 0.01, connect: 2.01 + i * 0.02 }),
    );
    const echo = decideMetric('echo.p50', pairs, SETTINGS);
    assert.equal(echo.outcome, 'regressed');
    assert.equal(echo.pairs, 3);
    assert.ok(Math.abs(echo.change!.estimate - 198) < 2, `change ${echo.change!.estimate}`);
    // 0.5 ms of a 1.01 ms mean is 49.5 %: the absolute floor, not the 10 % threshold, is the limit.
    assert.equal(echo.limitPct.toFixed(1), '49.5');
    const connect = decideMetric('connect.p50', pairs, SETTINGS);
    assert.equal(connect.outcome, 'same');
    assert.equal(overallOutcome([echo, connect]), 'regressed');
  });

  it('is unsure when the pairs disagree, and says how many more might decide', () => {
    const pairs = [
      pair({ echo: 2, connect: 2 }, { echo: 3, connect: 2 }),
      pair({ echo: 2, connect: 2 }, { echo: 1.2, connect: 2 }),
    ];
    const d = decideMetric('echo.p50', pairs, SETTINGS);
    assert.equal(d.outcome, 'unsure');
    assert.ok(d.morePairs !== null && d.morePairs > 0);
  });

  it('leaves the tails out of the verdict', () => {
    const pairs = [0, 1, 2].map(() => pair({ echo: 1, connect: 2 }, { echo: 1, connect: 2 }));
    const decisions = COMPARE_METRICS.map((m) => decideMetric(m, pairs, SETTINGS));
    assert.ok(decisions.filter((d) => d.metric.endsWith('.p99')).every((d) => !d.gated));
    assert.ok(!COMPARE_METRICS.includes('connected') && !COMPARE_METRICS.includes('failed'));
    assert.equal(overallOutcome(decisions), 'same');
  });

  it('calls a metric the current build stopped measuring a regression, and one neither measured nothing', () => {
    const [b, c] = pair({ echo: 1, connect: 2 }, { echo: 1, connect: 2 }) as [RunResult, RunResult];
    c.echoMs = null;
    const lost = decideMetric('echo.p50', [[b, c]], SETTINGS);
    assert.equal(lost.outcome, 'regressed');
    assert.equal(lost.gated, true);
    b.echoMs = null;
    const neither = decideMetric('echo.p50', [[b, c]], SETTINGS);
    assert.equal(neither.gated, false, 'left out of the verdict');
  });

  it("does not call a memory per client below its run's floor a metric stopped being measured", () => {
    // What a fresh clone's compare test met: 100 ws clients, one run's growth within its RSS noise.
    const [b, c] = pair({ echo: 1, connect: 2 }, { echo: 1, connect: 2 }) as [RunResult, RunResult];
    b.server = { ...b.server, bytesPerClient: 30_000 };
    c.server = { ...c.server, bytesPerClient: null, bytesPerClientFloor: 40_000, bytesPerClientBelowFloor: true };
    const d = decideMetric('bytesPerClient', [[b, c]], SETTINGS);
    assert.notEqual(d.outcome, 'regressed');
    // Null without a floor still is: the current build stopped measuring it.
    c.server = { ...c.server, bytesPerClientFloor: null, bytesPerClientBelowFloor: false };
    assert.equal(decideMetric('bytesPerClient', [[b, c]], SETTINGS).outcome, 'regressed');
  });
});

describe('the order of runs', () => {
  it('alternates which side runs first: A B, B A, A B', () => {
    assert.deepEqual([1, 2, 3].map(orderOf), [
      ['baseline', 'current'],
      ['current', 'baseline'],
      ['baseline', 'current'],
    ]);
  });
});

describe('resolveCompareOptions', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compare-opts-'));
  const checkout = path.join(dir, 'checkout');
  fs.mkdirSync(path.join(checkout, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(checkout, 'dist'));
  fs.writeFileSync(path.join(checkout, 'bin', 'bench.js'), '');
  const run = ['--lib', 'ws', '--clients', '100'];
  const err = (raw: Parameters<typeof resolveCompareOptions>[0]) => {
    try {
      resolveCompareOptions(raw);
    } catch (e) {
      assert.ok(e instanceof UsageError);
      return e.message;
    }
    assert.fail('no error');
  };

  it('takes a checkout or a bin, with defaults', () => {
    const o = resolveCompareOptions({ baseline: checkout, current: path.join(checkout, 'bin', 'bench.js'), run });
    assert.equal(o.baseline.bin, path.join(checkout, 'bin', 'bench.js'));
    assert.equal(o.current.bin, o.baseline.bin);
    assert.deepEqual([o.minRuns, o.maxRuns, o.confidence], [6, 20, 0.95]);
  });

  it('refuses what it cannot run, in one line naming the flag and the fix', () => {
    assert.equal(
      err({ current: checkout, run }),
      'Missing --baseline. Give a checkout of this project (after npm ci) or the path of its bin/bench.js, e.g. --baseline ../main --current .',
    );
    assert.equal(
      err({ baseline: dir, current: checkout, run }),
      `--baseline ${dir}: no bin/bench.js there. Give a checkout of this project (after npm ci) or the path of its bin/bench.js.`,
    );
    assert.equal(
      err({ baseline: path.join(dir, 'nope'), current: checkout, run }),
      `--baseline ${path.join(dir, 'nope')}: no such folder or file. Give a checkout of this project (after npm ci) or the path of its bin/bench.js.`,
    );
    assert.equal(
      err({ baseline: checkout, current: checkout, run, currentArgs: '--out x.json' }),
      "--current-args cannot set --out: bench compare chooses each run's output. Remove it.",
    );
    assert.equal(
      err({ baseline: checkout, current: checkout, run, minRuns: '8', maxRuns: '6' }),
      '--max-runs 6 is below --min-runs 8. Give a budget of at least 8.',
    );
    assert.equal(
      err({ baseline: checkout, current: checkout, run, minRuns: '2' }),
      '--min-runs must be a whole number of runs from 4 to 400 (got "2"). Example: --min-runs 6',
    );
    assert.equal(
      err({ baseline: checkout, current: checkout, run, confidence: '95' }),
      '--confidence must be from 0.5 to 0.999 (got "95"). Example: --confidence 0.95',
    );
    assert.equal(
      err({ baseline: checkout, current: checkout, run: ['--clients', '10'] }),
      'Missing --lib: compare runs bench run on both sides, e.g. bench compare … --lib socketio --clients 1500.',
    );
  });

  it('splits side arguments, keeping quoted spaces', () => {
    assert.deepEqual(splitArgs('--echo-delay 2 --ensure "echo.p50 < 5ms"'), [
      '--echo-delay',
      '2',
      '--ensure',
      'echo.p50 < 5ms',
    ]);
    assert.deepEqual(splitArgs(undefined), []);
  });

  it('passes the given run flags on, switches as switches', () => {
    assert.deepEqual(passedRunArgs({ lib: 'ws', clients: '100', deflate: true, hold: '2', baseline: 'x' }), [
      '--lib',
      'ws',
      '--clients',
      '100',
      '--hold',
      '2',
      '--deflate',
    ]);
  });
});

describe('the report', () => {
  const pairs = [0, 1].map(() => pair({ echo: 1, connect: 2 }, { echo: 5, connect: 2 }));
  const report = (failures: string[] = []): CompareReport => {
    const r = {
      kind: 'bench-compare' as const,
      baseline: { given: '../main', bin: '/x/bin/bench.js', args: [] },
      current: { given: '.', bin: '/y/bin/bench.js', args: ['--echo-delay', '4'] },
      run: ['--lib', 'ws', '--clients', '1000'],
      confidence: 0.95,
      minRuns: 4,
      maxRuns: 20,
      pairs: 2,
      runs: (['baseline', 'current', 'current', 'baseline'] as const).map((side, i) => ({
        side,
        pair: (i >> 1) + 1,
        file: `runs/${i}.json`,
        exitCode: 0,
        status: 'completed' as const,
        valid: true,
        invalidReasons: [],
        wallSeconds: 8,
      })),
      decisions: COMPARE_METRICS.map((m) => decideMetric(m, pairs, SETTINGS)),
      failures,
      notes: [],
      aborted: false,
    };
    return { ...r, ...summarize(r) };
  };

  it('says regressed with the change and its interval, and exits 1', () => {
    const r = report();
    assert.equal(r.verdict, 'regressed');
    assert.match(
      r.summary,
      /^regressed: echo\.p50 \+400\.0 % \(95 % CI .* limit ±50 %\) \(4 runs, 2 complete pairs\)$/,
    );
    assert.equal(compareExitCode(r), 1);
    const text = formatCompareText(r);
    assert.match(text, /runs \(A baseline, B current, in order\): ABBA; 2 complete pairs of 4 runs/);
    assert.match(text, /echo\.p50 +1\.00 ms +5\.00 ms +\+400\.0 %.* REGRESSED\n/);
    assert.match(formatCompareMarkdown(r), /^## ❌ bench compare: regressed\n/);
  });

  it('fails when the current side failed two runs more than the baseline', () => {
    const r = report(["current had 1 invalid or failed run to the baseline's 0 (connections failed)"]);
    assert.equal(r.verdict, 'regressed');
    assert.equal(compareExitCode(r), 1);
  });

  it('fails a current side with two invalid runs more than the baseline, not with one', () => {
    const run = (side: 'baseline' | 'current', valid: boolean) => ({
      side,
      pair: 1,
      file: 'x.json',
      exitCode: valid ? 0 : 1,
      status: 'completed' as const,
      valid,
      invalidReasons: valid ? [] : ['1 of 1500 connections failed'],
      wallSeconds: 8,
    });
    assert.deepEqual(invalidFailures([run('baseline', true), run('current', false), run('current', true)]), []);
    assert.deepEqual(invalidFailures([run('baseline', false), run('current', false), run('current', false)]), []);
    assert.deepEqual(invalidFailures([run('baseline', true), run('current', false), run('current', false)]), [
      "current had 2 invalid or failed runs to the baseline's 0 (1 of 1500 connections failed)",
    ]);
  });

  it('does not count runs the load generator alone spoiled: a busy machine is not the build', () => {
    const run = (side: 'baseline' | 'current', reasons: string[]) => ({
      side,
      pair: 1,
      file: 'x.json',
      exitCode: reasons.length ? 1 : 0,
      status: 'completed' as const,
      valid: reasons.length === 0,
      invalidReasons: reasons,
      wallSeconds: 8,
    });
    const lag =
      'arrivals started late: the generator ran 852 ms behind its schedule at p99 (limit 100 ms, --max-lag); connectMs counts that wait, connectServiceMs does not';
    const loop =
      'the load generator was saturated: its event-loop delay p99 was 186.3 ms (limit 100 ms, --max-loop-delay), so latencies include its own queueing';
    // A/A 8 of npm run bench:gate beside a test suite: 3 such current runs to the baseline's 1 said "regressed".
    const runs = [
      run('baseline', [lag]),
      run('current', [lag, loop]),
      run('current', [lag, loop]),
      run('current', [lag]),
    ];
    assert.deepEqual(invalidFailures(runs), []);
    // A run with a server-side reason among its reasons counts: one such is still below the margin, two are not.
    const lost = '2 of 1500 connections failed (limit 0, --max-failed)';
    assert.deepEqual(invalidFailures([...runs.slice(0, 3), run('current', [lost, lag])]), []);
    assert.deepEqual(invalidFailures([run('baseline', []), run('current', [lost]), run('current', [lost, lag])]), [
      `current had 2 invalid or failed runs to the baseline's 0 (${lost}; ${lag})`,
    ]);
  });

  it('is unsure, never "same", without a pair of valid runs to compare', () => {
    const r = report();
    const empty = { ...r, pairs: 0, decisions: COMPARE_METRICS.map((m) => decideMetric(m, [], SETTINGS)) };
    const busy = {
      ...empty,
      runs: empty.runs.map((x) => ({
        ...x,
        valid: false,
        exitCode: 1,
        invalidReasons: ['arrivals started late: the generator ran 210 ms behind its schedule at p99 (limit 100 ms)'],
      })),
    };
    assert.deepEqual(summarize(busy), {
      verdict: 'unsure',
      summary:
        'unsure: no pair of valid runs to compare; 4 runs left out because the load generator fell behind (a busy machine?) (4 runs, 0 complete pairs)',
    });
  });

  it('passes unsure unless asked to fail it', () => {
    const r = { ...report(), verdict: 'unsure' as const };
    assert.equal(compareExitCode(r), 0);
    assert.equal(compareExitCode(r, true), 1);
  });
});
