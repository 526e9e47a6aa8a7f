import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  bestGrowthFit,
  parseHeadroom,
  parseUsers,
  resolveCapacityOptions,
  runCapacity,
  solveFor,
  type CapacityReport,
} from '../../reports/capacity/capacity';
import { formatCapacityText } from '../../reports/capacity/text';
import { renderCapacityHtml } from '../../reports/capacity/html';
import { parseSize, parseSlo } from '../../runner/metrics/expr';
import type { SweepCell, SweepManifest } from '../../runner/result/manifest';
import type { RunResult } from '../../runner/result/build';
import { baseResult, tempDir, writeJson } from '../helpers/report-fixtures';
import { usageMessage } from '../helpers/usage';

const close = (actual: number, expected: number, tolerance: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what} ${actual} is not within ${tolerance} of ${expected}`);

/** What one run measured, as functions of its client level. */
interface Law {
  lib?: 'ws' | 'socketio' | 'sockjs';
  /** server RSS steady (bytes) */
  rss: (clients: number) => number;
  /** connect p99 (ms) */
  connectP99: (clients: number) => number;
  /** server CPU (% of one core); null: not sampled */
  cpu?: (clients: number) => number | null;
  /** time to first message p99 (ms); absent: the schemaVersion-1 fixture has none */
  timeToFirstMessageP99?: (clients: number) => number;
}

function run(clients: number, law: Law, trial = 1): RunResult {
  const r = baseResult();
  r.lib = law.lib ?? 'ws';
  r.options.clients = clients;
  r.clients = { requested: clients, connected: clients, failed: 0 };
  r.server.rssBytes = { idle: 50_000_000, steady: law.rss(clients), peak: law.rss(clients) * 1.05 };
  r.server.bytesPerClient = Math.round((law.rss(clients) - 50_000_000) / clients);
  r.server.cpuPercent = law.cpu ? law.cpu(clients) : null;
  r.connectMs = { ...r.connectMs!, p99: law.connectP99(clients) };
  if (law.timeToFirstMessageP99) {
    r.schemaVersion = 2;
    r.timeToFirstMessageMs = { ...r.connectMs, p99: law.timeToFirstMessageP99(clients) };
  }
  r.startedAt = `2026-01-01T00:00:${String(trial).padStart(2, '0')}.000Z`;
  return r;
}

const root = tempDir('bench-capacity-');
after(() => fs.rmSync(root, { recursive: true, force: true }));
let sweeps = 0;

/** Writes a sweep folder (manifest.json + cells/*.json) with one cell per run; null writes no result. */
function sweep(runs: (RunResult | null)[]): string {
  const dir = path.join(root, `sweep-${++sweeps}`);
  const cells: SweepCell[] = runs.map((r, index) => {
    const file = `cells/${index}.json`;
    if (r) writeJson(path.join(dir, file), r);
    return {
      index,
      lib: (r?.lib ?? 'ws') as SweepCell['lib'],
      clients: r?.options.clients ?? 20_000,
      trial:
        1 + runs.slice(0, index).filter((x) => x?.options.clients === r?.options.clients && x?.lib === r?.lib).length,
      file,
      args: [],
      status: r ? r.status : 'errored',
      ...(r ? { valid: r.loadgen.valid } : { error: 'bench run exited with code 1' }),
    };
  });
  const manifest: SweepManifest = {
    schemaVersion: 1,
    kind: 'bench-sweep',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:10:00.000Z',
    preset: null,
    assumptions: [],
    options: { libs: ['ws'], clients: [], trials: 1, scenario: 'echo', runArgs: [] },
    env: baseResult().env,
    cells,
    fixedCost: null,
    wallSeconds: 600,
  };
  writeJson(path.join(dir, 'manifest.json'), manifest);
  return dir;
}

const LEVELS = [1000, 2000, 5000, 10000];
/** 50 MB plus 20 kB per client; connect p99 5 ms plus 0.05 ms per client; CPU not sampled. */
const EXACT: Law = { rss: (n) => 50_000_000 + 20_000 * n, connectP99: (n) => 5 + 0.05 * n };
const exactSweep = sweep(LEVELS.map((n) => run(n, EXACT)));

function capacity(
  inputs: string,
  flags: { memory?: string; cpuHeadroom?: string; slo?: string[]; users?: string } = {},
) {
  return runCapacity(resolveCapacityOptions({ inputs, ...flags }));
}

const only = (r: CapacityReport) => {
  assert.equal(r.series.length, 1);
  return r.series[0]!;
};

describe('memory fit', () => {
  it('recovers a known slope and intercept with R² = 1', () => {
    const s = only(capacity(exactSweep, { memory: '8GiB' }));
    close(s.memory!.slope, 20_000, 1e-6, 'slope (bytes/client)');
    close(s.memory!.intercept, 50_000_000, 1e-3, 'intercept (bytes)');
    assert.equal(s.memory!.r2, 1);
    assert.equal(s.memory!.n, 4);
    assert.equal(s.points.length, 4);
    assert.deepEqual(s.dropped, []);
  });

  it('gives R² < 1 on noisy data', () => {
    const noise = [1.03, 0.96, 1.04, 0.98];
    const dir = sweep(LEVELS.map((n, i) => run(n, { ...EXACT, rss: (c) => EXACT.rss(c) * noise[i]! })));
    const s = only(capacity(dir));
    assert.ok(s.memory!.r2 < 1 && s.memory!.r2 > 0.9, `R² ${s.memory!.r2}`);
    close(s.memory!.slope, 20_000, 3_000, 'slope stays near the truth');
  });

  it('predicts the memory limit and warns about extrapolation', () => {
    const r = capacity(exactSweep, { memory: '8GiB', users: '1000000' });
    const s = only(r);
    // (8 × 2^30 − 50,000,000) / 20,000 = 426,996.7
    assert.equal(s.maxClients, 426_996);
    assert.equal(s.binding!.constraint, 'memory');
    assert.equal(s.binding!.name, 'memory 8.00 GiB');
    // planned at the default 70 %: 298,897 a server; 1,000,000 / 298,897 = 3.3
    assert.equal(s.plannedClients, 298_897);
    assert.equal(s.serversNeeded, 4);
    assert.ok(
      s.warnings.includes(
        'memory 8.00 GiB: prediction at 426,996 clients is 43× the largest measured level 10,000; measure closer to it before relying on it',
      ),
      s.warnings.join('\n'),
    );
  });

  it('defaults the memory limit to the sweep machine’s and says so', () => {
    const r = capacity(exactSweep);
    assert.equal(r.memorySource, 'sweep machine');
    assert.equal(r.memoryBytes, baseResult().env.memoryBytes);
    assert.match(r.notes[0]!, /^memory limit: 23\.54 GiB, the memory of the machine that ran the sweep/);
  });
});

describe('latency fits and limits', () => {
  it('chooses the line for linear growth and solves it for the SLO', () => {
    const s = only(capacity(exactSweep, { memory: '8GiB', slo: ['connect.p99<500ms'], users: '200000' }));
    const g = s.latency.find((l) => l.metric === 'connect.p99')!;
    assert.equal(g.model!.kind, 'linear');
    assert.equal(g.model!.r2, 1);
    // (500 − 5) / 0.05 = 9,900, below the memory limit: the SLO binds.
    assert.equal(s.maxClients, 9900);
    assert.equal(s.binding!.constraint, 'slo');
    assert.equal(s.binding!.name, 'connect.p99<500ms');
    // planned at 70 %: 6,930 a server; 200,000 / 6,930 = 28.9
    assert.equal(s.serversNeeded, 29);
    assert.ok(!s.warnings.some((w) => w.startsWith('connect.p99<500ms')), 'no extrapolation inside the range');
  });

  it('lets memory bind when the SLO is loose', () => {
    const s = only(capacity(exactSweep, { memory: '1GiB', slo: ['connect.p99<5s'], users: '200000' }));
    // memory: (2^30 − 50,000,000) / 20,000 = 51,187; SLO: (5000 − 5) / 0.05 = 99,900
    assert.deepEqual(
      s.limits.map((l) => [l.constraint, l.maxClients]),
      [
        ['memory', 51_187],
        ['slo', 99_900],
      ],
    );
    assert.equal(s.binding!.constraint, 'memory');
    // planned at 70 %: 35,830 a server; 200,000 / 35,830 = 5.6
    assert.equal(s.serversNeeded, 6);
    assert.ok(
      s.warnings.includes(
        'connect.p99<5s: prediction at 99,900 clients is 10× the largest measured level 10,000; measure closer to it before relying on it',
      ),
    );
  });

  it('fits the time to the first message users wait for, not connected → welcome', () => {
    const dir = sweep(LEVELS.map((n) => run(n, { ...EXACT, timeToFirstMessageP99: (c) => 6 + 0.1 * c })));
    const s = only(capacity(dir, { memory: '8GiB', slo: ['timeToFirstMessage.p99<1s'] }));
    assert.deepEqual(
      s.latency.map((l) => l.metric),
      ['connect.p50', 'connect.p99', 'timeToFirstMessage.p50', 'timeToFirstMessage.p99'],
    );
    // (1000 − 6) / 0.1 = 9,940
    assert.equal(s.maxClients, 9940);
    assert.equal(s.binding!.name, 'timeToFirstMessage.p99<1s');
    // A schemaVersion-1 result has no time to first message: nothing to fit, nothing invented.
    const v1 = only(capacity(exactSweep));
    assert.equal(v1.latency.find((l) => l.metric === 'timeToFirstMessage.p99')!.model, null);
  });

  it('chooses a power law when it fits better', () => {
    const dir = sweep(LEVELS.map((n) => run(n, { ...EXACT, connectP99: (c) => 0.002 * c ** 1.5 })));
    const s = only(capacity(dir, { memory: '8GiB', slo: ['connect.p99<500ms'] }));
    const m = s.latency.find((l) => l.metric === 'connect.p99')!.model!;
    assert.equal(m.kind, 'power');
    assert.ok(m.kind === 'power');
    close(m.exponent, 1.5, 1e-9);
    close(m.coefficient, 0.002, 1e-12);
    assert.equal(m.r2, 1);
    // (500 / 0.002)^(1/1.5) = 3,968.5
    assert.equal(s.maxClients, 3968);
  });

  it('plans each server at the headroom, and takes no limit from the runs’ CPU', () => {
    const dir = sweep(LEVELS.map((n) => run(n, { ...EXACT, cpu: (c) => 2 + 0.005 * c })));
    const s = only(capacity(dir, { memory: '1GiB', cpuHeadroom: '0.5', users: '100000' }));
    assert.deepEqual(
      s.limits.map((l) => l.constraint),
      ['memory'],
    );
    assert.equal(s.cpu!.r2, 1, 'CPU is still fitted and shown');
    assert.equal(s.maxClients, 51_187);
    assert.equal(s.plannedClients, 25_593);
    assert.equal(s.serversNeeded, 4);
  });

  it('has no limit from a latency that does not grow', () => {
    const flat = bestGrowthFit([1, 2, 3], [5, 5, 5])!;
    assert.equal(solveFor(flat, 10), null);
    const s = only(
      capacity(sweep(LEVELS.map((n) => run(n, { ...EXACT, connectP99: () => 7 }))), { slo: ['connect.p99<500ms'] }),
    );
    const slo = s.limits.find((l) => l.constraint === 'slo')!;
    assert.equal(slo.maxClients, null);
    assert.equal(slo.brokenPoints, 0);
    assert.equal(s.binding!.constraint, 'memory');
    assert.equal(s.unpredicted, null);
    assert.ok(
      s.warnings.includes(
        'connect.p99<500ms: fit unusable, left out of the answer: connect.p99 = 0 ms × clients + 7.00 ms does not grow with clients, so it cannot say where it reaches 500 ms; under 500 ms at every measured level up to 10,000 clients',
      ),
      s.warnings.join('\n'),
    );
  });
});

describe('points used and dropped', () => {
  it('drops errored, invalid and missing runs and says why', () => {
    const bad = run(20_000, EXACT);
    bad.loadgen = { ...bad.loadgen, valid: false, invalidReasons: ['the load generator was saturated <script>'] };
    const errored = { ...run(7000, EXACT), status: 'errored' as const, error: 'server died' };
    const dir = sweep([...LEVELS.map((n) => run(n, EXACT)), bad, errored, null]);
    const s = only(capacity(dir, { memory: '8GiB' }));
    assert.equal(s.points.length, 4);
    assert.deepEqual(
      s.dropped.map((d) => [d.clients, d.reason]),
      [
        [7000, 'errored: server died'],
        [20_000, 'invalid: the load generator was saturated <script>'],
        [20_000, 'no result: bench run exited with code 1 (no result file: cells/6.json cannot be read (ENOENT))'],
      ],
    );
    // The fit is the same as without them.
    assert.equal(s.memory!.r2, 1);
    assert.equal(s.maxMeasuredClients, 10_000);
    const text = formatCapacityText(capacity(dir, { memory: '8GiB' }));
    assert.match(text, /\nws: 4 runs used, 3 dropped; largest measured level 10,000 clients\n/);
    assert.match(text, /\n {2}dropped: 7,000 clients, trial 1: errored: server died\n/);
  });

  it('cannot fit a single level and says so', () => {
    const s = only(capacity(sweep([run(1000, EXACT), run(1000, EXACT)]), { memory: '8GiB', users: '10' }));
    assert.equal(s.memory, null);
    assert.equal(s.maxClients, null);
    assert.equal(s.serversNeeded, null);
    assert.ok(
      s.warnings.includes(
        'all used runs are at 1,000 clients: fits needs completed, valid runs at 2 or more client levels',
      ),
    );
    assert.equal(
      s.limits[0]!.unusable,
      'RSS not fitted: needs completed, valid runs at 2 or more client levels; under 8.00 GiB at every measured level up to 1,000 clients',
    );
    assert.equal(s.unpredicted, 'no usable fit (memory 8.00 GiB)');
    assert.ok(s.warnings.includes('no server count: no usable fit (memory 8.00 GiB)'), s.warnings.join('\n'));
  });
});

describe('unusable fits', () => {
  const falling = (top: number, perClient: number): Law => ({ ...EXACT, connectP99: (n) => top - perClient * n });
  const flags = { memory: '8GiB', slo: ['connect.p99<500ms'], users: '200000' };

  it('says the fit is unusable, not "no limit", when its slope falls and every point breaks the SLO', () => {
    // 890 ms at 1,000 clients down to 800 ms at 10,000: all over 500 ms, the line never reaches it.
    const r = capacity(sweep(LEVELS.map((n) => run(n, falling(900, 0.01)))), flags);
    const s = only(r);
    const slo = s.limits.find((l) => l.constraint === 'slo')!;
    assert.equal(slo.maxClients, null);
    assert.equal(slo.brokenPoints, 4);
    assert.equal(
      slo.unusable,
      'connect.p99 = -0.01 ms × clients + 900 ms does not grow with clients, so it cannot say where it reaches 500 ms; every measured point already breaks it (lowest 800 ms)',
    );
    assert.equal(slo.detail, slo.unusable);
    assert.equal(s.maxClients, null);
    assert.equal(s.binding, null);
    assert.equal(s.plannedClients, null);
    assert.equal(s.serversNeeded, null);
    assert.equal(s.unpredicted, 'connect.p99<500ms fit unusable and every measured point already breaks it');
    assert.ok(s.warnings.includes(`no server count: ${s.unpredicted}`), s.warnings.join('\n'));
    // The memory limit is still shown on its own row.
    assert.equal(s.limits.find((l) => l.constraint === 'memory')!.maxClients, 426_996);

    const text = formatCapacityText(r);
    assert.ok(!text.includes('no limit'), text);
    assert.match(
      text,
      /\n {2}connect\.p99<500ms +fit unusable +connect\.p99 = -0\.01 ms × clients \+ 900 ms does not grow/,
    );
    assert.ok(
      text.includes(
        '\n  max per server: not predicted: connect.p99<500ms fit unusable and every measured point already breaks it\n',
      ),
      text,
    );
    const json = JSON.parse(JSON.stringify(r)) as CapacityReport;
    assert.equal(json.series[0]!.unpredicted, s.unpredicted);
    assert.equal(json.series[0]!.limits[1]!.unusable, slo.unusable);
    const html = renderCapacityHtml(r);
    assert.ok(html.includes('<b>not predicted</b><div class="note">connect.p99&lt;500ms fit unusable'), 'summary cell');
    assert.ok(html.includes('connect.p99&lt;500ms: <b>fit unusable</b> — connect.p99 = -0.01 ms'), 'limit row');
  });

  it('counts the points that break the SLO when only some do', () => {
    // 580, 560, 500 and 400 ms: the first three break "< 500 ms".
    const s = only(capacity(sweep(LEVELS.map((n) => run(n, falling(600, 0.02)))), flags));
    assert.equal(s.limits[1]!.brokenPoints, 3);
    assert.match(s.limits[1]!.unusable!, /; 3 of 4 measured points already break it$/);
    assert.equal(s.unpredicted, 'connect.p99<500ms fit unusable and 3 of 4 measured points already break it');
    assert.equal(s.maxClients, null);
  });

  it('gives no answer from a memory fit that falls, and says why', () => {
    const dir = sweep(LEVELS.map((n) => run(n, { ...EXACT, rss: (c) => 300_000_000 - 1000 * c })));
    const r = capacity(dir, { memory: '8GiB', users: '1000' });
    const s = only(r);
    assert.match(s.limits[0]!.unusable!, /^RSS = -1000 B × clients \+ 286\.1 MiB does not grow with clients/);
    assert.equal(s.unpredicted, 'no usable fit (memory 8.00 GiB)');
    assert.match(formatCapacityText(r), /\n {2}max per server: not predicted: no usable fit \(memory 8\.00 GiB\)\n/);
  });
});

describe('formatCapacityText', () => {
  it('names the fits, the limits and the answer', () => {
    const text = formatCapacityText(capacity(exactSweep, { memory: '1GiB', slo: ['connect.p99<5s'], users: '200000' }));
    const lines = text.split('\n');
    assert.equal(
      lines[1],
      '  memory 1.00 GiB, headroom: fill 70.0 % of each server, SLO connect.p99<5s, 200,000 users',
    );
    assert.ok(
      lines.includes(
        '  max per server: 51,187 clients (memory 1.00 GiB binds); planned at 70.0 %: 35,830; servers for 200,000 users: 6',
      ),
      text,
    );
    assert.match(text, /\n {2}memory +RSS = 19\.5 KiB × clients \+ 47\.7 MiB +1\.000 +4\n/);
    assert.match(text, /\n {2}connect\.p99 +latency = 0\.05 ms × clients \+ 5\.00 ms \(linear\) +1\.000 +4\n/);
  });
});

describe('renderCapacityHtml', () => {
  const bad = run(20_000, EXACT);
  bad.loadgen = { ...bad.loadgen, valid: false, invalidReasons: ['</script><script>alert(1)</script>'] };
  const html = renderCapacityHtml(
    capacity(sweep([...LEVELS.map((n) => run(n, { ...EXACT, cpu: (c) => 2 + 0.005 * c })), bad]), {
      memory: '8GiB',
      slo: ['connect.p99<500ms'],
      users: '200000',
    }),
  );

  it('is self-contained: a CSP, chart.js inlined, no external reference', () => {
    assert.match(
      html,
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'/,
    );
    assert.ok(html.includes('window.__benchReportReady = true'));
    // The runs' result schemaVersion, so a page made from old results can be told apart (these are 1).
    assert.ok(html.includes('<meta name="bench-schema-version" content="1">'));
    assert.ok(html.length > 150_000, 'chart.js is inlined');
    assert.doesNotMatch(html, /<script[^>]+src=|<link |@import|\burl\(/i);
  });

  it('draws memory and the SLO metric', () => {
    assert.deepEqual(
      [...html.matchAll(/<canvas id="[^"]+" data-figure="([^"]+)"/g)].map((m) => m[1]),
      ['memory', 'connect.p99'],
    );
    const data = JSON.parse(/<script type="application\/json" id="capacity-data">(.*?)<\/script>/s.exec(html)![1]!);
    const memory = data.figures[0];
    assert.equal(memory.series[0].points.length, 4);
    assert.equal(memory.series[0].limitX, 426_996);
    close(memory.limitY, 8 * 1024, 1e-9, 'memory limit (MiB)');
    assert.ok(memory.series[0].fit.length > 10);
  });

  it('draws connect and the time to the first message without an SLO', () => {
    const plain = renderCapacityHtml(
      capacity(sweep(LEVELS.map((n) => run(n, { ...EXACT, timeToFirstMessageP99: (c) => 6 + 0.1 * c })))),
    );
    assert.deepEqual(
      [...plain.matchAll(/<canvas id="[^"]+" data-figure="([^"]+)"/g)].map((m) => m[1]),
      ['memory', 'connect.p99', 'timeToFirstMessage.p99'],
    );
  });

  it('escapes text from results', () => {
    assert.ok(!html.includes('<script>alert(1)'));
    assert.ok(html.includes('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;'));
  });
});

describe('parsing', () => {
  it('reads sizes in decimal and binary units', () => {
    assert.equal(parseSize('8GiB'), 8 * 2 ** 30);
    assert.equal(parseSize('512MB'), 512e6);
    assert.equal(parseSize('1.5GB'), 1.5e9);
    assert.equal(parseSize('64 kib'), 65_536);
  });

  it('names the bad size and the fix', () => {
    assert.equal(
      usageMessage(() => parseSize('eight')),
      '--memory "eight" is not a size. Give a number and a unit (B, KB, MB, GB, TB, KiB, MiB, GiB or TiB). Example: --memory 8GiB',
    );
    assert.equal(
      usageMessage(() => parseSize('8')),
      '--memory "8" needs a unit: B, KB, MB, GB, TB, KiB, MiB, GiB or TiB. Example: --memory 8GiB',
    );
    assert.equal(
      usageMessage(() => parseSize('8gigs')),
      '--memory "8gigs": unknown unit "gigs". Use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB. Example: --memory 8GiB',
    );
    assert.equal(
      usageMessage(() => parseSize('0GiB')),
      '--memory must be more than 0 (got "0GiB"). Example: --memory 8GiB',
    );
  });

  it('reads SLOs in ms or s', () => {
    assert.deepEqual(parseSlo('connect.p99<500ms'), {
      expression: 'connect.p99<500ms',
      metric: 'connect.p99',
      limitMs: 500,
    });
    assert.deepEqual(parseSlo('timeToFirstMessage.p90 <= 1.5s'), {
      expression: 'timeToFirstMessage.p90 <= 1.5s',
      metric: 'timeToFirstMessage.p90',
      limitMs: 1500,
    });
  });

  it('names the bad SLO and the fix', () => {
    assert.equal(
      usageMessage(() => parseSlo('fast')),
      '--slo "fast" is not METRIC<VALUE with a unit. Example: --slo "connect.p99<500ms"',
    );
    assert.equal(
      usageMessage(() => parseSlo('echo.p99<5ms')),
      '--slo "echo.p99<5ms": unknown metric "echo.p99". Known: connect.p50, connect.p90, connect.p99, timeToFirstMessage.p50, timeToFirstMessage.p90, timeToFirstMessage.p99, room.p50, room.p90, room.p99.',
    );
    assert.equal(
      usageMessage(() => parseSlo('connect.p99>5ms')),
      '--slo "connect.p99>5ms": an SLO is an upper limit, so use < or <= (got ">"). Example: --slo "connect.p99<500ms"',
    );
    assert.equal(
      usageMessage(() => parseSlo('connect.p99<500')),
      '--slo "connect.p99<500": give the limit in ms or s (got no unit). Example: --slo "connect.p99<500ms"',
    );
    assert.equal(
      usageMessage(() => parseSlo('connect.p99<500us')),
      '--slo "connect.p99<500us": give the limit in ms or s (got "us"). Example: --slo "connect.p99<500ms"',
    );
  });

  it('checks the headroom, the users and the input', () => {
    assert.equal(parseHeadroom(undefined), 0.7);
    assert.equal(parseHeadroom('0.5'), 0.5);
    assert.equal(
      usageMessage(() => parseHeadroom('70')),
      '--cpu-headroom must be a fraction above 0 and at most 1 (got "70"; for 70 % write 0.7). Example: --cpu-headroom 0.7',
    );
    assert.equal(
      usageMessage(() => parseHeadroom('0')),
      '--cpu-headroom must be a fraction above 0 and at most 1 (got "0"). Example: --cpu-headroom 0.7',
    );
    assert.equal(parseUsers('200000'), 200_000);
    assert.equal(
      usageMessage(() => parseUsers('lots')),
      '--users must be a whole number of 1 or more (got "lots"). Example: --users 200000',
    );
    assert.equal(
      usageMessage(() => resolveCapacityOptions({})),
      'Missing sweep folder. Give the folder bench sweep wrote, e.g. bench capacity results/sweep-1 --memory 8GiB.',
    );
    assert.equal(
      usageMessage(() => capacity(path.join(root, 'nope'))),
      `capacity: ${path.join(root, 'nope')} does not exist. Give a sweep folder (with manifest.json) or result .json files.`,
    );
  });
});
