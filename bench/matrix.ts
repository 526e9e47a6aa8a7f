/**
 * Benchmarks (not tests): runs `bench run` over a matrix of libraries × client levels × options
 * through the real bin, one fresh server per cell, and prints a Markdown table of what each run
 * measured. Results are kept under bench/results/<time>/.
 *
 *   node dist/bench/matrix.js [--libs ws,socketio,sockjs] [--clients 1000,10000] [--deflate] [--transport polling]
 *
 * `npm run bench:10k` is this with the defaults.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunResult } from '../runner/result/build';
import { arg, BIN, machine } from './common';

const libs = arg('libs', 'ws,socketio,sockjs').split(',');
const levels = arg('clients', '1000,10000').split(',').map(Number);
const extra = process.argv.filter((a) => a === '--deflate');
const transport = arg('transport', '');
const outDir = path.resolve(__dirname, '../../bench/results', new Date().toISOString().replace(/[:.]/g, '-'));
fs.mkdirSync(outDir, { recursive: true });

const f = (n: number | null | undefined, d = 1) => (n === null || n === undefined ? '–' : n.toFixed(d));
const mib = (b: number | null | undefined) => (b === null || b === undefined ? '–' : (b / 2 ** 20).toFixed(0));
const kib = (b: number | null | undefined) => (b === null || b === undefined ? '–' : (b / 1024).toFixed(1));

const rows: string[] = [];
for (const clients of levels) {
  for (const lib of libs) {
    const out = path.join(outDir, `${lib}-${clients}.json`);
    const args = ['run', '--lib', lib, '--clients', String(clients), '--out', out, '--quiet', ...extra];
    if (transport && lib === 'socketio') args.push('--transport', transport);
    process.stderr.write(`bench ${args.join(' ')}\n`);
    const started = Date.now();
    const r = spawnSync(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    const wallSeconds = (Date.now() - started) / 1000;
    if (!fs.existsSync(out)) {
      rows.push(`| ${lib} | ${clients} | no result (exit ${r.status}) |`);
      continue;
    }
    const res = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
    rows.push(
      `| ${lib} | ${clients} | ${res.status} | ${res.clients.connected}/${res.clients.failed} | ` +
        `${f(res.connectMs?.p50)} / ${f(res.connectMs?.p99)} | ${f(res.firstMessageMs?.p50, 2)} / ${f(res.firstMessageMs?.p99, 2)} | ` +
        `${f(res.echoMs?.p50, 2)} / ${f(res.echoMs?.p99, 2)} | ${f(res.probe.connectMs?.p50)} | ` +
        `${mib(res.server.rssBytes.idle)} / ${mib(res.server.rssBytes.steady)} / ${mib(res.server.rssBytes.peak)} | ${kib(res.server.bytesPerClient)} | ` +
        `${mib(res.loadgen.rssBytes)} / ${kib(res.loadgen.bytesPerClient)} | ${f(res.loadgen.loopDelayMs?.p99)} | ${res.loadgen.valid ? 'yes' : 'NO'} | ${f(wallSeconds, 0)} |`,
    );
  }
}

process.stdout.write(
  [
    `${machine()}. Options: ${extra.join(' ') || 'defaults'}${transport ? ` --transport ${transport}` : ''}. Results: ${outDir}`,
    '',
    '| lib | clients | status | connected/failed | connect ms p50 / p99 | first msg ms p50 / p99 | echo ms p50 / p99 | probe connect ms p50 | server RSS MiB idle / steady / peak | server KiB per client | generator RSS MiB / KiB per client | generator loop delay p99 ms | valid | wall s |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n'),
);
