import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunResult } from '../../runner/result/build';
import type { FlapFault } from '../../runner/result/schema';
import { runBin } from '../helpers/bin';

/**
 * --flap against the real servers. Every flap resets a known share of the connections; with the
 * back-off fixed at RECONNECT_MS (no jitter), every cut client is away for RECONNECT_MS plus one
 * connect, so it misses about that long's worth of broadcasts, one every BROADCAST_MS. What the
 * nodes sent to everyone, what the clients got, and what each client counted missing from its own
 * seqs are three separate counts: they must agree, and the loss must match the time away.
 */
const CLIENTS = 100;
const SHARE_PCT = 20;
const EVERY_S = 2;
const HOLD_S = 6; // flaps at 2 and 4 s into the hold
const RECONNECT_MS = 1000;
const BROADCAST_MS = 50;
/** a reconnect may take this much longer than the back-off (one connect, on a loaded machine) */
const RECONNECT_SLACK_MS = 500;

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flaps-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function flapRun(name: string, args: string[]): Promise<RunResult> {
  const out = path.join(dir, `${name}.json`);
  const r = await runBin(
    [
      'run',
      '--scenario',
      'broadcast',
      '--clients',
      String(CLIENTS),
      '--hold',
      String(HOLD_S),
      '--flap',
      `${SHARE_PCT}%@${EVERY_S}`,
      '--broadcast-every',
      String(BROADCAST_MS),
      '--reconnect-delay',
      String(RECONNECT_MS),
      '--reconnect-jitter',
      '0',
      '--warmup',
      '0',
      '--probes',
      '0',
      // What is tested is the flaps, not the arrival schedule: a busy machine must not fail it.
      '--max-lag',
      '2000',
      '--max-loop-delay',
      '2000',
      '--quiet',
      '--out',
      out,
      ...args,
    ],
    { timeoutMs: 180_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
}

/**
 * Every flap applied, and each reset its share of the connections the node(s) held then.
 * `maxDuplicates`: broadcasts a client may get twice (a replay racing a live delivery).
 */
function checkFlaps(res: RunResult, maxDuplicates = 0): number {
  const flaps = res.faults.filter((f): f is FlapFault => f.kind === 'flap');
  assert.deepEqual(
    flaps.map((f) => f.atSeconds),
    [2, 4],
  );
  for (const f of flaps) {
    assert.notEqual(f.startedAtMs, null);
    assert.equal(f.error, null);
    assert.equal(f.of, CLIENTS, 'every client was connected when the flap came');
    assert.equal(f.cut, Math.round((CLIENTS * SHARE_PCT) / 100));
  }
  const cut = flaps.reduce((a, f) => a + f.cut, 0);
  const fl = res.flaps!;
  assert.equal(fl.flaps, 2);
  assert.equal(fl.cut, cut);
  // The servers' count of resets against the clients' count of losses: every reset was seen, nothing else was lost.
  assert.equal(fl.lost, cut);
  assert.equal(res.reconnect!.reconnected, cut);
  assert.equal(fl.neverBack, 0);
  // The back-off the test set is in every reconnect time, and little more.
  assert.ok(fl.reconnectMs!.p50 >= RECONNECT_MS, `reconnect p50 ${fl.reconnectMs!.p50} ms`);
  assert.ok(fl.reconnectMs!.max < RECONNECT_MS + RECONNECT_SLACK_MS, `reconnect max ${fl.reconnectMs!.max} ms`);
  assert.equal(fl.intended, res.broadcast!.sent * CLIENTS);
  assert.ok(fl.duplicates <= maxDuplicates * cut, `${fl.duplicates} duplicates`);
  assert.equal(fl.outOfOrder, 0);
  return cut;
}

/** Broadcasts one client away for a reconnect of `ms` can miss: those sent while it was away, ±1. */
function missRange(cut: number, res: RunResult): [number, number] {
  const { max } = res.flaps!.reconnectMs!;
  return [cut * (Math.floor(RECONNECT_MS / BROADCAST_MS) - 1), cut * (Math.ceil(max / BROADCAST_MS) + 1)];
}

describe('network flaps (--flap)', () => {
  it('ws: the clients cut miss what was sent while they were away, and nobody else misses anything', async () => {
    const res = await flapRun('ws', ['--lib', 'ws']);
    assert.equal(res.valid, true, res.invalidReasons.join('; '));
    const cut = checkFlaps(res);
    const fl = res.flaps!;
    // Each end saw an abnormal close: the client a 1006 (no close frame), once per reset.
    assert.equal(res.errors['ws.close_1006'], cut);
    // Server-side count (broadcasts × clients − received) against the clients' own seq gaps.
    assert.equal(fl.missed, fl.missedWhileReconnecting);
    const [lo, hi] = missRange(cut, res);
    assert.ok(fl.missed >= lo && fl.missed <= hi, `missed ${fl.missed}, expected ${lo}..${hi}`);
    assert.ok(fl.deliveredPct! < 100);
    assert.equal(fl.recovery, null);
  });

  it('Socket.IO with --sio-recovery: every session restored, every missed broadcast replayed late', async () => {
    const res = await flapRun('sio-recovery', ['--lib', 'socketio', '--sio-recovery', '30000']);
    assert.equal(res.valid, true, res.invalidReasons.join('; '));
    const cut = checkFlaps(res);
    const fl = res.flaps!;
    assert.equal(res.errors['socketio.transport_close'], cut);
    assert.equal(res.server.sio?.recoveryMs, 30000, 'as Socket.IO applied it');
    const rec = fl.recovery!;
    assert.equal(rec.maxDisconnectionMs, 30000);
    assert.equal(rec.sessionsRecovered, cut);
    assert.equal(rec.sessionsNotRecovered, 0);
    assert.equal(fl.missed, 0, JSON.stringify({ flaps: fl, broadcast: res.broadcast, faults: res.faults }));
    assert.equal(fl.deliveredPct, 100);
    // What the others got live while the cut clients were away came back as replays.
    const [lo, hi] = missRange(cut, res);
    assert.ok(
      rec.broadcastsRecovered >= lo && rec.broadcastsRecovered <= hi,
      `replayed ${rec.broadcastsRecovered}, expected ${lo}..${hi}`,
    );
    assert.equal(res.broadcast!.recovered, rec.broadcastsRecovered);
    assert.equal(res.broadcast!.lost, 0, 'the nodes wrote every live delivery they logged');
    // A replay waits for the reconnect: the oldest missed broadcast about the whole time away.
    assert.ok(rec.recoveredLatencyMs!.max >= RECONNECT_MS - 2 * BROADCAST_MS, `${rec.recoveredLatencyMs!.max} ms`);
  });

  it('Socket.IO with --sio-recovery over 2 nodes (redis-streams): sessions restored on the other node, at most a hole or a duplicate per restore', async () => {
    const res = await flapRun('sio-recovery-2', [
      '--lib',
      'socketio',
      '--sio-recovery',
      '--nodes',
      '2',
      '--adapter',
      'redis-streams',
      '--spread',
      'client',
    ]);
    assert.equal(res.valid, true, res.invalidReasons.join('; '));
    // The same race the other way: a broadcast both in the replay and delivered live (docs/drops.md).
    const cut = checkFlaps(res, 1);
    const rec = res.flaps!.recovery!;
    assert.equal(rec.maxDisconnectionMs, 120_000, "Socket.IO's default");
    assert.equal(rec.sessionsRecovered, cut);
    // What it loses are holes, never a whole stretch: a broadcast a node delivered between the
    // restore's last read of the stream and the restored socket joining the namespace (docs/faults.md).
    const gaps = res.broadcast!.gaps ?? 0;
    assert.equal(res.flaps!.missed, gaps, JSON.stringify({ flaps: res.flaps, broadcast: res.broadcast }));
    assert.ok(gaps <= cut, `${gaps} holes for ${cut} restored sessions`);
    assert.equal(res.flaps!.missedWhileReconnecting, 0);
  });
});
