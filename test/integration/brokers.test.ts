import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { hasCommand } from '../../runner/topology/isolation/host';
import type { RunResult } from '../../runner/result/build';
import { runBin } from '../helpers/bin';
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { io as connectClient, type Socket } from 'socket.io-client';
import { attach as attachAmqp } from '../../servers/adapters/socketio-amqp';
import { attach as attachNats } from '../../servers/adapters/socketio-nats';

/**
 * --adapter amqp and --adapter nats on the RabbitMQ and NATS of this machine: two nodes behind
 * HAProxy, the broadcast scenario, and what multinode.test.ts asserts for Redis: every client got
 * every broadcast once and in order, and each node's deliveries match its clients. Small runs
 * (60 clients, 3 s hold), about 12 s each.
 */
const CLIENTS = 60;
const BROKERS = {
  amqp: { name: 'RabbitMQ', port: 5672, flag: '--amqp-url', url: 'amqp://guest:guest@127.0.0.1:5672' },
  nats: { name: 'NATS', port: 4222, flag: '--nats-url', url: 'nats://127.0.0.1:4222' },
} as const;
type Broker = keyof typeof BROKERS;
const skip = hasCommand('haproxy') ? false : 'HAProxy is not installed: apt-get install -y haproxy';

/** Why `broker` cannot be used here, or null when it answers. */
function unreachable(broker: Broker): Promise<string | null> {
  const b = BROKERS[broker];
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: b.port, timeout: 2_000 }, () => {
      s.destroy();
      resolve(null);
    });
    s.once('timeout', () => {
      s.destroy();
      resolve(`${b.name} does not answer at ${b.url} within 2 s`);
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(`${b.name} does not answer at ${b.url} (${err.code})`));
  });
}

let dir: string;
const down = new Map<Broker, string | null>();
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brokers-'));
  for (const broker of Object.keys(BROKERS) as Broker[]) down.set(broker, await unreachable(broker));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(lib: string, broker: Broker): Promise<RunResult> {
  const out = path.join(dir, `${lib}-${broker}.json`);
  const args = [
    'run',
    '--lib',
    lib,
    '--nodes',
    '2',
    '--adapter',
    broker,
    BROKERS[broker].flag,
    BROKERS[broker].url,
    '--scenario',
    'broadcast',
    '--clients',
    String(CLIENTS),
    '--hold',
    '2',
    '--warmup',
    '30',
    '--probes',
    '2',
    '--quiet',
    // Checks delivery counts, not the verdict: a generator behind its schedule on two busy
    // cores would make the run invalid (exit 1); see multinode.test.ts.
    '--allow-invalid',
    '--out',
    out,
  ];
  const r = await runBin(args, { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
}

/** As multinode.test.ts's assertDelivery, for two nodes. */
function assertDelivery(r: RunResult, broker: Broker): void {
  assert.equal(r.clients.connected, CLIENTS);
  assert.equal(r.options.nodes, 2);
  assert.equal(r.options.adapter, broker);
  const b = r.broadcast!;
  assert.ok(b.sent > 0, 'broadcasts were sent');
  assert.equal(b.expectedDeliveries, b.sent * CLIENTS, 'each promised to every client on every node');
  assert.deepEqual(
    { lost: b.lost, gaps: b.gaps, outOfOrder: b.outOfOrder, duplicates: b.duplicates },
    { lost: 0, gaps: 0, outOfOrder: 0, duplicates: 0 },
  );
  assert.equal(r.nodes?.length, 2);
  for (const n of r.nodes!) {
    assert.equal(n.received, n.deliveries, `${n.nodeId}: its clients received what it logged`);
    assert.ok(n.welcomed! > 0, `${n.nodeId} served clients`);
    assert.equal(n.deliveries, b.sent * n.welcomed!, `${n.nodeId}: ${b.sent} broadcasts × ${n.welcomed} clients`);
  }
  assert.equal(
    r.nodes!.reduce((a, n) => a + n.welcomed!, 0),
    CLIENTS,
  );
  const versions = r.env.versions as Record<string, string>;
  const client = broker === 'amqp' ? 'amqplib' : '@nats-io/transport-node';
  assert.match(versions[client] ?? '', /^\d+\.\d+\.\d+/, `${client}'s version recorded`);
}

describe('two nodes through RabbitMQ and NATS', { skip }, () => {
  for (const [lib, broker] of [
    // ws and SockJS share one fan-out per broker: ws over RabbitMQ, SockJS over NATS covers both.
    ['ws', 'amqp'],
    ['socketio', 'amqp'],
    ['socketio', 'nats'],
    ['sockjs', 'nats'],
  ] as const) {
    it(`${lib}, --adapter ${broker}`, async (t) => {
      const why = down.get(broker);
      if (why) return t.skip(why);
      assertDelivery(await run(lib, broker), broker);
    });
  }
});

describe('bench serve: a broker that does not answer', () => {
  it('one line naming the broker, the URL (its password hidden) and the flag; exit 2', async () => {
    for (const [lib, adapter, flag, url, shown, name] of [
      ['ws', 'amqp', '--amqp-url', 'amqp://guest:guest@127.0.0.1:1', 'amqp://guest:***@127.0.0.1:1', 'RabbitMQ'],
      ['socketio', 'nats', '--nats-url', 'nats://127.0.0.1:1', 'nats://127.0.0.1:1', 'NATS'],
    ] as const) {
      const r = await runBin(['serve', '--lib', lib, '--adapter', adapter, flag, url], { timeoutMs: 15_000 });
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `Error: ${name} at ${shown} refused the connection: start it, or give ${flag}.\n`);
    }
  });

  it('NATS that accepts and never speaks: the one line, and the process exits (the client would leave its socket open)', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const url = `nats://127.0.0.1:${port}`;
      const r = await runBin(['serve', '--lib', 'ws', '--adapter', 'nats', '--nats-url', url], { timeoutMs: 15_000 });
      assert.equal(r.code, 2);
      assert.equal(r.stderr, `Error: NATS at ${url} did not answer within 3 s: start it, or give --nats-url.\n`);
    } finally {
      silent.close();
    }
  });
});

/**
 * What the community adapters lacked (socketio-broker.ts): our two count the nodes and answer
 * across them, in-process on two Socket.IO servers.
 */
describe('our Socket.IO adapters: node count, fetchSockets and acks across nodes', () => {
  for (const broker of ['amqp', 'nats'] as const) {
    it(`--adapter ${broker}`, async (t) => {
      const why = down.get(broker);
      if (why) return t.skip(why);
      const servers = [new Server(), new Server()];
      const key = `test-${process.pid}-${Date.now()}`;
      const syncs = await Promise.all(
        servers.map((io, i) => {
          const url = BROKERS[broker].url;
          return broker === 'amqp'
            ? attachAmqp(io, { kind: broker, url, key }, `node-${i + 1}`)
            : attachNats(io, { kind: broker, url, key }, `node-${i + 1}`);
        }),
      );
      const clients: Socket[] = [];
      try {
        const ports = await Promise.all(
          servers.map(
            (io) =>
              new Promise<number>((resolve) => {
                const http = createServer();
                io.attach(http);
                http.listen(0, '127.0.0.1', () => resolve((http.address() as net.AddressInfo).port));
              }),
          ),
        );
        for (const port of [ports[0], ports[1], ports[1]]) {
          const c = connectClient(`http://127.0.0.1:${port}`, { transports: ['websocket'] });
          c.on('q', (cb: (a: string) => void) => cb('ok'));
          clients.push(c);
        }
        await Promise.all(clients.map((c) => new Promise<void>((resolve) => c.on('connect', () => resolve()))));
        servers[1]!.on('ping', (cb: (a: string) => void) => cb('pong'));
        const deadline = Date.now() + 5_000;
        while ((await servers[0]!.of('/').adapter.serverCount()) < 2 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.equal(await servers[0]!.of('/').adapter.serverCount(), 2);
        assert.equal((await servers[0]!.fetchSockets()).length, 3);
        assert.deepEqual(await servers[0]!.serverSideEmitWithAck('ping'), ['pong']);
        assert.deepEqual(await servers[0]!.timeout(2_000).emitWithAck('q'), ['ok', 'ok', 'ok']);
      } finally {
        for (const c of clients) c.close();
        for (const io of servers) await new Promise<void>((resolve) => io.close(() => resolve()));
        await Promise.all(syncs.map((s) => s.close()));
      }
    });
  }
});
