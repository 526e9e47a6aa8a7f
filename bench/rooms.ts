/**
 * Benchmark (not a test): the chat room workload of issue 21 for every library, through the real
 * bin: --scenario rooms with 1,000 rooms × 10 members (10,000 clients), one message per member
 * every 5 s, on one node and on 3 nodes synced by Redis (`--spread client`: HAProxy in front
 * would need two open files per client, past this machine's hard limit of 20,000 at 10,000). Per run: room message latency from when
 * it was due at its publisher to each member's receipt (p50/p99/max), delivered of expected (the
 * membership the nodes reported), duplicates and out of order, messages sent and delivered per
 * second, the server's CPU and memory per client; and Socket.IO over two namespaces per connection.
 *
 *   node dist/bench/rooms.js [--clients 10000] [--room-size 10] [--publish-every 5000] [--hold 30]
 *                            [--nodes 3] [--libs ws,sockjs,socketio]
 *
 * `npm run bench:rooms` is this with the defaults (the numbers in docs/rooms.md). Results are
 * kept under bench/results/<time>-rooms/.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunResult } from '../runner/result/build';
import { arg, BIN, machine } from './common';

const clients = arg('clients', '10000');
const roomSize = arg('room-size', '10');
const every = arg('publish-every', '5000');
const hold = arg('hold', '30');
const nodes = arg('nodes', '3');
const libs = arg('libs', 'ws,sockjs,socketio').split(',');
const outDir = path.resolve(
  __dirname,
  '../../bench/results',
  `${new Date().toISOString().replace(/[:.]/g, '-')}-rooms`,
);
fs.mkdirSync(outDir, { recursive: true });

const f = (n: number | null | undefined, d = 1) => (n === null || n === undefined ? '–' : n.toFixed(d));
const int = (n: number | null | undefined) => (n === null || n === undefined ? '–' : n.toLocaleString('en-US'));

function run(name: string, args: string[]): RunResult | null {
  const out = path.join(outDir, `${name}.json`);
  const all = ['run', '--scenario', 'rooms', '--room-size', roomSize, '--publish-every', every, '--hold', hold];
  all.push('--clients', clients, ...args, '--out', out);
  process.stderr.write(`bench ${all.join(' ')} --quiet --allow-invalid   (load ${os.loadavg()[0]!.toFixed(2)})\n`);
  spawnSync(process.execPath, [BIN, ...all, '--quiet', '--allow-invalid'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult) : null;
}

const kib = (b: number | null | undefined) => (b === null || b === undefined ? '–' : (b / 1024).toFixed(1));
/** label, file name, nodes, flags: every library on one node and on several, then Socket.IO over two namespaces */
const SETUPS: [string, string, string, string[]][] = [
  ...libs.flatMap((lib): [string, string, string, string[]][] => [
    [lib, `${lib}-1`, '1', ['--lib', lib]],
    [
      lib,
      `${lib}-${nodes}`,
      `${nodes} (redis, spread client)`,
      ['--lib', lib, '--nodes', nodes, '--adapter', 'redis', '--spread', 'client'],
    ],
  ]),
  ...(libs.includes('socketio')
    ? [
        ['socketio, 2 namespaces', 'socketio-ns2-1', '1', ['--lib', 'socketio', '--namespaces', '2']] as [
          string,
          string,
          string,
          string[],
        ],
      ]
    : []),
];

const rows: string[] = [];
for (const [lib, name, n, args] of SETUPS) {
  const many = n !== '1';
  const r = run(name, args);
  const k = r?.rooms;
  const cpu = r?.nodes?.length ? r.nodes.map((x) => f(x.cpuPercent, 0)).join(' + ') : f(r?.server.cpuPercent, 0);
  rows.push(
    !r || !k
      ? `| ${lib} | ${n} | no result | | | | | | | |`
      : `| ${lib} | ${n} | ${f(k.latencyMs?.p50, 2)} / ${f(k.latencyMs?.p99, 1)} / ${f(k.latencyMs?.max, 0)} | ${int(k.received)} of ${int(k.expected)} (${f(k.deliveredPct, 2)} %) | ${int(k.duplicates)} / ${int(k.outOfOrder)} | ${int(k.sentPerSecond)} / ${int(k.deliveredPerSecond)} | ${cpu} | ${many ? '–' : kib(r.server.bytesPerClient)} | ${r.valid ? 'valid' : `invalid: ${r.invalidReasons[0]}`} |`,
  );
  process.stderr.write(`${rows.at(-1)}\n`);
}

process.stdout.write(
  [
    `${machine()}. Load average at the start: ${os.loadavg()[0]!.toFixed(2)}.`,
    '',
    `### Chat rooms: ${int(Number(clients))} clients in rooms of ${roomSize}, a message per member every ${every} ms, hold ${hold} s`,
    '',
    '| library | nodes | room message p50 / p99 / max ms | delivered | duplicates / out of order | sent / delivered per s | server CPU % | memory per client KiB | run |',
    '|---|--:|--:|--:|--:|--:|--:|--:|---|',
    ...rows,
    '',
    `Results: ${outDir}`,
    '',
  ].join('\n'),
);
