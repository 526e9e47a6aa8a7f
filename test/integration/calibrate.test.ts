import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Calibration } from '../../runner/result/calibration';
import { collectEnv } from '../../runner/result/env';
import { runBin } from '../helpers/bin';

describe('bench calibrate', () => {
  let cache: string;
  before(() => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'calibrate-'));
  });
  after(() => fs.rmSync(cache, { recursive: true, force: true }));

  it('measures both parts, keeps them per fingerprint, and later results on this machine carry them', async () => {
    const env = { ...process.env, XDG_CACHE_HOME: cache };
    const r = await runBin(['calibrate', '--json'], { env, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout) as Calibration;
    const fingerprint = collectEnv().fingerprint;
    assert.equal(c.fingerprint, fingerprint);
    assert.equal(c.version, 1);
    assert.equal(c.cpu.rounds, 7);
    assert.ok(c.cpu.fastestRoundMs > 0 && c.cpu.fastestRoundMs <= c.cpu.medianRoundMs);
    assert.equal(c.connections.attempted, 2000);
    assert.equal(c.connections.opened, 2000, 'every loopback connection opened');
    assert.ok(c.connections.perSecond > 0);
    const file = path.join(cache, 'bench', 'calibration', `${fingerprint}.json`);
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), c);
    assert.match(r.stderr, new RegExp(`saved +${file.replace(/[.]/g, '\\.')}`));

    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = cache;
    try {
      assert.deepEqual(collectEnv().calibration, c);
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });
});
