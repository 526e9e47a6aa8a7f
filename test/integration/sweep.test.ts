import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBin, startBin } from '../helpers/bin';
import { descendants, isAlive, waitFor } from '../helpers/procs';
import type { SweepManifest } from '../../runner/result/manifest';
import type { RunResult } from '../../runner/result/build';

const SMALL = ['--hold', '1', '--probes', '1', '--warmup', '5', '--arrival-rate', '100'];
let root: string;
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sweep-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

const readManifest = (dir: string) =>
  JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as SweepManifest;

describe('bench sweep', () => {
  const dir = () => path.join(root, 'small');

  it('runs every cell in a fresh server, records a failing cell as data and goes on', async () => {
    // 100,000 clients exceed this machine's open-file limit or its ephemeral port range: that cell fails its preflight.
    const r = await runBin(['sweep', '--libs', 'ws,sockjs', '--clients', '20,100000', '--out', dir(), ...SMALL], {
      timeoutMs: 300_000,
    });
    assert.equal(r.code, 1, r.stderr);
    const m = readManifest(dir());
    assert.equal(m.kind, 'bench-sweep');
    assert.equal(m.cells.length, 4);
    assert.deepEqual(
      m.cells.map((c) => `${c.clients}:${c.lib}:${c.status}`),
      ['20:ws:completed', '20:sockjs:completed', '100000:sockjs:errored', '100000:ws:errored'],
    );
    const failed = m.cells[2]!;
    assert.match(failed.error ?? '', /open files|ephemeral port range/);
    for (const c of m.cells.slice(0, 2)) {
      const res = JSON.parse(fs.readFileSync(path.join(dir(), c.file), 'utf8')) as RunResult;
      assert.equal(res.status, 'completed');
      assert.equal(res.lib, c.lib);
      assert.equal(res.clients.connected, 20);
      assert.equal(c.valid, res.loadgen.valid);
    }
    const pids = m.cells
      .slice(0, 2)
      .map((c) => (JSON.parse(fs.readFileSync(path.join(dir(), c.file), 'utf8')) as RunResult).server.pid);
    assert.notEqual(pids[0], pids[1], 'a fresh server process per cell');
    assert.ok(m.fixedCost && m.fixedCost.cells === 2 && m.fixedCost.overheadSeconds > 0);
    assert.match(r.stderr, /\[1\/4\] ws · 20 clients · trial 1/);
    assert.match(r.stderr, /sweep · 4 cells · 2 completed, 2 errored/);
  });

  it('--resume runs only what did not complete', async () => {
    const before = readManifest(dir());
    const r = await runBin(
      ['sweep', '--libs', 'ws,sockjs', '--clients', '20,100000', '--out', dir(), '--resume', ...SMALL],
      {
        timeoutMs: 300_000,
      },
    );
    assert.equal(r.code, 1, r.stderr);
    const m = readManifest(dir());
    assert.equal(m.cells[0]!.startedAt, before.cells[0]!.startedAt, 'completed cell skipped');
    assert.equal(m.cells[1]!.startedAt, before.cells[1]!.startedAt, 'completed cell skipped');
    assert.notEqual(m.cells[2]!.startedAt, before.cells[2]!.startedAt, 'errored cell run again');
    assert.match(r.stderr, /\[1\/2\] sockjs · 100000 clients/);
  });

  it('refuses to mix options into an existing sweep, and to overwrite one', async () => {
    let r = await runBin(['sweep', '--libs', 'ws', '--clients', '20', '--out', dir(), '--resume'], {
      timeoutMs: 30_000,
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^Error: --resume: .* holds a sweep with other options/);
    r = await runBin(['sweep', '--libs', 'ws', '--clients', '20', '--out', dir()], { timeoutMs: 30_000 });
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr.trim(),
      `Error: ${dir()} already holds a sweep. Add --resume to finish it, or choose another --out folder.`,
    );
  });

  it('--arrival-rates makes the rate a dimension: one cell and file per rate, each run at its rate', async () => {
    const out = path.join(root, 'rates');
    const args = ['sweep', '--libs', 'ws', '--clients', '50', '--arrival-rates', '200,burst', '--out', out];
    const r = await runBin([...args, '--warmup', '0', '--hold', '1', '--probes', '0', '--allow-invalid'], {
      timeoutMs: 180_000,
    });
    assert.equal(r.code, 0, r.stderr);
    const m = readManifest(out);
    assert.deepEqual(m.options.arrivalRates, [200, 'burst']);
    assert.deepEqual(
      m.cells.map((c) => `${c.arrivalRate}:${c.file}:${c.status}`),
      [
        `200:${path.join('cells', 'ws-50-r200-t1.json')}:completed`,
        `burst:${path.join('cells', 'ws-50-burst-t1.json')}:completed`,
      ],
    );
    assert.deepEqual(fs.readdirSync(path.join(out, 'cells')).sort(), ['ws-50-burst-t1.json', 'ws-50-r200-t1.json']);
    for (const c of m.cells) {
      const res = JSON.parse(fs.readFileSync(path.join(out, c.file), 'utf8')) as RunResult;
      assert.equal(res.options.arrivalRate, c.arrivalRate);
      assert.equal(res.clients.requested, 50);
      assert.equal(c.valid, res.valid);
    }
    assert.match(r.stderr, /\[2\/2\] ws · 50 clients · burst · trial 1/);
    assert.match(r.stderr, /arrival rates 200, burst/);

    const both = await runBin(['sweep', '--libs', 'ws', '--arrival-rates', '200', '--arrival-rate', '100'], {
      timeoutMs: 30_000,
    });
    assert.equal(both.code, 2);
    assert.equal(
      both.stderr.trim(),
      'Error: --arrival-rates and --arrival-rate cannot be used together. Keep --arrival-rates to sweep rates, or --arrival-rate for one rate in every cell.',
    );
  });

  it('--flap reaches every cell and --sio-recovery the Socket.IO cells; the manifest and summary carry them', async () => {
    const out = path.join(root, 'flaps');
    const args = ['sweep', '--libs', 'ws,socketio', '--clients', '20', '--scenario', 'broadcast', '--out', out];
    const r = await runBin(
      [
        ...args,
        '--hold',
        '4',
        '--flap',
        '20%@2',
        '--sio-recovery',
        '--warmup',
        '0',
        '--probes',
        '0',
        '--allow-invalid',
      ],
      { timeoutMs: 180_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    const m = readManifest(out);
    assert.deepEqual(m.options.run, { warmup: '0', hold: '4', probes: '0', sioRecovery: '', flap: '20%@2' });
    for (const c of m.cells) {
      assert.equal(c.status, 'completed', c.error);
      assert.equal(c.options?.flap, '20%@2');
      assert.equal(c.options?.sioRecovery, c.lib === 'socketio' ? '' : undefined, c.lib);
      const res = JSON.parse(fs.readFileSync(path.join(out, c.file), 'utf8')) as RunResult;
      assert.deepEqual(res.options.flap, { sharePct: 20, everySeconds: 2 }, c.lib);
      assert.equal(res.options.sioRecoveryMs, c.lib === 'socketio' ? 120_000 : null, c.lib);
      assert.ok(res.flaps && res.flaps.flaps >= 1 && res.flaps.cut > 0, `${c.lib}: ${JSON.stringify(res.flaps)}`);
      assert.equal(res.flaps.recovery === null, c.lib !== 'socketio', c.lib);
      assert.match(r.stderr, new RegExp(`\\n    ${c.lib} 20 t1: flaps [\\d.]+% delivered · reconnect p50 `));
    }
    assert.match(r.stderr, /dropped {10}every cell --flap 20%@2; Socket\.IO cells --sio-recovery/);
  });

  it('Ctrl-C leaves the manifest consistent and no process behind', async () => {
    const out = path.join(root, 'interrupted');
    const { child, stderr, exited } = startBin([
      'sweep',
      '--libs',
      'ws,socketio',
      '--clients',
      '50',
      '--out',
      out,
      '--hold',
      '30',
      '--warmup',
      '0',
    ]);
    try {
      const running = await waitFor(() => descendants(child.pid!).length >= 3, 60_000, 200);
      assert.ok(running, stderr());
      const kids = descendants(child.pid!);
      child.kill('SIGINT');
      assert.equal(await exited, 130, stderr());
      assert.ok(await waitFor(() => kids.every((p) => !isAlive(p)), 15_000), 'children gone');
      const m = readManifest(out);
      assert.deepEqual(
        m.cells.map((c) => c.status),
        ['aborted', 'pending'],
      );
      const res = JSON.parse(fs.readFileSync(path.join(out, m.cells[0]!.file), 'utf8')) as RunResult;
      assert.equal(res.status, 'aborted');
      assert.deepEqual(fs.readdirSync(out).sort(), ['cells', 'manifest.json']);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
