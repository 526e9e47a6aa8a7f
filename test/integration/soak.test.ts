import { describe, it, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { runBin } from '../helpers/bin';
import type { SoakResult } from '../../runner/result/soak-schema';
import type { GateReport } from '../../reports/gate/gate';

const SOAK_SCHEMA = path.resolve(__dirname, '../../../docs/soak.schema.json');

function assertSoakSchema(value: unknown): void {
  const validate = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false }).compile(
    JSON.parse(fs.readFileSync(SOAK_SCHEMA, 'utf8')) as object,
  );
  assert.ok(validate(value), JSON.stringify(validate.errors, null, 2));
}

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-soak-test-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** 64 KiB kept per connection: 64,000 KiB per 1,000 connection cycles. */
const RETAIN = 65_536;
const EXPECTED_PER_1000 = (RETAIN * 1000) / 1024;
/** How far the slope found may be from what the server keeps (KiB per 1,000): 5 %. */
const TOLERANCE = 0.05;
/** Both soaks' churn (clients a second), with 200 clients: each lives 1 s on average. */
const CHURN = 200;

async function soak(name: string, extra: string[]): Promise<{ result: SoakResult; stderr: string }> {
  const out = path.join(dir, `${name}.json`);
  const r = await runBin(
    ['soak', '--lib', 'ws', '--clients', '200', '--sample-interval', '250', '--out', out, ...extra],
    {
      timeoutMs: 90_000,
    },
  );
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(fs.readFileSync(out, 'utf8')) as SoakResult;
  assertSoakSchema(result);
  return { result, stderr: r.stderr };
}

const kibPer1000 = (bytes: number) => bytes / 1024;

/** What a command printed, line by line in the test's output: the numbers docs/soak.md quotes. */
const show = (t: TestContext, text: string) => {
  for (const line of text.trimEnd().split('\n')) t.diagnostic(line);
};

describe('bench soak (real ws server, real Artillery)', () => {
  it('finds a known leak of 64 KiB a connection within 5 %', async (t) => {
    // The leak dwarfs the server warming up (a few hundred bytes a connection): a short warm-up is enough.
    // Clients and churn as the soak without the leak below, so that bench gate pairs the two.
    // 3 s warm-up (600 cycles at 200/s) + 8 s: about 15 s in all.
    const { result, stderr } = await soak('leak', [
      '--churn',
      String(CHURN),
      '--warmup',
      '3',
      '--duration',
      '8',
      '--retain-per-connection',
      String(RETAIN),
      '--heap-snapshots',
    ]);
    show(t, stderr);
    assert.equal(result.status, 'completed');
    assert.equal(result.verdict.kind, 'leak', stderr);
    assert.ok(stderr.startsWith('LEAK ws: leaks about '), stderr);
    const slope = kibPer1000(result.fit!.slopePer1000);
    assert.ok(Math.abs(slope - EXPECTED_PER_1000) <= TOLERANCE * EXPECTED_PER_1000, `slope ${slope} KiB per 1,000`);
    assert.ok(result.cyclesCompleted >= 500, String(result.cyclesCompleted));
    assert.ok(result.cyclesAbrupt > 0 && result.cyclesClean > 0, JSON.stringify(result));
    assert.equal(result.failed, 0);
    assert.ok(result.series.length >= 20);
    assert.ok(result.series.every((s) => s.externalBytes !== null && s.rssBytes !== null));

    // --heap-snapshots: the kept Buffers' backing stores are what grew between the two snapshots,
    // one per connection the server accepted in between (those that closed and those still open).
    const h = result.heapGrowth!;
    assert.ok(h, 'heapGrowth with --heap-snapshots');
    assert.ok(h.files.every((f) => fs.statSync(f).size > 0 && f.startsWith(path.join(dir, 'leak.heap'))));
    const accepted = h.cycles[1] - h.cycles[0] + (h.open[1] - h.open[0]);
    assert.ok(accepted >= 300, `${accepted} connections between the snapshots`);
    const top = h.grew[0]!;
    assert.equal(top.name, 'system / JSArrayBufferData', JSON.stringify(h.grew.slice(0, 3)));
    const kept = top.countAfter - top.countBefore;
    assert.ok(Math.abs(kept - accepted) <= 10 + 0.05 * accepted, `${kept} buffers kept for ${accepted} connections`);
    const perBuffer = (top.bytesAfter - top.bytesBefore) / kept;
    assert.ok(Math.abs(perBuffer - RETAIN) <= 0.05 * RETAIN, `${perBuffer} bytes a kept buffer`);
    assert.deepEqual(top.retainers[0]?.via, 'ArrayBuffer.backing_store');
    assert.match(
      stderr,
      /^ {2}system \/ JSArrayBufferData: \+[\d,]+ objects, \+[\d,.]+ KiB; new ones held by ArrayBuffer\.backing_store /m,
    );
  });

  it('reports no growth without the leak, and what it could have detected', async (t) => {
    // 2,000 cycles of warm-up (10 s at 200/s): a fresh server's heap grows while V8 compiles.
    const { result, stderr } = await soak('clean', ['--churn', String(CHURN), '--warmup', '10', '--duration', '10']);
    show(t, stderr);
    assert.equal(result.status, 'completed');
    assert.equal(result.heapGrowth, null, 'no heap snapshots without --heap-snapshots');
    // A fresh ws server's heap may still grow by tens of bytes per connection after 10 s of
    // warm-up (seen: 15 to 45 KiB per 1,000, sometimes beyond its interval, so "leak"): what is
    // held here is that, against the same soak with 64 KiB kept, it is under 1 % of it.
    const slope = kibPer1000(result.fit!.slopePer1000);
    assert.ok(Math.abs(slope) < EXPECTED_PER_1000 / 100, `${slope} KiB per 1,000 without a leak\n${stderr}`);
    if (result.verdict.kind === 'no-growth') {
      assert.match(stderr, /^NO GROWTH ws: no growth detected above [\d,.]+ KiB per 1,000 connections\n/);
    } else assert.match(stderr, /^LEAK ws: leaks about [\d,.]+ KiB per 1,000 connections \(95 % CI /);
    const floor = kibPer1000(result.fit!.detectablePer1000);
    // A 10 s soak of 200 clients can see far less than the 64 KiB a connection above.
    assert.ok(floor > 0 && floor < EXPECTED_PER_1000 / 100, `floor ${floor} KiB per 1,000`);
    assert.ok(result.cyclesCompleted >= 2_000, String(result.cyclesCompleted));
  });

  it('bench gate fails the soak with the leak against the one without, and calls the reverse improved', async (t) => {
    // The two soaks above: the same clients and churn, so they pair; the leak switch does not stop them.
    const clean = path.join(dir, 'clean.json');
    const leak = path.join(dir, 'leak.json');
    assert.ok(fs.existsSync(clean) && fs.existsSync(leak), 'the two soaks above wrote their results');
    const caught = await runBin(['gate', '--baseline', clean, '--current', leak, '--json'], { timeoutMs: 30_000 });
    show(t, caught.stderr);
    assert.equal(caught.code, 1, caught.stderr);
    assert.match(caught.stderr, /^bench gate: regression: 1 of 1 soak comparison regressed \(1 soak pair\)$/m);
    assert.match(
      caught.stderr,
      /^ {4}soak ws · 200 clients × 200\/s: heap\+external \+[\d,]+ KiB per 1,000 \(95 % CI [^)]+\) vs baseline [-+][\d,.]+ \(95 % CI [^)]+\); difference \+[\d,]+ \(95 % CI [^)]+\), limit ±16: REGRESSED$/m,
    );
    const report = JSON.parse(caught.stdout) as GateReport;
    assert.equal(report.soaks.length, 1);
    assert.equal(report.soaks[0]!.outcome, 'regressed');
    assert.equal(report.soaks[0]!.current.retainPerConnectionBytes, RETAIN);
    // The difference is the leak: the two slopes above are within 5 % and 1 % of it, so it is within 6 %.
    const d = kibPer1000(report.soaks[0]!.differencePer1000);
    assert.ok(
      Math.abs(d - EXPECTED_PER_1000) <= (TOLERANCE + 0.01) * EXPECTED_PER_1000,
      `difference ${d} KiB per 1,000`,
    );

    const fixed = await runBin(['gate', '--baseline', leak, '--current', clean], { timeoutMs: 30_000 });
    show(t, fixed.stderr);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stderr, /^bench gate: pass: 0 of 1 soak comparison regressed \(1 soak pair\)$/m);
    assert.match(
      fixed.stderr,
      /^ {4}soak ws · 200 clients × 200\/s: .*; difference -[\d,]+ \(95 % CI [^)]+\), limit ±16: improved$/m,
    );
  });
});
