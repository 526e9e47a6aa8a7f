import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  GATE_ALPHA,
  GATE_DEFAULT_THRESHOLDS,
  GATE_NOISE_FLOOR_PCT,
  gateExitCode,
  resolveGateOptions,
  resolveThresholds,
  runGate,
  type GateComparison,
  type GateMetric,
  type GateReport,
} from '../../reports/gate/gate';
import type { RunResult } from '../../runner/result/build';
import { formatGateJUnit } from '../../reports/gate/junit';
import { formatGateMarkdown } from '../../reports/gate/markdown';
import { formatGateText } from '../../reports/gate/text';
import { baseResult, tempDir, writeJson } from '../helpers/report-fixtures';
import { usageMessage } from '../helpers/usage';

/** How one trial differs from the fixture (a real ws run at 1,000 clients). */
interface Shape {
  /** factor on every latency, on top of ×10 so p50s sit well above the 0.5 ms floor */
  latency?: number;
  /** a further factor on the p99s only: the tails one run cannot pin down */
  tail?: number;
  /** factor on the memory the clients add (20 MB at 1) */
  rss?: number;
  connected?: number;
  failed?: number;
  invalid?: string;
  hold?: number;
  lib?: 'ws' | 'socketio' | 'sockjs';
  /** fields of `env` to replace */
  env?: Record<string, unknown>;
  /** fields of `options` to replace */
  options?: Record<string, unknown>;
}

function trial(s: Shape = {}): RunResult {
  const r = baseResult();
  const k = 10 * (s.latency ?? 1);
  // The schemaVersion-1 fixture has no time to first message: its first-message figures stand in.
  r.timeToFirstMessageMs = { ...r.firstMessageMs! };
  for (const stats of [r.connectMs, r.timeToFirstMessageMs, r.echoMs]) {
    for (const key of ['p50', 'p90', 'p99', 'max', 'mean'] as const) {
      const f = key === 'p99' ? k * (s.tail ?? 1) : k;
      stats![key] = Math.round(stats![key] * f * 1000) / 1000;
    }
  }
  const rss = r.server.rssBytes;
  rss.steady = rss.idle! + Math.round(20_000_000 * (s.rss ?? 1));
  r.server.bytesPerClient = Math.round((rss.steady - rss.idle!) / 1000);
  r.clients = { requested: 1000, connected: s.connected ?? 1000, failed: s.failed ?? 0 };
  if (s.invalid) r.loadgen = { ...r.loadgen, valid: false, invalidReasons: [s.invalid] };
  if (s.hold !== undefined) r.options.holdSeconds = s.hold;
  if (s.lib) r.lib = s.lib;
  if (s.env) r.env = { ...r.env, ...s.env } as RunResult['env'];
  if (s.options) r.options = { ...r.options, ...s.options } as RunResult['options'];
  return r;
}

const root = tempDir('bench-gate-');
after(() => fs.rmSync(root, { recursive: true, force: true }));
let folders = 0;

/** Writes one folder of result files, one per trial, in start order. */
function side(...trials: Shape[]): string {
  const dir = path.join(root, `side-${++folders}`);
  trials.forEach((s, i) => {
    const r = trial(s);
    r.startedAt = `2026-01-01T00:00:${String(i).padStart(2, '0')}.000Z`;
    writeJson(path.join(dir, `${r.lib}-1000-t${i + 1}.json`), r);
  });
  return dir;
}

/** `n` trials of one shape, each with its own small jitter (±1 % steps) so no two tie. */
const trials = (n: number, s: Shape = {}, step = 0.01): Shape[] =>
  Array.from({ length: n }, (_, i) => {
    const j = 1 + step * (i - (n - 1) / 2);
    return { ...s, latency: (s.latency ?? 1) * j, rss: (s.rss ?? 1) * j };
  });

function gate(baseline: string, current: string, thresholds: string[] = [], ignoreOption: string[] = []): GateReport {
  return runGate(resolveGateOptions({ baseline, current, threshold: thresholds, ignoreOption }));
}

function comparison(r: GateReport, metric: GateMetric, cell = 0): GateComparison {
  const c = r.cells[cell]!.comparisons.find((x) => x.metric === metric);
  assert.ok(c, `no ${metric} comparison`);
  return c;
}

const regressedMetrics = (r: GateReport) =>
  r.cells.flatMap((c) => c.comparisons.filter((x) => x.regressed).map((x) => x.metric));

const TAILS: GateMetric[] = ['connect.p99', 'timeToFirstMessage.p99', 'echo.p99'];

// A folder with ws and sockjs, for the "new in current" case below.
{
  const dir = path.join(root, 'both');
  writeJson(path.join(dir, 'ws.json'), trial());
  writeJson(path.join(dir, 'sockjs.json'), trial({ lib: 'sockjs' }));
}

// Three trials a side with a little jitter, as a quiet machine gives.
const BASE3 = side({ latency: 1 }, { latency: 1.01 }, { latency: 0.99 });
// Six a side: the fewest whose complete separation beats alpha over the 8 testable comparisons.
const BASE6 = side(...trials(6));

describe('runGate with 1 trial a side', () => {
  it('does not fail two runs of unchanged code whose p99s differ by +57 %', () => {
    // As issue 11 saw: bench run twice, the same code, echo p99 +56.7 %, medians and memory close.
    const r = gate(side({}), side({ tail: 1.567, latency: 1.03, rss: 1.02 }));
    assert.equal(r.verdict, 'pass');
    assert.equal(gateExitCode(r), 0);
    for (const m of TAILS) {
      const x = comparison(r, m);
      assert.equal(x.gated, false, m);
      assert.equal(x.regressed, false, m);
      assert.equal(x.reason, 'not gated: 1 trial a side; p99 needs ≥6');
    }
    assert.ok(comparison(r, 'echo.p99').changePct! > 56, 'the change is still reported');
    assert.equal(r.summary, 'pass: 0 of 7 gated comparisons regressed, 3 not gated (too few trials) (1 cell)');
    assert.equal(r.cells[0]!.mode, 'thresholds');
    assert.equal(
      r.cells[0]!.modeNote,
      '1 trial a side: no significance test; medians and memory gated on thresholds and noise floors only, p99s not gated (a test needs 6 trials a side)',
    );
    assert.deepEqual(r.moreTrials, ['bench sweep --trials 6 --libs ws --clients 1000 --out <dir>']);
    const text = formatGateText(r).split('\n');
    assert.equal(text[3], `  ${r.cells[0]!.modeNote}`);
    assert.equal(
      text[4],
      '  for a test, run each side with 6 trials: bench sweep --trials 6 --libs ws --clients 1000 --out <dir>',
    );
  });

  it('still gates medians and memory beyond their noise floors', () => {
    const r = gate(side({}), side({ latency: 1.5, rss: 1.5 }));
    assert.equal(r.verdict, 'regression');
    assert.equal(gateExitCode(r), 1);
    assert.deepEqual(regressedMetrics(r), ['connect.p50', 'echo.p50', 'rss.steady', 'bytesPerClient']);
    const x = comparison(r, 'connect.p50');
    assert.equal(x.pValue, null);
    assert.equal(x.significant, null);
    assert.equal(x.test, null);
    assert.match(formatGateText(r), /connect\.p50 .* REGRESSED \(no test: beyond threshold and noise floor\)\n/);
  });

  it('keeps its noise floor under a lower --threshold', () => {
    // connect p50 is 11 ms here: +8 % is 0.9 ms, beyond the 0.5 ms floor and the 2 % asked.
    const r = gate(side({}), side({ latency: 1.08 }), ['connect.p50=2']);
    const x = comparison(r, 'connect.p50');
    assert.equal(x.beyondThreshold, true);
    assert.equal(x.regressed, false);
    assert.equal(x.unsure, true);
    assert.equal(x.reason, `unsure: within the noise floor (${GATE_NOISE_FLOOR_PCT['connect.p50']} %)`);
    assert.equal(r.verdict, 'unsure');
    assert.equal(gateExitCode(r), 0);
  });

  it('passes a change within the thresholds', () => {
    assert.equal(gate(side({}), side({ latency: 1.05, rss: 1.05 })).verdict, 'pass');
  });

  it('names both sides when their trial counts differ', () => {
    const r = gate(BASE3, side({}));
    assert.equal(
      r.cells[0]!.modeNote,
      'baseline 3 trials, current 1 trial: no significance test; medians and memory gated on thresholds and noise floors only, p99s not gated (a test needs 6 trials a side)',
    );
    assert.equal(comparison(r, 'echo.p99').reason, 'not gated: baseline 3 trials, current 1 trial; p99 needs ≥6');
  });

  it('counts a rise in failed clients in percent of the requested clients', () => {
    const r = gate(side({}), side({ failed: 5 }));
    const x = comparison(r, 'failed');
    assert.equal(x.changePct, 0.5);
    assert.equal(x.regressed, true);
    assert.equal(r.verdict, 'regression');
  });
});

describe('runGate with 3 trials a side (too few for the test)', () => {
  const doubled = side({ latency: 2 }, { latency: 2.04 }, { latency: 1.96 });

  it('reports p and Cliff’s δ, gates medians on thresholds, and never calls p = 0.100 significant', () => {
    const r = gate(BASE3, doubled);
    assert.equal(r.verdict, 'regression');
    const x = comparison(r, 'connect.p50');
    assert.equal(x.baselineMedian, 11.13);
    assert.equal(x.currentMedian, 22.26);
    assert.equal(x.pValue!.toFixed(3), '0.100');
    assert.equal(x.effect, 1);
    assert.equal(x.adjustedP, null);
    assert.equal(x.test, null);
    assert.equal(x.significant, null);
    assert.equal(x.regressed, true);
    // The tails doubled too, but 3 trials cannot support a verdict on them.
    assert.deepEqual(regressedMetrics(r), ['connect.p50', 'echo.p50']);
    assert.ok(TAILS.every((m) => comparison(r, m).reason === 'not gated: 3 trials a side; p99 needs ≥6'));
    assert.equal(comparison(r, 'timeToFirstMessage.p50').reason, 'under 0.5 ms');
    assert.equal(
      r.cells[0]!.modeNote,
      '3 trials a side: too few for Mann-Whitney U to reach p < 0.05 over 8 comparisons (smallest possible p 0.100); medians and memory gated on thresholds and noise floors only, p99s not gated (a test needs 6 trials a side)',
    );
    assert.equal(r.summary, 'regression: 2 of 7 gated comparisons regressed, 3 not gated (too few trials) (1 cell)');
    const rows = formatGateText(r)
      .split('\n')
      .filter((l) => l.includes('0.100'));
    assert.ok(rows.length >= 7, rows.join('\n'));
    for (const l of rows) assert.doesNotMatch(l.replace('not significant', ''), /significant/, l);
  });

  it('does not flag noise: a median beyond the threshold with overlapping trials', () => {
    const r = gate(
      side({ latency: 1 }, { latency: 1.3 }, { latency: 0.9 }),
      side({ latency: 1.25 }, { latency: 0.95 }, { latency: 1.35 }),
    );
    const x = comparison(r, 'connect.p50');
    assert.ok(x.changePct! > 20, `change ${x.changePct}`);
    assert.equal(x.beyondThreshold, true);
    assert.equal(x.regressed, false);
    assert.equal(x.unsure, true);
    assert.equal(x.reason, 'unsure: trials overlap (interval includes 0)');
    assert.equal(r.verdict, 'unsure');
    assert.equal(gateExitCode(r), 0);
    assert.equal(gateExitCode(r, true), 1);
    const text = formatGateText(r);
    assert.match(
      text,
      /^bench gate: unsure: 0 of 7 gated comparisons regressed, 2 unsure \(beyond the threshold, but the trials cannot tell it from noise\)/,
    );
    assert.match(text, /connect\.p50 .* UNSURE \(trials overlap \(interval includes 0\)\)\n/);
    assert.match(
      text,
      /\n {2}to decide, run both builds alternately until the difference is clear: bench compare --baseline <checkout> --current <checkout>/,
    );
    assert.equal(formatGateMarkdown(r).split('\n')[0], '## ❔ bench gate: unsure');
    assert.match(
      formatGateJUnit(r),
      /<testcase [^>]*name="connect\.p50"[^>]*>\s*<skipped message="unsure: trials overlap/,
    );
  });

  it('does not flag a shift under the threshold', () => {
    const r = gate(BASE3, side({ latency: 1.05 }, { latency: 1.06 }, { latency: 1.04 }));
    assert.equal(comparison(r, 'connect.p50').reason, 'within threshold');
    assert.equal(r.verdict, 'pass');
  });

  it('passes A against A', () => {
    const r = gate(BASE3, BASE3);
    assert.equal(r.verdict, 'pass');
    assert.equal(r.cells.length, 1);
    assert.equal(r.cells[0]!.comparisons.length, 10);
    assert.ok(
      r.cells[0]!.comparisons.every((x) => (x.gated ? x.reason === 'unchanged' : x.reason.startsWith('not gated'))),
    );
    assert.deepEqual(r.failures, []);
  });

  it('lets a threshold override absorb a change', () => {
    const r = gate(BASE3, doubled, ['connect.p50=150', 'echo.p50=200%']);
    assert.equal(r.thresholds['connect.p50'], 150);
    assert.equal(r.thresholds['rss.steady'], GATE_DEFAULT_THRESHOLDS['rss.steady']);
    assert.equal(r.verdict, 'pass');
  });
});

describe('runGate with 6 trials a side (the test decides)', () => {
  it('needs the Holm-corrected p below alpha and the change beyond the threshold', () => {
    const r = gate(BASE6, side(...trials(6, { rss: 1.5, tail: 1.3 })));
    assert.equal(r.cells[0]!.mode, 'significance');
    assert.equal(
      r.cells[0]!.modeNote,
      "6 trials a side: Mann-Whitney U decides, Holm-corrected over 8 comparisons (corrected p < 0.05 and beyond the threshold); effect size Cliff's δ",
    );
    assert.equal(r.tested, 8);
    assert.deepEqual(r.moreTrials, []);
    const x = comparison(r, 'rss.steady');
    assert.equal(x.test, 'mann-whitney');
    // Complete separation of 6 + 6: p = 2 / C(12, 6) = 2/924. Holm: two such p among 8, ×8 then ×7.
    assert.equal(x.pValue!.toFixed(5), (2 / 924).toFixed(5));
    assert.equal(x.adjustedP!.toFixed(5), ((8 * 2) / 924).toFixed(5));
    assert.equal(x.effect, 1);
    assert.equal(x.significant, true);
    assert.equal(x.regressed, true);
    // The p99s are separated as well (+30 %), but within their 50 % threshold.
    const tail = comparison(r, 'echo.p99');
    assert.equal(tail.significant, true);
    assert.equal(tail.reason, 'within threshold');
    assert.deepEqual(regressedMetrics(r), ['rss.steady', 'bytesPerClient']);
    assert.match(
      formatGateText(r),
      /rss\.steady .* 0\.002 +0\.017 +\+1\.00 +REGRESSED \(significant: Holm p < 0\.05\)\n/,
    );
  });

  it('lets the Holm correction turn a raw p < 0.05 into no regression', () => {
    // Two of the 36 pairs out of order: raw p = 8/924 = 0.0087, over 8 comparisons 0.069.
    const rss = (f: number[]) => f.map((x, i) => ({ rss: x, latency: 1 + 0.01 * i }));
    const r = gate(side(...rss([1, 1.01, 1.02, 1.03, 1.04, 1.52])), side(...rss([1.5, 1.51, 1.53, 1.54, 1.55, 1.56])));
    const x = comparison(r, 'rss.steady');
    assert.equal(x.effect!.toFixed(3), ((34 - 2) / 36).toFixed(3));
    assert.equal(x.pValue!.toFixed(4), (8 / 924).toFixed(4));
    assert.ok(x.pValue! < GATE_ALPHA, 'uncorrected, this would be a regression');
    assert.equal(x.adjustedP!.toFixed(4), ((8 * 8) / 924).toFixed(4));
    assert.equal(x.beyondThreshold, true);
    assert.equal(x.significant, false);
    assert.equal(x.regressed, false);
    // Beyond the threshold but not significant: the data cannot tell, and says so.
    assert.equal(x.unsure, true);
    assert.equal(x.reason, 'unsure: not significant');
    assert.equal(r.verdict, 'unsure');
    assert.equal(gateExitCode(r), 0);
    assert.equal(gateExitCode(r, true), 1);
  });

  it('passes A against A', () => {
    const r = gate(BASE6, BASE6);
    assert.equal(r.verdict, 'pass');
    assert.ok(r.cells[0]!.comparisons.every((x) => x.significant !== true && !x.regressed));
  });
});

describe('runGate across machines', () => {
  const other = { cpu: 'Intel Xeon', node: 'v22.11.0' };

  it('refuses runs of different machines in one line naming what differs', () => {
    assert.equal(
      usageMessage(() => gate(side({}), side({ env: other }))),
      "baseline and current ran on different machines (cpu: baseline AMD EPYC, current Intel Xeon; node: baseline Node 20, current Node 22): a difference would be the machine's, not the code's. Measure both sides on one machine, or pass --ignore-option machine to compare anyway.",
    );
  });

  it('tells profiles apart, whichever form the result stores them in', () => {
    assert.match(
      usageMessage(() => gate(side({}), side({ env: { profile: 'small-vm' } }))),
      /\(profile: baseline profile local, current profile small-vm\)/,
    );
    const record = { profile: { name: 'local', applied: [], skipped: [] } };
    assert.equal(gate(side({}), side({ env: record })).warning, null);
  });

  it('with --ignore-option machine compares anyway and says so in the first line', () => {
    const r = gate(side({}), side({ env: other }), [], ['machine']);
    assert.equal(
      r.warning,
      "WARNING: baseline and current ran on different machines: cpu: baseline AMD EPYC, current Intel Xeon; node: baseline Node 20, current Node 22. A difference may be the machine's, not the code's.",
    );
    assert.equal(formatGateText(r).split('\n')[0], r.warning);
    assert.equal(formatGateMarkdown(r).split('\n')[2], `> **${r.warning!.replace(/'/g, "'")}**`);
    assert.match(formatGateJUnit(r), /<property name="warning" value="WARNING: baseline and current ran on different/);
    assert.equal(r.verdict, 'pass');
  });

  it('lets what a gate compares differ: library versions, kernel, Node patch, a few MiB of memory', () => {
    const b = baseResult().env;
    const r = gate(
      side({}),
      side({
        env: {
          versions: { ...b.versions, ws: '9.0.0' },
          kernel: '6.19.0',
          node: 'v20.21.0',
          memoryBytes: b.memoryBytes - 64 * 1024 * 1024,
        },
      }),
    );
    assert.equal(r.warning, null);
    assert.equal(r.cells.length, 1);
  });

  it('notes runs that record no machine', () => {
    const dir = side({});
    const file = path.join(dir, 'ws-1000-t1.json');
    const noEnv = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    delete noEnv.env;
    writeJson(file, noEnv);
    const r2 = gate(side({}), dir);
    assert.equal(r2.warning, null);
    assert.ok(
      r2.notes.includes('1 run records no machine: cannot tell whether every run had one'),
      r2.notes.join('\n'),
    );
  });
});

describe('runGate with unusable or unpaired runs', () => {
  it('fails on an invalid current run, naming its reason', () => {
    const r = gate(BASE3, side({}, { invalid: 'the load generator was saturated' }, {}));
    assert.equal(r.verdict, 'regression');
    assert.deepEqual(
      r.failures.map((f) => [f.kind, f.cell]),
      [['invalid', 'ws · echo · 1,000 clients']],
    );
    assert.match(
      r.failures[0]!.message,
      /^current trial 2 \(.*ws-1000-t2\.json\): invalid: the load generator was saturated$/,
    );
    // The other two trials are still compared, without the invalid one.
    assert.equal(r.cells[0]!.currentTrials, 2);
    assert.deepEqual(regressedMetrics(r), []);
  });

  it('fails when a current run connected fewer clients than requested', () => {
    const r = gate(side({}), side({ connected: 990, failed: 10 }));
    assert.equal(r.verdict, 'regression');
    assert.match(r.failures[0]!.message, /: connected 990 of 1,000 clients$/);
  });

  it('fails on a baseline cell missing in current, and notes a new one', () => {
    const r = gate(side({}), side({ hold: 20 }));
    assert.equal(r.verdict, 'regression');
    assert.deepEqual(r.failures, [
      {
        kind: 'missing',
        cell: 'ws · echo · 1,000 clients · hold 10 s',
        message:
          'missing in current: no run with these options (current runs of ws at 1,000 clients differ in holdSeconds: baseline 10, current 20)',
      },
    ]);
    assert.deepEqual(r.notes, ['new in current, not compared: ws · echo · 1,000 clients · hold 20 s (1 trial)']);
  });

  it('pairs the Socket.IO tuning options and ws-native like any option, and ignores one when told', () => {
    const tuned = { options: { sioParser: 'msgpack', wsNative: 'off' } };
    const r = gate(side({}), side(tuned));
    assert.equal(r.failures[0]!.kind, 'missing');
    assert.equal(r.failures[0]!.cell, 'ws · echo · 1,000 clients · default parser · ws native on');
    assert.match(r.failures[0]!.message, /differ in sioParser: baseline default, current msgpack/);
    // A result from before the options reads as their defaults.
    assert.equal(gate(side({}), side({ options: { sioParser: 'default', wsNative: 'on' } })).verdict, 'pass');
    assert.equal(gate(side({}), side(tuned), [], ['sioParser', 'wsNative']).verdict, 'pass');
  });

  it('passes with a new library in current only noted', () => {
    const r = gate(side({}), path.join(root, 'both'));
    assert.equal(r.verdict, 'pass');
    assert.deepEqual(r.notes, ['new in current, not compared: sockjs · echo · 1,000 clients (1 trial)']);
  });

  it('leaves an invalid baseline run out with a note', () => {
    const r = gate(side({}, { invalid: 'saturated' }, {}), side({}));
    assert.equal(r.cells[0]!.baselineTrials, 2);
    assert.equal(r.notes.length, 1);
    assert.match(r.notes[0]!, /^baseline ws · echo · 1,000 clients trial 2 \(.*\) left out: invalid: saturated$/);
    assert.equal(r.verdict, 'pass');
  });
});

describe('formatters', () => {
  const hostile = 'saturated <b>&"it\'s"</b>\u0001';
  const regressed = gate(BASE3, side({ latency: 2 }, { latency: 2.04 }, { latency: 1.96 }));
  const invalid = gate(side({}), side({ invalid: hostile }));

  it('writes Markdown with the verdict, the regressions, and every comparison folded away', () => {
    const text = formatGateMarkdown(regressed);
    const lines = text.split('\n');
    assert.equal(lines[0], '## ❌ bench gate: regression');
    assert.ok(lines.includes('### Regressions'));
    assert.ok(
      lines.includes(
        "| cell | metric | baseline | current | change | limit | p-value | Holm p | Cliff's δ | 95 % CI of the difference |",
      ),
    );
    assert.ok(
      lines.includes(
        '| ws · echo · 1,000 clients | connect.p50 | 11.1 ms | 22.3 ms | +100.0 % | +10 % | 0.100 | – | +1.00 | +10.6 ms to +11.7 ms |',
      ),
      text,
    );
    assert.ok(
      lines.includes(
        '- for a test, run each side with 6 trials: bench sweep --trials 6 --libs ws --clients 1000 --out &lt;dir&gt;',
      ),
      text,
    );
    assert.ok(lines.includes('<details><summary>All 10 comparisons</summary>'));
    assert.ok(
      lines.includes(
        '| ws · echo · 1,000 clients | rss.steady | 74.4 MiB | 74.4 MiB | +0.0 % | +10 % | 1.000 | – | +0.00 | unchanged |',
      ),
      text,
    );
    assert.ok(
      lines.includes(
        '| ws · echo · 1,000 clients | echo.p99 | 306 ms | 612 ms | +100.0 % | +50 % | 0.100 | – | +1.00 | not gated: 3 trials a side; p99 needs ≥6 |',
      ),
      text,
    );
    assert.ok(lines.includes('</details>'));
    assert.equal(formatGateMarkdown(gate(BASE3, BASE3)).split('\n')[0], '## ✅ bench gate: pass');
    assert.ok(!formatGateMarkdown(gate(BASE3, BASE3)).includes('### Regressions'));
  });

  it('escapes result text in Markdown', () => {
    const text = formatGateMarkdown(invalid);
    assert.ok(!text.includes('<b>'), 'no raw HTML from a result');
    assert.match(text, /saturated &lt;b&gt;&amp;"it's"&lt;\/b&gt;/);
  });

  it('writes JUnit XML: one testcase per cell and metric, a failure per regression, a skip per ungated one', () => {
    const xml = formatGateJUnit(regressed);
    assert.ok(
      xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bench gate" tests="10" failures="2">'),
    );
    assert.ok(
      xml.includes('<testsuite name="ws · echo · 1,000 clients" tests="10" failures="2" errors="0" skipped="3">'),
    );
    assert.equal(xml.match(/<testcase /g)!.length, 10);
    assert.equal(xml.match(/<failure /g)!.length, 2);
    assert.ok(
      xml.includes(
        '<testcase classname="bench.gate.ws · echo · 1,000 clients" name="connect.p50" time="0">\n      <failure type="regression" message="connect.p50 +100.0 % (limit +10 %): REGRESSED (no test: beyond threshold and noise floor)">',
      ),
      xml,
    );
    assert.ok(
      xml.includes(
        '<testcase classname="bench.gate.ws · echo · 1,000 clients" name="echo.p99" time="0">\n      <skipped message="not gated: 3 trials a side; p99 needs ≥6"/>\n    </testcase>',
      ),
    );
    assert.ok(
      xml.includes('<testcase classname="bench.gate.ws · echo · 1,000 clients" name="rss.steady" time="0"></testcase>'),
    );
  });

  it('escapes XML and drops characters XML cannot hold', () => {
    const xml = formatGateJUnit(invalid);
    assert.ok(!xml.includes('<b>') && !xml.includes('\u0001'));
    assert.ok(xml.includes('invalid: saturated &lt;b&gt;&amp;&quot;it&apos;s&quot;&lt;/b&gt;'));
    assert.match(xml, /<testsuite name="runs" tests="1" failures="1"/);
  });

  it('writes a text table with one row per comparison', () => {
    const text = formatGateText(regressed);
    assert.ok(
      text.startsWith(
        'bench gate: regression: 2 of 7 gated comparisons regressed, 3 not gated (too few trials) (1 cell)\n',
      ),
    );
    assert.match(
      text,
      /\n {2}ws · echo · 1,000 clients +connect\.p50 +11\.1 ms +22\.3 ms +\+100\.0 % +\+10 % +0\.100 +– +\+1\.00 +REGRESSED \(no test: beyond threshold and noise floor\)\n/,
    );
    // Counts are functional: no test, so no p-value to misread.
    assert.match(
      text,
      /\n {2}ws · echo · 1,000 clients +connected +1,000 +1,000 +\+0\.0 % +any drop +– +– +– +unchanged\n/,
    );
  });
});

describe('thresholds', () => {
  it('keeps the documented defaults', () => {
    assert.deepEqual(resolveThresholds([]), { ...GATE_DEFAULT_THRESHOLDS });
    assert.equal(GATE_DEFAULT_THRESHOLDS['connect.p50'], 10);
    assert.equal(GATE_DEFAULT_THRESHOLDS['connect.p99'], 50);
    assert.equal(GATE_DEFAULT_THRESHOLDS.connected, 0);
  });

  it('names the bad text and the fix', () => {
    assert.equal(
      usageMessage(() => resolveThresholds(['connect.p99'])),
      '--threshold "connect.p99" is not METRIC=PERCENT. Example: --threshold connect.p99=20',
    );
    assert.equal(
      usageMessage(() => resolveThresholds(['latency=20'])),
      '--threshold "latency=20": unknown metric "latency". Known: connect.p50, connect.p99, echo.p50, echo.p99, timeToFirstMessage.p50, timeToFirstMessage.p99, room.p50, room.p99, rss.steady, bytesPerClient, connected, failed.',
    );
    assert.equal(
      usageMessage(() => resolveThresholds(['connect.p99=-5'])),
      '--threshold "connect.p99=-5": the percentage must be a number from 0 to 1000 (got "-5"). Example: --threshold connect.p99=20',
    );
    assert.equal(
      usageMessage(() => resolveThresholds(['connect.p99=ten'])),
      '--threshold "connect.p99=ten": the percentage must be a number from 0 to 1000 (got "ten"). Example: --threshold connect.p99=20',
    );
    assert.equal(
      usageMessage(() => resolveThresholds(['connect.p99=20', 'connect.p99=30'])),
      '--threshold connect.p99 is given twice ("connect.p99=20" and "connect.p99=30"). Give it once.',
    );
  });

  it('asks for both sides, and names the side of a bad path', () => {
    assert.equal(
      usageMessage(() => resolveGateOptions({ current: 'x' })),
      'Missing --baseline. Give a sweep folder or result files on each side, e.g. bench gate --baseline results/main --current results/pr.',
    );
    assert.equal(
      usageMessage(() => runGate(resolveGateOptions({ baseline: BASE3, current: path.join(root, 'nope') }))),
      `--current: ${path.join(root, 'nope')} does not exist. Give a sweep folder (with manifest.json) or result .json files.`,
    );
  });
});
