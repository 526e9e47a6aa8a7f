import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { loadInputs, renderHtml, renderMarkdown, writeReport } from '../../reports/report/index';
import {
  lineThroughMean,
  memoryUnit,
  slopeText,
  soakFigure,
  soaksHtml,
  soaksMarkdown,
} from '../../reports/report/soak';
import type { SoakFigureData } from '../../reports/browser/figure-data';
import { soakFits, soakVerdict } from '../../runner/run/soak-verdict';
import type { SoakResult, SoakSample } from '../../runner/result/soak-schema';
import { SCHEMA_VERSION } from '../../runner/result/schema';
import { baseResult, HOSTILE_ERROR, tempDir, writeJson } from '../helpers/report-fixtures';

const SOAK_SCHEMA = path.resolve(__dirname, '../../../docs/soak.schema.json');
const validateSoak = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false }).compile(
  JSON.parse(fs.readFileSync(SOAK_SCHEMA, 'utf8')) as object,
);

/** A fixed pseudo-random sequence in [-1, 1): the tests stay the same run to run. */
function noise(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return (s / 2 ** 31) * 2 - 1;
  };
}

/** One sample a second, 50 cycles a second, 100 clients open; memory grows `perCycle` bytes a cycle. */
function series(seconds: number, perCycle: number, seed = 1): SoakSample[] {
  const rand = noise(seed);
  return Array.from({ length: seconds }, (_, t) => ({
    t,
    cycles: t * 50,
    open: 100,
    heapUsedBytes: Math.round(8e6 + perCycle * t * 50 + 20_000 * rand()),
    externalBytes: 1_000_000,
    arrayBuffersBytes: 500_000,
    rssBytes: Math.round(60e6 + perCycle * t * 50 + 200_000 * rand()),
  }));
}

/**
 * A `bench soak` result around `samples`, fitted and judged by the runner's own functions (from
 * `fitFrom` s on), held to docs/soak.schema.json.
 */
function soakResult(
  samples: SoakSample[],
  o: { lib?: string; status?: SoakResult['status']; error?: string; fitFrom?: number; retain?: number } = {},
): SoakResult {
  const fitFrom = o.fitFrom ?? 4;
  const { fit, rssFit } = soakFits(samples, fitFrom);
  const cycles = samples.at(-1)?.cycles ?? 0;
  const r: SoakResult = {
    schemaVersion: SCHEMA_VERSION,
    kind: 'bench-soak',
    lib: o.lib ?? 'ws',
    startedAt: '2026-12-06T10:00:00.000Z',
    finishedAt: '2026-12-06T10:00:30.000Z',
    status: o.status ?? 'completed',
    error: o.error ?? null,
    config: {
      transport: 'websocket',
      deflate: false,
      clients: 100,
      churnPerSecond: 50,
      durationSeconds: 20,
      warmupSeconds: 2,
      abruptShare: 0.5,
      meanLifeSeconds: 2,
      fitFromSeconds: fitFrom,
      echoEveryMs: 1000,
      sampleIntervalMs: 1000,
      retainPerConnectionBytes: o.retain ?? 0,
    },
    verdict: soakVerdict(fit, cycles),
    cyclesCompleted: cycles,
    cyclesClean: cycles - Math.floor(cycles / 2),
    cyclesAbrupt: Math.floor(cycles / 2),
    connected: cycles + 100,
    failed: 0,
    dropped: 0,
    fit,
    rssFit,
    series: samples,
    heapGrowth: null,
    env: baseResult().env,
  };
  assert.ok(validateSoak(r), JSON.stringify(validateSoak.errors, null, 2));
  return r;
}

const leak = () => soakResult(series(24, 16_384), { retain: 16_384 });
const flat = () => soakResult(series(24, 0, 2));
/** Samples only before the fit starts: nothing to fit. */
const unfit = () => soakResult(series(6, 0), { fitFrom: 10 });
const errored = () => soakResult(series(3, 0), { status: 'errored', error: 'the ws server exited', fitFrom: 1 });

/** The soak table's rows, cells split on unescaped pipes. */
function rows(results: SoakResult[]): string[][] {
  const lines = soaksMarkdown(results.map((result, i) => ({ file: `/tmp/soak-${i}.json`, result })));
  return lines
    .filter((l) => l.startsWith('| ') && !l.startsWith('| library'))
    .map((l) =>
      l
        .slice(2, -2)
        .split(/(?<!\\) \| /)
        .map((c) => c.trim()),
    );
}

const COLUMNS = {
  lib: 0,
  options: 1,
  load: 2,
  duration: 3,
  cycles: 4,
  slope: 5,
  detectable: 6,
  rss: 7,
  verdict: 8,
};

describe('the fitted line through the mean', () => {
  it('passes through points on an exact line, from the first x to the last', () => {
    const points = [3, 1, 7, 4].map((x) => ({ x, y: 5 + 2 * x }));
    assert.deepEqual(lineThroughMean(points, 2), [
      { x: 1, y: 7 },
      { x: 7, y: 19 },
    ]);
    assert.equal(lineThroughMean([], 2), null);
  });

  it('goes through every fitted sample of y = 5 + 2 · cycles with the population constant, not the warm-up', () => {
    const samples: SoakSample[] = Array.from({ length: 12 }, (_, t) => ({
      t,
      cycles: t * 40,
      open: 100,
      // The warm-up is far off the line: the line must not be pulled towards it.
      heapUsedBytes: 5 + 2 * t * 40 - 100 + (t < 4 ? 3_000 : 0),
      externalBytes: 100,
      arrayBuffersBytes: 0,
      rssBytes: 50 * 1024 ** 2,
    }));
    const r = soakResult(samples, { fitFrom: 4 });
    assert.ok(Math.abs(r.fit!.slopePer1000 - 2_000) < 1e-6, String(r.fit!.slopePer1000));
    const fig = soakFigure(r, 'fig-soak-1');
    assert.equal(fig.unit, 'MiB');
    const heap = fig.series[0]!;
    assert.equal(heap.warmup.length, 4);
    assert.equal(heap.fitted.length, 8);
    const [a, b] = heap.line!;
    assert.equal(a.x, 160);
    assert.equal(b.x, 440);
    const slope = (b.y - a.y) / (b.x - a.x);
    for (const p of heap.fitted) {
      assert.ok(Math.abs(a.y + slope * (p.x - a.x) - p.y) < 1e-12, `(${p.x}, ${p.y}) off the line`);
      assert.ok(Math.abs(p.y * 1024 ** 2 - (5 + 2 * p.x)) < 1e-6);
    }
  });
});

describe('soak figure data', () => {
  it('draws both fits, RSS in grey squares, in MiB when the memory is over 1 MiB', () => {
    const fig: SoakFigureData = soakFigure(leak(), 'fig-soak-1');
    assert.deepEqual(
      fig.series.map((s) => [s.name, s.pointStyle, s.warmup.length, s.fitted.length, s.line !== null]),
      [
        ['heap used + external', 'circle', 4, 20, true],
        ['RSS', 'rect', 4, 20, true],
      ],
    );
    assert.equal(fig.yTitle, 'server memory after a full GC (MiB)');
    assert.match(fig.series[0]!.lineLabel, /^heap used \+ external, fitted: 16,0\d\d\.\d KiB per 1,000 cycles$/);
  });

  it('draws no line where nothing was fitted', () => {
    const fig = soakFigure(unfit(), 'fig-soak-1');
    assert.deepEqual(
      fig.series.map((s) => [s.fitted.length, s.line]),
      [
        [0, null],
        [0, null],
      ],
    );
  });

  it('picks binary units: KiB under 1 MiB, MiB from it', () => {
    assert.deepEqual(memoryUnit(1024 ** 2 - 1), { name: 'KiB', bytes: 1024 });
    assert.deepEqual(memoryUnit(1024 ** 2), { name: 'MiB', bytes: 1024 ** 2 });
  });
});

describe('soak Markdown rows', () => {
  it('prints slopes in KiB per 1,000 with the interval', () => {
    const fit = { slopePer1000: 16_384_000, ci95: [-1_536, 2_048] as [number, number] };
    assert.equal(slopeText({ ...fit, metric: 'rss', detectablePer1000: 0, r2: 1, n: 10 }), '16,000.0 (-1.5 to 2.0)');
    assert.equal(slopeText(null), '–');
  });

  it('a leak: its slope near what was kept, and "leaks"', () => {
    const [row] = rows([leak()]);
    assert.equal(row![COLUMNS.lib], 'ws');
    assert.equal(row![COLUMNS.options], 'deflate off · test leak of 16.0 KiB per connection');
    assert.equal(row![COLUMNS.load], '100 × 50/s');
    assert.equal(row![COLUMNS.duration], '2 s warm-up + 20 s');
    assert.equal(row![COLUMNS.cycles], '1,150 (575)');
    assert.match(row![COLUMNS.slope]!, /^16,0\d\d\.\d \(15,\d{3}\.\d to 16,\d{3}\.\d\)$/);
    assert.match(row![COLUMNS.rss]!, /^1[56],\d{3}\.\d \(/);
    assert.equal(row![COLUMNS.verdict], 'leaks');
  });

  it('no growth: the detection floor, never a bare "no leak"', () => {
    const r = flat();
    assert.equal(r.verdict.kind, 'no-growth');
    const [row] = rows([r]);
    assert.equal(row![COLUMNS.options], 'deflate off');
    assert.equal(row![COLUMNS.detectable], (r.fit!.detectablePer1000 / 1024).toFixed(1));
    assert.equal(row![COLUMNS.verdict], 'no growth detected');
  });

  it('unfit: no slope shown, and why', () => {
    const r = unfit();
    assert.equal(r.verdict.kind, 'unfit');
    const [row] = rows([r]);
    assert.deepEqual([row![COLUMNS.slope], row![COLUMNS.detectable], row![COLUMNS.rss]], ['–', '–', '–']);
    assert.match(row![COLUMNS.verdict]!, /^no slope could be fitted \(250 connection cycles/);
  });

  it('errored: says so first; a slope only when one was fitted', () => {
    const [none] = rows([errored()]);
    assert.deepEqual([none![COLUMNS.slope], none![COLUMNS.rss]], ['–', '–']);
    assert.match(none![COLUMNS.verdict]!, /^errored: the ws server exited; no slope could be fitted/);
    const cut = soakResult(series(24, 16_384), { status: 'aborted', error: 'interrupted by SIGINT' });
    const [row] = rows([cut]);
    assert.match(row![COLUMNS.slope]!, /^16,0/);
    assert.equal(
      row![COLUMNS.verdict],
      'aborted: interrupted by SIGINT; over the 20 samples fitted before it stopped, leaks',
    );
  });

  it('names the polling fallback and deflate', () => {
    const r = flat();
    r.lib = 'socketio';
    r.config.transport = 'polling';
    r.config.deflate = true;
    assert.equal(rows([r])[0]![COLUMNS.options], 'polling fallback on · deflate on');
    r.config.transport = 'websocket';
    assert.equal(rows([r])[0]![COLUMNS.options], 'websocket only · deflate on');
  });
});

describe('bench report with soak results only', () => {
  let dir: string;
  before(() => {
    dir = tempDir('bench-report-soak-');
    writeJson(path.join(dir, 'in', 'leak.json'), leak());
    writeJson(
      path.join(dir, 'in', 'errored.json'),
      soakResult(series(3, 0), { status: 'errored', error: HOSTILE_ERROR, fitFrom: 1 }),
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes both files and counts the soaks', () => {
    const written = writeReport({
      inputs: [path.join(dir, 'in')],
      html: path.join(dir, 'r.html'),
      markdown: path.join(dir, 'r.md'),
    });
    assert.equal(written.cells, 0);
    assert.equal(written.soaks, 2);
    assert.equal(written.limits, undefined);
  });

  it('HTML: a figure per soak with its caption, no empty run figures, hostile text escaped', () => {
    const html = renderHtml(loadInputs([path.join(dir, 'in')]));
    assert.match(html, /<p class="lead">2 bench soak results\.<\/p>/);
    assert.match(html, /<h2>Memory over connection cycles \(bench soak\)<\/h2>/);
    assert.equal([...html.matchAll(/<canvas id="fig-soak-\d" data-figure="soak"/g)].length, 2);
    assert.doesNotMatch(html, /id="figures"|id="toggle-study"|id="cells"/);
    assert.match(html, /<strong>leaks about 16,0\d\d\.\d KiB per 1,000 connections/);
    assert.ok(!html.includes('<script>alert(1)</script>'));
    const data = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html);
    const page = JSON.parse(data![1]!) as { figures: unknown[]; soaks: SoakFigureData[] };
    assert.deepEqual(page.figures, []);
    assert.deepEqual(
      page.soaks.map((s) => s.id),
      ['fig-soak-1', 'fig-soak-2'],
    );
  });

  it('Markdown: the table with a row per soak, hostile text escaped', () => {
    const text = renderMarkdown(loadInputs([path.join(dir, 'in')]));
    assert.match(text, /### Memory per 1,000 connections \(bench soak\)/);
    assert.equal(text.split('\n').filter((l) => l.startsWith('| ws |')).length, 2);
    assert.ok(text.includes('errored: server died: &lt;script&gt;alert(1)&lt;/script&gt; and a\\|b'));
  });

  it('the section escapes HTML in the error', () => {
    const html = soaksHtml([
      { file: 'x.json', result: soakResult(series(3, 0), { status: 'errored', error: HOSTILE_ERROR, fitFrom: 1 }) },
    ]);
    assert.ok(html.includes('server died: &lt;script&gt;alert(1)&lt;/script&gt;'));
  });
});
