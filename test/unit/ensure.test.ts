import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatEnsure } from '../../runner/summary/ensure-text';
import { evaluateEnsure } from '../../runner/result/ensure';
import { parseEnsure } from '../../runner/metrics/expr';
import { baseResult } from '../helpers/report-fixtures';
import { usageMessage } from '../helpers/usage';

describe('parseEnsure', () => {
  it('reads metric, operator and limit in the metric’s base unit', () => {
    assert.deepEqual(parseEnsure('connect.p99<500ms'), {
      expression: 'connect.p99<500ms',
      metric: 'connect.p99',
      operator: '<',
      limit: 500,
    });
    assert.equal(parseEnsure('connect.p99 < 0.5s').limit, 500);
    assert.equal(parseEnsure('echo.p50<=2').limit, 2);
    assert.equal(parseEnsure('rss.steady<300MB').limit, 300e6);
    assert.equal(parseEnsure('bytesPerClient<16KiB').limit, 16 * 1024);
    assert.equal(parseEnsure('rss.peak<1.5GiB').limit, 1.5 * 2 ** 30);
    assert.deepEqual([parseEnsure('failed==0').operator, parseEnsure('connected>=1000').operator], ['==', '>=']);
  });
  it('names a bad expression, metric or unit, and the fix', () => {
    assert.equal(
      usageMessage(() => parseEnsure('p99 under 500')),
      '--ensure "p99 under 500" is not METRIC OP VALUE[UNIT]. Examples: --ensure "connect.p99<500ms" --ensure "rss.steady<300MB" --ensure "failed==0"',
    );
    assert.match(
      usageMessage(() => parseEnsure('latency.p99<5')),
      /^--ensure "latency\.p99<5": unknown metric "latency\.p99"\. Known: connect, firstMessage, echo, broadcast, probe\.connect, probe\.firstMessage, reconnect, connectService, arrivalLag, timeToFirstMessage, welcomeDelivery, room, roomService, join, polling.connect, polling.echo, polling.broadcast, polling.room, websocket.echo, websocket.broadcast, echoService, probe\.connectService, probe\.timeToFirstMessage \(each \.p50 \.p90 \.p99 \.max \.mean\), rss\.idle, rss\.steady, rss\.peak, bytesPerClient, loadgen\.bytesPerClient, connected, failed, probe\.failed, cpu, broadcast\.lost, broadcast\.outOfOrder, broadcast\.duplicates, room\.delivered, room\.missed, room\.duplicates, room\.outOfOrder, room\.joinFailed, room\.deliveredPerSecond, polling\.outOfOrder, polling\.delivered, reconnect\.failed, flap\.delivered, flap\.missed, flap\.neverBack, flap\.reconnect\.p95, flap\.reconnect\.max, recovery\.restored, restart\.reconnect\.p95, restart\.reconnect\.max, restart\.down\.max, restart\.disconnected, restart\.neverBack, restart\.connectFailures, restart\.skew, restart\.survivorLoopDelay\.max, heap\.idle, heap\.steady, heap\.peak, heap\.afterGc, elu\.steady, serverLoopDelay\.steady, gc\.steadyPerSecond, broker\.cpu, broker\.rss\.steady, broker\.rss\.peak\.$/,
    );
    assert.equal(
      usageMessage(() => parseEnsure('connect.p99<5MB')),
      '--ensure "connect.p99<5MB": connect.p99 takes ms or s (got "MB").',
    );
    assert.equal(
      usageMessage(() => parseEnsure('rss.steady<5ms')),
      '--ensure "rss.steady<5ms": rss.steady takes B, KB, MB, GB, KiB, MiB or GiB (got "ms").',
    );
    assert.equal(
      usageMessage(() => parseEnsure('failed==0ms')),
      '--ensure "failed==0ms": failed takes no unit (got "ms").',
    );
  });
});

describe('evaluateEnsure', () => {
  it('checks each expression against the result, and a missing metric fails', () => {
    const r = baseResult();
    const p99 = r.connectMs!.p99;
    const out = evaluateEnsure(
      [
        parseEnsure(`connect.p99<${p99 + 1}`),
        parseEnsure(`connect.p99<${p99}`),
        parseEnsure(`connect.p99<=${p99}`),
        parseEnsure('failed==0'),
        parseEnsure('broadcast.p50<1000'),
      ],
      r,
    );
    assert.deepEqual(
      out.map((o) => [o.ok, o.actual]),
      [
        [true, p99],
        [false, p99],
        [true, p99],
        [true, 0],
        [false, null],
      ],
    );
    const text = formatEnsure(out).split('\n');
    assert.equal(text.length, 5);
    assert.equal(text[1], `  ensure  FAIL  connect.p99<${p99}: ${Math.round(p99 * 100) / 100} ms`);
    assert.equal(text[4], '  ensure  FAIL  broadcast.p50<1000: not measured');
  });

  it('checks delivery and reconnect counts, which only broadcast and fault runs have', () => {
    const plain = baseResult();
    assert.deepEqual(
      evaluateEnsure([parseEnsure('broadcast.lost==0'), parseEnsure('reconnect.failed==0')], plain).map((o) => o.ok),
      [false, false],
      'not measured fails',
    );
    const r = {
      ...plain,
      broadcast: {
        sent: 4,
        expectedDeliveries: 40,
        delivered: 38,
        lost: 2,
        outOfOrder: 0,
        duplicates: 0,
        latencyMs: null,
      },
    };
    const out = evaluateEnsure([parseEnsure('broadcast.lost==0'), parseEnsure('broadcast.lost<=2')], r);
    assert.deepEqual(
      out.map((o) => [o.ok, o.actual]),
      [
        [false, 2],
        [true, 2],
      ],
    );
  });
});
