import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { cellStatusOf, fixedCost, planCells, resolveSweepOptions, PRESETS } from '../../runner/sweep';
import type { RunResult } from '../../runner/result';
import { usageMessage } from '../helpers/usage';

describe('resolveSweepOptions', () => {
  it('defaults to the study’s levels and all three libraries', () => {
    const o = resolveSweepOptions({}, new Date('2026-01-02T03:04:05.000Z'));
    assert.deepEqual(o.libs, ['ws', 'socketio', 'sockjs']);
    assert.deepEqual(o.clients, [100, 500, 1000, 2000, 5000, 7000, 10000]);
    assert.equal(o.trials, 1);
    assert.equal(o.out, path.resolve('results', 'sweep-2026-01-02T03-04-05-000Z'));
  });
  it('names the flag and the fix', () => {
    assert.equal(
      usageMessage(() => resolveSweepOptions({ libs: 'ws,mqtt' })),
      '--libs takes ws, socketio, sockjs separated by commas (got "mqtt"). Example: --libs ws,socketio',
    );
    assert.equal(
      usageMessage(() => resolveSweepOptions({ clients: '100,lots' })),
      '--clients takes whole numbers from 1 to 100000 separated by commas (got "lots"). Example: --clients 100,1000,10000',
    );
    assert.equal(
      usageMessage(() => resolveSweepOptions({ trials: '0' })),
      '--trials must be a whole number from 1 to 100 (got "0"). Example: --trials 3',
    );
    assert.equal(
      usageMessage(() => resolveSweepOptions({ preset: 'paper-2019' })),
      '--preset must be one of modern, paper-2020 (got "paper-2019"). Example: --preset paper-2020',
    );
    assert.equal(
      usageMessage(() => resolveSweepOptions({ preset: 'paper-2020', runArgs: ['--deflate'] })),
      '--preset paper-2020 sets --transport and --deflate itself. Remove them, or drop --preset.',
    );
  });
});

describe('planCells', () => {
  const base = { scenario: 'echo', runArgs: ['--hold', '1'], preset: null };
  it('rotates the libraries at every level and trial, so none always goes first', () => {
    const cells = planCells({ ...base, libs: ['ws', 'socketio', 'sockjs'], clients: [100, 1000], trials: 2 });
    assert.equal(cells.length, 12);
    const order = cells.map((c) => `${c.clients}/${c.trial}/${c.lib}`);
    assert.deepEqual(order.slice(0, 6), [
      '100/1/ws',
      '100/1/socketio',
      '100/1/sockjs',
      '100/2/socketio',
      '100/2/sockjs',
      '100/2/ws',
    ]);
    const firsts = [0, 3, 6, 9].map((i) => cells[i]!.lib);
    assert.deepEqual(firsts, ['ws', 'socketio', 'sockjs', 'ws']);
    assert.deepEqual(
      cells.map((c) => c.index),
      [...cells.keys()],
    );
    assert.equal(new Set(cells.map((c) => c.file)).size, 12, 'one result file per cell');
    assert.deepEqual(cells[0]!.args, ['run', '--lib', 'ws', '--clients', '100', '--scenario', 'echo', '--hold', '1']);
  });
  it('applies a preset per library and records what it assumes', () => {
    const cells = planCells({
      ...base,
      runArgs: [],
      libs: ['ws', 'socketio'],
      clients: [10],
      trials: 1,
      preset: PRESETS['paper-2020']!,
    });
    assert.deepEqual(cells.find((c) => c.lib === 'socketio')!.args.slice(-3), ['--transport', 'polling', '--deflate']);
    assert.deepEqual(cells.find((c) => c.lib === 'ws')!.args.slice(-2), ['--scenario', 'echo']);
    assert.ok(PRESETS['paper-2020']!.assumptions.some((a) => a.includes('per-message deflate on')));
  });
});

describe('cellStatusOf and fixedCost', () => {
  it('maps bench run exit codes', () => {
    assert.equal(cellStatusOf(0), 'completed');
    assert.equal(cellStatusOf(1), 'errored');
    assert.equal(cellStatusOf(2), 'errored');
    assert.equal(cellStatusOf(130), 'aborted');
    assert.equal(cellStatusOf(143), 'aborted');
  });
  it('splits wall time into startup, phases and teardown', () => {
    const result = {
      durationSeconds: 20,
      phases: { warmup: { startedAt: 4_000, completedAt: 4_500 }, probe: { startedAt: 14_000, completedAt: 16_000 } },
    } as unknown as RunResult;
    assert.deepEqual(fixedCost([{ result, wallSeconds: 21 }]), {
      startupSeconds: 5, // 4 s into the run + 1 s of process start and exit outside it
      teardownSeconds: 4,
      overheadSeconds: 9, // 21 s wall − 12 s of phases
      cells: 1,
    });
    assert.equal(fixedCost([]), null);
  });
});
