/**
 * Benchmark (not a test): slow consumers for every library, through the real bin (issue 21).
 * The rooms workload with messages large enough to fill a slow reader's path (40 clients in
 * rooms of 10, 16 KiB every 500 ms: 320 KiB/s to each member), with 10 % of the clients reading
 * at 2,000 B/s, and the same command with those clients unthrottled (`10%:1000000000`: the same
 * proxy and reads, no cap) as the control. Per run: the fast clients' room latency beside the
 * control's, what the slow and fast clients received, the bytes the node held for the slow ones
 * (library queue, socket buffer, kernel send queue), the server's RSS growth, and the clients
 * the server or the client library closed.
 *
 *   node dist/bench/slow-consumers.js [--clients 40] [--rate 2000] [--hold 20] [--ping-interval 25000]
 *                                     [--libs ws,sockjs,socketio]
 *
 * `npm run bench:slow` is this with the defaults (the numbers in docs/slow-consumers.md).
 * Results are kept under bench/results/<time>-slow/.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunResult } from '../runner/result/build';
import { arg, BIN, machine } from './common';

const clients = arg('clients', '40');
const rate = arg('rate', '2000');
const hold = arg('hold', '20');
const ping = arg('ping-interval', '25000');
const libs = arg('libs', 'ws,sockjs,socketio').split(',');
const outDir = path.resolve(__dirname, '../../bench/results', `${new Date().toISOString().replace(/[:.]/g, '-')}-slow`);
fs.mkdirSync(outDir, { recursive: true });

const f = (n: number | null | undefined, d = 1) => (n === null || n === undefined ? '–' : n.toFixed(d));
const int = (n: number | null | undefined) => (n === null || n === undefined ? '–' : n.toLocaleString('en-US'));
const mib = (b: number | null | undefined) => (b === null || b === undefined ? '–' : `${(b / 2 ** 20).toFixed(1)} MiB`);

function run(name: string, args: string[]): RunResult | null {
  const out = path.join(outDir, `${name}.json`);
  const all = ['run', '--scenario', 'rooms', '--clients', clients, '--room-size', '10', '--message-bytes', '16384'];
  all.push('--publish-every', '500', '--hold', hold, '--ping-interval', ping, ...args, '--out', out);
  process.stderr.write(`bench ${all.join(' ')} --quiet --allow-invalid   (load ${os.loadavg()[0]!.toFixed(2)})\n`);
  spawnSync(process.execPath, [BIN, ...all, '--quiet', '--allow-invalid'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult) : null;
}

const rows: string[] = [];
for (const lib of libs) {
  for (const [label, cap] of [
    [`${int(Number(rate))} B/s`, rate],
    ['unthrottled (control)', '1000000000'],
  ] as const) {
    const r = run(`${lib}-${cap}`, ['--lib', lib, '--slow-clients', `10%:${cap}`]);
    const s = r?.slowClients;
    const fast = r?.rooms?.latencyMs;
    const b = s?.buffered?.max;
    rows.push(
      !r || !s
        ? `| ${lib} | ${label} | no result | | | | | |`
        : `| ${lib} | ${label} | ${f(fast?.p50, 2)} / ${f(fast?.p99, 1)} | ${int(s.received.fast.roomMessages)} / ${int(s.received.slow.roomMessages)} | ${b ? `${mib(b.library)} · ${mib(b.socket)} · ${mib(b.kernel)}` : '–'} | ${b ? mib(b.perSlowClient) : '–'} | ${mib(s.rssGrowthBytes)} | ${int(s.closedDuringHold)} / ${int(s.dropped.slow)} | ${r.valid ? 'valid' : `invalid: ${r.invalidReasons[0]}`} |`,
    );
    process.stderr.write(`${rows.at(-1)}\n`);
  }
}

process.stdout.write(
  [
    `${machine()}. Load average at the start: ${os.loadavg()[0]!.toFixed(2)}.`,
    '',
    `### Slow consumers: ${clients} clients in rooms of 10, 16 KiB every 500 ms each, 10 % reading at ${int(Number(rate))} B/s, hold ${hold} s, ping every ${ping} ms`,
    '',
    '| library | slow clients read | fast room p50 / p99 ms | room messages received fast / slow | held at most: library · socket · kernel | per slow client | server RSS growth | closed during hold / slow dropped | run |',
    '|---|---|--:|--:|--:|--:|--:|--:|---|',
    ...rows,
    '',
    `Results: ${outDir}`,
    '',
  ].join('\n'),
);
