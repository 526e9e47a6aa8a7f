import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  GATE_SOAK_THRESHOLD_PER_1000,
  decideSoak,
  gateExitCode,
  resolveGateOptions,
  runGate,
  standardError,
  type GateReport,
} from '../../reports/gate/gate';
import { formatGateJUnit } from '../../reports/gate/junit';
import { formatGateMarkdown } from '../../reports/gate/markdown';
import { formatGateText } from '../../reports/gate/text';
import { SCHEMA_VERSION } from '../../runner/result/schema';
import type { SoakFit, SoakResult } from '../../runner/result/soak-schema';
import { baseResult, tempDir, writeJson } from '../helpers/report-fixtures';
import { usageMessage } from '../helpers/usage';

const KIB = 1024;

/** A soak as a test wants it; slopes and interval half-widths in KiB per 1,000 cycles. */
interface SoakShape {
  slope?: number;
  /** half the 95 % interval's width */
  half?: number;
  floor?: number;
  lib?: string;
  clients?: number;
  churn?: number;
  transport?: 'websocket' | 'polling';
  deflate?: boolean;
  abrupt?: number;
  retain?: number;
  warmup?: number;
  status?: SoakResult['status'];
  error?: string;
  unfit?: boolean;
  startedAt?: string;
  env?: Record<string, unknown>;
}

function fitOf(slope: number, half: number, floor: number): SoakFit {
  return {
    metric: 'heapAndExternalAfterGc',
    slopePer1000: slope * KIB,
    ci95: [(slope - half) * KIB, (slope + half) * KIB],
    detectablePer1000: floor * KIB,
    r2: 0.9,
    n: 60,
  };
}

function soak(s: SoakShape = {}): SoakResult {
  const fit = s.unfit ? null : fitOf(s.slope ?? 0, s.half ?? 3, s.floor ?? 8);
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: 'bench-soak',
    lib: s.lib ?? 'ws',
    startedAt: s.startedAt ?? '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:05:00.000Z',
    status: s.status ?? 'completed',
    error: s.error ?? null,
    config: {
      transport: s.transport ?? 'websocket',
      deflate: s.deflate ?? false,
      clients: s.clients ?? 200,
      churnPerSecond: s.churn ?? 50,
      durationSeconds: 300,
      warmupSeconds: s.warmup ?? 30,
      abruptShare: s.abrupt ?? 0.5,
      meanLifeSeconds: (s.clients ?? 200) / (s.churn ?? 50),
      fitFromSeconds: 36,
      echoEveryMs: 1000,
      sampleIntervalMs: 1000,
      retainPerConnectionBytes: s.retain ?? 0,
    },
    verdict: fit
      ? { kind: 'no-growth', text: 'no growth detected above 8.0 KiB per 1,000 connections' }
      : {
          kind: 'unfit',
          text: 'no slope could be fitted (12 connection cycles, too few samples after the population filled)',
        },
    cyclesCompleted: 15_000,
    cyclesClean: 7_500,
    cyclesAbrupt: 7_500,
    connected: 15_200,
    failed: 0,
    dropped: 0,
    fit,
    rssFit: fit,
    series: [],
    heapGrowth: null,
    env: { ...baseResult().env, ...s.env } as SoakResult['env'],
  };
}

const root = tempDir('bench-gate-soak-');
after(() => fs.rmSync(root, { recursive: true, force: true }));
let files = 0;

/** Writes each soak to its own file and returns the paths. */
function write(...soaks: SoakShape[]): string[] {
  return soaks.map((s) => writeJson(path.join(root, `soak-${++files}.json`), soak(s)));
}

function gate(baseline: string[], current: string[], raw: Record<string, unknown> = {}): GateReport {
  return runGate(resolveGateOptions({ baseline, current, ...raw }));
}

describe('bench gate on two soaks: the decision', () => {
  it('calls a difference whose whole interval is above the threshold regressed, and fails', () => {
    // Halves 3 and 4 combine to 5: d = 38, 95 % CI 33 to 43, all above 16.
    const r = gate(write({ slope: 2, half: 3 }), write({ slope: 40, half: 4 }));
    assert.equal(r.soaks.length, 1);
    const x = r.soaks[0]!;
    assert.equal(x.outcome, 'regressed');
    assert.equal(x.regressed, true);
    assert.equal(x.reason, 'regressed: +38 KiB per 1,000 connections (95 % CI 33 to 43), all above +16');
    assert.equal(x.differencePer1000, 38 * KIB);
    assert.deepEqual(
      x.differenceCi95.map((v) => Math.round(v / KIB)),
      [33, 43],
    );
    assert.equal(x.thresholdPer1000, 16 * KIB);
    assert.equal(x.label, 'soak ws · 200 clients × 50/s');
    assert.equal(r.verdict, 'regression');
    assert.equal(r.summary, 'regression: 1 of 1 soak comparison regressed (1 soak pair)');
    assert.deepEqual(r.failures, []);
    assert.equal(gateExitCode(r), 1);
  });

  it('calls one wholly below minus the threshold improved, and passes', () => {
    const r = gate(write({ slope: 40, half: 4 }), write({ slope: 2, half: 3 }));
    const x = r.soaks[0]!;
    assert.equal(x.outcome, 'improved');
    assert.equal(x.reason, 'improved: -38 KiB per 1,000 connections (95 % CI -43 to -33), all below -16');
    assert.equal(r.verdict, 'pass');
    assert.equal(gateExitCode(r, true), 0);
  });

  it('calls one wholly within ± the threshold the same', () => {
    const r = gate(write({ slope: 10, half: 3 }), write({ slope: 12, half: 4 }));
    const x = r.soaks[0]!;
    assert.equal(x.outcome, 'same');
    assert.equal(x.reason, 'same within ±16 KiB per 1,000: +2 KiB per 1,000 connections (95 % CI -3 to 7)');
    assert.equal(r.verdict, 'pass');
    assert.equal(r.summary, 'pass: 0 of 1 soak comparison regressed (1 soak pair)');
  });

  it('is unsure when the interval is too wide to tell, and says how far each soak could see', () => {
    const r = gate(write({ slope: 10, half: 30, floor: 42.5 }), write({ slope: 30, half: 40, floor: 56.7 }));
    const x = r.soaks[0]!;
    assert.equal(x.outcome, 'unsure');
    assert.equal(x.unsure, true);
    assert.equal(
      x.reason,
      "unsure: the slopes' intervals are too wide to tell a change of 16 KiB per 1,000; soak longer (detection floors: baseline 42.5, current 56.7 KiB per 1,000)",
    );
    assert.equal(r.verdict, 'unsure');
    assert.equal(
      r.summary,
      "unsure: 0 of 1 soak comparison regressed, 1 soak unsure (the slopes' intervals too wide to tell a change of the threshold) (1 soak pair)",
    );
    assert.equal(gateExitCode(r), 0);
    assert.equal(gateExitCode(r, true), 1);
    const text = formatGateText(r);
    assert.ok(text.includes('to decide, soak both sides longer'), text);
    assert.ok(!text.includes('bench compare --baseline <checkout>'), 'the hint for runs is not for soaks');
  });

  it('is unsure when a narrow interval straddles the threshold', () => {
    // d = 16, 95 % CI 11 to 21.
    const r = gate(write({ slope: 0, half: 3 }), write({ slope: 16, half: 4 }));
    assert.equal(r.soaks[0]!.outcome, 'unsure');
  });

  it('reads each standard error from the interval with 1.96, and combines them in quadrature', () => {
    assert.equal(standardError([0, 3.92]), 1);
    const d = decideSoak(fitOf(0, 1.96 * 3, 5), fitOf(100, 1.96 * 4, 5), 0);
    assert.equal(d.differencePer1000, 100 * KIB);
    assert.ok(Math.abs(d.differenceCi95[0] - (100 - 1.96 * 5) * KIB) < 1e-6);
    assert.ok(Math.abs(d.differenceCi95[1] - (100 + 1.96 * 5) * KIB) < 1e-6);
  });

  it('takes --soak-threshold in KiB per 1,000 connections', () => {
    assert.equal(GATE_SOAK_THRESHOLD_PER_1000, 16 * KIB);
    // d = 38, 95 % CI 33 to 43: regressed at 16, unsure at 40, same at 50.
    const b = write({ slope: 2, half: 3 });
    const c = write({ slope: 40, half: 4 });
    const at = (t: string) => gate(b, c, { soakThreshold: t }).soaks[0]!;
    assert.equal(at('40').outcome, 'unsure');
    assert.equal(at('40').thresholdPer1000, 40 * KIB);
    assert.equal(at('50').outcome, 'same');
    assert.equal(at('0.5').thresholdPer1000, 512);
    assert.equal(gate(b, c, { soakThreshold: '40' }).soakThresholdPer1000, 40 * KIB);
    assert.equal(
      usageMessage(() => resolveGateOptions({ baseline: b, current: c, soakThreshold: '-3' })),
      '--soak-threshold must be KiB per 1,000 connections, a number from 0 to 1000000 (got "-3"). Example: --soak-threshold 16',
    );
    assert.throws(() => resolveGateOptions({ baseline: b, current: c, soakThreshold: '16KiB' }), /--soak-threshold/);
  });
});

describe('bench gate on two soaks: what fails and what is a note', () => {
  it('fails on a current soak that did not complete, or whose slope could not be fitted', () => {
    const [errored] = write({ status: 'errored', error: 'the ws server exited' });
    const [unfit] = write({ unfit: true });
    for (const [file, why] of [
      [errored!, 'errored: the ws server exited'],
      [unfit!, 'unfit: no slope could be fitted (12 connection cycles, too few samples after the population filled)'],
    ] as const) {
      const r = gate(write({}), [file]);
      assert.deepEqual(r.soaks, []);
      assert.deepEqual(r.failures, [
        { kind: 'invalid', cell: 'soak ws · 200 clients × 50/s', message: `current soak ${file}: ${why}` },
      ]);
      assert.equal(r.verdict, 'regression');
      assert.equal(r.summary, 'regression: 0 of 0 soak comparisons regressed, 1 unusable current soak (0 soak pairs)');
      assert.equal(gateExitCode(r), 1);
    }
  });

  it('leaves an unusable baseline soak out with a note (then nothing is compared, as with runs)', () => {
    const [bad] = write({ status: 'aborted', error: 'interrupted by SIGINT' });
    const r = gate([bad!], write({}));
    assert.deepEqual(
      r.failures.map((f) => f.kind),
      ['empty'],
    );
    assert.deepEqual(r.notes, [
      `baseline soak ws · 200 clients × 50/s (${bad}) left out: aborted: interrupted by SIGINT`,
      'soak ws · 200 clients × 50/s: not compared, the baseline has no usable soak',
    ]);
  });

  it('fails on a baseline soak missing in current, naming what differs; a soak only in current is a note', () => {
    const r = gate(write({ churn: 50 }), write({ churn: 100 }));
    assert.deepEqual(r.soaks, []);
    assert.deepEqual(r.failures, [
      {
        kind: 'missing',
        cell: 'soak ws · 200 clients × 50/s',
        message:
          'missing in current: no soak with these options (current soaks of ws at 200 clients differ in churnPerSecond: baseline 50, current 100)',
      },
    ]);
    assert.deepEqual(r.notes, ['new in current, not compared: soak ws · 200 clients × 100/s (1 soak)']);
    assert.equal(
      r.summary,
      'regression: 0 of 0 soak comparisons regressed, 1 baseline soak missing in current (0 soak pairs)',
    );
    assert.equal(gateExitCode(r), 1);
  });

  it('notes a soak only in current beside a pair it compares', () => {
    const r = gate(write({}), write({}, { lib: 'socketio' }));
    assert.equal(r.soaks.length, 1);
    assert.deepEqual(r.failures, []);
    assert.deepEqual(r.notes, ['new in current, not compared: soak socketio · 200 clients × 50/s (1 soak)']);
    assert.equal(r.verdict, 'pass');
  });

  it('compares the latest of several soaks of one configuration on a side', () => {
    const [older] = write({ slope: 40, half: 4, startedAt: '2026-01-01T00:00:00.000Z' });
    const [newer] = write({ slope: 2, half: 3, startedAt: '2026-01-02T00:00:00.000Z' });
    const r = gate([newer!, older!], write({ slope: 3, half: 3 }));
    assert.equal(r.soaks[0]!.baseline.file, newer);
    assert.equal(r.soaks[0]!.outcome, 'same');
    assert.deepEqual(r.notes, [
      `baseline soak ws · 200 clients × 50/s (${older}) left out: a later soak of the same configuration is compared`,
    ]);
  });

  it('refuses soaks of different machines, as it refuses runs', () => {
    const msg = usageMessage(() => gate(write({}), write({ env: { cpu: 'Intel Xeon' } })));
    assert.match(msg, /^baseline and current ran on different machines \(cpu: baseline .+, current Intel Xeon\)/);
  });
});

describe('bench gate on two soaks: pairing', () => {
  it('pairs a soak with the test-only leak switch with one without, as the run gate does serverTest', () => {
    const r = gate(write({ slope: 14.7, half: 43.7 }), write({ slope: 64_498, half: 123.3, retain: 65_536 }));
    assert.equal(r.soaks.length, 1);
    assert.equal(r.soaks[0]!.outcome, 'regressed');
    assert.equal(r.soaks[0]!.current.retainPerConnectionBytes, 65_536);
    assert.deepEqual(r.notes, [
      "soak ws · 200 clients × 50/s: the current soak kept 65,536 bytes per connection (the test-only --retain-per-connection): an injected leak, not the server's",
    ]);
  });

  it('pairs across duration and warm-up, with a note when the warm-ups differ', () => {
    const r = gate(write({ warmup: 3 }), write({ warmup: 10 }));
    assert.equal(r.soaks.length, 1);
    assert.deepEqual(r.notes, [
      "soak ws · 200 clients × 50/s: the soaks warmed up for different times (baseline 3 s, current 10 s): a shorter warm-up fits more of a fresh server's own early growth",
    ]);
  });

  for (const [what, b, c] of [
    ['transport', { lib: 'socketio', transport: 'websocket' }, { lib: 'socketio', transport: 'polling' }],
    ['deflate', { deflate: false }, { deflate: true }],
    ['churn', { churn: 50 }, { churn: 40 }],
    ['clients', { clients: 200 }, { clients: 400 }],
    ['abrupt share', { abrupt: 0.5 }, { abrupt: 0.3 }],
    ['library', { lib: 'ws' }, { lib: 'sockjs' }],
  ] as const) {
    it(`does not pair soaks of different ${what}`, () => {
      const r = gate(write(b as SoakShape), write(c as SoakShape));
      assert.deepEqual(r.soaks, []);
      assert.equal(r.failures.length, 1);
      assert.equal(r.failures[0]!.kind, 'missing');
      assert.equal(r.verdict, 'regression');
    });
  }

  it('labels pairs by the options that tell them apart', () => {
    const r = gate(write({ deflate: false }, { deflate: true }), write({ deflate: false }, { deflate: true }));
    assert.deepEqual(
      r.soaks.map((x) => x.label),
      ['soak ws · 200 clients × 50/s · deflate off', 'soak ws · 200 clients × 50/s · deflate on'],
    );
  });

  it('pairs across deflate with --ignore-option deflate', () => {
    const r = gate(write({ deflate: false }), write({ deflate: true }), { ignoreOption: ['deflate'] });
    assert.equal(r.soaks.length, 1);
    assert.deepEqual(r.failures, []);
  });

  it('compares runs and soaks given in the same folders', () => {
    const folder = (name: string, s: SoakShape) => {
      const dir = path.join(root, name);
      writeJson(path.join(dir, 'ws-1000.json'), baseResult());
      writeJson(path.join(dir, 'soak-ws.json'), soak(s));
      return dir;
    };
    const r = gate([folder('mixed-b', { slope: 2, half: 3 })], [folder('mixed-c', { slope: 40, half: 4 })]);
    assert.equal(r.cells.length, 1);
    assert.ok(r.cells[0]!.comparisons.length > 0);
    assert.equal(r.soaks.length, 1);
    assert.equal(r.baseline.runs, 1);
    assert.equal(r.baseline.soaks, 1);
    assert.equal(r.verdict, 'regression');
    assert.match(
      r.summary,
      /^regression: 0 of \d+ gated comparisons regressed, \d+ not gated \(too few trials\), 1 of 1 soak comparison regressed \(1 cell, 1 soak pair\)$/,
    );
  });
});

describe('bench gate on two soaks: the formats', () => {
  const regressed = () => gate(write({ slope: 2, half: 3 }), write({ slope: 40, half: 4 }));

  it('prints a line per soak pair in the text', () => {
    const text = formatGateText(regressed());
    assert.ok(text.includes('(0 runs, 1 soak)'), text);
    assert.ok(
      text.includes(
        '    soak ws · 200 clients × 50/s: heap+external +40 KiB per 1,000 (95 % CI 36 to 44) vs baseline +2 (95 % CI -1 to 5); difference +38 (95 % CI 33 to 43), limit ±16: REGRESSED\n',
      ),
      text,
    );
  });

  it('adds a soak table to the Markdown', () => {
    const md = formatGateMarkdown(regressed());
    assert.ok(md.includes('### Soaks'), md);
    assert.ok(
      md.includes(
        '| soak ws · 200 clients × 50/s | +2 (95 % CI -1 to 5) | +40 (95 % CI 36 to 44) | +38 (95 % CI 33 to 43) | ±16 | REGRESSED |',
      ),
      md,
    );
  });

  it('fails a testcase of a soaks suite in the JUnit, and skips an unsure one', () => {
    const xml = formatGateJUnit(regressed());
    assert.ok(xml.includes('<testsuite name="soaks" tests="1" failures="1" errors="0" skipped="0">'), xml);
    assert.ok(xml.includes('<testcase classname="bench.gate.soaks" name="soak ws · 200 clients × 50/s"'), xml);
    assert.ok(xml.includes('<testsuites name="bench gate" tests="1" failures="1">'), xml);
    const unsure = formatGateJUnit(gate(write({ slope: 10, half: 30 }), write({ slope: 30, half: 40 })));
    assert.ok(unsure.includes('skipped="1"'), unsure);
    assert.ok(unsure.includes('<skipped message="unsure: the slopes&apos; intervals are too wide'), unsure);
  });
});
