import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ARTILLERY_COUNTER,
  Recorder,
  RoomMember,
  padded,
  roomOf,
  type PublishMessage,
  type RoomsConfig,
} from 'artillery-engine-bench';

const CONFIG: RoomsConfig = { roomSize: 4, publishEveryMs: 100, messageBytes: 200, exceptSender: false };
const quiet = { emit: () => true };

/** A message of publisher `from` numbered `seq`, in room r1, stamped 5 ms before `now` (performance.now() ms). */
function msg(from: string, seq: number, now: number, extra: Partial<PublishMessage> = {}): PublishMessage {
  const t = performance.timeOrigin + now - 5;
  return { type: 'publish', room: 'r1', from, seq, t, s: t, ...extra };
}

describe('room member, receive side', () => {
  it('counts each (publisher, seq) once: duplicates apart, a late one out of order and received', () => {
    const recorder = new Recorder();
    const member = new RoomMember('r1', '1.0.1', CONFIG);
    const now = performance.now();
    // a: 1 2 3 2 3 5 4; b: 1 1 2 (its own sequence, kept apart from a's)
    const arrivals: [string, number][] = [
      ['a', 1],
      ['a', 2],
      ['b', 1],
      ['a', 3],
      ['a', 2],
      ['b', 1],
      ['a', 3],
      ['a', 5],
      ['b', 2],
      ['a', 4],
    ];
    for (const [from, seq] of arrivals) member.receive(msg(from, seq, now), now, recorder, quiet);
    const c = recorder.counts;
    // a: 1 2 3 (2: out of order) (3: duplicate) 5 (4: out of order); b: 1 (1: duplicate) 2
    assert.equal(c.roomReceived, 8);
    assert.equal(c.roomDuplicates, 2);
    assert.equal(c.roomOutOfOrder, 2);
    assert.equal(recorder.totalCount('roomMs'), 8, 'each received message timed once, duplicates not');
    assert.equal(recorder.totalCount('roomServiceMs'), 8);
    assert.deepEqual(recorder.encodeRooms(), { rooms: { published: {}, received: { r1: 8 } } });
    assert.deepEqual(c.errors, {});
  });

  it('emits the Artillery counters and times from the publisher stamps', () => {
    const recorder = new Recorder();
    const member = new RoomMember('r1', '1.0.1', CONFIG);
    const emitted: unknown[][] = [];
    const now = performance.now();
    member.receive(msg('a', 1, now, { s: performance.timeOrigin + now - 2 }), now, recorder, {
      emit: (...args: unknown[]) => emitted.push(args),
    });
    assert.deepEqual(
      emitted.map(([e, name, v]) => [e, name, round(v as number)]),
      [
        ['histogram', 'bench.room.message', 5],
        ['histogram', 'bench.room.message_service', 2],
        ['counter', ARTILLERY_COUNTER.roomReceived, 1],
      ],
    );
  });

  it("refuses another room's message, its own with x, and a malformed one", () => {
    const recorder = new Recorder();
    const member = new RoomMember('r1', '1.0.1', { ...CONFIG, exceptSender: true });
    const now = performance.now();
    member.receive(msg('a', 1, now, { room: 'r2' }), now, recorder, quiet);
    member.receive(msg('1.0.1', 1, now, { x: 1 }), now, recorder, quiet);
    member.receive({ type: 'publish', room: 'r1', from: 'a', seq: '1' }, now, recorder, quiet);
    assert.deepEqual(recorder.counts.errors, {
      'bench.room_wrong': 1,
      'bench.room_own_message': 1,
      'bench.bad_message': 1,
    });
    assert.equal(recorder.counts.roomReceived, 0);
    assert.deepEqual(recorder.encodeRooms(), {}, 'no room counts before a message counted');
  });
});

describe('room member, publish side', () => {
  it('sends what came due, stamped when due and when sent, numbered from 1, late ones counted', () => {
    const recorder = new Recorder();
    const member = new RoomMember('r3', '7.0.9', CONFIG);
    const sent: PublishMessage[] = [];
    const client = { send: (m: object) => sent.push(m as PublishMessage), close() {} };
    const start = performance.now();
    member.startPublishing(start);
    assert.ok(member.due >= start && member.due < start + CONFIG.publishEveryMs, 'a random first offset');
    const first = member.due;
    // 250 ms later than the first was due: three were due, the last 50 ms ago, all three late.
    const now = first + 250;
    member.publishDue(client, now, recorder, quiet);
    // seq; due − the first due; sent − now
    assert.deepEqual(
      sent.map((m) => [m.seq, round(m.t - performance.timeOrigin - first), round(m.s - performance.timeOrigin - now)]),
      [
        [1, 0, 0],
        [2, 100, 0],
        [3, 200, 0],
      ],
    );
    assert.ok(sent.every((m) => m.type === 'publish' && m.room === 'r3' && m.from === '7.0.9' && m.x === undefined));
    assert.ok(sent.every((m) => JSON.stringify(m).length === CONFIG.messageBytes));
    assert.equal(member.due, first + 300, 'the schedule moved on by one interval per message');
    assert.equal(recorder.counts.roomPublished, 3);
    assert.equal(recorder.counts.roomPublishLate, 3);
    assert.deepEqual(recorder.encodeRooms(), { rooms: { published: { r3: 3 }, received: {} } });
    // On time: one more, not late.
    member.publishDue(client, member.due + 1, recorder, quiet);
    assert.equal(recorder.counts.roomPublished, 4);
    assert.equal(recorder.counts.roomPublishLate, 3);
  });

  it('marks x with exceptSender', () => {
    const member = new RoomMember('r0', '1.0.1', { ...CONFIG, exceptSender: true });
    member.startPublishing(performance.now());
    const m = member.next(performance.now());
    assert.equal(m.x, 1);
    assert.equal(JSON.stringify(m).length, CONFIG.messageBytes);
  });

  it('pads to the exact length whenever the padding field fits, and never cuts a message', () => {
    const base = (): PublishMessage => ({
      type: 'publish',
      room: 'r0',
      from: '1.0.1',
      seq: 1,
      t: 1733500000123.457,
      s: 1733500000123.532,
    });
    const unpadded = JSON.stringify(base()).length;
    for (const bytes of [unpadded + 7, unpadded + 8, unpadded + 500, 1024 * 1024]) {
      assert.equal(JSON.stringify(padded(base(), bytes)).length, bytes, String(bytes));
    }
    // Within the 7 bytes `,"p":""` takes, or below the unpadded length: sent as it is.
    for (const bytes of [unpadded + 6, unpadded, unpadded - 10]) {
      assert.equal(padded(base(), bytes).p, undefined, String(bytes));
    }
  });

  it('fills rooms one after another', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 7, 8].map((k) => roomOf(k, 4)),
      ['r0', 'r0', 'r0', 'r0', 'r1', 'r1', 'r1', 'r1', 'r2'],
    );
  });
});

/** Stamps through epoch ms (1.7e12) keep about 0.25 µs: compare to 0.01 ms (`+ 0`: no -0). */
function round(ms: number): number {
  return Math.round(ms * 100) / 100 + 0;
}
