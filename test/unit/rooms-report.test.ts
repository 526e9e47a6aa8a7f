import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as hdr from 'hdr-histogram-js';
import { buildResult, type Measurements } from '../../runner/result/build';
import { emptyCounts } from '../../runner/loadgen/engine-events';
import { buildHistogram } from '../../runner/metrics/histograms';
import { resolveRunOptions } from '../../runner/config/run-options';
import { collectEnv } from '../../runner/result/env';
import type { RoomRead } from '../../runner/result/measurements';
import { readMetric } from '../../runner/metrics/registry';
import { formatSummary } from '../../runner/summary/text';
import { assertResultSchema } from '../helpers/schema';

function encoded(valuesUs: number[]): string {
  const h = buildHistogram();
  for (const v of valuesUs) h.recordValue(v);
  return hdr.encodeIntoCompressedBase64(h);
}

const read = (at: RoomRead['at'], nodes: Record<string, number>[], error: string | null = null): RoomRead => ({
  at,
  takenAtMs: 4_000,
  nodes: nodes.map((members, i) => ({ nodeId: `node-${i + 1}`, members, writes: 100 * (i + 1) })),
  error,
});

/**
 * 20 clients in 2 rooms of 10, split over 2 nodes (6 + 4 and 4 + 6). Each room got 30 messages
 * published; r0's members received all 300, r1's 290: 10 lost.
 */
function measurements(opts: { exceptSender?: boolean; reads?: RoomRead[]; joinFailed?: number } = {}): Measurements {
  const x = opts.exceptSender ? 1 : 0;
  const options = resolveRunOptions({
    lib: 'ws',
    clients: '20',
    scenario: 'rooms',
    roomSize: '10',
    publishEvery: '1000',
    exceptSender: opts.exceptSender,
    out: '/tmp/x.json',
  });
  return {
    options,
    startedAt: 0,
    finishedAt: 7_000,
    loadStartedAt: 1_500,
    server: { ready: null, samples: [] },
    loadgen: { pid: 43, samples: [] },
    engine: {
      workers: 1,
      startedAt: 1_000,
      phases: { ramp: { startedAt: 2_000, completedAt: 3_000 }, hold: { startedAt: 3_000, completedAt: 13_000 } },
      counts: {
        ...emptyCounts(),
        connected: 20,
        roomJoined: 20 - (opts.joinFailed ?? 0),
        roomJoinFailed: opts.joinFailed ?? 0,
        roomPublished: 60,
        roomPublishLate: 2,
        roomReceived: 300 - 30 * x + 290 - 30 * x,
        roomDuplicates: 1,
        roomOutOfOrder: 3,
      },
      loopDelayMs: { p50: 1, p99: 2, max: 3, mean: 1 },
      histograms: { roomMs: [encoded([1000, 2000, 3000])], joinMs: [encoded([500])] },
      final: true,
      rooms: { published: { r0: 30, r1: 30 }, received: { r0: 300 - 30 * x, r1: 290 - 30 * x } },
    },
    roomReads: opts.reads ?? [
      read('hold-mid', [
        { r0: 6, r1: 4 },
        { r0: 4, r1: 6 },
      ]),
      read('hold-end', [
        { r0: 6, r1: 4 },
        { r0: 4, r1: 6 },
      ]),
      read('after', [{}, {}]),
    ],
    artillery: null,
    env: collectEnv(),
    outcome: { status: 'completed' },
  };
}

describe('rooms: deliveries against the membership the nodes reported', () => {
  it('expects published × members per room, summed over nodes, and finds the short room', () => {
    const r = buildResult(measurements());
    const k = r.rooms!;
    assert.equal(k.membership.from, 'hold-mid');
    assert.deepEqual(
      [k.membership.members, k.membership.rooms, k.membership.minPerRoom, k.membership.maxPerRoom],
      [20, 2, 10, 10],
    );
    assert.equal(k.expected, 600);
    assert.equal(k.received, 590);
    assert.equal(k.missed, 10);
    assert.equal(k.deliveredPct, 98.33);
    assert.equal(k.roomsShort, 1);
    assert.deepEqual(k.worstRoom, { room: 'r1', expected: 300, received: 290 });
    assert.equal(k.serverWrites, 300);
    // 60 published and 590 received over the 10 s hold
    assert.equal(k.sentPerSecond, 6);
    assert.equal(k.deliveredPerSecond, 59);
    assert.equal(k.latencyMs?.p50, 2);
    assert.equal(k.joinMs?.count, 1);
    assert.equal(readMetric('room.delivered', r), 98.33);
    assert.equal(readMetric('room.missed', r), 10);
    assert.equal(readMetric('room.p50', r), 2);
    assert.equal(readMetric('room.outOfOrder', r), 3);
    assert.equal(r.valid, true, r.invalidReasons.join('; '));
    assertResultSchema(r);
  });

  it('expects one fewer member per message with --except-sender', () => {
    const k = buildResult(measurements({ exceptSender: true })).rooms!;
    assert.equal(k.expected, 30 * 9 + 30 * 9);
    assert.equal(k.missed, 10);
  });

  it('takes a node that lost members as it reported them, so the loss is not hidden', () => {
    // node-2 counted only 2 of r1's members at the middle: the membership says 8, and the
    // clients' 290 receipts exceed 30 × 8, so r1 is not short but the total shows more than expected.
    const k = buildResult(
      measurements({
        reads: [
          read('hold-mid', [
            { r0: 6, r1: 4 },
            { r0: 4, r1: 4 },
          ]),
          read('hold-end', [
            { r0: 6, r1: 4 },
            { r0: 4, r1: 6 },
          ]),
        ],
      }),
    ).rooms!;
    assert.equal(k.expected, 300 + 240);
    assert.equal(k.missed, -50);
    assert.equal(k.membership.changed, true);
    assert.equal(k.serverWrites, null);
  });

  it('falls back to the hold-end read, and is invalid with no whole read during the hold', () => {
    const down = 'http://127.0.0.1:1/: fetch failed';
    const fallback = buildResult(
      measurements({
        reads: [read('hold-mid', [{ r0: 10, r1: 10 }], down), read('hold-end', [{ r0: 10, r1: 10 }])],
      }),
    );
    assert.equal(fallback.rooms!.membership.from, 'hold-end');
    assert.equal(fallback.rooms!.membership.error, down);
    assert.equal(fallback.rooms!.expected, 600);

    const none = buildResult(measurements({ reads: [read('hold-mid', [], down), read('hold-end', [], down)] }));
    assert.equal(none.rooms!.expected, null);
    assert.equal(none.rooms!.deliveredPct, null);
    assert.equal(none.valid, false);
    assert.equal(
      none.invalidReasons[0],
      `no read of the nodes' rooms during the hold was whole (${down}): deliveries cannot be checked against the membership`,
    );
  });

  it('is invalid when clients could not join their room, beyond --max-failed', () => {
    const r = buildResult(measurements({ joinFailed: 2 }));
    assert.equal(r.valid, false);
    assert.equal(r.invalidReasons[0], '2 of 20 clients could not join their room (limit 0, --max-failed); see errors');
  });

  it('prints the rooms in the summary', () => {
    const text = formatSummary(buildResult(measurements()));
    assert.match(text, /room message +p50 +2\.00 +p90 +3\.00/);
    assert.match(
      text,
      /2 × 10 asked; the nodes counted 20 members in 2 rooms, 10 each · a message every 1000 ms per member · 200 B · to the whole room/,
    );
    assert.match(
      text,
      /60 published \(2 late\) · 590 received of 600 expected \(98\.33 %\) · 10 missed · 1 duplicates · 3 out of order/,
    );
    assert.match(text, /6 sent\/s · 59 delivered\/s · the nodes wrote 300 · 1 rooms short, worst r1: 290 of 300/);
  });

  it('has no rooms block for other scenarios', () => {
    const o = resolveRunOptions({ lib: 'ws', clients: '20', out: '/tmp/x.json' });
    assert.equal(o.rooms, null);
    const m = measurements();
    assert.equal(buildResult({ ...m, options: o }).rooms, null);
  });
});
