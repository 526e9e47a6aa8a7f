/**
 * Benchmark (not a test): what each Socket.IO tuning option buys at one client level, the table in
 * README "Socket.IO tuning". Every row is one `bench run --lib socketio` through the real bin,
 * `--allow-invalid` so that a row whose generator falls behind still reports (and says why).
 *
 *   node dist/bench/sio-tuning.js [--clients 10000] [--arrival-rate 500]
 *
 * `npm run bench:sio-tuning` is this with the defaults.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LatencyStats } from '../runner/metrics/histograms';
import type { RunResult } from '../runner/result/build';
import { arg, BIN, machine } from './common';

/** Each row: its label and the flags that make it; the first is the baseline the others change one thing of. */
const ROWS: [string, string[]][] = [
  ['defaults (bufferutil loaded)', []],
  ['--sio-parser msgpack', ['--sio-parser', 'msgpack']],
  ['--sio-discard-request', ['--sio-discard-request']],
  ['--ws-native off', ['--ws-native', 'off']],
  ['msgpack + discard-request', ['--sio-parser', 'msgpack', '--sio-discard-request']],
];

const clients = arg('clients', '10000');
const rate = arg('arrival-rate', '500');
const outDir = path.resolve(
  __dirname,
  '../../bench/results',
  `sio-tuning-${new Date().toISOString().replace(/[:.]/g, '-')}`,
);
fs.mkdirSync(outDir, { recursive: true });

const ms = (n: number | undefined) => (n === undefined ? '–' : n >= 100 ? n.toFixed(0) : n.toFixed(2));
const pair = (s: LatencyStats | null | undefined) => `${ms(s?.p50)} / ${ms(s?.p99)}`;
const mib = (b: number | null | undefined) => (b == null ? '–' : (b / 2 ** 20).toFixed(1));

const rows: string[] = [];
ROWS.forEach(([label, flags], i) => {
  const out = path.join(outDir, `socketio-${clients}-${i}.json`);
  const args = ['run', '--lib', 'socketio', '--clients', clients, '--arrival-rate', rate, ...flags, '--out', out];
  process.stderr.write(`bench ${args.join(' ')} --quiet --allow-invalid\n`);
  const r = spawnSync(process.execPath, [BIN, ...args, '--quiet', '--allow-invalid'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (!fs.existsSync(out)) {
    rows.push(`| ${label} | no result (exit ${r.status}) |`);
    return;
  }
  const res = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
  const verdict = res.valid ? 'valid' : `invalid: ${res.invalidReasons.join('; ')}`;
  const native = res.server.native ? `${res.server.native.bufferutil ? 'on' : 'off'}` : '–';
  rows.push(
    `| ${label} | ${res.clients.connected}/${res.clients.failed} | ${res.server.bytesPerClient ?? '–'} | ${mib(res.server.rssBytes.steady)} | ` +
      `${pair(res.echoMs)} | ${pair(res.connectMs)} | ${res.server.cpuPercent ?? '–'} | ${native} | ${verdict} |`,
  );
});

process.stdout.write(
  [
    `${machine()}. Socket.IO, ${clients} clients at ${rate}/s, other options at their defaults. Results: ${outDir}`,
    '',
    '| options | connected/failed | server bytes per client | server RSS steady (MiB) | echoMs p50 / p99 | connectMs p50 / p99 | server CPU % | bufferutil (server) | verdict |',
    '|---|--:|--:|--:|--:|--:|--:|---|---|',
    ...rows,
    '',
  ].join('\n'),
);
