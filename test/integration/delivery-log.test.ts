/**
 * The delivery log as the runner reads it (`startServerProcess`, which starts `bench serve
 * --log-deliveries`), with real Redis and PostgreSQL and each library's real client: every node
 * logs each broadcast it delivers once, with the clients it wrote it to, so per node the tally is
 * its clients × broadcasts, the total is what the publisher answered, and a client that left is
 * no longer counted.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CONTROL_BROADCAST_PATH, type Lib } from 'artillery-engine-bench/protocol';
import { DeliveryTally, startServerProcess, type ServerProcess } from '../../runner/topology/server-process';
import type { BroadcastResult, NodeStats } from '../../servers/types';
import { connect, type TestClient } from '../helpers/clients';
import { waitFor } from '../helpers/procs';
import { DEFAULT_PG_URL as PG_URL, DEFAULT_REDIS_URL as REDIS_URL } from '../../runner/config/run-options';

/** Bounds on waiting, not expectations: a healthy run finishes far below them. */
const WAIT_MS = 15_000;
const TEST_TIMEOUT_MS = 60_000;
const CLIENTS_PER_NODE = 3;
/** broadcasts with every client, before one client leaves and one more is sent */
const BROADCASTS = 3;

interface Case {
  lib: Lib;
  adapter: 'redis' | 'postgres' | 'cluster';
}

const CASES: Case[] = [
  { lib: 'ws', adapter: 'redis' },
  { lib: 'sockjs', adapter: 'redis' },
  { lib: 'socketio', adapter: 'redis' },
  { lib: 'socketio', adapter: 'postgres' },
  { lib: 'socketio', adapter: 'cluster' },
];

/** Two nodes, or one cluster primary with two workers. */
const SERVING = 2;

function start(c: Case, key: string, nodeId: string, deliveries: DeliveryTally): Promise<ServerProcess> {
  const extraArgs = ['--adapter', c.adapter, '--node-id', nodeId, '--cluster-key', key];
  if (c.adapter === 'redis') extraArgs.push('--redis-url', REDIS_URL);
  if (c.adapter === 'postgres') extraArgs.push('--pg-url', PG_URL);
  if (c.adapter === 'cluster') extraArgs.push('--workers', String(SERVING));
  return startServerProcess({
    lib: c.lib,
    transport: 'websocket',
    deflate: false,
    pingIntervalMs: 25_000,
    extraArgs,
    deliveries,
  });
}

async function getJson<T>(url: string, method = 'GET'): Promise<T> {
  const res = await fetch(url, { method, signal: AbortSignal.timeout(WAIT_MS) });
  assert.equal(res.status, 200, `${method} ${url}`);
  return (await res.json()) as T;
}

const controlUrl = (s: ServerProcess, path: string) => `http://127.0.0.1:${s.ready.port}${path}`;

/** Every process that serves clients (a cluster's workers), as its stats say now. */
async function serving(servers: ServerProcess[]): Promise<NodeStats[]> {
  const stats = await Promise.all(servers.map((s) => getJson<NodeStats>(controlUrl(s, '/control/stats'))));
  return stats.flatMap((s) => s.workers ?? [s]);
}

/** Polls until `check` holds (a bound, not an assertion on time); fails with `what` if it never does. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('delivery log: what the runner tallies from bench serve --log-deliveries', () => {
  for (const c of CASES) {
    const title = `${c.lib} + ${c.adapter}${c.adapter === 'cluster' ? ` (${SERVING} workers)` : ` (${SERVING} nodes)`}`;
    it(
      `${title}: each node's clients × broadcasts, the publisher's total, and one less after a client leaves`,
      { timeout: TEST_TIMEOUT_MS },
      async (t: TestContext) => {
        const key = `test-${randomBytes(4).toString('hex')}`;
        const tally = new DeliveryTally();
        const ids = c.adapter === 'cluster' ? ['node-1'] : Array.from({ length: SERVING }, (_, i) => `node-${i + 1}`);
        const started = await Promise.allSettled(ids.map((id) => start(c, key, id, tally)));
        const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
        t.after(() => Promise.all(servers.map((s) => s.stop())));
        for (const s of started) if (s.status === 'rejected') throw s.reason;
        await until('every node sees every other', async () =>
          (await serving(servers)).every((n) => n.servers === SERVING),
        );

        const clients: TestClient[] = [];
        t.after(() => clients.forEach((cl) => cl.close()));
        for (const s of servers) {
          const perServer = (CLIENTS_PER_NODE * SERVING) / servers.length;
          for (let i = 0; i < perServer; i++) clients.push(await connect(c.lib, s.ready.url, 'websocket', WAIT_MS));
        }
        const before = await serving(servers);
        assert.equal(
          before.reduce((sum, n) => sum + n.clients, 0),
          clients.length,
        );
        if (c.adapter !== 'cluster')
          assert.deepEqual(
            before.map((n) => n.clients),
            [CLIENTS_PER_NODE, CLIENTS_PER_NODE],
          );

        const expected = new Map<string, { broadcasts: number; clients: number; lastClients: number; pid: number }>();
        let answered = 0;
        for (let seq = 1; seq <= BROADCASTS + 1; seq++) {
          if (seq === BROADCASTS + 1) {
            // The last client connected: on the second node, or on whichever worker sticky chose.
            clients.pop()!.close();
            await until('the node saw the client leave', async () => {
              const now = await serving(servers);
              return now.reduce((sum, n) => sum + n.clients, 0) === clients.length;
            });
          }
          const now = await serving(servers);
          const answer = await getJson<BroadcastResult>(controlUrl(servers[0]!, CONTROL_BROADCAST_PATH), 'POST');
          assert.deepEqual(answer, { seq, clients: clients.length, nodes: SERVING });
          answered += answer.clients;
          for (const n of now) {
            const e = expected.get(n.nodeId) ?? { broadcasts: 0, clients: 0, lastClients: 0, pid: n.pid };
            expected.set(n.nodeId, {
              broadcasts: e.broadcasts + 1,
              clients: e.clients + n.clients,
              lastClients: n.clients,
              pid: n.pid,
            });
          }
          assert.ok(
            await waitFor(() => clients.every((cl) => cl.seqs.length === seq), WAIT_MS, 20),
            `every client got broadcast ${seq}`,
          );
        }

        // Read once every node exited and its stdout (a cluster's: shared with its workers) closed.
        await Promise.all(servers.map((s) => s.stop()));
        assert.deepEqual(Object.fromEntries(tally.byNode), Object.fromEntries(expected));
        assert.deepEqual(tally.total(), { broadcasts: BROADCASTS + 1, clients: answered });
        if (c.adapter === 'cluster') {
          assert.deepEqual([...tally.byNode.keys()].sort(), ['node-1.w1', 'node-1.w2']);
        } else {
          assert.equal(tally.byNode.get('node-2')!.lastClients, CLIENTS_PER_NODE - 1, 'the client that left');
        }
      },
    );
  }

  it('a node killed outright: every line it wrote before dying is tallied once its stdout drained', async (t) => {
    const server = await startServerProcess({
      lib: 'ws',
      transport: 'websocket',
      deflate: false,
      pingIntervalMs: 25_000,
    });
    t.after(() => server.stop());
    const clients = await Promise.all([1, 2].map(() => connect('ws', server.ready.url, 'websocket', WAIT_MS)));
    t.after(() => clients.forEach((cl) => cl.close()));
    for (let i = 0; i < 5; i++) await getJson(controlUrl(server, CONTROL_BROADCAST_PATH), 'POST');
    server.child.kill('SIGKILL');
    await server.drained;
    assert.deepEqual(Object.fromEntries(server.deliveries.byNode), {
      'node-1': { broadcasts: 5, clients: 10, lastClients: 2, pid: server.ready.pid },
    });
  });
});
