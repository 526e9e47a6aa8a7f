import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { WebSocket } from 'ws';
import { LIBS, ENGINE_DIR_ENV, LIB_ENV, type Lib } from 'artillery-engine-bench/protocol';
import { BENCH_BIN, runBin } from '../helpers/bin';
import { fmt } from '../../reports/report/numbers';
import { ProcSampler } from '../../runner/sampling/proc-stats';

const ROOT = path.resolve(__dirname, '../../..');
const ARTILLERY = path.join(ROOT, 'node_modules/artillery/bin/run');
const PRELOAD = path.join(ROOT, 'dist/runner/loadgen/artillery-preload.js');

interface Served {
  child: ChildProcessWithoutNullStreams;
  ready: Record<string, unknown>;
  stdoutLines: string[];
}

const live = new Set<ChildProcessWithoutNullStreams>();
after(() => live.forEach((c) => c.kill('SIGKILL')));

function serve(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [BENCH_BIN, 'serve', ...args]);
  live.add(child);
  const stdoutLines: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no ready line')), 20_000);
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      stdoutLines.push(line);
      if (stdoutLines.length === 1) {
        clearTimeout(timer);
        resolve({ child, ready: JSON.parse(line) as Record<string, unknown>, stdoutLines });
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
}

const exitOf = (c: ChildProcessWithoutNullStreams) =>
  new Promise<number | null>((r) => (c.exitCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code))));

describe('bench serve', () => {
  for (const lib of LIBS) {
    it(`${lib}: one ready line, serves, exits 0 on SIGTERM`, async () => {
      const s = await serve(['--lib', lib]);
      const r = s.ready;
      assert.equal(r.event, 'ready');
      assert.equal(r.lib, lib);
      assert.equal(r.pid, s.child.pid);
      assert.ok(typeof r.port === 'number' && r.port > 0);
      const expectedUrl = {
        ws: `ws://127.0.0.1:${r.port}/`,
        socketio: `http://127.0.0.1:${r.port}`,
        sockjs: `http://127.0.0.1:${r.port}/sockjs`,
      }[lib];
      assert.equal(r.url, expectedUrl);
      const health = await fetch(`http://127.0.0.1:${r.port}/healthz`);
      assert.equal(await health.text(), 'ok');
      s.child.kill('SIGTERM');
      assert.equal(await exitOf(s.child), 0);
      assert.equal(s.stdoutLines.length, 1, 'exactly one line on stdout');
    });
  }

  it('exits 0 on SIGINT too', async () => {
    const s = await serve(['--lib', 'ws']);
    s.child.kill('SIGINT');
    assert.equal(await exitOf(s.child), 0);
  });

  it('reports the RSS the operating system reports (ps) for the server process', async () => {
    const s = await serve(['--lib', 'ws']);
    const pid = s.ready.pid as number;
    const clients: WebSocket[] = [];
    after(() => clients.forEach((c) => c.terminate()));
    await Promise.all(
      Array.from({ length: 200 }, () => {
        const ws = new WebSocket(s.ready.url as string);
        clients.push(ws);
        return new Promise((r) => ws.once('message', r));
      }),
    );
    const ours = new ProcSampler(pid, 1000).sample();
    const ps = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) * 1024;
    assert.ok(ours !== null);
    // Two reads a moment apart of a live process: equal within 2%.
    assert.ok(Math.abs(ours.rssBytes - ps) / ps < 0.02, `ours ${ours.rssBytes}, ps ${ps}`);
    s.child.kill('SIGTERM');
    assert.equal(await exitOf(s.child), 0);
  });

  it('a scenario file runs unchanged with plain `artillery run` against it', async () => {
    const lib: Lib = 'socketio';
    const s = await serve(['--lib', lib]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-plain-artillery-'));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const report = path.join(dir, 'report.json');
    const art = spawn(
      process.execPath,
      [
        '--require',
        PRELOAD,
        ARTILLERY,
        'run',
        path.join(ROOT, 'scenarios', 'connect.yml'),
        '--target',
        s.ready.url as string,
        '--output',
        report,
      ],
      { env: { ...process.env, [LIB_ENV]: lib, [ENGINE_DIR_ENV]: '', ARTILLERY_DISABLE_TELEMETRY: 'true' } },
    );
    live.add(art);
    let out = '';
    art.stdout.on('data', (d: Buffer) => (out += d.toString()));
    art.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => art.kill('SIGKILL'), 120_000);
    assert.equal(await exitOf(art), 0, out);
    clearTimeout(timer);
    const agg = (
      JSON.parse(fs.readFileSync(report, 'utf8')) as {
        aggregate: { counters: Record<string, number>; summaries: Record<string, Record<string, number>> };
      }
    ).aggregate;
    // connect.yml as shipped: 50 clients in the ramp, 5 probes.
    assert.equal(agg.counters['bench.connected'], 50, out);
    assert.equal(agg.counters['bench.probe.connected'], 5, out);
    assert.equal(agg.counters['vusers.failed'] ?? 0, 0);
    // The engine names its library, once per engine (one worker here), so bench report reads it.
    assert.equal(agg.counters[`bench.lib.${lib}`], 1);
    const md = path.join(dir, 'report.md');
    const rep = await runBin(['report', report, '--markdown', md]);
    assert.equal(rep.code, 0, rep.stderr);
    const row = fs
      .readFileSync(md, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`| ${lib} |`));
    assert.ok(row, 'the report has a row for the library');
    const cells = row.split('|').map((c) => c.trim());
    // library, clients, trials, status, valid (none: a report has no verdict), connected, connect p50, p99
    assert.deepEqual(cells.slice(1, 9), [
      lib,
      '50',
      '1',
      'completed',
      '–',
      '50/50',
      fmt(agg.summaries['bench.connect']!.p50),
      fmt(agg.summaries['bench.connect']!.p99),
    ]);
    s.child.kill('SIGTERM');
    assert.equal(await exitOf(s.child), 0);
  });
});
