import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBin } from '../helpers/bin';
import { makeResult, writeJson } from '../helpers/report-fixtures';

/**
 * Real runs, real gate. Three sides of three trials each, interleaved in a Latin square (A, A′,
 * deflate; A′, deflate, A; deflate, A, A′) so that each side runs first, second and third once:
 * a machine that drifts, or a run that is slower for following another, weighs on every side alike.
 * - A and A′ are the same configuration: the gate must not fail them (pass, or unsure where three
 *   trials cannot tell a wandering connect time from a change);
 * - "deflate" is the same server with per-message deflate on: an injected regression the gate
 *   must catch once told to pair across that option.
 */
const TRIALS = 3;
// --allow-invalid: these runs feed the gate and capacity; a generator that falls behind its
// schedule on a busy machine makes a run invalid (exit 1), which is not what these tests check.
const RUN = [
  'run',
  '--lib',
  'ws',
  '--clients',
  '200',
  '--warmup',
  '100',
  '--hold',
  '2',
  '--probes',
  '2',
  '--quiet',
  '--allow-invalid',
];
// Small CI cells have noisy tails; the README documents these thresholds for them.
const SMALL_CELL_THRESHOLDS = ['--threshold', 'connect.p99=100,timeToFirstMessage.p99=100,echo.p99=100'];

let dir: string;
const side = (name: string) => path.join(dir, name);

describe('on real runs', () => {
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-'));
    const sides = [
      ['a', []],
      ['a2', []],
      ['deflate', ['--deflate']],
    ] as const;
    for (let t = 1; t <= TRIALS; t++) {
      for (const [name, extra] of [...sides.slice(t - 1), ...sides.slice(0, t - 1)]) {
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
      assert.match(r.stderr, /^bench gate: (pass|unsure):/);
      assert.doesNotMatch(r.stderr, /REGRESSED/);
      // 3 trials a side cannot reach p < 0.05 over 8 comparisons: medians and memory on thresholds only.
      assert.match(r.stderr, /\n {2}3 trials a side: too few for Mann-Whitney U to reach p < 0\.05 over 8 comparisons/);
      assert.match(
        r.stderr,
        /\n {2}for a test, run each side with 6 trials: bench sweep --trials 6 --libs ws --clients 200 --out <dir>\n/,
      );
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
        assert.match(r.stderr, /\n {2}max per server: not predicted: no usable fit \(/);
        assert.match(r.stderr, /fit unusable/);
      }
      const page = fs.readFileSync(html, 'utf8');
      assert.match(page, /<canvas id="[^"]+" data-figure="memory"/);
    });
  });
});

/**
 * The real bin on result files built from a real run's result (test/fixtures): the cases that
 * need exact numbers, which real runs cannot promise.
 */
describe('bench gate and bench capacity on result files', () => {
  let files: string;
  before(() => {
    files = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-files-'));
  });
  after(() => fs.rmSync(files, { recursive: true, force: true }));
  let n = 0;

  /** One folder of Socket.IO results at 1,500 clients; `shape(i)` edits trial i. */
  function results(trials: number, shape: (r: ReturnType<typeof makeResult>, i: number) => void = () => {}) {
    const folder = path.join(files, `side-${++n}`);
    for (let i = 0; i < trials; i++) {
      const r = makeResult('socketio', 1500, 10 * (1 + 0.01 * i));
      // The schemaVersion-1 fixture has no time to first message: its first-message figures stand in.
      r.timeToFirstMessageMs = { ...r.firstMessageMs! };
      r.startedAt = `2026-01-01T00:00:${String(i).padStart(2, '0')}.000Z`;
      shape(r, i);
      writeJson(path.join(folder, `socketio-1500-t${i + 1}.json`), r);
    }
    return folder;
  }
  const tails = (r: ReturnType<typeof makeResult>, f: number) => {
    for (const s of [r.connectMs, r.timeToFirstMessageMs, r.echoMs]) s!.p99 *= f;
  };

  it('passes two single runs of unchanged code whose p99s differ by +57 %, and says what one run can gate', async () => {
    const r = await runBin(['gate', '--baseline', results(1), '--current', results(1, (x) => tails(x, 1.567))]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.split('\n');
    assert.equal(
      lines[0],
      'bench gate: pass: 0 of 7 gated comparisons regressed, 3 not gated (too few trials) (1 cell)',
    );
    assert.equal(
      lines[3],
      '  1 trial a side: no significance test; medians and memory gated on thresholds and noise floors only, p99s not gated (a test needs 6 trials a side)',
    );
    assert.equal(
      lines[4],
      '  for a test, run each side with 6 trials: bench sweep --trials 6 --libs socketio --clients 1500 --out <dir>',
    );
    assert.match(r.stderr, /echo\.p99 .* \+56\.7 % .* not gated: 1 trial a side; p99 needs ≥6\n/);
  });

  it('fails a memory regression over 6 trials a side with exit 1, naming the test', async () => {
    const more = (x: ReturnType<typeof makeResult>) => {
      x.server.rssBytes.steady! += 100 * 1024 * 1024;
      x.server.bytesPerClient! += Math.round((100 * 1024 * 1024) / 1500);
    };
    const r = await runBin(['gate', '--baseline', results(6), '--current', results(6, more), '--json']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /rss\.steady .* 0\.002 +0\.017 +\+1\.00 +REGRESSED \(significant: Holm p < 0\.05\)\n/);
    const report = JSON.parse(r.stdout) as { tested: number; cells: { mode: string }[] };
    assert.equal(report.tested, 8);
    assert.equal(report.cells[0]!.mode, 'significance');
  });

  it('refuses runs of different machines in one line, exit 2', async () => {
    const r = await runBin([
      'gate',
      '--baseline',
      results(1),
      '--current',
      results(1, (x) => (x.env = { ...x.env, cores: 8 })),
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      "Error: baseline and current ran on different machines (cores: baseline 2 cores, current 8 cores): a difference would be the machine's, not the code's. Measure both sides on one machine, or pass --ignore-option machine to compare anyway.\n",
    );
    assert.equal(r.stdout, '');
  });

  it('with --ignore-option machine compares anyway, the warning first', async () => {
    const r = await runBin([
      'gate',
      '--baseline',
      results(1),
      '--current',
      results(1, (x) => (x.env = { ...x.env, cores: 8 })),
      '--ignore-option',
      'machine',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stderr.split('\n')[0],
      "WARNING: baseline and current ran on different machines: cores: baseline 2 cores, current 8 cores. A difference may be the machine's, not the code's.",
    );
  });

  it('bench capacity: a falling fit under an SLO every point breaks is "fit unusable", not "no limit"', async () => {
    const folder = path.join(files, 'capacity');
    for (const clients of [1000, 2000, 5000, 10000]) {
      const x = makeResult('ws', clients);
      x.connectMs!.p99 = 900 - 0.01 * clients;
      writeJson(path.join(folder, `ws-${clients}.json`), x);
    }
    const html = path.join(files, 'capacity.html');
    const r = await runBin([
      'capacity',
      folder,
      '--memory',
      '8GiB',
      '--slo',
      'connect.p99<500ms',
      '--users',
      '200000',
      '--html',
      html,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /no limit/);
    assert.match(
      r.stderr,
      /\n {2}connect\.p99<500ms +fit unusable +connect\.p99 = -0\.01 ms × clients \+ 900 ms does not grow/,
    );
    assert.match(
      r.stderr,
      /\n {2}max per server: not predicted: connect\.p99<500ms fit unusable and every measured point already breaks it\n/,
    );
    const report = JSON.parse(r.stdout) as {
      series: { maxClients: number | null; unpredicted: string | null; limits: { unusable: string | null }[] }[];
    };
    assert.equal(report.series[0]!.maxClients, null);
    assert.equal(
      report.series[0]!.unpredicted,
      'connect.p99<500ms fit unusable and every measured point already breaks it',
    );
    assert.match(report.series[0]!.limits[1]!.unusable!, /every measured point already breaks it \(lowest 800 ms\)$/);
    assert.match(fs.readFileSync(html, 'utf8'), /<b>not predicted<\/b>/);
  });
});
