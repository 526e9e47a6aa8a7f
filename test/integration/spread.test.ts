import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunResult } from '../../src/result/build';
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

describe('clients spread over nodes without a balancer', () => {
  it('ws, 3 nodes, Redis: a third of the clients on each node, every broadcast delivered', async () => {
    const out = path.join(dir, 'ws-spread.json');
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
        '--hold',
        '3',
        '--quiet',
        '--out',
        out,
      ],
      { timeoutMs: 180_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
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
});
