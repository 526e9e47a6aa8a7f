/**
 * Benchmark (not a test): the broadcast scenario over several nodes, for every library and
 * adapter, through the real bin, and a Markdown table of delivery, order, latency and, with a
 * fault, reconnects. Results are kept under bench/results/<time>-scale-out/.
 *
 *   node dist/bench/scale-out.js [--clients 900] [--nodes 3] [--hold 10] [--broadcast-every 500]
 *                                [--fault none|kill|outage] [--setups ws-redis,socketio-redis,...]
 *
 * Setups: ws-redis, sockjs-redis, socketio-redis, socketio-redis-polling, socketio-postgres,
 * socketio-cluster. `--fault kill` kills the last node 3 s into the hold; `--fault outage`
 * pauses Redis from 3 to 6 s into the hold (setups on Redis only). `npm run bench:scale-out`
 * runs every setup without a fault, then with a node killed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunResult } from '../runner/result/build';
import { arg, BIN, machine } from './common';

const SETUPS: Record<string, string[]> = {
  'ws-redis': ['--lib', 'ws', '--adapter', 'redis'],
  'sockjs-redis': ['--lib', 'sockjs', '--adapter', 'redis'],
  'socketio-redis': ['--lib', 'socketio', '--adapter', 'redis'],
  'socketio-redis-polling': ['--lib', 'socketio', '--adapter', 'redis', '--transport', 'polling'],
  'socketio-postgres': ['--lib', 'socketio', '--adapter', 'postgres'],
  'socketio-cluster': ['--lib', 'socketio', '--adapter', 'cluster'],
};

const clients = arg('clients', '900');
const nodes = arg('nodes', '3');
const hold = arg('hold', '10');
const every = arg('broadcast-every', '500');
const faults = arg('fault', 'none').split(',');
const setups = arg('setups', Object.keys(SETUPS).join(',')).split(',');
for (const s of setups) {
  if (!SETUPS[s]) throw new Error(`unknown setup ${s}; known: ${Object.keys(SETUPS).join(', ')}`);
}
const outDir = path.resolve(
  __dirname,
  '../../bench/results',
  `${new Date().toISOString().replace(/[:.]/g, '-')}-scale-out`,
);
fs.mkdirSync(outDir, { recursive: true });

const f = (n: number | null | undefined, d = 1) => (n === null || n === undefined ? '–' : n.toFixed(d));
const FAULT_ARGS: Record<string, string[]> = {
  none: [],
  kill: ['--kill-node-at', '3'],
  outage: ['--adapter-outage', '3..6'],
};

const rows: string[] = [];
for (const fault of faults) {
  for (const setup of setups) {
    if (fault === 'outage' && !SETUPS[setup]!.includes('redis')) continue;
    const out = path.join(outDir, `${setup}-${fault}.json`);
    const args = [
      'run',
      '--scenario',
      'broadcast',
      ...SETUPS[setup]!,
      '--nodes',
      nodes,
      '--clients',
      clients,
      '--hold',
      hold,
      '--broadcast-every',
      every,
      ...FAULT_ARGS[fault]!,
      '--out',
      out,
      '--quiet',
    ];
    process.stderr.write(`bench ${args.join(' ')}\n`);
    const r = spawnSync(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (!fs.existsSync(out)) {
      rows.push(`| ${setup} | ${fault} | no result (exit ${r.status}) |`);
      continue;
    }
    const res = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
    const b = res.broadcast;
    const rc = res.reconnect;
    rows.push(
      `| ${setup} | ${fault} | ${res.status} | ${res.clients.connected} | ${b?.sent ?? '–'} | ${b?.delivered ?? '–'} / ${b?.expectedDeliveries ?? '–'} | ` +
        `${b?.lost ?? '–'} | ${b?.outOfOrder ?? '–'} | ${b?.duplicates ?? '–'} | ${b?.gaps ?? '–'} | ${b?.missedWhileReconnecting ?? '–'} | ` +
        `${f(b?.latencyMs?.p50)} / ${f(b?.latencyMs?.p99)} / ${f(b?.latencyMs?.max)} | ` +
        `${rc ? `${rc.reconnected}/${rc.lost}, ${rc.failed} gave up` : '–'} | ${rc?.timeMs ? `${f(rc.timeMs.p50, 0)} / ${f(rc.timeMs.p99, 0)}` : '–'} | ${res.loadgen.valid ? 'yes' : 'NO'} |`,
    );
  }
}

process.stdout.write(
  [
    `${machine()}. ` +
      `${nodes} nodes, ${clients} clients, hold ${hold} s, a broadcast every ${every} ms. Results: ${outDir}`,
    '',
    '| setup | fault | status | connected | sent | delivered / expected | lost | out of order | duplicates | gaps | missed while reconnecting | broadcast ms p50 / p99 / max | reconnected | reconnect ms p50 / p99 | valid |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n'),
);
