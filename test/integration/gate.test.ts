import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBin } from '../helpers/bin';

/**
 * Real runs, real gate. Three sides of three trials each, interleaved (A, A′, deflate; A, A′,
 * deflate; …) so that any drift of the machine's speed falls on every side alike:
 * - A and A′ are the same configuration: the gate must pass;
 * - "deflate" is the same server with per-message deflate on: an injected regression the gate
 *   must catch once told to pair across that option.
 */
const TRIALS = 3;
const RUN = ['run', '--lib', 'ws', '--clients', '200', '--warmup', '100', '--hold', '2', '--probes', '2', '--quiet'];
// Small CI cells have noisy tails; the README documents these thresholds for them.
const SMALL_CELL_THRESHOLDS = ['--threshold', 'connect.p99=100,firstMessage.p99=100,echo.p99=100'];

let dir: string;
const side = (name: string) => path.join(dir, name);

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-'));
  for (let t = 1; t <= TRIALS; t++) {
    for (const [name, extra] of [
      ['a', []],
      ['a2', []],
      ['deflate', ['--deflate']],
    ] as const) {
      const r = await runBin([...RUN, ...extra, '--out', path.join(side(name), `trial-${t}.json`)], {
        timeoutMs: 120_000,
      });
      assert.equal(r.code, 0, r.stderr);
    }
  }
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('bench gate on real runs', () => {
  it('passes A against A', async () => {
    const r = await runBin(['gate', '--baseline', side('a'), '--current', side('a2'), ...SMALL_CELL_THRESHOLDS]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^bench gate: pass/);
    assert.match(r.stderr, /3 trials: thresholds and a bootstrap interval of the medians/);
  });

  it('fails on the same server with per-message deflate on, naming each regression', async () => {
    const md = path.join(dir, 'gate.md');
    const junit = path.join(dir, 'gate.xml');
    const r = await runBin([
      'gate',
      '--baseline',
      side('a'),
      '--current',
      side('deflate'),
      '--ignore-option',
      'deflate',
      '--markdown',
      md,
      '--junit',
      junit,
      ...SMALL_CELL_THRESHOLDS,
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^bench gate: regression/);
    // About 230 KB of zlib state per connection against about 7 KB without: never noise.
    assert.match(r.stderr, /ws · echo · 200 clients +bytesPerClient .* REGRESSED/);
    assert.match(r.stderr, /ws · echo · 200 clients +rss\.steady .* REGRESSED/);
    const markdown = fs.readFileSync(md, 'utf8');
    assert.match(markdown, /bytesPerClient/);
    const xml = fs.readFileSync(junit, 'utf8');
    assert.equal((xml.match(/<testcase /g) ?? []).length, 10, 'one test case per cell and metric');
    assert.ok((xml.match(/<failure /g) ?? []).length >= 2);
    assert.match(xml, /<testcase [^>]*name="bytesPerClient"[^>]*>\s*<failure /);
  });

  it('without --ignore-option the two configurations do not pair, and that fails too', async () => {
    const r = await runBin(['gate', '--baseline', side('a'), '--current', side('deflate')]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /missing in current: no run with these options .*differ in deflate/);
  });
});

describe('bench capacity on real runs', () => {
  it('fits the runs, predicts, warns about extrapolation, and writes the HTML page', async () => {
    // Two client levels: the A runs at 200 and the deflate-free runs of a second level.
    const level2 = side('level-400');
    const r400 = await runBin([...RUN.slice(0, 4), '400', ...RUN.slice(5), '--out', path.join(level2, 'r.json')], {
      timeoutMs: 120_000,
    });
    assert.equal(r400.code, 0, r400.stderr);
    const html = path.join(dir, 'capacity.html');
    const r = await runBin([
      'capacity',
      side('a'),
      level2,
      '--memory',
      '1GiB',
      '--slo',
      'connect.p99<500ms',
      '--users',
      '200000',
      '--html',
      html,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as {
      series: {
        series: string;
        points: { clients: number; rssSteadyBytes: number | null }[];
        memory: { slope: number; intercept: number } | null;
        maxClients: number | null;
      }[];
    };
    assert.equal(report.series.length, 1);
    const { points, memory } = report.series[0]!;
    assert.equal(points.length, 4);
    // The fit is the least-squares line through the measured points (recomputed here). Its sign is
    // not asserted: 200 more ws clients add about 1 MiB, less than the RSS noise between runs, so
    // a real 200-vs-400 slope can come out negative (CI saw it). The unit tests check the fit on
    // data with a known slope.
    const xs = points.map((p) => p.clients);
    const ys = points.map((p) => p.rssSteadyBytes!);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const mx = mean(xs);
    const my = mean(ys);
    const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    assert.ok(
      Math.abs(memory!.slope - slope) <= 1e-6 * Math.max(1, Math.abs(slope)),
      `slope ${memory!.slope} vs ${slope}`,
    );
    assert.ok(Math.abs(memory!.intercept - (my - slope * mx)) <= 1e-3 * Math.max(1, Math.abs(my)));
    if (report.series[0]!.maxClients !== null) {
      assert.match(r.stderr, /prediction at [0-9,]+ clients is [0-9]+× the largest measured level 400/);
      assert.match(r.stderr, /servers for 200,000 users: [0-9,]+/);
    } else {
      // Neither RSS nor connect p99 grew between the two levels in this run: said, not invented.
      assert.match(r.stderr, /no constraint limits the clients, so no server count can be given/);
    }
    const page = fs.readFileSync(html, 'utf8');
    assert.match(page, /<canvas id="[^"]+" data-figure="memory"/);
  });
});
