/**
 * Benchmark (not a test): does `bench compare` keep its promise? First two regressions the current
 * side injects into its own server (every echo answered 2 ms late; 64 KiB kept per connection),
 * which it must catch; then unchanged code against itself N times (A/A), none of which may come
 * out "regressed". One row per comparison (also on stderr as each ends): its verdict, the runs it
 * took, and the change it measured.
 *
 *   node dist/bench/gate.js [--aa 20] [--lib socketio] [--clients 1500] [--max-runs 20] [--injected no]
 *
 * `npm run bench:gate` is this with the defaults (the numbers in docs/gate-and-capacity.md). Each
 * comparison takes 6 to 20 runs of about 20 s: the whole script takes hours.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CompareReport } from '../reports/compare/compare';
import { arg, BIN, machine } from './common';

const ROOT = path.resolve(__dirname, '../..');
const aa = Number(arg('aa', '20'));
const lib = arg('lib', 'socketio');
const clients = arg('clients', '1500');
const maxRuns = arg('max-runs', '20');
const injected = arg('injected', 'yes') !== 'no';
const outDir = path.resolve(__dirname, '../../bench/results', `gate-${new Date().toISOString().replace(/[:.]/g, '-')}`);
fs.mkdirSync(outDir, { recursive: true });

// The injected regressions first: they decide in a few runs, and the A/A rows take the rest.
const CASES: [string, string[]][] = [
  ...(injected
    ? ([
        ['echo answered 2 ms late', ['--current-args=--echo-delay 2']],
        ['64 KiB kept per connection', ['--current-args=--retain-per-connection 65536']],
      ] as [string, string[]][])
    : []),
  ...Array.from({ length: aa }, (_, i): [string, string[]] => [`A/A ${i + 1}`, []]),
];

const pct = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(1)} %`;
const rows: string[] = [];
let aaRegressed = 0;
let aaDone = 0;
const t0 = Date.now();
for (const [label, side] of CASES) {
  const out = path.join(outDir, label.replace(/[^A-Za-z0-9]+/g, '-'));
  const args = ['compare', '--baseline', ROOT, '--current', ROOT, ...side, '--lib', lib, '--clients', clients];
  args.push('--max-runs', maxRuns, '--out', out, '--quiet');
  process.stderr.write(`${label}: bench ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  const file = path.join(out, 'compare.json');
  if (!fs.existsSync(file)) {
    rows.push(`| ${label} | no report (exit ${r.status}) | | | | |`);
    continue;
  }
  const c = JSON.parse(fs.readFileSync(file, 'utf8')) as CompareReport;
  if (label.startsWith('A/A')) {
    aaDone++;
    if (c.verdict === 'regressed') aaRegressed++;
  }
  const change = (m: string) => {
    const d = c.decisions.find((x) => x.metric === m);
    return d?.change ? `${pct(d.change.estimate)} (${d.outcome})` : '–';
  };
  rows.push(
    `| ${label} | ${c.verdict} | ${c.runs.length} | ${change('connect.p50')} | ${change('echo.p50')} | ${change('bytesPerClient')} |`,
  );
  // Each row as it comes, so an interrupted run still shows what it measured.
  process.stderr.write(`${rows.at(-1)}\n`);
}

process.stdout.write(
  [
    `${machine()}. bench compare of this checkout with itself, --lib ${lib} --clients ${clients}, budget ${maxRuns} runs, ${((Date.now() - t0) / 60000).toFixed(0)} min in all.`,
    '',
    '| comparison | verdict | runs taken | connect.p50 change | echo.p50 change | bytesPerClient change |',
    '|---|---|--:|--:|--:|--:|',
    ...rows,
    '',
    `A/A comparisons that said "regressed": ${aaRegressed} of ${aaDone}.`,
    `Reports: ${outDir}`,
  ].join('\n') + '\n',
);
