import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LIBS } from 'artillery-engine-bench/protocol';
import { runBin } from '../helpers/bin';
import type { RunResult } from '../../runner/result/build';

const CLIENTS = 200;
const LIB_PACKAGE = { ws: 'ws', socketio: 'socket.io', sockjs: 'sockjs' } as const;

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-run-test-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('bench run (real servers, real Artillery)', () => {
  for (const lib of LIBS) {
    it(`${lib}: ${CLIENTS} clients end to end, result meets the contract`, async () => {
      const out = path.join(dir, `${lib}.json`);
      const r = await runBin(
        [
          'run',
          '--lib',
          lib,
          '--clients',
          String(CLIENTS),
          '--arrival-rate',
          '200',
          '--hold',
          '3',
          '--probes',
          '3',
          '--out',
          out,
          '--quiet',
        ],
        { timeoutMs: 180_000 },
      );
      assert.equal(r.code, 0, r.stderr);
      const res = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
      assert.equal(res.schemaVersion, 2);
      assert.equal(res.status, 'completed');
      assert.equal(res.lib, lib);
      assert.equal(res.scenario, 'echo');
      assert.deepEqual(res.clients, { requested: CLIENTS, connected: CLIENTS, failed: 0, dropped: 0 });
      assert.equal(res.connectMs?.count, CLIENTS);
      assert.equal(res.firstMessageMs?.count, CLIENTS);
      assert.ok((res.echoMs?.count ?? 0) >= CLIENTS, `echo count ${res.echoMs?.count}`);
      assert.equal(res.echo.received, res.echoMs?.count);
      assert.equal(res.probe.connected, 3);
      assert.equal(res.probe.connectMs?.count, 3);
      for (const s of [res.connectMs!, res.firstMessageMs!, res.echoMs!]) {
        assert.ok(s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.max, JSON.stringify(s));
      }
      // bench's arrival timer gave every arrival its due time, so latencies run from the schedule.
      assert.deepEqual(res.schedule, { source: 'arrivals', unscheduled: 0 });
      assert.equal(res.connectServiceMs?.count, CLIENTS);
      assert.equal(res.timeToFirstMessageMs?.count, CLIENTS);
      assert.equal(res.arrivalLagMs?.count, CLIENTS + 3, 'one lag per main client and probe');
      // Per client, connect = lag + service and time to first message = connect + first message,
      // each part >= 0, so every quantile keeps that order.
      for (const q of ['p50', 'p90', 'p99', 'max'] as const) {
        assert.ok(res.connectMs![q] >= res.connectServiceMs![q], `connect ${q} below its service time`);
        assert.ok(res.timeToFirstMessageMs![q] >= res.connectMs![q], `time to first message ${q} below connect`);
        assert.ok(res.echoMs![q] >= res.echoServiceMs![q], `echo ${q} below its service time`);
      }
      assert.equal(res.valid, true, res.invalidReasons.join('; '));
      assert.equal(res.welcomeDelivery.serverClock, 'same');
      assert.equal(res.welcomeDeliveryMs!.count + res.welcomeDelivery.negative, CLIENTS);
      const rss = res.server.rssBytes;
      assert.ok(rss.idle! > 0 && rss.steady! > 0 && rss.peak! > 0, JSON.stringify(rss));
      assert.ok(rss.peak! >= rss.steady! && rss.peak! >= rss.idle!, JSON.stringify(rss));
      assert.ok(res.server.samples.length > 0);
      assert.ok(res.loadgen.rssBytes! > 0);
      assert.equal(typeof res.loadgen.valid, 'boolean');
      assert.equal(res.env.versions[LIB_PACKAGE[lib]] !== undefined, true);
      assert.equal(res.env.versions.artillery, '2.0.21');
      assert.match(r.stderr, new RegExp(`${CLIENTS} of ${CLIENTS} connected, 0 failed`));
    });
  }

  it('--json prints the same result on stdout', async () => {
    const out = path.join(dir, 'json.json');
    const r = await runBin(
      [
        'run',
        '--lib',
        'ws',
        '--clients',
        '20',
        '--hold',
        '1',
        '--probes',
        '1',
        '--scenario',
        'connect',
        '--json',
        '--out',
        out,
        '--quiet',
      ],
      {
        timeoutMs: 120_000,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const printed = JSON.parse(r.stdout) as RunResult;
    assert.deepEqual(printed, JSON.parse(fs.readFileSync(out, 'utf8')));
    assert.equal(printed.clients.connected, 20);
    assert.equal(printed.echoMs, null);
  });
  it('--ensure: a violated SLO exits 1, and the result keeps every check', async () => {
    const out = path.join(dir, 'ensure.json');
    const args = ['run', '--lib', 'ws', '--clients', '20', '--hold', '1', '--probes', '1', '--quiet', '--out', out];
    const r = await runBin([...args, '--ensure', 'connect.p50<0.000001ms', '--ensure', 'connected==20'], {
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 1, r.stderr);
    const result = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
    assert.equal(result.status, 'completed');
    assert.deepEqual(
      result.ensure?.map((e) => [e.expression, e.ok]),
      [
        ['connect.p50<0.000001ms', false],
        ['connected==20', true],
      ],
    );
    assert.match(r.stderr, /^ {2}ensure {2}FAIL {2}connect\.p50<0\.000001ms: [0-9.]+ ms$/m);
    assert.match(r.stderr, /^ {2}ensure {2}ok {4}connected==20: 20$/m);
  });
  it('broadcast scenario: every delivery the server promised arrives once and in order', async () => {
    const out = path.join(dir, 'broadcast.json');
    const r = await runBin(
      [
        'run',
        '--lib',
        'ws',
        '--scenario',
        'broadcast',
        '--clients',
        '50',
        '--hold',
        '3',
        '--probes',
        '1',
        '--quiet',
        '--out',
        out,
      ],
      { timeoutMs: 120_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    const b = (JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult).broadcast!;
    assert.ok(b.sent > 0, 'broadcasts were sent');
    // The node's log: it wrote each of its `sent` broadcasts to all 50 clients.
    assert.equal(b.expectedDeliveries, b.sent * 50, 'each went to all 50 clients');
    // The clients' side, counted apart: a client holds at most `sent` distinct seqs, so this
    // many means every client got every seq the node logged, with none missing in between.
    assert.equal(b.delivered, b.sent * 50, 'every client received every broadcast its node logged');
    assert.deepEqual([b.gaps, b.outOfOrder, b.duplicates], [0, 0, 0]);
    // Each receipt timed, or counted as stamped after it arrived: never both, never neither.
    assert.equal(b.latencyMs!.count + (b.clockNegative ?? 0), b.delivered);
    assert.match(
      r.stderr,
      new RegExp(`broadcasts +${b.sent} sent · ${b.delivered} of ${b.expectedDeliveries} deliveries · 0 lost`),
    );
  });
});
