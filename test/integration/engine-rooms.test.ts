/**
 * The rooms scenario's engine side under real Artillery (scenarios/rooms.yml), against a small
 * ws server written here that keeps the room contract (join → joined; publish → every member of
 * the room, the sender too unless `x`) and can be told to misbehave: send one delivery twice,
 * swap two, drop one, or hold every room message back.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  ConnectionError,
  Engine,
  ENGINE_DIR_ENV,
  LIB_ENV,
  emptyCounts,
  epochMs,
  type EngineCounts,
  type EngineEvent,
  type PublishMessage,
  type RoomCounts,
  type RoomsConfig,
  roomOf,
  type Lib,
} from 'artillery-engine-bench';
import { addCounts } from '../../runner/loadgen/engine-events';

const ROOT = path.resolve(__dirname, '../../..');
const ARTILLERY = path.join(ROOT, 'node_modules/artillery/bin/run');
/** Keeps Artillery's telemetry call from leaving the machine (see runner/artillery-preload.ts). */
const PRELOAD = path.join(ROOT, 'dist/runner/loadgen/artillery-preload.js');
const CLIENTS = 12;
const ROOM_SIZE = 3;
const PROBES = 2;
/** A bound on one Artillery run, not an expectation. */
const RUN_TIMEOUT_MS = 120_000;

/** What the test server does wrong, each to one delivery (one message to one member). */
interface Faults {
  /** the first delivery of a seq 1 is sent twice */
  duplicate?: boolean;
  /** the first delivery of a seq 2 is not sent */
  drop?: boolean;
  /** the first delivery of a seq 3 is held back and sent right after the same publisher's seq 4 to that member */
  swap?: boolean;
  /** every room message is fanned out this long after it arrived */
  delayMs?: number;
}

interface RoomServer {
  url: string;
  /** joins answered per room (members leave their room as they close; this count stays) */
  joined: Record<string, number>;
  /** publish messages received */
  publishes: number;
  /** messages sent to members, the duplicate included */
  deliveries: number;
  close(): Promise<void>;
}

async function roomServer(faults: Faults = {}): Promise<RoomServer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  const members = new Map<string, Set<WebSocket>>();
  const server: RoomServer = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`,
    joined: {},
    publishes: 0,
    deliveries: 0,
    close: () => new Promise((r) => wss.close(() => r())),
  };
  const done = { duplicate: false, drop: false, swap: false };
  let held: { to: WebSocket; from: string; text: string } | null = null;
  const send = (to: WebSocket, text: string) => {
    server.deliveries++;
    to.send(text);
  };
  const fanOut = (from: WebSocket, m: PublishMessage, text: string) => {
    for (const to of members.get(m.room) ?? []) {
      if (m.x === 1 && to === from) continue;
      if (faults.duplicate && !done.duplicate && m.seq === 1) {
        done.duplicate = true;
        send(to, text);
      } else if (faults.drop && !done.drop && m.seq === 2) {
        done.drop = true;
        continue;
      } else if (faults.swap && !done.swap && m.seq === 3) {
        done.swap = true;
        held = { to, from: m.from, text };
        continue;
      }
      send(to, text);
      if (held !== null && held.to === to && held.from === m.from && m.seq === 4) {
        send(to, held.text);
        held = null;
      }
    }
  };
  wss.on('connection', (socket) => {
    socket.send(JSON.stringify({ type: 'welcome', t: epochMs(), node: 'test' }));
    socket.on('message', (data) => {
      const text = String(data);
      const m = JSON.parse(text) as { type: string; room: string };
      if (m.type === 'join') {
        let room = members.get(m.room);
        if (room === undefined) members.set(m.room, (room = new Set()));
        room.add(socket);
        server.joined[m.room] = (server.joined[m.room] ?? 0) + 1;
        socket.once('close', () => room.delete(socket));
        socket.send(JSON.stringify({ type: 'joined', room: m.room }));
      } else if (m.type === 'publish') {
        server.publishes++;
        const p = m as PublishMessage;
        if (faults.delayMs) setTimeout(fanOut, faults.delayMs, socket, p, text);
        else fanOut(socket, p, text);
      }
    });
  });
  return server;
}

type Final = Extract<EngineEvent, { histograms: unknown }> & { event: 'final' };

interface RoomsRun {
  output: string;
  /**
   * members per room, as the engine gives rooms out: each worker thread's engine hands its main
   * clients (their count: its `connected`, all connecting) r0, r1, … round robin
   */
  sizes: Record<string, number>;
  counts: EngineCounts;
  /** per room, summed over workers */
  rooms: RoomCounts;
  /** each histogram, merged over workers */
  histograms: Record<'joinMs' | 'roomMs' | 'roomServiceMs' | 'connectMs', hdr.Histogram>;
}

async function runRooms(url: string, dir: string, rooms: RoomsConfig, lib: Lib = 'ws'): Promise<RoomsRun> {
  const overrides = {
    config: {
      engines: { bench: { rooms } },
      phases: [
        { name: 'ramp', arrivalCount: CLIENTS, duration: 1 },
        { name: 'hold', pause: 2 },
        { name: 'probe', arrivalCount: PROBES, duration: 1 },
      ],
    },
  };
  const args = ['--require', PRELOAD, ARTILLERY, 'run', path.join(ROOT, 'scenarios', 'rooms.yml')];
  args.push('--target', url, '--overrides', JSON.stringify(overrides), '--output', path.join(dir, 'report.json'));
  // Own process group, so that whatever Artillery starts can be killed as one.
  const child = spawn(process.execPath, args, {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, [ENGINE_DIR_ENV]: dir, [LIB_ENV]: lib, ARTILLERY_DISABLE_TELEMETRY: 'true' },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), RUN_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  assert.equal(code, 0, output);

  const names = fs.readdirSync(dir).filter((f) => /^engine-\d+-\d+\.ndjson$/.test(f));
  assert.ok(names.length > 0, `no engine event file in ${dir}\n${output}`);
  const counts = emptyCounts();
  const sums: RoomCounts = { published: {}, received: {} };
  const sizes: Record<string, number> = {};
  const histograms = {
    joinMs: hdr.build(),
    roomMs: hdr.build(),
    roomServiceMs: hdr.build(),
    connectMs: hdr.build(),
  };
  for (const name of names) {
    const events = fs
      .readFileSync(path.join(dir, name), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as EngineEvent);
    const finals = events.filter((e): e is Final => e.event === 'final');
    assert.equal(finals.length, 1, 'exactly one final line per worker');
    const final = finals[0]!;
    addCounts(counts, final.counts);
    for (let i = 0; i < final.counts.connected; i++)
      sizes[roomOf(i, rooms.roomSize)] = (sizes[roomOf(i, rooms.roomSize)] ?? 0) + 1;
    for (const what of ['published', 'received'] as const) {
      for (const [room, n] of Object.entries(final.rooms?.[what] ?? {})) sums[what][room] = (sums[what][room] ?? 0) + n;
    }
    for (const [metric, h] of Object.entries(histograms)) {
      const encoded = final.histograms[metric as keyof typeof histograms];
      if (encoded !== undefined) h.add(hdr.decodeFromCompressedBase64(encoded));
    }
    // Per room counts go in snapshot and final lines only, never in progress lines.
    assert.ok(events.every((e) => e.event !== 'progress' || !('rooms' in e)));
  }
  return { output, sizes, counts, rooms: sums, histograms };
}

const p50Ms = (h: hdr.Histogram) => h.getValueAtPercentile(50) / 1000;

describe('rooms scenario: the engine under real Artillery against a room server', () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-engine-rooms-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const ROOMS_CONFIG: RoomsConfig = {
    roomSize: ROOM_SIZE,
    publishEveryMs: 200,
    messageBytes: 200,
    exceptSender: false,
  };
  /** roomMs p50 against the well-behaved server, for the delayed run to move */
  let baselineP50 = NaN;

  async function run(
    name: string,
    faults: Faults,
    rooms: RoomsConfig = ROOMS_CONFIG,
  ): Promise<Checked & { server: RoomServer }> {
    const server = await roomServer(faults);
    try {
      return { server, run: await runRooms(server.url, fs.mkdtempSync(path.join(tmp, `${name}-`)), rooms) };
    } finally {
      await server.close();
    }
  }

  /**
   * Joins, publishes and per room counts: each room's members received each message published
   * to it, (members − 1 with exceptSender) times, but for `missing` deliveries.
   */
  function checkRooms({ run, server }: Checked, exceptSender: boolean, missing = 0) {
    const { counts } = run;
    assert.equal(counts.connected, CLIENTS, run.output);
    assert.equal(counts.probesConnected, PROBES);
    assert.equal(counts.roomJoined, CLIENTS, 'main clients joined, probes did not');
    assert.equal(counts.roomJoinFailed, 0);
    assert.equal(run.histograms.joinMs.totalCount, CLIENTS);
    // Each engine gives its main clients r0, r1, … in arrival order: with one (2 cores), 3 each.
    assert.equal(sum(run.sizes), CLIENTS);
    if (server !== null) assert.deepEqual(server.joined, run.sizes, 'each client joined the room it was given');
    assert.ok((counts.roomPublished ?? 0) >= CLIENTS * 5, `about 10 each in 2 s: ${JSON.stringify(counts)}`);
    if (server !== null) assert.equal(counts.roomPublished, server.publishes, 'the server got every message');
    assert.deepEqual(Object.keys(run.rooms.published).sort(), Object.keys(run.sizes).sort());
    assert.equal(sum(run.rooms.published), counts.roomPublished);
    const x = exceptSender ? 1 : 0;
    const expected = Object.fromEntries(
      Object.entries(run.rooms.published).map(([room, n]) => [room, n * (run.sizes[room]! - x)]),
    );
    assert.equal(counts.roomReceived, sum(expected) - missing, JSON.stringify({ counts, rooms: run.rooms }));
    if (missing === 0) assert.deepEqual(run.rooms.received, expected);
    assert.equal(sum(run.rooms.received), counts.roomReceived);
    assert.equal(run.histograms.roomMs.totalCount, counts.roomReceived);
    assert.equal(run.histograms.roomServiceMs.totalCount, counts.roomReceived);
  }

  it('ws: every member joins its room, round robin, and receives every message of it once', async () => {
    const r = await run('plain', {});
    checkRooms(r, false);
    const { counts } = r.run;
    assert.deepEqual(counts.errors, {});
    assert.equal(counts.roomDuplicates, 0);
    assert.equal(counts.roomOutOfOrder, 0);
    assert.equal(r.server.deliveries, counts.roomReceived);
    baselineP50 = p50Ms(r.run.histograms.roomMs);
  });

  it('ws: exceptSender; a delivery sent twice, two swapped and one dropped are counted exactly', async (t) => {
    const r = await run('faults', { duplicate: true, swap: true, drop: true }, { ...ROOMS_CONFIG, exceptSender: true });
    checkRooms(r, true, 1);
    const { counts } = r.run;
    t.diagnostic(
      `published ${counts.roomPublished}, received ${counts.roomReceived}, joined ${JSON.stringify(r.server.joined)}`,
    );
    assert.deepEqual(counts.errors, {}, 'no message came back to its sender');
    assert.equal(counts.roomDuplicates, 1);
    assert.equal(counts.roomOutOfOrder, 1, 'seq 3 after seq 4');
    assert.equal(
      r.server?.deliveries,
      (counts.roomReceived ?? 0) + 1,
      'every delivery received once, but the duplicate',
    );
  });

  it('ws: a server holding every room message back 50 ms moves roomMs p50 by about that', async (t) => {
    assert.ok(Number.isFinite(baselineP50), 'the first test ran');
    const r = await run('delayed', { delayMs: 50 });
    checkRooms(r, false);
    const moved = p50Ms(r.run.histograms.roomMs) - baselineP50;
    t.diagnostic(`roomMs p50 ${baselineP50.toFixed(1)} ms, held back 50 ms: ${(baselineP50 + moved).toFixed(1)} ms`);
    assert.ok(Math.abs(moved - 50) <= 20, `roomMs p50 ${baselineP50} ms → ${baselineP50 + moved} ms`);
    assert.ok(p50Ms(r.run.histograms.roomServiceMs) >= 50, 'from the actual send too');
  });
  // bench's own three servers run the same scenario through the CLI in rooms.test.ts.
});

/** A run, and the test server it ran against (null: one of bench's own servers). */
interface Checked {
  run: RoomsRun;
  server: RoomServer | null;
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Serves one welcome per connection and hands each message to `onMessage`; counts connections. */
async function scriptedServer(onMessage: (socket: WebSocket, m: { type: string; room?: string }, n: number) => void) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  let connections = 0;
  wss.on('connection', (socket) => {
    const n = ++connections;
    socket.send(JSON.stringify({ type: 'welcome', t: epochMs() }));
    socket.on('message', (data) => onMessage(socket, JSON.parse(String(data)) as { type: string }, n));
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((r) => wss.close(() => r())),
  };
}

/** One main client through connect, join, hold, driven without Artillery; phases `hold` only. */
function oneMember(url: string, bench: Record<string, unknown>) {
  const runner = new EventEmitter();
  const phase = { name: 'hold', index: 0, pause: 10 };
  const rooms = { roomSize: 2, publishEveryMs: 50, messageBytes: 200, exceptSender: false };
  const engine = new Engine(
    { config: { target: url, engines: { bench: { lib: 'ws', rooms, ...bench } }, phases: [phase] } },
    runner,
  );
  const vu = engine.createScenario({ flow: [{ connect: {} }, { join: {} }, { hold: {} }] }, { emit() {} });
  runner.emit('phaseStarted', phase);
  const done = new Promise<Error | null>((resolve) => vu({}, (err) => resolve(err)));
  const end = async () => {
    runner.emit('phaseCompleted', phase);
    const err = await done;
    runner.emit('done');
    return err;
  };
  return { engine, done, end };
}

/** Bounded wait (not a timing assertion). */
async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('rooms scenario: joins, driven directly', () => {
  it('ws: a join with no answer within the connect timeout fails the VU, counted', async () => {
    const server = await scriptedServer(() => {});
    try {
      const { engine, done, end } = oneMember(server.url, { connectTimeoutMs: 300 });
      const err = await done;
      await end();
      assert.ok(err instanceof ConnectionError, String(err));
      assert.equal(err.code, 'bench.join_timeout');
      const c = engine.recorder.counts;
      assert.equal(c.connected, 1);
      assert.equal(c.roomJoined, 0);
      assert.equal(c.roomJoinFailed, 1);
      assert.equal(c.open, 0, 'closed');
      assert.equal(c.dropped, 0, 'we closed it');
      assert.deepEqual(c.errors, { 'bench.join_timeout': 1 });
    } finally {
      await server.close();
    }
  });

  it('ws: a connection lost before the join is answered fails the VU, reconnecting on or not', async () => {
    const server = await scriptedServer((socket, m) => {
      if (m.type === 'join') socket.close(4000);
    });
    try {
      const { engine, done, end } = oneMember(server.url, { reconnect: { delayMs: 10, delayMaxMs: 20 } });
      const err = await done;
      await end();
      assert.ok(err instanceof ConnectionError, String(err));
      assert.equal(err.code, 'ws.close_4000');
      const c = engine.recorder.counts;
      assert.equal(c.roomJoinFailed, 1);
      assert.equal(c.dropped, 1, 'the server closed an open connection');
      assert.equal(c.reconnectAttempts, 0, 'never held, so not reconnected');
    } finally {
      await server.close();
    }
  });

  it('ws: after a reconnect the member joins its room again and publishes again', async () => {
    const published = [0, 0, 0];
    const server = await scriptedServer((socket, m, n) => {
      if (m.type === 'join') {
        socket.send(JSON.stringify({ type: 'joined', room: m.room }));
        // The first connection is lost a little after joining.
        if (n === 1) setTimeout(() => socket.terminate(), 300);
      } else if (m.type === 'publish') {
        published[n] = (published[n] ?? 0) + 1;
        socket.send(JSON.stringify(m));
      }
    });
    try {
      const { engine, end } = oneMember(server.url, { reconnect: { delayMs: 10, delayMaxMs: 20 } });
      const c = engine.recorder.counts;
      await until(() => (published[2] ?? 0) >= 3);
      const err = await end();
      assert.equal(err, null);
      assert.equal(c.reconnected, 1);
      assert.equal(c.roomJoined, 2, 'joined, then joined again');
      assert.equal(c.roomJoinFailed, 0);
      assert.equal(engine.recorder.totalCount('joinMs'), 2);
      assert.ok(published[1]! > 0 && published[2]! >= 3, `published per connection: ${published.join(', ')}`);
      assert.equal(c.roomPublished, published[1]! + published[2]!, 'each message reached the server');
      // Its own messages, sent back: seq goes on across the reconnect, so none is a duplicate.
      assert.equal(c.roomDuplicates, 0);
      assert.equal(c.roomOutOfOrder, 0);
    } finally {
      await server.close();
    }
  });
});
