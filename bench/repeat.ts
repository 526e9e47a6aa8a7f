/**
 * Benchmark (not a test): do identical runs repeat? N identical `bench run`s back to back through
 * the real bin, one row each, then max/min of every column. Beside the latencies it prints what
 * the run before may have left behind: TCP sockets in TIME_WAIT when the run starts, and the
 * 1-minute load average (anything else running shows there).
 *
 *   node dist/bench/repeat.js [--runs 6] [--lib socketio] [--clients 1500] [--arrival-rate 500]
 *                             [--gap 0] [--args "--profile ci-small"]
 *
 * `--gap S` waits S seconds between runs (61 lets every TIME_WAIT socket of the run before expire).
 * `npm run bench:repeat` is this with the defaults: the issue's six Socket.IO runs at 1,500 clients.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunResult } from '../runner/result/build';
import { arg, BIN, machine } from './common';

const runs = Number(arg('runs', '6'));
const lib = arg('lib', 'socketio');
const clients = arg('clients', '1500');
const rate = arg('arrival-rate', '500');
const gapSeconds = Number(arg('gap', '0'));
const extra = arg('args', '').split(/\s+/).filter(Boolean);
const outDir = path.resolve(
  __dirname,
  '../../bench/results',
  `repeat-${new Date().toISOString().replace(/[:.]/g, '-')}`,
);
fs.mkdirSync(outDir, { recursive: true });

/** TCP sockets in TIME_WAIT on this machine (IPv4 and IPv6), from /proc: state 06. */
function timeWait(): number {
  let n = 0;
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      for (const line of fs.readFileSync(f, 'utf8').split('\n').slice(1)) if (line.split(/\s+/)[4] === '06') n++;
    } catch {
      // no IPv6
    }
  }
  return n;
}

const COLUMNS: [string, (r: RunResult) => number | null | undefined][] = [
  ['connect p50', (r) => r.connectMs?.p50],
  ['connect service p50', (r) => r.connectServiceMs?.p50],
  ['arrival lag p50', (r) => r.arrivalLagMs?.p50],
  ['arrival lag p99', (r) => r.arrivalLagMs?.p99],
  ['first message p50', (r) => r.timeToFirstMessageMs?.p50],
  ['echo p50', (r) => r.echoMs?.p50],
  ['generator CPU %', (r) => r.loadgen?.cpuPercent],
  ['server CPU %', (r) => r.server?.cpuPercent],
];

const fmt = (n: number | null | undefined) =>
  n === null || n === undefined ? '–' : n >= 100 ? n.toFixed(0) : n.toFixed(2);
const rows: string[] = [];
const values: (number | null)[][] = COLUMNS.map(() => []);
for (let i = 1; i <= runs; i++) {
  if (i > 1 && gapSeconds > 0) spawnSync('sleep', [String(gapSeconds)]);
  const out = path.join(outDir, `run-${i}.json`);
  const args = ['run', '--lib', lib, '--clients', clients, '--arrival-rate', rate, ...extra, '--out', out];
  const tw = timeWait();
  const load = os.loadavg()[0]!.toFixed(2);
  process.stderr.write(`bench ${args.join(' ')} --quiet --allow-invalid   (TIME_WAIT ${tw}, load ${load})\n`);
  spawnSync(process.execPath, [BIN, ...args, '--quiet', '--allow-invalid'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (!fs.existsSync(out)) {
    rows.push(`| ${i} | no result | | | | | | | ${tw} | ${load} |`);
    continue;
  }
  const r = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
  COLUMNS.forEach(([, read], c) => values[c]!.push(read(r) ?? null));
  const verdict = r.valid ? 'valid' : `invalid: ${r.invalidReasons.join('; ')}`;
  rows.push(`| ${i} | ${COLUMNS.map(([, read]) => fmt(read(r))).join(' | ')} | ${tw} | ${load} | ${verdict} |`);
}

const spread = values.map((vs) => {
  const xs = vs.filter((v): v is number => v !== null && v > 0);
  return xs.length < 2 ? '–' : `${(Math.max(...xs) / Math.min(...xs)).toFixed(2)}×`;
});
process.stdout.write(
  [
    `${machine()}. ${runs} × bench run --lib ${lib} --clients ${clients} --arrival-rate ${rate}${extra.length ? ` ${extra.join(' ')}` : ''}, ${gapSeconds ? `${gapSeconds} s apart` : 'back to back'}. Latencies in ms.`,
    '',
    `| run | ${COLUMNS.map(([n]) => n).join(' | ')} | TIME_WAIT at start | load (1 min) | verdict |`,
    `|${'---|'.repeat(COLUMNS.length + 4)}`,
    ...rows,
    `| max/min | ${spread.join(' | ')} | | | |`,
    '',
    `Results: ${outDir}`,
  ].join('\n') + '\n',
);
