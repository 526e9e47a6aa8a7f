/**
 * Benchmark (not a test): connections that drop and come back, for every library, through the
 * real bin. Two tables:
 *
 * 1. Network flaps (--flap): the broadcast scenario with a share of the connections reset every
 *    few seconds, on one node and on several behind HAProxy; ws, SockJS, Socket.IO, and Socket.IO
 *    with connection state recovery (--sio-recovery; on several nodes over redis-streams, the
 *    one multi-node adapter that can restore a session). Delivered % of what every client would
 *    have got had nobody been cut, missed, reconnect time, restored sessions.
 * 2. A rolling restart (--rolling-restart) of the nodes, one at a time, behind HAProxy: per
 *    node restarted, the clients it disconnected and how long they took to come back, and how
 *    the clients were spread over the nodes at the end.
 *
 *   node dist/bench/flaps.js [--clients 1000] [--flap 10%@5] [--hold 30] [--broadcast-every 100]
 *                            [--nodes 3] [--restart-clients 3000] [--parts flaps,restart]
 *
 * `npm run bench:flaps` is this with the defaults (the numbers in README and docs/drops.md).
 * Results are kept under bench/results/<time>-flaps/.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunResult } from '../runner/result/build';
import type { RollingRestartFault } from '../runner/result/schema';
import { arg, BIN, machine } from './common';

const clients = arg('clients', '1000');
const flap = arg('flap', '10%@5');
const hold = arg('hold', '30');
const every = arg('broadcast-every', '100');
const nodes = arg('nodes', '3');
const restartClients = arg('restart-clients', '3000');
const parts = arg('parts', 'flaps,restart').split(',');
const outDir = path.resolve(
  __dirname,
  '../../bench/results',
  `${new Date().toISOString().replace(/[:.]/g, '-')}-flaps`,
);
fs.mkdirSync(outDir, { recursive: true });

/** label → library flags on one node, and on several */
const SETUPS: [string, string[], string[]][] = [
  ['ws', ['--lib', 'ws'], ['--lib', 'ws', '--adapter', 'redis']],
  ['sockjs', ['--lib', 'sockjs'], ['--lib', 'sockjs', '--adapter', 'redis']],
  ['socketio', ['--lib', 'socketio'], ['--lib', 'socketio', '--adapter', 'redis']],
  [
    'socketio + recovery',
    ['--lib', 'socketio', '--sio-recovery'],
    ['--lib', 'socketio', '--sio-recovery', '--adapter', 'redis-streams'],
  ],
];

const f = (n: number | null | undefined, d = 0) => (n === null || n === undefined ? '–' : n.toFixed(d));
const int = (n: number | null | undefined) => (n === null || n === undefined ? '–' : n.toLocaleString('en-US'));

function run(name: string, args: string[]): RunResult | null {
  const out = path.join(outDir, `${name.replace(/[^A-Za-z0-9]+/g, '-')}.json`);
  const all = ['run', '--scenario', 'broadcast', '--broadcast-every', every, ...args, '--out', out];
  process.stderr.write(`bench ${all.join(' ')} --quiet --allow-invalid   (load ${os.loadavg()[0]!.toFixed(2)})\n`);
  spawnSync(process.execPath, [BIN, ...all, '--quiet', '--allow-invalid'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult) : null;
}

const verdict = (r: RunResult) => (r.valid ? 'valid' : `invalid: ${r.invalidReasons.join('; ')}`);
const out: string[] = [`${machine()}. Load average at the start: ${os.loadavg()[0]!.toFixed(2)}.`, ''];

if (parts.includes('flaps')) {
  out.push(
    `### Network flaps: ${clients} clients, --flap ${flap}, a broadcast every ${every} ms, hold ${hold} s`,
    '',
    '| library | nodes | delivered | missed (while reconnecting) | reconnect p50 / p95 / max ms | never back | restored sessions | replayed, late by p50 / max ms | run |',
    '|---|--:|--:|--:|--:|--:|--:|--:|---|',
  );
  for (const [label, one, many] of SETUPS) {
    for (const [n, lib] of [
      ['1', one],
      [nodes, many],
    ] as const) {
      const args = [...lib, '--clients', clients, '--hold', hold, '--flap', flap];
      if (n !== '1') args.push('--nodes', n);
      const r = run(`${label}-${n}`, args);
      const fl = r?.flaps;
      if (!r || !fl) {
        out.push(`| ${label} | ${n} | no result | | | | | | |`);
        continue;
      }
      const rec = fl.recovery;
      out.push(
        `| ${label} | ${n} | ${f(fl.deliveredPct, 2)} % | ${int(fl.missed)} (${int(fl.missedWhileReconnecting)}) | ${f(fl.reconnectMs?.p50)} / ${f(fl.reconnectMs?.p95)} / ${f(fl.reconnectMs?.max)} | ${fl.neverBack} | ${rec ? `${int(rec.sessionsRecovered)} of ${int(rec.sessionsRecovered + rec.sessionsNotRecovered)}` : '–'} | ${rec ? `${int(rec.broadcastsRecovered)}, ${f(rec.recoveredLatencyMs?.p50)} / ${f(rec.recoveredLatencyMs?.max)}` : '–'} | ${verdict(r)} |`,
      );
    }
  }
  out.push('');
}

if (parts.includes('restart')) {
  out.push(
    `### Rolling restart: ${nodes} nodes behind HAProxy, ${restartClients} clients from 2 generators, one node at a time`,
    '',
    '| library | node | down ms | disconnected | back p50 / p95 / max ms | never back | connect failures | clients per node at the end | run |',
    '|---|---|--:|--:|--:|--:|--:|---|---|',
  );
  for (const [label, , many] of SETUPS.slice(0, 3)) {
    const r = run(`restart-${label}`, [
      ...many,
      '--clients',
      restartClients,
      '--nodes',
      nodes,
      '--hold',
      '40',
      '--rolling-restart',
      // Two generators: with one, a storm of 1,000 to 1,700 SockJS or Socket.IO clients reconnecting
      // at once saturated its event loop here even on a quiet machine (loop delay p99 112 and 145 ms).
      '--generators',
      '2',
    ]);
    const rr = r?.faults.find((x): x is RollingRestartFault => x.kind === 'rolling-restart');
    if (!r || !rr) {
      out.push(`| ${label} | no result | | | | | | | |`);
      continue;
    }
    const end = Object.entries(rr.clientsPerNodeAtEnd)
      .map(([id, c]) => `${id} ${int(c)}`)
      .join(', ');
    rr.restarts.forEach((x, i) =>
      out.push(
        `| ${i === 0 ? label : ''} | ${x.nodeId} | ${f(x.downMs)} | ${int(x.clientsDisconnected)} | ${f(x.reconnectMs?.p50)} / ${f(x.reconnectMs?.p95)} / ${f(x.reconnectMs?.max)} | ${x.neverBack} | ${x.connectFailures} | ${i === 0 ? `${end} (skew ${f(rr.skewAtEnd, 2)})` : ''} | ${i === 0 ? verdict(r) : ''} |`,
      ),
    );
  }
  out.push('');
}

out.push(`Results: ${outDir}`);
process.stdout.write(out.join('\n') + '\n');
