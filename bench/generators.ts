/**
 * Benchmark (not a test): does a generator of K Artillery processes measure the same latencies
 * as one? For each library, one `bench run` at 10,000 clients with --generators 1, then with
 * --generators 2, through the real bin; prints p50/p99 of connect, connectService and echo,
 * the generator's CPU and loop delay, and the verdict.
 *
 *   node dist/bench/generators.js [--libs ws,socketio,sockjs] [--clients 10000] [--generators 1,2]
 *
 * `npm run bench:generators` is this with the defaults. Run it on a quiet machine: on a busy
 * one, both columns measure the other load.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LatencyStats } from '../runner/metrics/histograms';
import type { RunResult } from '../runner/result/schema';
import { arg, BIN, machine } from './common';

const libs = arg('libs', 'ws,socketio,sockjs').split(',');
const clients = Number(arg('clients', '10000'));
const counts = arg('generators', '1,2').split(',');
const outDir = path.resolve(
  __dirname,
  '../../bench/results',
  `generators-${new Date().toISOString().replace(/[:.]/g, '-')}`,
);
// A folder of our own under the checkout, never a path under /proc.
fs.mkdirSync(outDir, { recursive: true });

const ms = (n: number | undefined) => (n === undefined ? '–' : n >= 100 ? n.toFixed(0) : n.toFixed(2));
const pair = (s: LatencyStats | null | undefined) => `${ms(s?.p50)} / ${ms(s?.p99)}`;

const rows: string[] = [];
for (const lib of libs) {
  for (const k of counts) {
    const out = path.join(outDir, `${lib}-${clients}-k${k}.json`);
    const args = ['run', '--lib', lib, '--clients', String(clients), '--generators', k, '--out', out];
    process.stderr.write(`bench ${args.join(' ')} --quiet --allow-invalid\n`);
    const started = Date.now();
    const r = spawnSync(process.execPath, [BIN, ...args, '--quiet', '--allow-invalid'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      // Bounded: a run that hangs is reported, not waited for.
      timeout: 15 * 60_000,
    });
    const wall = Math.round((Date.now() - started) / 1000);
    if (!fs.existsSync(out)) {
      rows.push(`| ${lib} | ${k} | no result (exit ${r.status ?? r.signal}) |`);
      continue;
    }
    const res = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
    const verdict =
      res.status !== 'completed' ? res.status : res.valid ? 'valid' : `invalid: ${res.invalidReasons.join('; ')}`;
    const cpu = res.loadgen.cpuPercent === null ? '–' : `${res.loadgen.cpuPercent.toFixed(0)}%`;
    rows.push(
      `| ${lib} | ${res.loadgen.generators ?? k} | ${res.clients.connected}/${res.clients.failed} | ${pair(res.connectMs)} | ` +
        `${pair(res.connectServiceMs)} | ${pair(res.echoMs)} | ${cpu} | ${ms(res.loadgen.loopDelayMs?.p99)} | ${verdict} | ${wall} |`,
    );
  }
}

process.stdout.write(
  [
    `${machine()}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} at the end. ${clients} clients, echo scenario, other options at their defaults. Results: ${outDir}`,
    '',
    '| lib | generators | connected/failed | connectMs p50 / p99 | connectServiceMs p50 / p99 | echoMs p50 / p99 | generator CPU | loop delay p99 (worst process) | verdict | wall s |',
    '|---|--:|--:|--:|--:|--:|--:|--:|---|--:|',
    ...rows,
    '',
  ].join('\n'),
);
