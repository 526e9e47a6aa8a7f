import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunResult } from '../../runner/result/build';
import { runBin } from '../helpers/bin';

/**
 * --polling-share against the real servers: the share the clients were told to keep on
 * long-polling is what the servers themselves count on each transport, and each group's
 * deliveries and latencies are its own.
 */
const CLIENTS = 40;
const SHARE_PCT = 25;
const POLLING = (CLIENTS * SHARE_PCT) / 100;

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'polling-share-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function pollingRun(name: string, args: string[]): Promise<{ res: RunResult; stderr: string }> {
  const out = path.join(dir, `${name}.json`);
  const r = await runBin(
    [
      'run',
      '--clients',
      String(CLIENTS),
      '--polling-share',
      `${SHARE_PCT}%`,
      '--hold',
      '3',
      '--warmup',
      '0',
      '--probes',
      '0',
      '--max-lag',
      '2000',
      '--max-loop-delay',
      '2000',
      '--out',
      out,
      ...args,
    ],
    { timeoutMs: 120_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  return { res: JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult, stderr: r.stderr };
}

describe('a share of long-polling clients (--polling-share)', () => {
  it('Socket.IO: the servers count the share on polling, and each transport gets every broadcast', async () => {
    const { res, stderr } = await pollingRun('sio', [
      '--lib',
      'socketio',
      '--scenario',
      'broadcast',
      '--broadcast-every',
      '100',
    ]);
    assert.equal(res.valid, true, res.invalidReasons.join('; '));
    const t = res.byTransport!;
    assert.equal(t.pollingSharePct, SHARE_PCT);
    assert.equal(res.options.pollingSharePct, SHARE_PCT);
    assert.deepEqual(t.serverCounted, { polling: POLLING, websocket: CLIENTS - POLLING });
    assert.equal(t.polling.connected, POLLING);
    assert.equal(t.websocket.connected, CLIENTS - POLLING);
    const sent = res.broadcast!.sent;
    assert.ok(sent > 0);
    for (const x of [t.polling, t.websocket]) {
      assert.equal(x.broadcasts.expected, sent * x.connected);
      assert.equal(x.broadcasts.received, x.broadcasts.expected);
      assert.equal(x.broadcasts.deliveredPct, 100);
      assert.equal(x.broadcasts.outOfOrder, 0);
      assert.equal(x.broadcastMs?.count, x.broadcasts.received);
    }
    // The groups add up to the run's own figures.
    assert.equal(t.polling.broadcasts.received + t.websocket.broadcasts.received, res.broadcast!.delivered);
    assert.equal((t.polling.connectMs?.count ?? 0) + (t.websocket.connectMs?.count ?? 0), res.connectMs?.count);
    assert.match(
      stderr,
      /by transport +25 % of the clients kept on long-polling, the rest on websocket; the servers counted 10 on polling, 30 on websocket/,
    );
  });

  it('SockJS in rooms: the share on xhr-polling, every room message delivered', async () => {
    const { res } = await pollingRun('sockjs', [
      '--lib',
      'sockjs',
      '--scenario',
      'rooms',
      '--room-size',
      '5',
      '--publish-every',
      '250',
    ]);
    assert.equal(res.valid, true, res.invalidReasons.join('; '));
    const t = res.byTransport!;
    assert.deepEqual(t.serverCounted, { 'xhr-polling': POLLING, websocket: CLIENTS - POLLING });
    assert.equal(res.rooms!.received, res.rooms!.expected);
    assert.equal(t.polling.rooms.received + t.websocket.rooms.received, res.rooms!.received);
    assert.ok(t.polling.rooms.received > 0);
    assert.equal(t.polling.rooms.outOfOrder + t.websocket.rooms.outOfOrder, 0);
  });
});
