/**
 * Several `bench serve` nodes synced by an adapter, with real Redis and PostgreSQL and each
 * library's real client: every client gets every broadcast exactly once, the control answer
 * counts the clients of every node, per-node stats add up, and stopping leaves nothing behind
 * (processes, Redis connections and subscriptions, PostgreSQL sessions).
 */
import { describe, it, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import * as readline from 'node:readline';
import { createClient } from 'redis';
import { Client as PgClient } from 'pg';
import { CONTROL_BROADCAST_PATH, type Lib } from 'artillery-engine-bench/protocol';
import { BENCH_BIN, runBin } from '../helpers/bin';
import { connect, type ClientTransport, type TestClient } from '../helpers/clients';
import { isAlive, waitFor } from '../helpers/procs';
import { DEFAULT_PG_URL as PG_URL, DEFAULT_REDIS_URL as REDIS_URL } from '../../runner/config/run-options';
import type { NodeStats } from '../../servers/types';
import { parentWatch } from '../../runner/paths';
import { PARENT_PID_ENV } from '../../servers/types';

/** Bounds on waiting, not expectations: a healthy run finishes far below them. */
const WAIT_MS = 15_000;
const TEST_TIMEOUT_MS = 60_000;
const CLIENTS = 30;
const BROADCASTS = 3;

interface Node {
  child: ChildProcessWithoutNullStreams;
  ready: {
    port: number;
    pid: number;
    url: string;
    adapter: string;
    nodeId: string;
    versions: Record<string, string>;
    workers?: { pid: number; nodeId: string }[];
  };
  stdoutLines: string[];
  stderr(): string;
  exited: Promise<number | null>;
}

const live = new Set<ChildProcessWithoutNullStreams>();
after(() => live.forEach((c) => c.kill('SIGKILL')));

/**
 * Starts `bench serve <args>` and resolves with its ready line. `asBenchChild`: with
 * parent-watch preloaded, as `bench run` starts its servers.
 */
function serve(args: string[], asBenchChild = false): Promise<Node> {
  const preload = asBenchChild ? ['--require', parentWatch] : [];
  const child = spawn(process.execPath, [...preload, BENCH_BIN, 'serve', ...args], {
    env: { ...process.env, [PARENT_PID_ENV]: String(process.pid) },
  });
  live.add(child);
  const stdoutLines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  void exited.then(() => live.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within ${WAIT_MS} ms: ${stderr}`)), WAIT_MS);
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      stdoutLines.push(line);
      if (stdoutLines.length !== 1) return;
      clearTimeout(timer);
      resolve({ child, ready: JSON.parse(line) as Node['ready'], stdoutLines, stderr: () => stderr, exited });
    });
    void exited.then((code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}

async function getJson<T>(url: string, method = 'GET'): Promise<T> {
  const res = await fetch(url, { method });
  assert.equal(res.status, 200, `${method} ${url}`);
  return (await res.json()) as T;
}

const statsOf = (node: Node) => getJson<NodeStats>(`http://127.0.0.1:${node.ready.port}/control/stats`);

/** Polls until `check` holds (a bound, not an assertion on time); fails with `what` if it never does. */
async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** What a run under `key` has left in Redis: named connections, channels, keys. */
async function redisLeftovers(key: string): Promise<string[]> {
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  try {
    const prefix = `bench:${key}`;
    const clients = String(await redis.sendCommand(['CLIENT', 'LIST']))
      .split('\n')
      .filter((line) => line.includes(` name=${prefix}`));
    const channels = (await redis.sendCommand(['PUBSUB', 'CHANNELS', `${prefix}*`])) as string[];
    const keys = await redis.keys(`${prefix}*`);
    return [...clients, ...channels, ...keys];
  } finally {
    await redis.close();
  }
}

/** PostgreSQL sessions a run under `key` still has open. */
async function pgLeftovers(key: string): Promise<number> {
  const pg = new PgClient({ connectionString: PG_URL });
  await pg.connect();
  try {
    const r = await pg.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE $1', [
      `bench:${key}:%`,
    ]);
    return (r.rows[0] as { n: number }).n;
  } finally {
    await pg.end();
  }
}

interface Case {
  lib: Lib;
  adapter: 'redis' | 'postgres' | 'cluster';
  /** separate nodes; a cluster is one primary with `workers` */
  nodes: number;
  workers?: number;
  /** what the server allows; clients alternate between websocket and polling when polling is allowed */
  transport: ClientTransport;
}

const CASES: Case[] = [
  { lib: 'ws', adapter: 'redis', nodes: 3, transport: 'websocket' },
  { lib: 'sockjs', adapter: 'redis', nodes: 3, transport: 'websocket' },
  { lib: 'socketio', adapter: 'redis', nodes: 3, transport: 'websocket' },
  { lib: 'socketio', adapter: 'postgres', nodes: 3, transport: 'websocket' },
  { lib: 'socketio', adapter: 'cluster', nodes: 1, workers: 2, transport: 'polling' },
];

function nodeArgs(c: Case, key: string, nodeId: string): string[] {
  const args = ['--lib', c.lib, '--adapter', c.adapter, '--node-id', nodeId, '--cluster-key', key];
  if (c.lib === 'socketio') args.push('--transport', c.transport);
  if (c.adapter === 'redis') args.push('--redis-url', REDIS_URL);
  if (c.adapter === 'postgres') args.push('--pg-url', PG_URL);
  if (c.workers !== undefined) args.push('--workers', String(c.workers));
  return args;
}

/** Every process serving clients, and how many of our clients each should have (null: the balancer decides). */
function servingProcesses(c: Case, nodes: Node[], perNode: number[]): { pid: number; clients: number | null }[] {
  if (c.adapter === 'cluster') return nodes[0]!.ready.workers!.map((w) => ({ pid: w.pid, clients: null }));
  return nodes.map((n, i) => ({ pid: n.ready.pid, clients: perNode[i]! }));
}

/** SIGTERM to every node; their exit codes, or a failure naming the one that hangs (open connections). */
async function stopAll(nodes: Node[]): Promise<(number | null)[]> {
  for (const n of nodes) n.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const stuck = nodes.filter((n) => n.child.exitCode === null).map((n) => n.ready.nodeId);
      reject(new Error(`${stuck.join(', ')} still running ${WAIT_MS} ms after SIGTERM`));
    }, WAIT_MS);
  });
  return Promise.race([Promise.all(nodes.map((n) => n.exited)), hang]).finally(() => clearTimeout(timer));
}

describe('bench serve --adapter: several nodes, one broadcast', () => {
  for (const c of CASES) {
    const title = `${c.lib} + ${c.adapter}${c.workers ? ` (${c.workers} workers)` : ` (${c.nodes} nodes)`}`;
    it(
      `${title}: every client gets every broadcast once, counts add up, nothing is left behind`,
      { timeout: TEST_TIMEOUT_MS },
      async (t: TestContext) => {
        const key = `test-${randomBytes(4).toString('hex')}`;
        const nodes = await Promise.all(
          Array.from({ length: c.nodes }, (_, i) => serve(nodeArgs(c, key, `node-${i + 1}`))),
        );
        const clients: TestClient[] = [];
        t.after(() => clients.forEach((cl) => cl.close()));

        for (const [i, n] of nodes.entries()) {
          assert.equal(n.ready.adapter, c.adapter);
          assert.equal(n.ready.nodeId, `node-${i + 1}`);
        }
        const adapterPackage = {
          redis: c.lib === 'socketio' ? '@socket.io/redis-adapter' : 'redis',
          postgres: '@socket.io/postgres-adapter',
          cluster: '@socket.io/cluster-adapter',
        }[c.adapter];
        assert.match(nodes[0]!.ready.versions[adapterPackage] ?? '', /^\d+\.\d+\.\d+/, `version of ${adapterPackage}`);
        if (c.workers !== undefined) {
          const workers = nodes[0]!.ready.workers ?? [];
          assert.equal(workers.length, c.workers);
          assert.deepEqual(
            workers.map((w) => w.nodeId),
            Array.from({ length: c.workers }, (_, i) => `node-1.w${i + 1}`),
          );
          for (const w of workers) assert.ok(isAlive(w.pid), `worker ${w.pid} runs`);
        }
        // PostgreSQL nodes find each other by heartbeat; the others at once.
        const expectedServers = c.workers ?? c.nodes;
        await until('every node sees every other', async () => {
          const all = await Promise.all(nodes.map(statsOf));
          return all.every((s) => (s.workers ?? [s]).every((w) => w.servers === expectedServers));
        });

        const perNode = nodes.map(() => 0);
        for (let i = 0; i < CLIENTS; i++) {
          const n = i % nodes.length;
          const transport = c.transport === 'polling' && i % 2 === 0 ? 'polling' : 'websocket';
          clients.push(await connect(c.lib, nodes[n]!.ready.url, transport));
          perNode[n]! += 1;
        }

        const stats = await Promise.all(nodes.map(statsOf));
        const byProcess = stats.flatMap((s) => s.workers ?? [s]);
        const expectedProcesses = servingProcesses(c, nodes, perNode);
        assert.deepEqual(
          byProcess.map((s) => s.pid),
          expectedProcesses.map((p) => p.pid),
        );
        for (const [i, p] of expectedProcesses.entries()) {
          if (p.clients !== null) assert.equal(byProcess[i]!.clients, p.clients, `clients of ${byProcess[i]!.nodeId}`);
        }
        assert.equal(
          byProcess.reduce((sum, s) => sum + s.clients, 0),
          CLIENTS,
          'per-node counts add up',
        );
        if (c.adapter === 'cluster') {
          assert.equal(stats[0]!.clients, CLIENTS, "the primary's total");
          assert.ok(
            byProcess.every((s) => s.clients > 0),
            `every worker serves some: ${byProcess.map((s) => s.clients)}`,
          );
        }

        const control = `http://127.0.0.1:${nodes[0]!.ready.port}${CONTROL_BROADCAST_PATH}`;
        for (let seq = 1; seq <= BROADCASTS; seq++) {
          const answer = await getJson<{ seq: number; clients: number; nodes: number }>(control, 'POST');
          assert.deepEqual(answer, { seq, clients: CLIENTS, nodes: expectedServers });
        }
        await until('every client got every broadcast', () => clients.every((cl) => cl.seqs.length >= BROADCASTS));
        const expectedSeqs = Array.from({ length: BROADCASTS }, (_, i) => i + 1);
        for (const [i, cl] of clients.entries()) assert.deepEqual(cl.seqs, expectedSeqs, `client ${i}`);

        const pids = [...nodes.map((n) => n.ready.pid), ...(nodes[0]!.ready.workers ?? []).map((w) => w.pid)];
        assert.deepEqual(
          await stopAll(nodes),
          nodes.map(() => 0),
        );
        for (const n of nodes) assert.equal(n.stdoutLines.length, 1, 'exactly one line on stdout');
        assert.ok(await waitFor(() => pids.every((p) => !isAlive(p)), WAIT_MS), 'every process is gone');
        if (c.adapter === 'redis') assert.deepEqual(await redisLeftovers(key), [], 'nothing left in Redis');
        if (c.adapter === 'postgres') {
          await until('PostgreSQL sessions closed', async () => (await pgLeftovers(key)) === 0);
        }
      },
    );
  }

  it(
    'nodes with another --cluster-key neither get nor count the broadcasts',
    { timeout: TEST_TIMEOUT_MS },
    async (t) => {
      const key = `test-${randomBytes(4).toString('hex')}`;
      const base = ['--lib', 'ws', '--adapter', 'redis', '--redis-url', REDIS_URL];
      const nodes = await Promise.all([
        serve([...base, '--cluster-key', key, '--node-id', 'a1']),
        serve([...base, '--cluster-key', key, '--node-id', 'a2']),
        serve([...base, '--cluster-key', `${key}-other`, '--node-id', 'b1']),
      ]);
      const clients = await Promise.all(nodes.map((n) => connect('ws', n.ready.url, 'websocket')));
      t.after(() => clients.forEach((cl) => cl.close()));
      assert.deepEqual(await getJson(`http://127.0.0.1:${nodes[0]!.ready.port}${CONTROL_BROADCAST_PATH}`, 'POST'), {
        seq: 1,
        clients: 2,
        nodes: 2,
      });
      await until(
        'both clients of the run got it',
        () => clients[0]!.seqs.length === 1 && clients[1]!.seqs.length === 1,
      );
      // The stranger's own broadcast proves its client would have shown one by now.
      assert.deepEqual(await getJson(`http://127.0.0.1:${nodes[2]!.ready.port}${CONTROL_BROADCAST_PATH}`, 'POST'), {
        seq: 1,
        clients: 1,
        nodes: 1,
      });
      await until('the stranger got its own', () => clients[2]!.seqs.length === 1);
      assert.deepEqual(
        clients.map((cl) => cl.seqs),
        [[1], [1], [1]],
      );
      assert.deepEqual((await statsOf(nodes[0]!)).servers, 2);
      assert.deepEqual(await stopAll(nodes), [0, 0, 0]);
    },
  );

  it('a cluster primary killed outright takes its workers with it', { timeout: TEST_TIMEOUT_MS }, async () => {
    // As bench starts it: parent-watch, preloaded into the workers too, must watch the primary.
    const node = await serve(['--lib', 'socketio', '--adapter', 'cluster', '--workers', '2'], true);
    const workers = node.ready.workers!.map((w) => w.pid);
    assert.equal(workers.length, 2);
    const stats = await statsOf(node);
    assert.deepEqual(
      stats.workers?.map((w) => w.pid),
      workers,
      'both workers serve',
    );
    node.child.kill('SIGKILL');
    await node.exited;
    assert.ok(await waitFor(() => workers.every((p) => !isAlive(p)), WAIT_MS), 'no worker outlives the primary');
  });

  it('an unreachable Redis or PostgreSQL is one line and exit 2, before any ready line', async () => {
    const port = await closedPort();
    for (const lib of ['ws', 'sockjs', 'socketio'] as const) {
      const url = `redis://127.0.0.1:${port}`;
      const r = await runBin(['serve', '--lib', lib, '--adapter', 'redis', '--redis-url', url], { timeoutMs: WAIT_MS });
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `Error: Redis at ${url} refused the connection: start it, or give --redis-url.\n`);
    }
    const pgUrl = `postgres://postgres@127.0.0.1:${port}/test`;
    const r = await runBin(['serve', '--lib', 'socketio', '--adapter', 'postgres', '--pg-url', pgUrl], {
      timeoutMs: WAIT_MS,
    });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `Error: PostgreSQL at ${pgUrl} refused the connection: start it, or give --pg-url.\n`);
  });

  it(
    'a service that accepts and never answers is the same error, not a hang',
    { timeout: TEST_TIMEOUT_MS },
    async (t) => {
      const silent = net.createServer((socket) => socket.on('error', () => {}));
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
      t.after(() => {
        silent.close();
        silent.unref();
      });
      const { port } = silent.address() as net.AddressInfo;
      for (const [service, flag, url] of [
        ['Redis', '--redis-url', `redis://127.0.0.1:${port}`],
        ['PostgreSQL', '--pg-url', `postgres://postgres@127.0.0.1:${port}/test`],
      ] as const) {
        const adapter = service === 'Redis' ? 'redis' : 'postgres';
        const r = await runBin(['serve', '--lib', 'socketio', '--adapter', adapter, flag, url], { timeoutMs: WAIT_MS });
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stdout, '');
        assert.equal(r.stderr, `Error: ${service} at ${url} did not answer within 3 s: start it, or give ${flag}.\n`);
      }
    },
  );

  it('ws and SockJS have no postgres or cluster adapter: a usage error naming what they support', async () => {
    for (const [lib, adapter] of [
      ['ws', 'postgres'],
      ['sockjs', 'cluster'],
    ] as const) {
      const r = await runBin(['serve', '--lib', lib, '--adapter', adapter], { timeoutMs: WAIT_MS });
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.equal(
        r.stderr,
        `Error: --adapter ${adapter} exists for Socket.IO only; ${lib} nodes share broadcasts through --adapter redis, amqp or nats (or none).\n`,
      );
    }
    const r = await runBin(['serve', '--lib', 'socketio', '--adapter', 'redis', '--workers', '2'], {
      timeoutMs: WAIT_MS,
    });
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      'Error: --workers applies to --adapter cluster only. Remove --workers, or add --adapter cluster.\n',
    );
  });
});
