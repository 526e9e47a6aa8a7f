import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hasCommand } from '../../runner/topology/isolation/host';
import type { RunResult } from '../../runner/result/build';
import { runBin } from '../helpers/bin';

/**
 * Several server nodes, the real adapters on the Redis and PostgreSQL of this machine, HAProxy
 * in front (sticky by cookie), the broadcast scenario: every delivery the publisher promised
 * arrives once and in order, and the counts add up.
 */
const CLIENTS = 300;
const BASE = [
  'run',
  '--scenario',
  'broadcast',
  '--clients',
  String(CLIENTS),
  '--warmup',
  '50',
  '--probes',
  '2',
  '--quiet',
  // These tests check delivery counts. Three nodes, HAProxy, Redis and the generator share two
  // cores, so the generator can fall behind its schedule; that makes a run invalid (exit 1), which
  // is not what they test. The verdict has its own tests (verdict.test.ts, timing.test.ts).
  '--allow-invalid',
];
const skip = hasCommand('haproxy') ? false : 'HAProxy is not installed: apt-get install -y haproxy';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'multinode-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function haproxyRunning(): boolean {
  try {
    // Ours: started with a configuration in a run's own temporary folder.
    execFileSync('pgrep', ['-f', 'haproxy -db -f .*bench-run-']);
    return true;
  } catch {
    return false;
  }
}

async function run(name: string, args: string[]): Promise<RunResult> {
  const out = path.join(dir, `${name}.json`);
  const r = await runBin([...BASE, ...args, '--out', out], { timeoutMs: 180_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(haproxyRunning(), false, 'HAProxy stopped with the run');
  return JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
}

/**
 * Each node's log against what its own clients counted (the node its welcome named): every
 * delivery it logged reached one of its clients once. Not the totals, which `lost` is built from.
 */
function assertEachNodeDelivered(r: RunResult, nodes: readonly NonNullable<RunResult['nodes']>[number][]): void {
  for (const n of nodes) {
    assert.equal(typeof n.deliveries, 'number', `${n.nodeId} logged its deliveries`);
    assert.equal(n.received, n.deliveries, `${n.nodeId}: its clients received what it logged`);
  }
}

function assertDelivery(r: RunResult, nodes: number, adapter: string): void {
  assert.equal(r.clients.connected, CLIENTS);
  assert.equal(r.options.nodes, nodes);
  assert.equal(r.options.adapter, adapter);
  const b = r.broadcast!;
  assert.ok(b.sent > 0, 'broadcasts were sent');
  assert.equal(b.expectedDeliveries, b.sent * CLIENTS, 'each promised to every client on every node');
  assert.deepEqual(
    { lost: b.lost, gaps: b.gaps, outOfOrder: b.outOfOrder, duplicates: b.duplicates },
    { lost: 0, gaps: 0, outOfOrder: 0, duplicates: 0 },
  );
  assert.equal(r.nodes?.length, nodes);
  for (const n of r.nodes!) assert.ok(n.rssBytes.steady! > 0, `${n.nodeId} sampled`);
  assertEachNodeDelivered(r, r.nodes!);
  // A node's share against its clients: the node's log says it wrote every broadcast to each
  // client the clients say it welcomed, and every client was welcomed by one node.
  for (const n of r.nodes!) {
    assert.ok(n.welcomed! > 0, `${n.nodeId} served clients`);
    assert.equal(n.deliveries, b.sent * n.welcomed!, `${n.nodeId}: ${b.sent} broadcasts × ${n.welcomed} clients`);
  }
  assert.equal(
    r.nodes!.reduce((a, n) => a + n.welcomed!, 0),
    CLIENTS,
  );
}

describe('several nodes behind HAProxy', { skip }, () => {
  it('Socket.IO, 3 nodes, Redis adapter, websocket', async () => {
    assertDelivery(
      await run('sio-redis', ['--lib', 'socketio', '--nodes', '3', '--adapter', 'redis', '--hold', '3']),
      3,
      'redis',
    );
  });

  it('Socket.IO, 3 nodes, Redis adapter, long-polling then upgrade (sticky sessions)', async () => {
    assertDelivery(
      await run('sio-redis-polling', [
        '--lib',
        'socketio',
        '--transport',
        'polling',
        '--nodes',
        '3',
        '--adapter',
        'redis',
        '--hold',
        '3',
      ]),
      3,
      'redis',
    );
  });

  it('Socket.IO, 3 nodes, PostgreSQL adapter', async () => {
    assertDelivery(
      await run('sio-pg', ['--lib', 'socketio', '--nodes', '3', '--adapter', 'postgres', '--hold', '3']),
      3,
      'postgres',
    );
  });

  it('Socket.IO, cluster adapter, 2 workers', async () => {
    assertDelivery(
      await run('sio-cluster', ['--lib', 'socketio', '--nodes', '2', '--adapter', 'cluster', '--hold', '3']),
      2,
      'cluster',
    );
  });

  it('ws, 3 nodes, Redis pub/sub', async () => {
    assertDelivery(
      await run('ws-redis', ['--lib', 'ws', '--nodes', '3', '--adapter', 'redis', '--hold', '3']),
      3,
      'redis',
    );
  });

  it('SockJS, 2 nodes, Redis pub/sub', async () => {
    assertDelivery(
      await run('sockjs-redis', ['--lib', 'sockjs', '--nodes', '2', '--adapter', 'redis', '--hold', '3']),
      2,
      'redis',
    );
  });

  it('a Redis outage is applied in its window and the counts still add up', async () => {
    const r = await run('outage', [
      '--lib',
      'socketio',
      '--nodes',
      '3',
      '--adapter',
      'redis',
      '--hold',
      '6',
      '--adapter-outage',
      '1..3',
    ]);
    assert.equal(r.faults.length, 1);
    const f = r.faults[0]!;
    assert.ok(f.kind === 'adapter-outage');
    assert.deepEqual([f.kind, f.fromSeconds, f.toSeconds, f.error], ['adapter-outage', 1, 3, null]);
    assert.ok(f.startedAtMs !== null, 'the pause was applied');
    // Whatever each node heard through Redis and logged, its own clients received.
    assertEachNodeDelivered(r, r.nodes!);
    assert.equal(r.broadcast!.duplicates, 0);
  });

  for (const lib of ['ws', 'socketio', 'sockjs'] as const) {
    it(`${lib}: a node killed mid-run, its clients reconnect to the others and the counts add up`, async () => {
      const r = await run(`kill-${lib}`, [
        '--lib',
        lib,
        '--nodes',
        '3',
        '--adapter',
        'redis',
        '--hold',
        '8',
        '--broadcast-every',
        '250',
        '--kill-node-at',
        '2',
        '--reconnect-delay',
        '200',
        '--reconnect-delay-max',
        '1000',
      ]);
      assert.equal(r.status, 'completed', 'the run goes on without the node');
      assert.equal(r.faults.length, 1);
      const f = r.faults[0]!;
      assert.ok(f.kind === 'kill-node');
      assert.deepEqual([f.nodeId, f.atSeconds, f.error], ['node-3', 2, null]);
      assert.ok(f.startedAtMs !== null, 'the node was killed');
      assert.deepEqual(
        r.nodes!.map((n) => [n.nodeId, n.killed ?? false]),
        [
          ['node-1', false],
          ['node-2', false],
          ['node-3', true],
        ],
      );
      // Every client of the killed node lost its connection, and every one reconnected.
      const rc = r.reconnect!;
      assert.deepEqual(rc.settings, { attempts: 10, delayMs: 200, delayMaxMs: 1000, jitter: 0.5 });
      assert.ok(f.clientsAtKill! > 0, 'the killed node held clients');
      assert.equal(rc.lost, f.clientsAtKill);
      assert.equal(rc.reconnected, rc.lost);
      assert.equal(rc.failed, 0);
      assert.ok(rc.attempts >= rc.reconnected);
      assert.equal(rc.timeMs!.count, rc.reconnected);
      assert.equal(r.clients.connected, CLIENTS, 'reconnects are not new clients');
      const b = r.broadcast!;
      assert.equal(b.expectedFrom, 'nodes');
      assert.ok(b.lost >= 0 && b.lost <= f.clientsAtKill! * 2, `lost ${b.lost}: at most what was in flight`);
      assert.equal(b.duplicates, 0);
      assert.ok(b.missedWhileReconnecting! > 0, 'broadcasts went on while the clients were away');
      // The survivors' clients, reconnected ones included, received every delivery their node
      // logged; the only loss is on the killed node, what it wrote as it died.
      const killed = r.nodes!.find((n) => n.killed)!;
      const survivors = r.nodes!.filter((n) => !n.killed);
      assertEachNodeDelivered(r, survivors);
      assert.ok(
        killed.received! <= killed.deliveries!,
        `${killed.received} of ${killed.deliveries} from the killed node`,
      );
      assert.equal(b.lost, killed.deliveries! - killed.received!);
      // Each node's share against its clients: the killed node welcomed the clients its log last
      // wrote to, and each of them was welcomed again by a survivor when it reconnected.
      assert.equal(killed.welcomed, f.clientsAtKill);
      assert.equal(
        survivors.reduce((a, n) => a + n.welcomed!, 0),
        CLIENTS - f.clientsAtKill! + rc.reconnected,
      );
    });
  }
});
