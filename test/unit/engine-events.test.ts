import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EngineEvent } from 'artillery-engine-bench/protocol';
import { emptyCounts, readEngineState } from '../../runner/loadgen/engine-events';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-events-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (file: string, events: EngineEvent[], tail = '') =>
  fs.writeFileSync(path.join(dir, file), events.map((e) => JSON.stringify(e)).join('\n') + '\n' + tail);

describe('readEngineState', () => {
  it('sums workers, keeps the worst loop delay and each worker’s latest histograms', () => {
    const loop = (p99: number) => ({ p50: 1, p99, max: p99 * 2, mean: 1 });
    write('engine-1-1.ndjson', [
      { event: 'started', t: 100, pid: 1, threadId: 1, lib: 'ws', rssBytes: 10 },
      { event: 'phase', t: 200, name: 'ramp', index: 0, state: 'started' },
      {
        event: 'snapshot',
        t: 300,
        counts: { ...emptyCounts(), connected: 1 },
        loopDelayMs: loop(5),
        histograms: { connectMs: 'old' },
      },
      { event: 'phase', t: 400, name: 'ramp', index: 0, state: 'completed' },
      {
        event: 'final',
        t: 500,
        counts: {
          ...emptyCounts(),
          connected: 3,
          errors: { ETIMEDOUT: 1 },
          byNode: { 'node-1': { welcomed: 2, received: 6 }, 'node-2': { welcomed: 1, received: 3 } },
        },
        loopDelayMs: loop(7),
        histograms: { connectMs: 'a' },
      },
    ]);
    write(
      'engine-1-2.ndjson',
      [
        { event: 'started', t: 90, pid: 1, threadId: 2, lib: 'ws', rssBytes: 10 },
        { event: 'phase', t: 210, name: 'ramp', index: 0, state: 'started' },
        {
          event: 'progress',
          t: 300,
          counts: {
            ...emptyCounts(),
            connected: 2,
            errors: { ETIMEDOUT: 2 },
            byNode: { 'node-2': { welcomed: 2, received: 5 } },
          },
          loopDelayMs: loop(30),
        },
      ],
      '{"event":"progr', // a line still being written
    );
    fs.writeFileSync(path.join(dir, 'artillery.log'), 'not ours');
    const s = readEngineState(dir);
    assert.equal(s.workers, 2);
    assert.equal(s.startedAt, 90);
    assert.deepEqual(s.phases, { ramp: { startedAt: 200, completedAt: 400 } });
    assert.equal(s.counts.connected, 5);
    assert.deepEqual(s.counts.errors, { ETIMEDOUT: 3 });
    assert.deepEqual(s.counts.byNode, {
      'node-1': { welcomed: 2, received: 6 },
      'node-2': { welcomed: 3, received: 8 },
    });
    assert.equal(s.loopDelayMs?.p99, 30);
    assert.deepEqual(s.histograms, { connectMs: ['a'] });
    assert.equal(s.final, false, 'one worker has not finished');
  });

  it('is empty for a folder with no engine files', () => {
    const s = readEngineState(path.join(dir, 'missing'));
    assert.equal(s.workers, 0);
    assert.equal(s.final, false);
  });
});
