import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Lib } from 'artillery-engine-bench/protocol';
import type { RunResult } from '../../runner/result/build';
import { runBin } from '../helpers/bin';

/**
 * --slow-clients against the real servers, through the real CLI. Slow clients read through the
 * engine's throttle proxy, so what the servers hold for them is whatever they would hold for a
 * phone on a bad network. Asserted: who is slow (an exact count), that the fast clients still get
 * everything, and that the bytes the nodes hold sit with the slow connections. Never speed.
 */
const MIB = 1024 * 1024;

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slow-clients-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(name: string, args: string[]): Promise<{ res: RunResult; summary: string }> {
  const out = path.join(dir, `${name}.json`);
  const r = await runBin(
    [
      'run',
      ...args,
      '--warmup',
      '0',
      '--probes',
      '0',
      // What is tested is the slow clients, not the arrival schedule: a busy machine must not fail it.
      '--max-lag',
      '2000',
      '--max-loop-delay',
      '2000',
      '--out',
      out,
    ],
    { timeoutMs: 120_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  return { res: JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult, summary: r.stdout + r.stderr };
}

/**
 * One room of 8, 16 KiB messages, each member publishing 10/s: every member is sent 1.25 MiB/s,
 * far beyond the 1,000 B/s the 2 slow ones read, so in 5 s each slow connection has MiBs waiting
 * on the server; the fast ones read all of it.
 */
const ROOM_ARGS = (lib: Lib, rate: number) => [
  '--lib',
  lib,
  '--scenario',
  'rooms',
  '--clients',
  '8',
  '--room-size',
  '8',
  '--message-bytes',
  '16384',
  '--publish-every',
  '100',
  '--hold',
  '5',
  '--slow-clients',
  `25%:${rate}`,
];

/** The fast clients got every room message that reached the server (one room: each goes to every member). */
function fastGotEverything(res: RunResult): void {
  const k = res.slowClients!;
  const said = JSON.stringify({ slowClients: k, rooms: res.rooms, errors: res.errors });
  assert.equal(k.slow, 2, said);
  assert.deepEqual(k.connected, { slow: 2, fast: 6 }, said);
  assert.equal(k.dropped.fast, 0, said);
  assert.ok(k.received.fast.roomMessages > 0, said);
  assert.equal(k.received.fast.roomMessages % 6, 0, `each message reached all 6 fast members: ${said}`);
}

/** The nodes held MiBs for the slow connections, far beyond anything the fast ones had waiting. */
function slowBuffered(res: RunResult): void {
  const b = res.slowClients!.buffered!;
  const said = JSON.stringify(res.slowClients);
  assert.ok(b !== null, 'the nodes answered');
  // A read may time out on a busy machine; the most held is what counts.
  assert.ok(b.reads >= 1, said);
  assert.ok(b.max.perSlowClient > 1 * MIB, said);
  assert.ok(b.max.behind >= 2, said);
  const one = b.oneConnectionMax;
  assert.ok(one.library + one.socket + (one.kernel ?? 0) > 1 * MIB, said);
  assert.ok(res.slowClients!.received.slow.roomMessages < res.slowClients!.received.fast.roomMessages / 6);
}

describe('slow consumers (--slow-clients)', () => {
  it('ws, broadcast: exactly 25 % are slow, the fast ones get every broadcast, the slow ones fall behind', async () => {
    const { res, summary } = await run('ws-broadcast', [
      '--lib',
      'ws',
      '--scenario',
      'broadcast',
      '--clients',
      '40',
      '--hold',
      '4',
      '--broadcast-every',
      '10',
      '--slow-clients',
      '25%:500',
    ]);
    assert.deepEqual(res.options.slowClients, { sharePct: 25, bytesPerSecond: 500, slow: 10, fast: 30 });
    const k = res.slowClients!;
    assert.deepEqual(k.connected, { slow: 10, fast: 30 });
    const sent = res.broadcast!.sent;
    assert.ok(sent > 100, `${sent} broadcasts`);
    assert.equal(k.received.fast.broadcasts, sent * 30, 'every fast client got every broadcast');
    assert.equal(k.broadcastDeliveredPct!.fast, 100);
    assert.ok(k.received.slow.broadcasts < sent * 10, 'the slow ones did not');
    // The run's own broadcast latency is the fast clients'; the slow ones' is apart.
    assert.equal(res.broadcastMs!.count, k.received.fast.broadcasts);
    assert.equal(k.slowLatencyMs.broadcast!.count, k.received.slow.broadcasts);
    assert.ok(k.buffered !== null && k.buffered.reads === k.buffered.of && k.buffered.reads >= 4);
    assert.equal(k.closedDuringHold, 0);
    assert.match(summary, /slow clients +10 of 40 \(25 %\) read at most 500 B\/s/);
  });

  it('ws, rooms: the node holds MiBs per slow client (socket buffer and kernel), nothing like it without throttling', async () => {
    const { res } = await run('ws-rooms', ROOM_ARGS('ws', 1000));
    fastGotEverything(res);
    slowBuffered(res);
    assert.equal(res.slowClients!.received.fast.roomMessages, res.rooms!.published * 6);
    // The same run whose "slow" clients may read a GB/s: the same reads find next to nothing waiting.
    const { res: control } = await run('ws-rooms-control', ROOM_ARGS('ws', 1_000_000_000));
    const c = control.slowClients!;
    assert.equal(c.received.slow.roomMessages, control.rooms!.published * 2, 'unthrottled, they read everything');
    assert.ok(c.buffered!.max.perSlowClient < 512 * 1024, `${c.buffered!.max.perSlowClient} bytes per client`);
  });

  it('Socket.IO, rooms: the packets wait in Engine.IO’s writeBuffer', async () => {
    const { res } = await run('socketio-rooms', ROOM_ARGS('socketio', 1000));
    fastGotEverything(res);
    slowBuffered(res);
    assert.ok(res.slowClients!.buffered!.max.library > 0, JSON.stringify(res.slowClients));
  });

  it('SockJS, rooms: the frames wait in the socket buffer', async () => {
    const { res } = await run('sockjs-rooms', ROOM_ARGS('sockjs', 1000));
    fastGotEverything(res);
    slowBuffered(res);
    assert.equal(res.slowClients!.buffered!.max.library, 0);
  });
});
