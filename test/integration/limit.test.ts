import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { runBin } from '../helpers/bin';
import type { LimitResult } from '../../runner/result/limit-schema';

const LIMIT_SCHEMA = path.resolve(__dirname, '../../../docs/limit.schema.json');

function assertLimitSchema(value: unknown): void {
  const validate = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false }).compile(
    JSON.parse(fs.readFileSync(LIMIT_SCHEMA, 'utf8')) as object,
  );
  assert.ok(validate(value), JSON.stringify(validate.errors, null, 2));
}

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-limit-test-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

// The loop delay limit is lifted: these tests check the steps and the stop rule, not how fast
// this machine's generator is.
const COMMON = ['--lib', 'ws', '--hold', '1', '--probes', '3', '--arrival-rate', '500', '--max-loop-delay', '60000'];

describe('bench limit (real ws server, real Artillery)', () => {
  it('holds every step up to --max: 100, 200, 300 clients, all open at each step', async () => {
    const out = path.join(dir, 'max.json');
    const r = await runBin(['limit', ...COMMON, '--step', '100', '--max', '300', '--out', out], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(fs.readFileSync(out, 'utf8')) as LimitResult;
    assertLimitSchema(result);
    assert.deepEqual(result.stop, { kind: 'max', max: 300 });
    assert.equal(result.heldClients, 300);
    assert.deepEqual(
      result.steps.map((s) => [s.clients, s.open, s.failed, s.probe.connected, s.ok]),
      [
        [100, 100, 0, 3, true],
        [200, 200, 0, 3, true],
        [300, 300, 0, 3, true],
      ],
    );
    // Earlier clients stay: the server's descriptors grow with every step.
    const fds = result.steps.map((s) => s.server.openFiles!);
    assert.ok(fds[0]! >= 100 && fds[1]! - fds[0]! >= 100 && fds[2]! - fds[1]! >= 100, String(fds));
    for (const s of result.steps) assert.ok(s.echo !== null && s.echo.count > 0);
    assert.ok(r.stderr.includes('ws held 300 clients; reached --max 300 with every SLO met\n'), r.stderr);

    const md = path.join(dir, 'report.md');
    const rep = await runBin(['report', out, '--markdown', md], { timeoutMs: 30_000 });
    assert.equal(rep.code, 0, rep.stderr);
    assert.ok(rep.stderr.includes('report: 0 cells, 1 bench limit result → '), rep.stderr);
    const text = fs.readFileSync(md, 'utf8');
    assert.ok(text.includes('**ws held 300 clients; reached --max 300 with every SLO met**'), text);
    assert.equal(text.split('\n').filter((l) => /^\| [123]00 \| [123]00 \| 0 \|/.test(l)).length, 3, text);

    const cap = await runBin(['capacity', out, '--json'], { timeoutMs: 30_000 });
    assert.equal(cap.code, 0, cap.stderr);
    const report = JSON.parse(cap.stdout) as {
      series: { lib: string; maxClients: number | null; warnings: string[] }[];
    };
    assert.equal(report.series[0]!.lib, 'ws');
    assert.equal(report.series[0]!.maxClients, null);
    assert.match(report.series[0]!.warnings.join('\n'), /it held at least 300 clients/);
  });

  it('stops at the first step when an SLO that cannot hold breaks, naming it', async () => {
    const out = path.join(dir, 'slo.json');
    const r = await runBin(
      ['limit', ...COMMON, '--step', '100', '--max', '300', '--slo', 'probe.connect.p50<0.001ms', '--out', out],
      { timeoutMs: 120_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(fs.readFileSync(out, 'utf8')) as LimitResult;
    assertLimitSchema(result);
    assert.equal(result.steps.length, 1);
    assert.equal(result.heldClients, 0);
    assert.equal(result.stop.kind, 'slo');
    assert.equal(result.stop.kind === 'slo' && result.stop.expression, 'probe.connect.p50<0.001ms');
    assert.match(result.answer, /^ws held 0 clients; probe\.connect p50 crossed 0\.001 ms at 100 \([0-9.,]+ ms\)$/);

    const cap = await runBin(['capacity', out, '--json'], { timeoutMs: 30_000 });
    assert.equal(cap.code, 0, cap.stderr);
    const report = JSON.parse(cap.stdout) as {
      series: { maxClients: number | null; binding: { constraint: string } }[];
    };
    assert.equal(report.series[0]!.maxClients, 0);
    assert.equal(report.series[0]!.binding.constraint, 'measured');
  });
});
