import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunResult } from '../../runner/result/build';
import { runBin } from '../helpers/bin';

/**
 * `--nodes 3 --spread client`: three ws nodes on the Redis of this machine and no HAProxy (none
 * is needed: the test runs where HAProxy is not installed). Every client picks the next node,
 * so each node writes every broadcast to a third of them.
 */
const CLIENTS = 300;

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spread-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function runRaw(
  name: string,
  args: string[],
): Promise<{ r: Awaited<ReturnType<typeof runBin>>; res: RunResult }> {
  const out = path.join(dir, `${name}.json`);
  const r = await runBin(
    [
      'run',
      '--lib',
      'ws',
      '--scenario',
      'broadcast',
      '--clients',
      String(CLIENTS),
      '--nodes',
      '3',
      '--spread',
      'client',
      '--warmup',
      '0',
      '--probes',
      '0',
      '--quiet',
      '--out',
      out,
      ...args,
    ],
    { timeoutMs: 180_000 },
  );
  return { r, res: JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult };
}

async function run(name: string, args: string[]): Promise<RunResult> {
  const { r, res } = await runRaw(name, args);
  assert.equal(r.code, 0, r.stderr);
  return res;
}

describe('clients spread over nodes without a balancer', () => {
  it('ws, 3 nodes, Redis: a third of the clients on each node, every broadcast delivered', async () => {
    const res = await run('ws-spread', ['--hold', '3']);
    assert.equal(res.clients.connected, CLIENTS);
    assert.equal(res.clients.failed, 0);
    assert.equal(res.topology?.spread, 'client');
    assert.equal(new Set(res.topology?.targets).size, 3, 'one URL per node');
    assert.equal(res.topology?.sourceAddresses, null);
    const b = res.broadcast!;
    assert.ok(b.sent > 0, 'broadcasts were sent');
    assert.equal(b.expectedDeliveries, b.sent * CLIENTS);
    assert.deepEqual({ lost: b.lost, duplicates: b.duplicates }, { lost: 0, duplicates: 0 });
    // Each node wrote each broadcast to its own clients: 100 of them, round robin.
    assert.deepEqual(
      res.nodes?.map((n) => n.deliveries),
      [1, 2, 3].map(() => b.sent * (CLIENTS / 3)),
    );
  });

  it('a node killed: its clients reconnect to the next nodes, none lost for good', async () => {
    const res = await run('ws-spread-kill', [
      '--hold',
      '6',
      '--broadcast-every',
      '250',
      '--kill-node-at',
      '2',
      '--reconnect-delay',
      '200',
      '--reconnect-delay-max',
      '1000',
    ]);
    assert.equal(res.status, 'completed');
    const f = res.faults[0]!;
    assert.ok(f.kind === 'kill-node' && f.startedAtMs !== null, 'the node was killed');
    // Round robin gave the killed node a third of the clients.
    assert.equal(f.clientsAtKill, CLIENTS / 3);
    const rc = res.reconnect!;
    assert.deepEqual(
      { lost: rc.lost, reconnected: rc.reconnected, failed: rc.failed },
      {
        lost: CLIENTS / 3,
        reconnected: CLIENTS / 3,
        failed: 0,
      },
    );
    assert.equal(res.clients.connected, CLIENTS);
  });

  it('a node killed with --no-reconnect: its clients are dropped, and the run says so and exits 1', async () => {
    const { r, res } = await runRaw('ws-spread-drop', ['--hold', '4', '--kill-node-at', '1', '--no-reconnect']);
    assert.equal(r.code, 1, r.stderr);
    const killed = res.faults[0]!;
    // Round robin: the killed node held a third of the clients.
    assert.ok(killed.kind === 'kill-node' && killed.startedAtMs !== null, 'the node was killed');
    assert.deepEqual(res.clients, { requested: CLIENTS, connected: CLIENTS, failed: 0, dropped: CLIENTS / 3 });
    assert.equal(res.valid, false);
    assert.equal(
      res.invalidReasons[0],
      `${CLIENTS / 3} of ${CLIENTS} connected clients lost their connection and did not get it back (limit 0, --max-failed); see errors for the close codes`,
    );
    const closes = Object.entries(res.errors).filter(([code]) => code.startsWith('ws.close_'));
    assert.equal(
      closes.reduce((a, [, n]) => a + n, 0),
      CLIENTS / 3,
      JSON.stringify(res.errors),
    );
    assert.match(
      r.stdout + r.stderr,
      new RegExp(`${CLIENTS} of ${CLIENTS} connected, 0 failed, ${CLIENTS / 3} dropped later`),
    );
  });
});
