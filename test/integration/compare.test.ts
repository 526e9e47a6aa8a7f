/**
 * `bench compare` on real runs of this checkout against itself: once with regressions the current
 * side injects into its own server (it must find each, by about what was injected), once
 * unchanged (it must not call that a regression).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CompareReport } from '../../reports/compare/compare';
import { runBin } from '../helpers/bin';

const ROOT = path.resolve(__dirname, '../../..');
const CLIENTS = 100;
const WARMUP = 50;
const RUN = [
  '--lib',
  'ws',
  '--clients',
  String(CLIENTS),
  '--warmup',
  String(WARMUP),
  '--hold',
  '2',
  '--probes',
  '2',
  '--quiet',
];
/** The echo delay the current side injects (ms), and how far the measured difference may stray from it. */
const ECHO_DELAY_MS = 30;
const ECHO_TOLERANCE_MS = 8;
/** Bytes the current side's server keeps per connection, and the allowed error of the steady RSS difference. */
const RETAIN = 256 * 1024;
const RETAIN_TOLERANCE = 0.4;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-compare-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const decision = (r: CompareReport, metric: string) => r.decisions.find((d) => d.metric === metric)!;

/** `bench compare` of this checkout with itself, two pairs, into `out`; `extra` goes after the run flags. */
const compare = (out: string, extra: string[] = []) =>
  runBin(
    [
      'compare',
      '--baseline',
      ROOT,
      '--current',
      ROOT,
      ...RUN,
      '--min-runs',
      '4',
      '--max-runs',
      '4',
      '--out',
      out,
      '--json',
      ...extra,
    ],
    { timeoutMs: 240_000 },
  );

describe('bench compare on real runs', () => {
  it('finds an echo delay and a memory regression injected on the current side, each by about its size', async () => {
    const out = path.join(dir, 'regressed');
    const md = path.join(dir, 'compare.md');
    const r = await compare(out, [
      // With `=`: a value that starts with -- would otherwise be read as flags of compare itself.
      `--current-args=--echo-delay ${ECHO_DELAY_MS} --retain-per-connection ${RETAIN}`,
      '--markdown',
      md,
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^bench compare: regressed: /m);
    const report = JSON.parse(r.stdout) as CompareReport;
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'compare.json'), 'utf8')), report);
    assert.deepEqual(
      report.runs.map((x) => x.side),
      ['baseline', 'current', 'current', 'baseline'],
      'the order flips every pair',
    );
    assert.equal(report.pairs, 2);
    for (const x of report.runs) assert.ok(fs.existsSync(path.join(out, x.file)), x.file);
    const echo = decision(report, 'echo.p50');
    assert.equal(echo.outcome, 'regressed');
    const moved = echo.currentMean! - echo.baselineMean!;
    assert.ok(
      Math.abs(moved - ECHO_DELAY_MS) <= ECHO_TOLERANCE_MS,
      `echo p50 moved ${moved} ms, injected ${ECHO_DELAY_MS}`,
    );
    // Steady RSS, not bytes per client: at 100 clients the baseline's per-client figure can be
    // below what its RSS noise resolves (then null). The warm-up's connections were accepted
    // too, and what they kept stays: (clients + warm-up) × RETAIN.
    const memory = decision(report, 'rss.steady');
    assert.equal(memory.outcome, 'regressed');
    const kept = memory.currentMean! - memory.baselineMean!;
    const expected = (CLIENTS + WARMUP) * RETAIN;
    assert.ok(Math.abs(kept / expected - 1) <= RETAIN_TOLERANCE, `steady RSS rose ${kept}, injected ${expected}`);
    assert.match(fs.readFileSync(md, 'utf8'), /^## ❌ bench compare: regressed\n/);
  });

  it('does not fail unchanged code', async () => {
    const r = await compare(path.join(dir, 'same'));
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as CompareReport;
    assert.notEqual(report.verdict, 'regressed', report.summary);
    assert.deepEqual(report.failures, []);
    assert.ok(
      report.decisions.every((d) => d.outcome !== 'regressed'),
      report.summary,
    );
  });
});
