import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  formatGateJUnit,
  formatGateMarkdown,
  formatGateText,
  GATE_DEFAULT_THRESHOLDS,
  gateExitCode,
  resolveGateOptions,
  resolveThresholds,
  runGate,
  type GateComparison,
  type GateMetric,
  type GateReport,
} from '../../analysis/gate';
import type { RunResult } from '../../runner/result';
import { baseResult, tempDir, writeJson } from '../helpers/report-fixtures';
import { usageMessage } from '../helpers/usage';

/** How one trial differs from the fixture (a real ws run at 1,000 clients). */
interface Shape {
  /** factor on every latency, on top of ×10 so p50s sit well above the 0.5 ms floor */
  latency?: number;
  /** factor on the memory the clients add (20 MB at 1) */
  rss?: number;
  connected?: number;
  failed?: number;
  invalid?: string;
  hold?: number;
  lib?: 'ws' | 'socketio' | 'sockjs';
}

function trial(s: Shape = {}): RunResult {
  const r = baseResult();
  const k = 10 * (s.latency ?? 1);
  for (const stats of [r.connectMs, r.firstMessageMs, r.echoMs]) {
    for (const key of ['p50', 'p90', 'p99', 'max', 'mean'] as const)
      stats![key] = Math.round(stats![key] * k * 1000) / 1000;
  }
  const rss = r.server.rssBytes;
  rss.steady = rss.idle! + Math.round(20_000_000 * (s.rss ?? 1));
  r.server.bytesPerClient = Math.round((rss.steady - rss.idle!) / 1000);
  r.clients = { requested: 1000, connected: s.connected ?? 1000, failed: s.failed ?? 0 };
  if (s.invalid) r.loadgen = { ...r.loadgen, valid: false, invalidReasons: [s.invalid] };
  if (s.hold !== undefined) r.options.holdSeconds = s.hold;
  if (s.lib) r.lib = s.lib;
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
    r.startedAt = `2026-01-01T00:00:0${i}.000Z`;
    writeJson(path.join(dir, `${r.lib}-1000-t${i + 1}.json`), r);
  });
  return dir;
}

function gate(baseline: string, current: string, thresholds: string[] = []): GateReport {
  return runGate(resolveGateOptions({ baseline, current, threshold: thresholds }));
}

function comparison(r: GateReport, metric: GateMetric, cell = 0): GateComparison {
  const c = r.cells[cell]!.comparisons.find((x) => x.metric === metric);
  assert.ok(c, `no ${metric} comparison`);
  return c;
}

const regressedMetrics = (r: GateReport) =>
  r.cells.flatMap((c) => c.comparisons.filter((x) => x.regressed).map((x) => x.metric));

// A folder with ws and sockjs, for the "new in current" case below.
{
  const dir = path.join(root, 'both');
  writeJson(path.join(dir, 'ws.json'), trial());
  writeJson(path.join(dir, 'sockjs.json'), trial({ lib: 'sockjs' }));
}

// Three trials a side with a little jitter, as a quiet machine gives.
const BASE3 = side({ latency: 1 }, { latency: 1.01 }, { latency: 0.99 });

describe('runGate with 3 trials a side', () => {
  it('catches a clear regression (every latency doubled)', () => {
    const r = gate(BASE3, side({ latency: 2 }, { latency: 2.04 }, { latency: 1.96 }));
    assert.equal(r.verdict, 'regression');
    assert.equal(gateExitCode(r), 1);
    const x = comparison(r, 'connect.p50');
    assert.equal(x.baselineMedian, 11.13);
    assert.equal(x.currentMedian, 22.26);
    assert.equal(Math.round(x.changePct! * 10) / 10, 100);
    assert.equal(x.test, 'bootstrap');
    assert.equal(x.significant, true);
    assert.ok(x.difference!.low > 0, 'the interval excludes 0');
    assert.equal(x.pValue!.toFixed(3), '0.100');
    assert.equal(x.regressed, true);
    assert.deepEqual(regressedMetrics(r), ['connect.p50', 'connect.p99', 'firstMessage.p99', 'echo.p50', 'echo.p99']);
    // firstMessage p50 is 0.46 ms: doubled, it moves by less than the 0.5 ms floor.
    assert.equal(comparison(r, 'firstMessage.p50').reason, 'under 0.5 ms');
    assert.equal(comparison(r, 'rss.steady').reason, 'unchanged');
    assert.equal(r.cells[0]!.mode, 'significance');
    assert.equal(
      r.cells[0]!.modeNote,
      '3 trials: thresholds and a bootstrap interval of the medians (too few trials for Mann-Whitney U to reach p < 0.05)',
    );
    assert.equal(r.summary, 'regression: 5 of 10 comparisons regressed (1 cell)');
  });

  it('does not flag noise: a change beyond the threshold with overlapping samples', () => {
    const r = gate(
      side({ latency: 1 }, { latency: 1.3 }, { latency: 0.9 }),
      side({ latency: 1.25 }, { latency: 0.95 }, { latency: 1.35 }),
    );
    const x = comparison(r, 'connect.p50');
    assert.ok(x.changePct! > 20, `change ${x.changePct}`);
    assert.equal(x.beyondThreshold, true);
    assert.equal(x.significant, false);
    assert.equal(x.reason, 'not significant');
    assert.equal(r.verdict, 'pass');
    assert.equal(gateExitCode(r), 0);
  });

  it('does not flag a significant shift under the threshold', () => {
    const r = gate(BASE3, side({ latency: 1.05 }, { latency: 1.06 }, { latency: 1.04 }));
    const x = comparison(r, 'connect.p50');
    assert.equal(x.significant, true);
    assert.equal(x.reason, 'within threshold');
    assert.equal(r.verdict, 'pass');
  });

  it('uses Mann-Whitney U once it can reach alpha (4 trials a side)', () => {
    const r = gate(
      side({}, { latency: 1.01, rss: 1.01 }, { latency: 0.99, rss: 0.99 }, { latency: 1.02, rss: 1.02 }),
      side({ rss: 1.5 }, { rss: 1.52, latency: 1.01 }, { rss: 1.48, latency: 0.99 }, { rss: 1.51, latency: 1.02 }),
    );
    const x = comparison(r, 'rss.steady');
    assert.equal(x.test, 'mann-whitney');
    assert.equal(x.pValue!.toFixed(4), '0.0286');
    assert.equal(x.regressed, true);
    assert.deepEqual(regressedMetrics(r), ['rss.steady', 'bytesPerClient']);
    assert.equal(r.cells[0]!.modeNote, '4 trials: thresholds and Mann-Whitney U (p < 0.05)');
  });

  it('passes A against A', () => {
    const r = gate(BASE3, BASE3);
    assert.equal(r.verdict, 'pass');
    assert.equal(r.cells.length, 1);
    assert.equal(r.cells[0]!.comparisons.length, 10);
    assert.ok(r.cells[0]!.comparisons.every((x) => x.reason === 'unchanged' && x.significant === false));
    assert.deepEqual(r.failures, []);
  });

  it('lets a threshold override absorb a change', () => {
    const current = side({ latency: 2 }, { latency: 2.04 }, { latency: 1.96 });
    const r = gate(BASE3, current, [
      'connect.p50=150',
      'echo.p50=200%,echo.p99=500,connect.p99=900,firstMessage.p99=900',
    ]);
    assert.equal(r.thresholds['connect.p50'], 150);
    assert.equal(r.thresholds['rss.steady'], GATE_DEFAULT_THRESHOLDS['rss.steady']);
    assert.equal(r.verdict, 'pass');
  });
});

describe('runGate with 1 trial', () => {
  it('uses thresholds only and says so', () => {
    const r = gate(side({}), side({ latency: 1.5 }));
    assert.equal(r.cells[0]!.mode, 'thresholds');
    assert.equal(
      r.cells[0]!.modeNote,
      '1 trial: thresholds only, no significance test (3 or more trials on each side enable one)',
    );
    const x = comparison(r, 'connect.p50');
    assert.equal(x.pValue, null);
    assert.equal(x.significant, null);
    assert.equal(x.regressed, true);
    assert.equal(r.verdict, 'regression');
    assert.match(formatGateText(r), /1 trial: thresholds only, no significance test/);
  });

  it('passes a change within the thresholds', () => {
    assert.equal(gate(side({}), side({ latency: 1.05, rss: 1.05 })).verdict, 'pass');
  });

  it('names both sides when their trial counts differ', () => {
    const r = gate(BASE3, side({}));
    assert.equal(
      r.cells[0]!.modeNote,
      'baseline 3 trials, current 1 trial: thresholds only, no significance test (3 or more trials on each side enable one)',
    );
  });

  it('counts a rise in failed clients in percent of the requested clients', () => {
    const r = gate(side({}), side({ failed: 5 }));
    const x = comparison(r, 'failed');
    assert.equal(x.changePct, 0.5);
    assert.equal(x.regressed, true);
    assert.equal(r.verdict, 'regression');
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
      lines.includes('| cell | metric | baseline | current | change | limit | p-value | 95 % CI of the difference |'),
    );
    assert.ok(
      lines.includes(
        '| ws · echo · 1,000 clients | connect.p50 | 11.1 ms | 22.3 ms | +100.0 % | +10 % | 0.100 | +10.6 ms to +11.7 ms |',
      ),
      text,
    );
    assert.ok(lines.includes('<details><summary>All 10 comparisons</summary>'));
    assert.ok(
      lines.includes(
        '| ws · echo · 1,000 clients | rss.steady | 74.4 MiB | 74.4 MiB | +0.0 % | +10 % | 1.000 | unchanged |',
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

  it('writes JUnit XML: one testcase per cell and metric, a failure per regression', () => {
    const xml = formatGateJUnit(regressed);
    assert.ok(
      xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bench gate" tests="10" failures="5">'),
    );
    assert.ok(
      xml.includes('<testsuite name="ws · echo · 1,000 clients" tests="10" failures="5" errors="0" skipped="0">'),
    );
    assert.equal(xml.match(/<testcase /g)!.length, 10);
    assert.equal(xml.match(/<failure /g)!.length, 5);
    assert.ok(
      xml.includes(
        '<testcase classname="bench.gate.ws · echo · 1,000 clients" name="connect.p50" time="0">\n      <failure type="regression" message="connect.p50 +100.0 % (limit +10 %): REGRESSED (significant: bootstrap interval)">',
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
    assert.ok(text.startsWith('bench gate: regression: 5 of 10 comparisons regressed (1 cell)\n'));
    assert.match(
      text,
      /\n {2}ws · echo · 1,000 clients +connect\.p50 +11\.1 ms +22\.3 ms +\+100\.0 % +\+10 % +0\.100 +REGRESSED \(significant: bootstrap interval\)\n/,
    );
    assert.match(
      text,
      /\n {2}ws · echo · 1,000 clients +connected +1,000 +1,000 +\+0\.0 % +any drop +1\.000 +unchanged\n/,
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
      '--threshold "latency=20": unknown metric "latency". Known: connect.p50, connect.p99, firstMessage.p50, firstMessage.p99, echo.p50, echo.p99, rss.steady, bytesPerClient, connected, failed.',
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
