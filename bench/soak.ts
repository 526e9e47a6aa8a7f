/**
 * Benchmark (not a test): the article's memory-leak claims, measured. "Socket.IO is known to
 * leak"; its mitigations: turn off per-message deflate, turn off the long-polling fallback. One
 * `bench soak` per row, each through the real bin: Socket.IO with deflate off and on, with and
 * without the polling fallback, then ws and SockJS, all with the same population, churn and
 * duration. One row per soak: the verdict, the slope of heap + external after a full GC per
 * 1,000 connection cycles with its 95 % interval, what the soak could have detected, and RSS's
 * slope beside it.
 *
 *   node dist/bench/soak.js [--clients 1000] [--churn 50] [--duration 300] [--warmup 60]
 *                           [--rows socketio,socketio-deflate,…]
 *
 * `npm run bench:soak` is this with the defaults (the numbers in docs/soak.md). Results are kept
 * under bench/results/<time>-soak/, one file per row, ready for `bench report` and `bench gate`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SoakFit, SoakResult } from '../runner/result/soak-schema';
import { kibNumber as kib } from '../runner/metrics/units';
import { arg, BIN, machine } from './common';

const clients = arg('clients', '1000');
const churn = arg('churn', '50');
const duration = arg('duration', '300');
const warmup = arg('warmup', '60');

/** row name → its `bench soak` flags, in the table's order */
const ROWS: [string, string, string[]][] = [
  ['socketio', 'Socket.IO, deflate off, websocket only', ['--lib', 'socketio']],
  ['socketio-deflate', 'Socket.IO, deflate on, websocket only', ['--lib', 'socketio', '--deflate']],
  ['socketio-polling', 'Socket.IO, deflate off, polling fallback', ['--lib', 'socketio', '--transport', 'polling']],
  [
    'socketio-deflate-polling',
    'Socket.IO, deflate on, polling fallback',
    ['--lib', 'socketio', '--deflate', '--transport', 'polling'],
  ],
  ['ws', 'ws', ['--lib', 'ws']],
  ['sockjs', 'SockJS', ['--lib', 'sockjs']],
];
const wanted = arg('rows', ROWS.map((r) => r[0]).join(',')).split(',');
const unknown = wanted.filter((w) => !ROWS.some((r) => r[0] === w));
if (unknown.length) {
  process.stderr.write(`Unknown --rows ${unknown.join(', ')}: choose from ${ROWS.map((r) => r[0]).join(', ')}\n`);
  process.exit(2);
}

const outDir = path.resolve(__dirname, '../../bench/results', `${new Date().toISOString().replace(/[:.]/g, '-')}-soak`);
fs.mkdirSync(outDir, { recursive: true });

const slope = (f: SoakFit | null) => (f ? `${kib(f.slopePer1000)} (${kib(f.ci95[0])} … ${kib(f.ci95[1])})` : '–');
const mib = (b: number | null | undefined) => (typeof b === 'number' ? (b / 2 ** 20).toFixed(1) : '–');

const rows: string[] = [];
const t0 = Date.now();
for (const [name, label, flags] of ROWS.filter((r) => wanted.includes(r[0]))) {
  const out = path.join(outDir, `${name}.json`);
  const args = ['soak', ...flags, '--clients', clients, '--churn', churn, '--duration', duration, '--warmup', warmup];
  args.push('--heap-snapshots', '--out', out);
  process.stderr.write(`${label}: bench ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (!fs.existsSync(out)) {
    rows.push(`| ${label} | no result (exit ${r.status}) | | | | | | |`);
    continue;
  }
  const s = JSON.parse(fs.readFileSync(out, 'utf8')) as SoakResult;
  const fitted = s.series.filter((x) => x.t >= s.config.fitFromSeconds);
  const first = fitted[0];
  const last = fitted.at(-1);
  const heap = (x: (typeof fitted)[number] | undefined) =>
    x && x.externalBytes !== null ? x.heapUsedBytes + x.externalBytes : null;
  rows.push(
    `| ${label} | ${s.cyclesCompleted.toLocaleString('en-US')} | ${s.failed} | ` +
      `${mib(heap(first))} → ${mib(heap(last))} | ${mib(first?.rssBytes)} → ${mib(last?.rssBytes)} | ` +
      `${slope(s.fit)} | ${s.fit ? kib(s.fit.detectablePer1000) : '–'} | ${slope(s.rssFit)} | ${s.status === 'completed' ? s.verdict.text : `${s.status}: ${s.error}`} |`,
  );
  process.stderr.write(`${rows.at(-1)}\n`);
}

process.stdout.write(
  [
    `${machine()}. bench soak, ${clients} clients, ${churn} connection cycles a second (half of them abrupt), ${warmup} s warm-up + ${duration} s fitted; ${((Date.now() - t0) / 60000).toFixed(0)} min in all.`,
    '',
    '| server | cycles | failed | heap + external after GC, MiB (fit start → end) | RSS, MiB | heap + external, KiB per 1,000 cycles (95 % CI) | detectable, KiB per 1,000 | RSS, KiB per 1,000 (95 % CI) | verdict |',
    '|---|--:|--:|--:|--:|--:|--:|--:|---|',
    ...rows,
    '',
    `Results: ${outDir}`,
    '',
  ].join('\n'),
);
