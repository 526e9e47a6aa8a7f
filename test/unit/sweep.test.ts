import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  cellArgv,
  cellLabel,
  cellOutcome,
  cellStatusOf,
  fixedCost,
  planCells,
  sweepExitCode,
} from '../../runner/run/sweep';
import {
  resolveSweepOptions,
  PRESETS,
  runArgv,
  runOptionsFromArgs,
  sameRunOptions,
} from '../../runner/config/sweep-options';
import { manifestRunArgs, manifestRunOptions } from '../../runner/result/manifest';
import { loadInputs } from '../../reports/read/read';
import type { RunResult } from '../../runner/result/build';
import type { SweepManifest } from '../../runner/result/manifest';
import { formatSweepSummary } from '../../runner/summary/text';
import { usageMessage } from '../helpers/usage';
import { buildParser } from '../../runner/cli/parser';
import { COMMANDS } from '../../bin/commands';
import { cellRunOptions } from '../../runner/cli/commands/sweep';

/** `bench sweep ARGV` as the CLI builds it: each cell's `bench run` arguments, and what its parser reads of them. */
async function sweepCells(argv: string[]) {
  const a = await buildParser(['sweep', ...argv], COMMANDS).parseAsync();
  const o = resolveSweepOptions({
    libs: a.libs as string,
    clients: a.clients as string,
    scenario: a.scenario as string,
    run: cellRunOptions(a),
  });
  return Promise.all(
    planCells(o).map(async (c) => {
      const args = cellArgv(c);
      return { lib: c.lib, options: c.options!, args, read: await buildParser(args, COMMANDS).parseAsync() };
    }),
  );
}

describe('resolveSweepOptions', () => {
  it('defaults to the study’s levels and all three libraries', () => {
    const o = resolveSweepOptions({}, new Date('2026-01-02T03:04:05.000Z'));
    assert.deepEqual(o.libs, ['ws', 'socketio', 'sockjs']);
    assert.deepEqual(o.clients, [100, 500, 1000, 2000, 5000, 7000, 10000]);
    assert.equal(o.trials, 1);
    assert.equal(o.arrivalRates, null, 'rates are no dimension unless asked');
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
      usageMessage(() => resolveSweepOptions({ preset: 'paper-2020', run: { deflate: true } })),
      '--preset paper-2020 sets --transport and --deflate itself. Remove them, or drop --preset.',
    );
    assert.equal(
      usageMessage(() => resolveSweepOptions({ arrivalRates: '500,fast' })),
      '--arrival-rates takes clients per second from 1 to 100000, or burst, separated by commas (got "fast"). Example: --arrival-rates 250,500,1000,burst',
    );
    assert.equal(
      usageMessage(() => resolveSweepOptions({ arrivalRates: '0' })),
      '--arrival-rates takes clients per second from 1 to 100000, or burst, separated by commas (got "0"). Example: --arrival-rates 250,500,1000,burst',
    );
    assert.equal(
      usageMessage(() => resolveSweepOptions({ arrivalRates: ',' })),
      '--arrival-rates needs at least one value, e.g. --arrival-rates 500,burst.',
    );
    assert.equal(
      usageMessage(() => resolveSweepOptions({ arrivalRates: '500', run: { arrivalRate: '100' } })),
      '--arrival-rates and --arrival-rate cannot be used together. Keep --arrival-rates to sweep rates, or --arrival-rate for one rate in every cell.',
    );
  });
  it('sorts the arrival rates, burst last, once each', () => {
    const o = resolveSweepOptions({ arrivalRates: 'burst, 5000,250,500,250,100000' });
    assert.deepEqual(o.arrivalRates, [250, 500, 5000, 100000, 'burst']);
  });
});

describe('planCells', () => {
  const base = { scenario: 'echo', run: { hold: '1' }, preset: null };
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
    assert.deepEqual(cellArgv(cells[0]!), [
      'run',
      '--lib',
      'ws',
      '--clients',
      '100',
      '--scenario',
      'echo',
      '--allow-invalid',
      '--hold',
      '1',
    ]);
    assert.equal(cells[0]!.file, path.join('cells', 'ws-100-t1.json'), 'file names as before rates existed');
    assert.ok(cells.every((c) => !('arrivalRate' in c)));
  });
  it('passes the Socket.IO flags to Socket.IO cells only, the rest to every cell', () => {
    const run = { hold: '1', sioParser: 'msgpack', sioDiscardRequest: true, wsNative: 'off' };
    const cells = planCells({ ...base, run, libs: ['ws', 'socketio'], clients: [100], trials: 1 });
    const argv = (lib: string) => cellArgv(cells.find((c) => c.lib === lib)!).slice(8);
    assert.deepEqual(argv('socketio'), [
      '--hold',
      '1',
      '--sio-parser',
      'msgpack',
      '--sio-discard-request',
      '--ws-native',
      'off',
    ]);
    assert.deepEqual(argv('ws'), ['--hold', '1', '--ws-native', 'off']);
  });
  it('makes the arrival rate a dimension next to the clients, libraries still rotated', () => {
    const cells = planCells({
      ...base,
      libs: ['ws', 'socketio'],
      clients: [50, 10000],
      trials: 1,
      arrivalRates: [500, 'burst'],
    });
    assert.deepEqual(
      cells.map((c) => `${c.clients}/${c.arrivalRate}/${c.lib}`),
      [
        '50/500/ws',
        '50/500/socketio',
        '50/burst/socketio',
        '50/burst/ws',
        '10000/500/ws',
        '10000/500/socketio',
        '10000/burst/socketio',
        '10000/burst/ws',
      ],
    );
    assert.deepEqual(
      cells.slice(0, 3).map((c) => c.file),
      [
        path.join('cells', 'ws-50-r500-t1.json'),
        path.join('cells', 'socketio-50-r500-t1.json'),
        path.join('cells', 'socketio-50-burst-t1.json'),
      ],
    );
    assert.equal(new Set(cells.map((c) => c.file)).size, cells.length);
    assert.deepEqual(cellArgv(cells[2]!), [
      'run',
      '--lib',
      'socketio',
      '--clients',
      '50',
      '--scenario',
      'echo',
      '--arrival-rate',
      'burst',
      '--allow-invalid',
      '--hold',
      '1',
    ]);
    assert.equal(cellLabel(cells[0]!), 'ws · 50 clients · 500/s');
    assert.equal(cellLabel(cells[2]!), 'socketio · 50 clients · burst');
  });
  it('applies a preset per library and records what it assumes', () => {
    const cells = planCells({
      ...base,
      run: {},
      libs: ['ws', 'socketio'],
      clients: [10],
      trials: 1,
      preset: PRESETS['paper-2020']!,
    });
    assert.deepEqual(cellArgv(cells.find((c) => c.lib === 'socketio')!).slice(-3), [
      '--transport',
      'polling',
      '--deflate',
    ]);
    assert.deepEqual(cellArgv(cells.find((c) => c.lib === 'ws')!).slice(-3), ['--scenario', 'echo', '--allow-invalid']);
    assert.ok(PRESETS['paper-2020']!.assumptions.some((a) => a.includes('per-message deflate on')));
  });
  it('paper-2020 states the arrival model it assumes', () => {
    const model = PRESETS['paper-2020']!.assumptions.find((a) => a.startsWith('Arrival model'));
    assert.ok(model, 'an assumption about arrivals');
    assert.match(model, /published none/);
    assert.match(model, /500 clients\/s/);
    assert.match(model, /--arrival-rates/);
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
  it('takes a cell’s status and verdict from its result when there is one', () => {
    const loadgen = { valid: true, invalidReasons: [] } as unknown as RunResult['loadgen'];
    const reasons = ['arrivals ran behind their schedule: lag p99 2300 ms > 200 ms'];
    // An invalid run exits 1 without --allow-invalid; it still completed.
    assert.deepEqual(cellOutcome(1, { status: 'completed', loadgen, valid: false, invalidReasons: reasons }), {
      status: 'completed',
      valid: false,
      invalidReasons: reasons,
    });
    assert.deepEqual(cellOutcome(0, { status: 'completed', loadgen, valid: true, invalidReasons: [] }), {
      status: 'completed',
      valid: true,
    });
    // schemaVersion 1: the verdict is in loadgen.
    assert.deepEqual(
      cellOutcome(1, { status: 'completed', loadgen: { ...loadgen, valid: false, invalidReasons: ['x'] } }),
      {
        status: 'completed',
        valid: false,
        invalidReasons: ['x'],
      },
    );
    assert.deepEqual(cellOutcome(1, { status: 'errored', error: 'server died', loadgen }), {
      status: 'errored',
      valid: true,
      error: 'server died',
    });
    assert.deepEqual(cellOutcome(130, { status: 'aborted', error: 'interrupted', loadgen }), {
      status: 'aborted',
      valid: true,
      error: 'interrupted',
    });
    assert.deepEqual(cellOutcome(2, null), { status: 'errored' });
    assert.deepEqual(cellOutcome(0, null), { status: 'completed' });
  });
  it('exits 1 for an errored cell, and for an invalid one unless --allow-invalid', () => {
    const ok = { status: 'completed' as const, valid: true };
    const bad = { status: 'completed' as const, valid: false };
    const errored = { status: 'errored' as const };
    assert.equal(sweepExitCode([ok, ok], false), 0);
    assert.equal(sweepExitCode([ok, bad], false), 1);
    assert.equal(sweepExitCode([ok, bad], true), 0);
    assert.equal(sweepExitCode([ok, errored], true), 1);
    assert.equal(sweepExitCode([{ status: 'pending' }], true), 1);
  });
  it('says which cells are invalid and why in the summary', () => {
    const m = {
      cells: [
        { lib: 'ws', clients: 50, arrivalRate: 500, trial: 1, status: 'completed', valid: true },
        {
          lib: 'ws',
          clients: 50,
          arrivalRate: 'burst',
          trial: 1,
          status: 'completed',
          valid: false,
          invalidReasons: ['lag', 'saturated'],
        },
        { lib: 'sockjs', clients: 50, trial: 1, status: 'errored', error: 'server died' },
      ],
      options: { arrivalRates: [500, 'burst'] },
      fixedCost: null,
      wallSeconds: 12,
    } as unknown as SweepManifest;
    assert.deepEqual(formatSweepSummary(m, '/tmp/s').split('\n'), [
      'sweep · 3 cells · 2 completed, 1 errored, 0 aborted, 0 pending · 1 invalid · arrival rates 500, burst · 12 s',
      '  ws 50 burst t1: invalid: lag; saturated',
      '  sockjs 50 t1: errored: server died',
      '  folder           /tmp/s',
    ]);
  });
  it("shows how far each p50 wandered over a cell's trials, leaving out invalid runs", () => {
    const cell = (trial: number, valid = true) =>
      ({ lib: 'socketio', clients: 1500, trial, status: 'completed', valid, file: `cells/t${trial}.json` }) as const;
    const m = {
      cells: [cell(1), cell(2), cell(3), cell(4, false), { ...cell(1), lib: 'ws', file: 'cells/ws.json' }],
      options: {},
      fixedCost: null,
      wallSeconds: 60,
    } as unknown as SweepManifest;
    const p50 = (connect: number, echo: number) => ({
      connectMs: { p50: connect },
      timeToFirstMessageMs: null,
      echoMs: { p50: echo },
    });
    const results: Record<string, unknown> = {
      'cells/t1.json': p50(2, 0.9),
      'cells/t2.json': p50(5, 0.92),
      'cells/t3.json': p50(3, 0.95),
      'cells/t4.json': p50(100, 10),
      'cells/ws.json': p50(1, 1),
    };
    const lines = formatSweepSummary(m, '/tmp/s', (f) => (results[f] ?? null) as never).split('\n');
    assert.deepEqual(lines.slice(-3), [
      '  spread of each p50 over the trials (lowest–highest, max/min):',
      '    socketio 1500 (3 trials): connect 2.00–5.00 ms (2.50×), echo 0.90–0.95 ms (1.06×)',
      '  folder           /tmp/s',
    ]);
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

describe('typed cell options', () => {
  it('derive the cell’s argv in one place, and old argv reads back as the same options', () => {
    const o = { lib: 'ws', clients: 10, maxFailed: '1%', deflate: true, reconnect: false, ensure: ['a<1', 'b<2'] };
    assert.deepEqual(runArgv(o), [
      '--lib',
      'ws',
      '--clients',
      '10',
      '--max-failed',
      '1%',
      '--deflate',
      '--no-reconnect',
      '--ensure',
      'a<1',
      '--ensure',
      'b<2',
    ]);
    const legacy = ['run', '--lib', 'ws', '--clients', '10', '--hold', '1', '--deflate', '--profile', 'ci-small'];
    assert.deepEqual(runOptionsFromArgs(legacy), {
      lib: 'ws',
      clients: '10',
      hold: '1',
      deflate: true,
      profile: 'ci-small',
    });
  });
  it('let a sweep from before them resume: its runArgs compare by what they say', () => {
    const old = manifestRunOptions({ runArgs: ['--hold', '1', '--deflate', '--max-lag', '50'] });
    assert.ok(sameRunOptions(old, { deflate: true, maxLag: '50', hold: '1' }));
    assert.ok(!sameRunOptions(old, { deflate: true, maxLag: '50', hold: '2' }));
    assert.deepEqual(manifestRunArgs({ run: { hold: '1', deflate: true } }), ['--hold', '1', '--deflate']);
    assert.deepEqual(manifestRunArgs({ runArgs: ['--hold', '1'] }), ['--hold', '1']);
  });
  it('are what a report reads for a cell that left no result, old manifests alike', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sweep-'));
    try {
      const cell = (index: number, lib: 'socketio' | 'ws', more: object) => ({
        index,
        lib,
        clients: 10,
        trial: 1,
        file: `cells/${lib}-${index}.json`,
        status: 'errored',
        error: 'server died',
        ...more,
      });
      const manifest = {
        schemaVersion: 1,
        kind: 'bench-sweep',
        options: { libs: ['socketio'], clients: [10], trials: 1, scenario: 'echo', run: {} },
        cells: [
          cell(0, 'socketio', {
            options: { lib: 'socketio', clients: 10, transport: 'polling', deflate: true, arrivalRate: 'burst' },
          }),
          cell(1, 'socketio', { args: ['run', '--lib', 'socketio', '--clients', '10', '--arrival-rate', '250'] }),
        ],
      };
      fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
      const cells = loadInputs([dir]).cells;
      assert.deepEqual(
        cells.map((c) => [c.arrivalRate, c.series]),
        [
          ['burst', 'socketio · polling · deflate on · burst'],
          [250, 'socketio · websocket · deflate off · 250/s'],
        ],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('faults through a sweep', () => {
  it('--flap reaches every cell, --sio-recovery the Socket.IO cells only, each as its bench run reads it', async () => {
    const cells = await sweepCells(
      ['--libs', 'ws,socketio', '--clients', '100', '--scenario', 'broadcast', '--hold', '6'].concat([
        '--flap',
        '20%@2',
        '--sio-recovery',
      ]),
    );
    assert.deepEqual(
      cells.map((c) => c.lib),
      ['ws', 'socketio'],
    );
    for (const c of cells) {
      assert.equal(c.options.flap, '20%@2', c.lib);
      assert.equal(c.read.flap, '20%@2', c.lib);
      assert.equal(c.read.hold, '6', c.lib);
    }
    const [ws, sio] = cells;
    assert.ok(!ws!.args.includes('--sio-recovery'), ws!.args.join(' '));
    assert.equal(ws!.read.sioRecovery, undefined);
    assert.deepEqual(ws!.args.slice(-4), ['--hold', '6', '--flap', '20%@2']);
    assert.deepEqual(sio!.args.slice(-5), ['--hold', '6', '--sio-recovery', '--flap', '20%@2']);
    assert.equal(sio!.read.sioRecovery, '', 'given alone: Socket.IO’s own default');
    const kept = await sweepCells(['--libs', 'socketio', '--clients', '10', '--sio-recovery', '60000']);
    assert.equal(kept[0]!.read.sioRecovery, '60000');
  });
  it('--rolling-restart reaches every cell, alone or with its seconds', async () => {
    const alone = await sweepCells(['--libs', 'ws,sockjs', '--clients', '50', '--nodes', '2', '--rolling-restart']);
    for (const c of alone) {
      assert.deepEqual(c.args.slice(-3), ['--nodes', '2', '--rolling-restart'], c.lib);
      assert.equal(c.read.rollingRestart, '', 'alone: the default first restart');
      assert.equal(c.read.nodes, '2');
    }
    const at = await sweepCells(['--libs', 'ws', '--clients', '50', '--nodes', '3', '--rolling-restart', '4']);
    assert.equal(at[0]!.read.rollingRestart, '4');
  });
  it('passes a switch given alone as a switch, which bench run accepts', async () => {
    const [sio] = await sweepCells(['--libs', 'socketio', '--clients', '10', '--sio-discard-request']);
    assert.equal(sio!.options.sioDiscardRequest, true);
    assert.equal(sio!.read.sioDiscardRequest, true);
    const [off] = await sweepCells(['--libs', 'socketio', '--clients', '10', '--no-sio-discard-request']);
    assert.equal(off!.read.sioDiscardRequest, false);
  });
  it('the summary names the flags and what each cell lost and how fast it came back', () => {
    const cell = (index: number, lib: 'ws' | 'socketio') => ({
      index,
      lib,
      clients: 100,
      trial: 1,
      file: `cells/${lib}.json`,
      status: 'completed' as const,
      valid: true,
    });
    const m = {
      options: {
        libs: ['ws', 'socketio'],
        clients: [100],
        trials: 1,
        scenario: 'broadcast',
        run: { hold: '6', flap: '20%@2', sioRecovery: '' },
      },
      cells: [cell(0, 'ws'), cell(1, 'socketio')],
      wallSeconds: 29,
      fixedCost: null,
    } as unknown as SweepManifest;
    const tail = { p50: 1013.2, p95: 1396.7, p99: 1479.6, max: 1479.6, count: 40 };
    const flaps = { deliveredPct: 91.6, reconnectMs: tail, neverBack: 0, recovery: null };
    const results: Record<string, object> = {
      'cells/ws.json': { flaps },
      'cells/socketio.json': {
        flaps: { ...flaps, deliveredPct: 100, recovery: { sessionsRecovered: 40 } },
      },
    };
    const lines = formatSweepSummary(m, '/tmp/s', (f) => (results[f] ?? null) as never).split('\n');
    assert.deepEqual(lines.slice(1, 4), [
      '  dropped          every cell --flap 20%@2; Socket.IO cells --sio-recovery',
      '    ws 100 t1: flaps 91.60% delivered · reconnect p50 1013 p95 1397 max 1480 ms · 0 never back',
      '    socketio 100 t1: flaps 100.00% delivered · reconnect p50 1013 p95 1397 max 1480 ms · 0 never back · 40 sessions restored',
    ]);
    const restart = {
      kind: 'rolling-restart',
      restarts: [
        { nodeId: 'node-2', reconnectMs: { p50: 300, p95: 900, max: 950, count: 50 }, neverBack: 0 },
        { nodeId: 'node-1', reconnectMs: null, neverBack: 2 },
      ],
    };
    const r2 = formatSweepSummary(
      { ...m, options: { ...m.options, run: { nodes: '2', rollingRestart: '' } }, cells: [cell(0, 'ws')] },
      '/tmp/s',
      () => ({ faults: [restart] }) as never,
    ).split('\n');
    assert.deepEqual(r2.slice(1, 3), [
      '  dropped          every cell --rolling-restart',
      '    ws 100 t1: restarts, back node-2 p95 900 ms, node-1 none back · 2 never back',
    ]);
  });
});
