/**
 * Benchmark (not a test): 50,000 clients of each library on this machine, over several server
 * nodes without a balancer (`--spread client`), the generator in several processes. Prints one
 * row per library, with per-node memory, and keeps each result under bench/results/.
 *
 *   node dist/bench/50k.js [--libs ws,socketio,sockjs] [--clients 50000] [--nodes 3] [--arrival-rate 500]
 *
 * `npm run bench:50k` is this with the defaults. A library that cannot get there shows where it
 * stopped and why: its verdict and errors are in the row.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunResult } from '../runner/result/schema';
import { arg, BIN, machine } from './common';

const libs = arg('libs', 'ws,socketio,sockjs').split(',');
const clients = arg('clients', '50000');
const nodes = arg('nodes', '3');
const rate = arg('arrival-rate', '500');
const outDir = path.resolve(__dirname, '../../bench/results', `50k-${new Date().toISOString().replace(/[:.]/g, '-')}`);
fs.mkdirSync(outDir, { recursive: true });

const mib = (b: number | null | undefined) => (b === null || b === undefined ? '–' : (b / 2 ** 20).toFixed(0));
const ms = (n: number | null | undefined) =>
  n === null || n === undefined ? '–' : n >= 100 ? n.toFixed(0) : n.toFixed(2);

const rows: string[] = [];
for (const lib of libs) {
  const out = path.join(outDir, `${lib}-${clients}.json`);
  const args = ['run', '--lib', lib, '--clients', clients, '--nodes', nodes, '--adapter', 'redis'];
  args.push('--spread', 'client', '--arrival-rate', rate, '--out', out, '--quiet', '--allow-invalid');
  process.stderr.write(`bench ${args.join(' ')}\n`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  const wall = Math.round((Date.now() - started) / 1000);
  if (!fs.existsSync(out)) {
    rows.push(`| ${lib} | no result (exit ${r.status}) |`);
    continue;
  }
  const res = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
  const verdict =
    res.status !== 'completed'
      ? `${res.status}: ${res.error}`
      : res.valid
        ? 'valid'
        : `invalid: ${res.invalidReasons.join('; ')}`;
  const perNode = (res.nodes ?? []).map((n) => mib(n.rssBytes.steady)).join(' / ');
  const errors = Object.entries(res.errors)
    .map(([c, n]) => `${c} ×${n}`)
    .join(', ');
  const generators = (res.loadgen as { generators?: number }).generators ?? 1;
  const k = res.kernel;
  const kernel = k ? `${k.backlogDrops} / ${k.tcpAbortOnTimeout} (backlog ${k.netdevMaxBacklog ?? '?'})` : '–';
  rows.push(
    `| ${lib} | ${res.clients.connected}/${res.clients.failed} | ${ms(res.connectMs?.p50)} / ${ms(res.connectMs?.p99)} | ` +
      `${ms(res.echoMs?.p50)} / ${ms(res.echoMs?.p99)} | ${mib(res.server.rssBytes.steady)} | ${perNode} | ` +
      `${mib(res.loadgen.rss.steady)} | ${generators} | ${ms(res.arrivalLagMs?.p99)} | ${res.clients.dropped ?? 0} | ${kernel} | ${verdict}${errors ? ` (errors: ${errors})` : ''} | ${wall} |`,
  );
}

process.stdout.write(
  [
    `${machine()}. ${clients} clients, ${nodes} nodes (--spread client, Redis), ${rate} arrivals/s. Results: ${outDir}`,
    '',
    '| lib | connected/failed | connect ms p50 / p99 | echo ms p50 / p99 | server RSS steady MiB (all nodes) | per node MiB | generator RSS steady MiB | generators | arrival lag p99 ms | dropped | kernel drops / resets | verdict | wall s |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|',
    ...rows,
    '',
  ].join('\n'),
);
