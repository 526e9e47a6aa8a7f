/**
 * Benchmark (not a test): every sync backend the article names, for every library that can use
 * it, at 3 nodes × 3,000 clients (issue 23): the broadcast scenario through the real bin, and per
 * run broadcast latency p50/p99, delivered of expected, and what the broker process itself cost
 * (its CPU and RSS, sampled beside the nodes).
 *
 *   node dist/bench/brokers.js [--clients 3000] [--nodes 3] [--hold 20] [--broadcast-every 500]
 *                              [--adapters redis,redis-streams,postgres,amqp,nats] [--libs ws,sockjs,socketio]
 *
 * `npm run bench:brokers` is this with the defaults (the numbers in docs/scale-out.md). Results
 * are kept under bench/results/<time>-brokers/.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunResult } from '../runner/result/build';
import { arg, BIN, machine } from './common';

const clients = arg('clients', '3000');
const nodes = arg('nodes', '3');
const hold = arg('hold', '20');
const every = arg('broadcast-every', '500');
const adapters = arg('adapters', 'redis,redis-streams,postgres,amqp,nats').split(',');
const libs = arg('libs', 'ws,sockjs,socketio').split(',');
/** Adapters only Socket.IO has: ws and SockJS nodes share broadcasts through their own fan-outs. */
const SOCKETIO_ONLY = new Set(['redis-streams', 'postgres']);
const outDir = path.resolve(
  __dirname,
  '../../bench/results',
  `${new Date().toISOString().replace(/[:.]/g, '-')}-brokers`,
);
fs.mkdirSync(outDir, { recursive: true });

const f = (n: number | null | undefined, d = 1) => (n === null || n === undefined ? '–' : n.toFixed(d));
const mib = (b: number | null | undefined) => (b === null || b === undefined ? '–' : (b / 2 ** 20).toFixed(0));

const rows: string[] = [];
for (const adapter of adapters) {
  for (const lib of libs) {
    if (SOCKETIO_ONLY.has(adapter) && lib !== 'socketio') continue;
    const out = path.join(outDir, `${lib}-${adapter}.json`);
    const args = ['run', '--scenario', 'broadcast', '--lib', lib, '--adapter', adapter, '--nodes', nodes];
    args.push(
      '--clients',
      clients,
      '--hold',
      hold,
      '--broadcast-every',
      every,
      '--out',
      out,
      '--quiet',
      '--allow-invalid',
    );
    process.stderr.write(`bench ${args.join(' ')}   (load ${os.loadavg()[0]!.toFixed(2)})\n`);
    spawnSync(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    const r = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult) : null;
    const b = r?.broadcast;
    const k = r?.broker;
    const nodesCpu = r?.nodes?.map((n) => f(n.cpuPercent, 0)).join(' + ') ?? '–';
    const delivered = b
      ? `${(((b.delivered - (b.recovered ?? 0)) / Math.max(1, b.expectedDeliveries)) * 100).toFixed(2)} %`
      : '–';
    rows.push(
      !r
        ? `| ${adapter} | ${lib} | no result | | | | |`
        : `| ${adapter} | ${lib} | ${f(b?.latencyMs?.p50, 2)} / ${f(b?.latencyMs?.p99, 1)} | ${delivered} (${b?.lost ?? '–'} lost) | ${nodesCpu} | ${k ? `${k.process ?? '?'}: ${f(k.cpuPercent)} % · ${mib(k.rssBytes.steady)} MiB` : '–'} | ${r.valid ? 'valid' : `invalid: ${r.invalidReasons[0]}`} |`,
    );
    process.stderr.write(`${rows.at(-1)}\n`);
  }
}

process.stdout.write(
  [
    `${machine()}. Load average at the start: ${os.loadavg()[0]!.toFixed(2)}.`,
    '',
    `### Sync backends: ${nodes} nodes × ${Number(clients).toLocaleString('en-US')} clients, a broadcast every ${every} ms, hold ${hold} s`,
    '',
    '| adapter | library | broadcast p50 / p99 ms | delivered | nodes CPU % | broker CPU · RSS steady | run |',
    '|---|---|--:|--:|--:|--:|---|',
    ...rows,
    '',
    `Results: ${outDir}`,
    '',
  ].join('\n'),
);
