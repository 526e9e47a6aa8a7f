import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isArtilleryReport, reportLib, resultFromArtilleryReport } from '../../reports/read/artillery-report';
import { loadInputs } from '../../reports/read/read';
import { UsageError } from '../../runner/errors';

const summary = (p50: number) => ({
  min: 1,
  max: 40,
  count: 100,
  mean: 5,
  p50,
  p75: 6,
  p90: 9,
  p95: 12,
  p99: 30,
  p999: 39,
});
const report = (counters: Record<string, number>) => ({
  aggregate: {
    counters,
    summaries: { 'bench.connect': summary(2.5), 'bench.echo': summary(0.9) },
    firstCounterAt: 1_796_000_000_000,
    lastCounterAt: 1_796_000_030_000,
  },
});

describe('an Artillery report of our engine, as a result', () => {
  it('names the library from bench.lib.<lib>, and none for another engine or two libraries', () => {
    assert.equal(reportLib(report({ 'bench.lib.sockjs': 4 })), 'sockjs');
    assert.equal(reportLib(report({ 'vusers.created': 10 })), null);
    assert.equal(reportLib(report({ 'bench.lib.ws': 1, 'bench.lib.socketio': 1 })), null);
    assert.equal(isArtilleryReport({ aggregate: { counters: {} } }), false);
  });

  it("takes Artillery's summaries and counters, and nothing it does not have", () => {
    const r = resultFromArtilleryReport(
      report({ 'bench.lib.ws': 3, 'bench.connected': 97, 'bench.failed': 3, 'errors.ECONNREFUSED': 3 }),
      '/x.json',
    )!;
    assert.equal(r.lib, 'ws');
    assert.deepEqual(r.clients, { requested: null, connected: 97, failed: 3 });
    assert.deepEqual(r.connectMs, { p50: 2.5, p90: 9, p99: 30, max: 40, mean: 5, count: 100 });
    assert.equal(r.echoMs?.p50, 0.9);
    assert.equal(r.broadcastMs, null);
    assert.deepEqual(r.errors, { ECONNREFUSED: 3 });
    assert.equal(r.startedAt, '2026-11-30T00:53:20.000Z');
    assert.equal(r.server, undefined, 'a report has no server');
  });

  it('bench report refuses a report of another engine, naming it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'artillery-report-'));
    try {
      const file = path.join(dir, 'other.json');
      fs.writeFileSync(file, JSON.stringify(report({ 'vusers.created': 10 })));
      assert.throws(
        () => loadInputs([file]),
        (err: unknown) =>
          err instanceof UsageError &&
          err.message.includes(
            'is an Artillery report without our engine (no bench.lib.<lib> counter): run the script with engine "bench"',
          ),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
