/**
 * Benchmark (not a test): connect latency and time to first message against the arrival rate,
 * at one client level, for each library: the table in README "Results on this machine".
 * Every cell is one `bench run` through the real bin, with `--allow-invalid` so that a cell
 * whose generator falls behind still reports what it measured (and says why it is invalid).
 *
 *   node dist/bench/arrival-rates.js [--libs ws,socketio,sockjs] [--clients 10000] [--rates 500,2000,burst]
 *
 * `npm run bench:arrival-rates` is this with the defaults.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LatencyStats } from '../runner/metrics/histograms';
import type { RunResult } from '../runner/result/build';
import { arg, BIN, machine } from './common';

const libs = arg('libs', 'ws,socketio,sockjs').split(',');
const clients = Number(arg('clients', '10000'));
const rates = arg('rates', '500,2000,burst').split(',');
const outDir = path.resolve(
  __dirname,
  '../../bench/results',
  `rates-${new Date().toISOString().replace(/[:.]/g, '-')}`,
);
fs.mkdirSync(outDir, { recursive: true });

const ms = (n: number | undefined) => (n === undefined ? '–' : n >= 100 ? n.toFixed(0) : n.toFixed(2));
const pair = (s: LatencyStats | null | undefined) => `${ms(s?.p50)} / ${ms(s?.p99)}`;

const rows: string[] = [];
for (const rate of rates) {
  for (const lib of libs) {
    const out = path.join(outDir, `${lib}-${clients}-${rate}.json`);
    const args = ['run', '--lib', lib, '--clients', String(clients), '--arrival-rate', rate, '--out', out];
    process.stderr.write(`bench ${args.join(' ')} --quiet --allow-invalid\n`);
    const started = Date.now();
    const r = spawnSync(process.execPath, [BIN, ...args, '--quiet', '--allow-invalid'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const wall = Math.round((Date.now() - started) / 1000);
    if (!fs.existsSync(out)) {
      rows.push(`| ${lib} | ${rate} | no result (exit ${r.status}) |`);
      continue;
    }
    const res = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
    const verdict =
      res.status !== 'completed' ? res.status : res.valid ? 'valid' : `invalid: ${res.invalidReasons.join('; ')}`;
    rows.push(
      `| ${lib} | ${rate} | ${res.clients.connected}/${res.clients.failed} | ${pair(res.connectMs)} | ${pair(res.connectServiceMs)} | ` +
        `${ms(res.arrivalLagMs?.p99)} | ${pair(res.timeToFirstMessageMs)} | ${ms(res.loadgen.loopDelayMs?.p99)} | ${verdict} | ${wall} |`,
    );
  }
}

process.stdout.write(
  [
    `${machine()}. ${clients} clients, other options at their defaults. Results: ${outDir}`,
    '',
    '| lib | arrival rate | connected/failed | connectMs p50 / p99 | connectServiceMs p50 / p99 | arrival lag p99 | time to first message p50 / p99 | generator loop delay p99 | verdict | wall s |',
    '|---|---|--:|--:|--:|--:|--:|--:|---|--:|',
    ...rows,
    '',
  ].join('\n'),
);
