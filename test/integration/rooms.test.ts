import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunResult } from '../../runner/result/build';
import { runBin } from '../helpers/bin';

/**
 * --scenario rooms against the real servers, through the real CLI. The membership the nodes
 * report, what the members published, what they received and what the nodes wrote are four
 * separate counts: with nothing lost they must agree exactly, room by room.
 */
const CLIENTS = 24;
const ROOM_SIZE = 6;
const PUBLISH_MS = 250;
const HOLD_S = 3;

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rooms-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function roomsRun(name: string, args: string[]): Promise<{ res: RunResult; stderr: string }> {
  const out = path.join(dir, `${name}.json`);
  const r = await runBin(
    [
      'run',
      '--scenario',
      'rooms',
      '--clients',
      String(CLIENTS),
      '--room-size',
      String(ROOM_SIZE),
      '--publish-every',
      String(PUBLISH_MS),
      '--hold',
      String(HOLD_S),
      '--warmup',
      '0',
      '--probes',
      '0',
      // What is tested is the rooms, not the arrival schedule: a busy machine must not fail it.
      '--max-lag',
      '2000',
      '--max-loop-delay',
      '2000',
      '--ensure',
      'room.delivered>=100%',
      '--out',
      out,
      ...args,
    ],
    { timeoutMs: 180_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  return { res: JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult, stderr: r.stderr };
}

/** Every member in its room as the nodes counted it, and every message published reached every member it should. */
function checkRooms(res: RunResult, exceptSender: boolean, namespaces = 1): void {
  assert.equal(res.valid, true, res.invalidReasons.join('; '));
  const k = res.rooms!;
  const rooms = CLIENTS / ROOM_SIZE;
  assert.deepEqual(res.options.rooms, {
    rooms,
    roomSize: ROOM_SIZE,
    publishEveryMs: PUBLISH_MS,
    messageBytes: 200,
    exceptSender,
    namespaces,
  });
  assert.equal(k.membership.from, 'hold-mid');
  assert.deepEqual(
    [k.membership.members, k.membership.rooms, k.membership.minPerRoom, k.membership.maxPerRoom],
    [CLIENTS, rooms, ROOM_SIZE, ROOM_SIZE],
  );
  assert.equal(k.membership.changed, false);
  assert.equal(k.joined, CLIENTS);
  assert.equal(k.joinFailed, 0);
  assert.equal(k.joinMs?.count, CLIENTS);
  // Each member publishes every PUBLISH_MS of the hold, from a random first offset: one more or less.
  const each = (HOLD_S * 1000) / PUBLISH_MS;
  assert.ok(
    k.published >= CLIENTS * (each - 1) && k.published <= CLIENTS * (each + 1),
    `${k.published} published, expected about ${CLIENTS * each}`,
  );
  const members = exceptSender ? ROOM_SIZE - 1 : ROOM_SIZE;
  assert.equal(k.expected, k.published * members, 'every room the same size: published × members');
  assert.equal(k.received, k.expected);
  assert.equal(k.missed, 0);
  assert.equal(k.deliveredPct, 100);
  assert.equal(k.roomsShort, 0);
  assert.equal(k.duplicates, 0);
  assert.equal(k.outOfOrder, 0);
  // What the nodes wrote is what the members got.
  assert.equal(k.serverWrites, k.received);
  assert.equal(k.latencyMs?.count, k.received);
  assert.ok(k.latencyMs!.p50 >= k.serviceMs!.p50 - 0.01, 'from due is never shorter than from sent');
  assert.deepEqual(
    res.ensure?.map((e) => [e.expression, e.ok]),
    [['room.delivered>=100%', true]],
  );
}

describe('rooms (--scenario rooms)', () => {
  it('ws on one node: every member gets every message of its room once, in order', async () => {
    const { res, stderr } = await roomsRun('ws', ['--lib', 'ws']);
    checkRooms(res, false);
    assert.match(stderr, /rooms +4 × 6 asked; the nodes counted 24 members in 4 rooms, 6 each/);
    assert.match(stderr, /room message +p50/);
  });

  it('Socket.IO on two nodes through Redis, to the room but the sender', async () => {
    const { res } = await roomsRun('sio-2', [
      '--lib',
      'socketio',
      '--nodes',
      '2',
      '--adapter',
      'redis',
      '--spread',
      'client',
      '--except-sender',
    ]);
    checkRooms(res, true);
    // Round robin over two nodes: every room has members on both, so its messages crossed Redis.
    assert.equal(res.nodes?.length, 2);
  });

  it('Socket.IO over two namespaces on each connection: every message once, the sockets multiplexed', async () => {
    const { res, stderr } = await roomsRun('sio-ns', ['--lib', 'socketio', '--namespaces', '2']);
    checkRooms(res, false, 2);
    // One connection per client (the run's clients), two sockets on each.
    assert.deepEqual(res.rooms!.socketsByNamespace, { '/': CLIENTS, '/n2': CLIENTS });
    assert.match(stderr, /over 2 namespaces on each connection/);
  });

  it('SockJS on two nodes through NATS', async () => {
    const { res } = await roomsRun('sockjs-2', ['--lib', 'sockjs', '--nodes', '2', '--adapter', 'nats']);
    checkRooms(res, false);
  });
});
