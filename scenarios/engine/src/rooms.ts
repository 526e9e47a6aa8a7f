/**
 * The rooms scenario, member side: what one main client keeps once it joined its room (its
 * publishing schedule, its own count, the last seq it received from each publisher) and the
 * messages it publishes. Session does the timing and counting; this file holds no timer.
 */
import { threadId } from 'node:worker_threads';
import type { BenchClient } from './clients';
import type { Recorder, ScenarioEmitter } from './metrics';
import { ECHO_LATE_MS, type PublishMessage, type RoomsConfig } from './protocol';

/** The shortest publishing interval a script may ask for (ms): below it, timer slack is most of the interval. */
export const MIN_PUBLISH_EVERY_MS = 10;
/** The longest published message a script may ask for (bytes). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** `,"p":""`: what padding adds before its first byte. */
const PAD_OVERHEAD = ',"p":""'.length;

/**
 * The length of the shortest publish message any member can send: room `r0`, the first member
 * of thread 0 of a one-digit pid, seq 1, and stamps of the fewest digits an epoch time since 2001
 * has (13, whole ms). A `messageBytes` below it could never be met.
 */
export function smallestPublishBytes(exceptSender: boolean): number {
  const m: PublishMessage = { type: 'publish', room: 'r0', from: '0.0.1', seq: 1, t: 1e12, s: 1e12 };
  if (exceptSender) m.x = 1;
  return JSON.stringify(m).length;
}

/** Padding characters, grown as needed and sliced (no new string of padding per message). */
let padding = '';
function pad(n: number): string {
  if (padding.length < n) padding = 'x'.repeat(Math.max(n, 2 * padding.length));
  return padding.slice(0, n);
}

/**
 * A message `messageBytes` long as JSON text: exactly, when that leaves room for the padding
 * field (7 bytes and more); when the unpadded text is already that long or within 6 bytes of
 * it, sent unpadded (the stamps' digits vary, so a message can be a few bytes off then).
 */
export function padded(m: PublishMessage, messageBytes: number): PublishMessage {
  const room = messageBytes - JSON.stringify(m).length - PAD_OVERHEAD;
  if (room >= 0) m.p = pad(room);
  return m;
}

let members = 0;
/** A publisher name unique in the run: `<pid>.<threadId>.<n>`. */
export function memberId(): string {
  return `${process.pid}.${threadId}.${++members}`;
}

/** How one received message relates to what this member had from the same publisher. */
export type Arrival = 'received' | 'duplicate' | 'outOfOrder';

/**
 * One main client's membership of its room. Session owns the timer and the joins (see
 * Session.join); this sends what came due and counts what arrives.
 */
export class RoomMember {
  /** when the join waiting for its answer was sent (performance.now() ms); 0: none waiting */
  joinSentAt = 0;
  /** the server answered this member's join at least once (a later join is a rejoin) */
  joinedOnce = false;
  /** the server answered the join sent on the current connection: it may publish */
  joined = false;
  /** its publishing schedule runs */
  publishing = false;
  /** the next message's due time (performance.now() ms) */
  due = 0;
  private seq = 0;
  /** per publisher, the highest seq received */
  private readonly last = new Map<string, number>();

  constructor(
    readonly room: string,
    readonly from: string,
    private readonly config: RoomsConfig,
  ) {}

  /**
   * Classifies a message from `from` numbered `seq`: above the highest seen from that publisher,
   * received (and now the highest); equal to it, a duplicate; below it, out of order, and still
   * received (a copy of an older message cannot be told from a late one without keeping every seq).
   */
  arrival(from: string, seq: number): Arrival {
    const last = this.last.get(from) ?? 0;
    if (seq === last) return 'duplicate';
    if (seq < last) return 'outOfOrder';
    this.last.set(from, seq);
    return 'received';
  }

  /** Starts the schedule, from a random offset so that members do not publish in lockstep. */
  startPublishing(now: number): void {
    this.publishing = true;
    this.due = now + Math.random() * this.config.publishEveryMs;
  }

  /**
   * Publishes every message that has come due, each stamped with when it was due (`t`) and sent
   * (`s`), as echoes are: a late timer shows in roomMs instead of stretching the schedule.
   */
  publishDue(client: BenchClient, now: number, recorder: Recorder, ee: ScenarioEmitter): void {
    while (this.due <= now) {
      if (now - this.due > ECHO_LATE_MS) recorder.count('roomPublishLate', ee);
      client.send(this.next(now));
      recorder.count('roomPublished', ee);
      recorder.room(this.room, 'published');
    }
  }

  /**
   * A `publish` message this member received: each (member, publisher, seq) counts once (see
   * arrival), timed from the publisher's due stamp (roomMs) and send stamp (roomServiceMs), both
   * epoch ms of a client on this host. `now` is performance.now() at its arrival.
   */
  receive(message: object, now: number, recorder: Recorder, ee: ScenarioEmitter): void {
    const p = asPublish(message);
    if (p === null) return recorder.error('bench.bad_message', ee);
    // Another room's message, or our own despite `x`: the server's fan-out is wrong; not received.
    if (p.room !== this.room) return recorder.error('bench.room_wrong', ee);
    if (p.x === 1 && p.from === this.from) return recorder.error('bench.room_own_message', ee);
    const arrival = this.arrival(p.from, p.seq);
    if (arrival === 'duplicate') return recorder.count('roomDuplicates', ee);
    if (arrival === 'outOfOrder') recorder.count('roomOutOfOrder', ee);
    const at = performance.timeOrigin + now;
    recorder.latency('roomMs', at - p.t, ee);
    recorder.latency('roomServiceMs', at - p.s, ee);
    recorder.count('roomReceived', ee);
    recorder.room(this.room, 'received');
  }

  /** The message due at `due`, sent at `now` (both performance.now() ms); the schedule moves on by one interval. */
  next(now: number): PublishMessage {
    const m: PublishMessage = {
      type: 'publish',
      room: this.room,
      from: this.from,
      seq: ++this.seq,
      t: performance.timeOrigin + this.due,
      s: performance.timeOrigin + now,
    };
    if (this.config.exceptSender) m.x = 1;
    this.due += this.config.publishEveryMs;
    return padded(m, this.config.messageBytes);
  }
}

/** The fields of a `publish` message a member reads, checked; null when one is missing or of the wrong type. */
export function asPublish(message: object): PublishMessage | null {
  const m = message as Partial<Record<keyof PublishMessage, unknown>>;
  if (
    typeof m.room !== 'string' ||
    typeof m.from !== 'string' ||
    typeof m.seq !== 'number' ||
    typeof m.t !== 'number' ||
    typeof m.s !== 'number'
  ) {
    return null;
  }
  return message as PublishMessage;
}
