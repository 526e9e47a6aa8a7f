import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBin } from '../helpers/bin';
import { assertResultSchema } from '../helpers/schema';
import type { RunResult } from '../../runner/result/schema';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-generators-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const HOLD_S = 3;
const EVERY_MS = 500;
/** One leader asks for one broadcast per interval of the hold; a second would double it. */
const MOST_BROADCASTS = (HOLD_S * 1000) / EVERY_MS + 1;

async function run(args: string[], name: string, env?: NodeJS.ProcessEnv): Promise<RunResult> {
  const out = path.join(dir, `${name}.json`);
  const r = await runBin(['run', ...args, '--out', out, '--quiet'], {
    timeoutMs: 180_000,
    ...(env && { env: { ...process.env, ...env } }),
  });
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
  assertResultSchema(result, name);
  return result;
}

describe('bench run --generators 2', () => {
  it('splits 300 clients over two Artillery processes, merges them, and broadcasts from one leader', async () => {
    const r = await run(
      [
        '--lib',
        'ws',
        '--scenario',
        'broadcast',
        '--clients',
        '300',
        '--generators',
        '2',
        '--warmup',
        '20',
        '--hold',
        String(HOLD_S),
        '--broadcast-every',
        String(EVERY_MS),
        '--probes',
        '3',
      ],
      'ws-2',
    );
    assert.equal(r.status, 'completed');
    assert.equal(r.loadgen.generators, 2);
    assert.equal(new Set(r.loadgen.pids).size, 2);
    assert.equal(r.engine.workers, 2, 'one engine per process');
    assert.equal(r.clients.connected, 300);
    assert.equal(r.clients.failed, 0);
    assert.equal(r.connectMs?.count, 300, 'both histograms merged');
    assert.equal(r.connectServiceMs?.count, 300);
    assert.equal(r.warmup.connected, 20);
    assert.deepEqual([r.probe.requested, r.probe.connected], [3, 3]);
    assert.equal(r.probe.connectMs?.count, 3, 'one probe sequence, in generator 0');
    const b = r.broadcast!;
    assert.ok(b.sent >= 1 && b.sent <= MOST_BROADCASTS, `${b.sent} broadcasts: at most ${MOST_BROADCASTS}`);
    assert.equal(b.expectedDeliveries, b.sent * 300, 'every broadcast reached the clients of both generators');
    assert.deepEqual([b.lost, b.duplicates], [0, 0]);
  });

  it('gives a user script with arrivalRate phases over two worker threads one broadcast leader', async () => {
    const script = path.join(dir, 'rate-broadcast.yml');
    fs.writeFileSync(
      script,
      [
        'config:',
        '  target: ws://127.0.0.1:8080/',
        '  engines: { bench: {} }',
        '  phases:',
        '    - { name: ramp, arrivalRate: 20, duration: 2 }',
        `    - { name: hold, pause: ${HOLD_S} }`,
        'scenarios:',
        '  - name: broadcast',
        '    engine: bench',
        '    flow:',
        '      - connect: {}',
        `      - hold: { broadcastEveryMs: ${EVERY_MS} }`,
        '      - disconnect: {}',
        '',
      ].join('\n'),
    );
    const r = await run(['--lib', 'ws', '--scenario', script], 'rate-2-workers', {
      BENCH_TEST_ARTILLERY_WORKERS: '2',
    });
    assert.equal(r.status, 'completed');
    assert.equal(r.engine.workers, 2, 'Artillery split the arrivalRate phase over two threads');
    assert.equal(r.clients.connected, 40);
    const b = r.broadcast!;
    assert.ok(b.sent >= 1 && b.sent <= MOST_BROADCASTS, `${b.sent} broadcasts: at most ${MOST_BROADCASTS}`);
  });

  it('refuses --generators with a user script, in one line', async () => {
    const r = await runBin([
      'run',
      '--lib',
      'ws',
      '--scenario',
      path.resolve(__dirname, '../../../scenarios/broadcast.yml'),
      '--generators',
      '2',
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^Error: --generators 2 splits a built-in scenario's arrivals; .* Remove --generators\.\n$/);
  });
});
