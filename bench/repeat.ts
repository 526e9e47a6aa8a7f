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
 * Before and after each run it times a fixed piece of CPU work in this process (JSON, hashing,
 * small objects: what an event loop does) and prints the mean as "CPU probe ms": how fast the
 * machine itself was around that run, and its correlation with the connect p50 at the end. First,
 * with nothing of bench running, it times the same work every 0.8 s for `--idle-probe S` seconds
 * (60; 0 skips it): how much the machine's speed wanders on its own.
 * `npm run bench:repeat` is this with the defaults: the issue's six Socket.IO runs at 1,500 clients.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
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
const idleSeconds = Number(arg('idle-probe', '60'));
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

/** Milliseconds one fixed, single-threaded piece of work takes now: the machine's speed, measured. */
function cpuProbe(): number {
  const t = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < 40_000; i++) {
    const o = { id: i, type: 'echo', payload: 'x'.repeat(64), at: [i, i * 2, i * 3] };
    const s = JSON.stringify(o);
    sink += (JSON.parse(s) as { id: number }).id;
    sink += createHash('sha1').update(s).digest()[0]!;
  }
  if (sink < 0) process.stderr.write(''); // keep the work from being optimised away
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Pearson's correlation of two equal-length series (null where either is missing). */
function correlation(xs: (number | null)[], ys: (number | null)[]): number | null {
  const pairs = xs
    .map((x, i) => [x, ys[i]] as const)
    .filter((p): p is readonly [number, number] => p[0] !== null && p[1] !== null && p[1] !== undefined);
  if (pairs.length < 3) return null;
  const mx = pairs.reduce((a, p) => a + p[0], 0) / pairs.length;
  const my = pairs.reduce((a, p) => a + p[1], 0) / pairs.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [x, y] of pairs) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : null;
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
const probes: (number | null)[] = [];
cpuProbe(); // once to warm the JIT up, so the first run's probe is like the others
const idle: number[] = [];
for (const end = Date.now() + idleSeconds * 1000; Date.now() < end;) {
  idle.push(cpuProbe());
  spawnSync('sleep', ['0.8']);
}
idle.sort((a, b) => a - b);
const idleLine = idle.length
  ? `The CPU probe alone, every 0.8 s for ${idleSeconds} s before the runs with nothing of bench running: ${idle.length} times, lowest ${fmt(idle[0])} ms, median ${fmt(idle[idle.length >> 1])} ms, highest ${fmt(idle.at(-1))} ms (${(idle.at(-1)! / idle[0]!).toFixed(2)}×).`
  : '';
for (let i = 1; i <= runs; i++) {
  if (i > 1 && gapSeconds > 0) spawnSync('sleep', [String(gapSeconds)]);
  const out = path.join(outDir, `run-${i}.json`);
  const args = ['run', '--lib', lib, '--clients', clients, '--arrival-rate', rate, ...extra, '--out', out];
  const tw = timeWait();
  const load = os.loadavg()[0]!.toFixed(2);
  process.stderr.write(`bench ${args.join(' ')} --quiet --allow-invalid   (TIME_WAIT ${tw}, load ${load})\n`);
  const before = cpuProbe();
  spawnSync(process.execPath, [BIN, ...args, '--quiet', '--allow-invalid'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const probe = (before + cpuProbe()) / 2;
  if (!fs.existsSync(out)) {
    rows.push(`| ${i} | no result | | | | | | | | ${fmt(probe)} | ${tw} | ${load} |`);
    continue;
  }
  const r = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
  COLUMNS.forEach(([, read], c) => values[c]!.push(read(r) ?? null));
  probes.push(probe);
  const verdict = r.valid ? 'valid' : `invalid: ${r.invalidReasons.join('; ')}`;
  rows.push(
    `| ${i} | ${COLUMNS.map(([, read]) => fmt(read(r))).join(' | ')} | ${fmt(probe)} | ${tw} | ${load} | ${verdict} |`,
  );
}

const ratio = (vs: (number | null)[]) => {
  const xs = vs.filter((v): v is number => v !== null && v > 0);
  return xs.length < 2 ? '–' : `${(Math.max(...xs) / Math.min(...xs)).toFixed(2)}×`;
};
const spread = values.map(ratio);
const r = correlation(probes, values[0]!);
process.stdout.write(
  [
    `${machine()}. ${runs} × bench run --lib ${lib} --clients ${clients} --arrival-rate ${rate}${extra.length ? ` ${extra.join(' ')}` : ''}, ${gapSeconds ? `${gapSeconds} s apart` : 'back to back'}. Latencies in ms.`,
    '',
    `| run | ${COLUMNS.map(([n]) => n).join(' | ')} | CPU probe ms | TIME_WAIT at start | load (1 min) | verdict |`,
    `|${'---|'.repeat(COLUMNS.length + 5)}`,
    ...rows,
    `| max/min | ${spread.join(' | ')} | ${ratio(probes)} | | | |`,
    '',
    `Correlation of the CPU probe with the connect p50 over the runs: ${r === null ? '–' : r.toFixed(2)}.`,
    ...(idleLine ? [idleLine] : []),
    '',
    `Results: ${outDir}`,
  ].join('\n') + '\n',
);
