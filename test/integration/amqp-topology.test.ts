import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as amqp from 'amqplib';
import { hasCommand } from '../../runner/topology/isolation/host';
import type { RunResult } from '../../runner/result/build';
import { BENCH_BIN } from '../helpers/bin';
import { assertResultSchema } from '../helpers/schema';

/**
 * --amqp-topology routing and prefix:N on this machine's RabbitMQ, --scenario rooms on two nodes:
 * every member gets every message of its room (the result's rooms block), the bindings RabbitMQ
 * lists during the hold are one per room with members on the node plus `all`, and with prefix:N
 * every room's members sit on one node (GET /control/stats per node). Small runs, about 8 s each.
 */
const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const CLIENTS = 24;
const ROOM_SIZE = 6;
const ROOMS = ['r0', 'r1', 'r2', 'r3'];

let dir: string;
let skip: string | false = false;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amqp-topology-'));
  if (!hasCommand('haproxy')) skip = 'HAProxy is not installed: apt-get install -y haproxy';
  else if (!hasCommand('rabbitmqctl') || process.getuid?.() !== 0) skip = 'rabbitmqctl (as root) lists the bindings';
  else if (!(await answers(5672))) skip = 'RabbitMQ does not answer at 127.0.0.1:5672';
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, timeout: 2_000 }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('timeout', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(false));
  });
}

/** source exchange, destination queue, routing key: every binding RabbitMQ has now. */
function bindings(): [string, string, string][] {
  const out = execFileSync('rabbitmqctl', ['list_bindings', '-q', 'source_name', 'destination_name', 'routing_key'], {
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t') as [string, string, string]);
}

function exchanges(): string[] {
  return execFileSync('rabbitmqctl', ['list_exchanges', '-q', 'name'], { encoding: 'utf8' }).split('\n');
}

/**
 * One rooms run through the real CLI; meanwhile RabbitMQ's bindings of its exchange (named for
 * the bench pid) are read every 300 ms: the read with the most is the whole membership, as joins
 * only add until the clients leave at the end.
 */
async function roomsRun(name: string, args: string[]): Promise<{ res: RunResult; keys: Map<string, string[]> }> {
  const out = path.join(dir, `${name}.json`);
  const child = spawn(
    process.execPath,
    [
      BENCH_BIN,
      'run',
      '--scenario',
      'rooms',
      '--clients',
      String(CLIENTS),
      '--room-size',
      String(ROOM_SIZE),
      '--publish-every',
      '250',
      '--hold',
      '3',
      '--warmup',
      '0',
      '--probes',
      '0',
      '--nodes',
      '2',
      '--adapter',
      'amqp',
      '--max-lag',
      '2000',
      '--max-loop-delay',
      '2000',
      '--out',
      out,
      ...args,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const ours = `bench.bench-${child.pid}-`;
  let best: [string, string, string][] = [];
  const poll = setInterval(() => {
    try {
      const now = bindings().filter(([source]) => source.startsWith(ours));
      if (now.length > best.length) best = now;
    } catch {
      // a read that fails is skipped
    }
  }, 300);
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(poll);
  clearTimeout(timer);
  assert.equal(code, 0, stderr);
  const res = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
  assertResultSchema(res, name);
  // Nothing of the run is left on RabbitMQ.
  assert.deepEqual(
    exchanges().filter((e) => e.startsWith(ours)),
    [],
  );
  const keys = new Map<string, string[]>();
  for (const [, queue, key] of best) keys.set(queue, [...(keys.get(queue) ?? []), key].sort());
  return { res, keys };
}

/** Every member got every message of its room, once. */
function delivered(res: RunResult): void {
  assert.equal(res.valid, true, res.invalidReasons.join('; '));
  const k = res.rooms!;
  assert.equal(k.membership.members, CLIENTS);
  assert.ok(k.published > 0);
  assert.equal(k.received, k.expected);
  assert.equal(k.deliveredPct, 100);
  assert.equal(k.duplicates, 0);
}

describe('--amqp-topology (RabbitMQ, --scenario rooms, 2 nodes)', () => {
  it('routing, ws behind HAProxy: each node binds all and a key per room it has members in', async (t) => {
    if (skip) return t.skip(skip);
    const { res, keys } = await roomsRun('ws-routing', ['--lib', 'ws', '--amqp-topology', 'routing']);
    delivered(res);
    assert.equal(res.options.amqpTopology, 'routing');
    assert.equal(res.server.amqpTopology, 'routing');
    // Round robin: every room has members on both nodes.
    assert.equal(res.rooms!.membership.maxNodesPerRoom, 2);
    const roomKeys = ['all', ...ROOMS.map((r) => `room.${r}`)].sort();
    assert.deepEqual([...keys.values()], [roomKeys, roomKeys]);
  });

  it('routing, Socket.IO to the room but the sender: the same bindings through our adapter', async (t) => {
    if (skip) return t.skip(skip);
    const { res, keys } = await roomsRun('sio-routing', [
      '--lib',
      'socketio',
      '--amqp-topology',
      'routing',
      '--except-sender',
    ]);
    delivered(res);
    const roomKeys = ['all', ...ROOMS.map((r) => `room.${r}`)].sort();
    assert.deepEqual([...keys.values()], [roomKeys, roomKeys]);
  });

  it("prefix:8 with --spread client: every room's members on one node, which alone binds its prefix", async (t) => {
    if (skip) return t.skip(skip);
    const { res, keys } = await roomsRun('ws-prefix', [
      '--lib',
      'ws',
      '--amqp-topology',
      'prefix:8',
      '--spread',
      'client',
    ]);
    delivered(res);
    assert.equal(res.options.amqpTopology, 'prefix:8');
    assert.deepEqual([res.rooms!.membership.maxNodesPerRoom, res.rooms!.membership.roomsOnOneNode], [1, ROOMS.length]);
    // Each room's prefix is bound by one queue only.
    const prefixes = [...keys.values()].flat().filter((k) => k.startsWith('prefix.'));
    assert.equal(new Set(prefixes).size, prefixes.length);
    assert.equal(
      [...keys.values()].every((k) => k.includes('all')),
      true,
    );
  });

  it("prefix:8 behind HAProxy (SockJS): the client says its prefix in the URL, HAProxy keeps each room on one node; a killed run's exchanges are removed", async (t) => {
    if (skip) return t.skip(skip);
    // Left by a run killed before its end: its pid (above any pid Linux gives) runs no process.
    const dead = `bench.bench-${2 ** 22 + 17}-1.broadcast.routing`;
    const connection = await amqp.connect(AMQP_URL);
    const channel = await connection.createChannel();
    await channel.assertExchange(dead, 'direct', { autoDelete: true, durable: false });
    await connection.close();
    assert.ok(exchanges().includes(dead));
    const { res } = await roomsRun('sockjs-prefix', ['--lib', 'sockjs', '--amqp-topology', 'prefix:8']);
    delivered(res);
    assert.equal(res.rooms!.membership.maxNodesPerRoom, 1);
    assert.ok(!exchanges().includes(dead), `${dead} is still there`);
  });
});
