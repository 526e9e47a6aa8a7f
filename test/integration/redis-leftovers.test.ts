import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createClient } from 'redis';
import type { RunResult } from '../../runner/result/build';
import { runBin } from '../helpers/bin';
import { deadPid } from '../helpers/kernel';

const REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * The Socket.IO streams adapter's stream outlives its nodes: a run removes its own at its end,
 * and the next run removes one a killed run left (its pid no longer runs).
 */
describe('Redis streams a run leaves', () => {
  let dir: string;
  const redis = createClient({ url: REDIS_URL });
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-leftovers-'));
    await redis.connect();
  });
  after(async () => {
    await redis.quit();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('are removed at the run’s end, and a killed run’s by the next run', async () => {
    const stale = `bench:bench-${deadPid()}-1:stream`;
    await redis.xAdd(stale, '*', { left: 'by a killed run' });
    const before = new Set(await redis.keys('bench:bench-*:stream'));
    const out = path.join(dir, 'streams.json');
    // Every stream that appears while the run runs: its own, which must be gone at the end.
    const seen = new Set<string>();
    const watch = setInterval(() => {
      void redis.keys('bench:bench-*:stream').then((keys) => keys.forEach((k) => before.has(k) || seen.add(k)));
    }, 100);
    const r = await runBin(
      [
        ...['run', '--lib', 'socketio', '--scenario', 'broadcast', '--clients', '20', '--nodes', '2'],
        ...['--adapter', 'redis-streams', '--hold', '2', '--warmup', '0', '--probes', '0', '--out', out],
      ],
      { timeoutMs: 120_000 },
    ).finally(() => clearInterval(watch));
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
    assert.ok(res.broadcast!.sent > 0, 'the run broadcast through its stream');
    assert.match(r.stderr, new RegExp(`adapter: removed leftovers of a killed run: .*Redis stream ${stale}`));
    assert.equal(await redis.exists(stale), 0);
    // The run's own stream was there while it ran, and is gone now.
    assert.equal(seen.size, 1, [...seen].join(', '));
    for (const k of seen) assert.equal(await redis.exists(k), 0, k);
  });
});
