/**
 * The rooms scenario on every server, with each library's real client: a join is answered
 * `joined`, a publish reaches every member of its room once (the sender too, unless `x: 1`) and
 * no one else, on one node and across two synced through a broker; `GET /control/stats` counts
 * each node's members and room messages written, and a closed client leaves its room.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Lib, PublishMessage } from 'artillery-engine-bench/protocol';
import { connect, type TestClient } from '../helpers/clients';
import { waitFor } from '../helpers/procs';
import { DEFAULT_AMQP_URL, DEFAULT_NATS_URL, DEFAULT_PG_URL, DEFAULT_REDIS_URL } from '../../runner/config/defaults';
import { createServer } from '../../servers/index';
import type { AdapterOptions, BenchServer, NodeStats, ServerOptions } from '../../servers/types';

/** Bounds on waiting, not expectations: a healthy run finishes far below them. */
const WAIT_MS = 10_000;
const TEST_TIMEOUT_MS = 20_000;

const DEFAULTS: ServerOptions = {
  port: 0,
  host: '127.0.0.1',
  transport: 'websocket',
  deflate: false,
  pingIntervalMs: 25_000,
};

interface Node {
  server: BenchServer;
  url: string;
}

async function startNode(t: TestContext, lib: Lib, adapter: AdapterOptions, nodeId: string): Promise<Node> {
  const server = createServer(lib, { ...DEFAULTS, adapter, nodeId });
  t.after(() => server.close());
  return { server, url: (await server.listen()).url };
}

/** A client of `node`, closed when the test ends. */
async function client(t: TestContext, lib: Lib, node: Node): Promise<TestClient> {
  const c = await connect(lib, node.url, 'websocket', WAIT_MS);
  t.after(() => c.close());
  return c;
}

/** Each client joins its room; resolves once every one got its `joined`. */
async function join(members: [TestClient, string][]): Promise<void> {
  for (const [c, room] of members) c.send({ type: 'join', room });
  await until('every join answered', () => members.every(([c]) => c.others.some((m) => m.type === 'joined')));
  for (const [c, room] of members) assert.deepEqual(c.others.shift(), { type: 'joined', room });
}

async function until(what: string, check: () => boolean): Promise<void> {
  assert.ok(await waitFor(check, WAIT_MS, 5), `${what} within ${WAIT_MS} ms`);
}

/** Waits until each client holds its count of messages. */
function received(what: string, counts: [TestClient, number][]): Promise<void> {
  return until(what, () => counts.every(([c, n]) => c.others.length >= n));
}

function publish(c: TestClient, room: string, from: string, seq: number, exceptSender = false): PublishMessage {
  const m: PublishMessage = { type: 'publish', room, from, seq, t: 1000.25 + seq, s: 1000.5 + seq, p: 'xx' };
  if (exceptSender) m.x = 1;
  c.send(m);
  return m;
}

/** What a client received, as `from#seq` in arrival order (anything else shows as its type). */
const receipts = (c: TestClient): string[] =>
  c.others.map((m) =>
    m.type === 'publish' ? `${(m as PublishMessage).from}#${(m as PublishMessage).seq}` : `${m.type}`,
  );

/** A node's stats once `check` holds of them (polled). */
async function statsWhen(node: Node, what: string, check: (s: NodeStats) => boolean): Promise<NodeStats> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const stats = await node.server.stats();
    if (check(stats)) return stats;
    if (Date.now() > deadline) assert.fail(`${what} within ${WAIT_MS} ms: ${JSON.stringify(stats)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const LIBS: Lib[] = ['ws', 'sockjs', 'socketio'];

describe('rooms on a lone node', { timeout: TEST_TIMEOUT_MS }, () => {
  for (const lib of LIBS) {
    it(lib, async (t) => {
      const node = await startNode(t, lib, { kind: 'none' }, 'node-1');
      const [a0, a1, a2, b0, b1] = (await Promise.all([1, 2, 3, 4, 5].map(() => client(t, lib, node)))) as [
        TestClient,
        TestClient,
        TestClient,
        TestClient,
        TestClient,
      ];
      assert.equal((await node.server.stats()).rooms, undefined, 'no rooms before any join');
      await join([
        [a0, 'ra'],
        [a1, 'ra'],
        [a2, 'ra'],
        [b0, 'rb'],
        [b1, 'rb'],
      ]);
      assert.deepEqual((await node.server.stats()).rooms, { members: { ra: 3, rb: 2 }, writes: 0 });

      // to the whole room, sender included, unchanged
      const first = publish(a0, 'ra', 'a0', 1);
      await received(
        'a0#1',
        [a0, a1, a2].map((c) => [c, 1]),
      );
      assert.deepEqual(a1.others[0], first);
      // everyone but the sender
      publish(a1, 'ra', 'a1', 1, true);
      await received('a1#1', [
        [a0, 2],
        [a2, 2],
      ]);
      // Written after those on the same sockets: whatever went amiss has arrived by then.
      publish(a0, 'ra', 'a0', 2);
      publish(b0, 'rb', 'b0', 1);
      await received('a0#2 and b0#1', [
        [a0, 3],
        [a1, 2],
        [a2, 3],
        [b0, 1],
        [b1, 1],
      ]);
      assert.deepEqual(receipts(a0), ['a0#1', 'a1#1', 'a0#2']);
      assert.deepEqual(receipts(a1), ['a0#1', 'a0#2']);
      assert.deepEqual(receipts(a2), ['a0#1', 'a1#1', 'a0#2']);
      assert.deepEqual(receipts(b0), ['b0#1']);
      assert.deepEqual(receipts(b1), ['b0#1']);
      assert.deepEqual((await node.server.stats()).rooms, { members: { ra: 3, rb: 2 }, writes: 3 + 2 + 3 + 2 });

      // a closed client leaves its room; an emptied room is gone
      for (const c of [a2, b0, b1]) c.close();
      const { rooms } = await statsWhen(
        node,
        'the closed clients gone',
        (s) => s.rooms?.members.ra === 2 && !s.rooms.members.rb,
      );
      assert.deepEqual(rooms, { members: { ra: 2 }, writes: 10 });
      publish(a0, 'ra', 'a0', 3);
      await received('a0#3', [
        [a0, 4],
        [a1, 3],
      ]);
      assert.deepEqual(receipts(a1), ['a0#1', 'a0#2', 'a0#3']);
      assert.equal((await node.server.stats()).rooms?.writes, 12);
    });
  }
});

/** Two nodes, one broker: which fan-out (ws, SockJS) or adapter (Socket.IO) each library takes. */
const BROKER_URL = {
  redis: DEFAULT_REDIS_URL,
  amqp: DEFAULT_AMQP_URL,
  nats: DEFAULT_NATS_URL,
  'redis-streams': DEFAULT_REDIS_URL,
  postgres: DEFAULT_PG_URL,
};
const SYNCED: [Lib, keyof typeof BROKER_URL][] = [
  ['ws', 'redis'],
  ['sockjs', 'nats'],
  ['sockjs', 'amqp'],
  ['socketio', 'redis'],
  ['socketio', 'nats'],
  ['socketio', 'amqp'],
  ['socketio', 'redis-streams'],
  ['socketio', 'postgres'],
];

describe('rooms across two nodes', { timeout: TEST_TIMEOUT_MS }, () => {
  for (const [lib, broker] of SYNCED) {
    it(`${lib}, --adapter ${broker}`, async (t) => {
      const adapter: AdapterOptions = {
        kind: broker,
        url: BROKER_URL[broker],
        key: `rooms-${randomBytes(4).toString('hex')}`,
      };
      const n1 = await startNode(t, lib, adapter, 'node-1');
      const n2 = await startNode(t, lib, adapter, 'node-2');
      for (const n of [n1, n2]) await statsWhen(n, 'both nodes synced', (s) => s.servers === 2);
      // ra: a0, a1 on node 1, a2, a3 on node 2; rb: b0 on node 1, b1 on node 2
      const [a0, a1, b0] = await Promise.all([1, 2, 3].map(() => client(t, lib, n1)));
      const [a2, a3, b1] = await Promise.all([1, 2, 3].map(() => client(t, lib, n2)));
      const ra = [a0!, a1!, a2!, a3!];
      await join([...ra.map((c): [TestClient, string] => [c, 'ra']), [b0!, 'rb'], [b1!, 'rb']]);
      for (const n of [n1, n2])
        assert.deepEqual((await n.server.stats()).rooms, { members: { ra: 2, rb: 1 }, writes: 0 });

      // from node 1 to the members on both, the sender included
      const first = publish(a0!, 'ra', 'a0', 1);
      await received(
        'a0#1',
        ra.map((c) => [c, 1]),
      );
      assert.deepEqual(a3!.others[0], first);
      // everyone but the sender, on both nodes
      publish(a0!, 'ra', 'a0', 2, true);
      await received('a0#2', [
        [a1!, 2],
        [a2!, 2],
        [a3!, 2],
      ]);
      // from node 2, after those (their receipt was awaited): whatever went amiss has arrived by then
      publish(a2!, 'ra', 'a2', 1);
      await received('a2#1', [
        [a0!, 2],
        [a1!, 3],
        [a2!, 3],
        [a3!, 3],
      ]);
      publish(b1!, 'rb', 'b1', 1);
      await received('b1#1', [
        [b0!, 1],
        [b1!, 1],
      ]);
      assert.deepEqual(receipts(a0!), ['a0#1', 'a2#1']);
      for (const c of [a1!, a2!, a3!]) assert.deepEqual(receipts(c), ['a0#1', 'a0#2', 'a2#1']);
      for (const c of [b0!, b1!]) assert.deepEqual(receipts(c), ['b1#1']);
      // node 1 wrote a0#1 ×2, a0#2 ×1 (a1), a2#1 ×2, b1#1 ×1; node 2 each ra one ×2, b1#1 ×1
      assert.deepEqual((await n1.server.stats()).rooms, { members: { ra: 2, rb: 1 }, writes: 6 });
      assert.deepEqual((await n2.server.stats()).rooms, { members: { ra: 2, rb: 1 }, writes: 7 });

      // a closed client leaves its room on its own node only
      a3!.close();
      await statsWhen(n2, 'a3 gone', (s) => s.rooms?.members.ra === 1);
      assert.deepEqual((await n1.server.stats()).rooms?.members, { ra: 2, rb: 1 });
    });
  }
});

describe('rooms on a Socket.IO cluster', { timeout: TEST_TIMEOUT_MS }, () => {
  it('members on both workers get each message once; the primary sums the workers rooms', async (t) => {
    const node = await startNode(t, 'socketio', { kind: 'cluster', workers: 2 }, 'node-1');
    // one at a time, so least-connection gives each worker two
    const ra: TestClient[] = [];
    for (let i = 0; i < 4; i++) ra.push(await client(t, 'socketio', node));
    const [a0, a1] = ra as [TestClient, TestClient];
    await join(ra.map((c) => [c, 'ra']));
    publish(a0, 'ra', 'a0', 1);
    await received(
      'a0#1',
      ra.map((c) => [c, 1]),
    );
    publish(a0, 'ra', 'a0', 2, true);
    await received(
      'a0#2',
      ra.slice(1).map((c) => [c, 2]),
    );
    publish(a1, 'ra', 'a1', 1);
    await received('a1#1', [[a0, 2], ...ra.slice(1).map((c): [TestClient, number] => [c, 3])]);
    assert.deepEqual(receipts(a0), ['a0#1', 'a1#1']);
    for (const c of ra.slice(1)) assert.deepEqual(receipts(c), ['a0#1', 'a0#2', 'a1#1']);
    const stats = await node.server.stats();
    assert.deepEqual(
      stats.workers?.map((w) => w.rooms?.members),
      [{ ra: 2 }, { ra: 2 }],
    );
    assert.deepEqual(stats.rooms, { members: { ra: 4 }, writes: 4 + 3 + 4 });
    assert.equal(
      stats.workers?.reduce((sum, w) => sum + (w.rooms?.writes ?? 0), 0),
      11,
    );
  });
});
