import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { runBin, type BinResult } from '../helpers/bin';
import { CHROMIUM, CHROMIUM_ARGS } from '../../bench/chromium';
import type { SoakResult } from '../../runner/result/soak-schema';

/** 16 KiB kept per connection: 16,000 KiB per 1,000 connection cycles. */
const RETAIN = 16_384;
const EXPECTED_PER_1000 = (RETAIN * 1000) / 1024;
/** How far the slope in the table may be from what the server keeps: 10 %. */
const TOLERANCE = 0.1;

/** Each dataset of the soak chart as the page holds it, read through Chart.js. */
interface DrawnDataset {
  label: string;
  role: string;
  points: number;
  color: string;
}

/** Runs in the page (no DOM types in this project, hence a string). */
const READ_SOAK_CHART = `(() => {
  const canvas = document.querySelector('canvas[data-figure="soak"]');
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) drawn++;
  const chart = Chart.getChart(canvas);
  return {
    drawn,
    datasets: chart.data.datasets.map((ds) => ({
      label: ds.label,
      role: ds.role,
      points: ds.data.length,
      color: String(ds.backgroundColor),
    })),
  };
})()`;

describe('bench report of a real bench soak (ws, a known leak)', () => {
  let dir: string;
  let soak: BinResult;
  let report: BinResult;
  let result: SoakResult;
  let markdown: string;
  let html: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-report-soak-'));
    const out = path.join(dir, 'soak.json');
    // 2 s of warm-up + 8 s, a sample every 0.25 s: about 28 samples fitted (once a second would
    // be 7, which bench soak refuses as too few; every 0.5 s, 14, too few for a tight interval
    // when the machine is busy and neighbouring samples drift together).
    soak = await runBin(
      [
        'soak',
        '--lib',
        'ws',
        '--clients',
        '100',
        '--churn',
        '50',
        '--warmup',
        '2',
        '--duration',
        '8',
        '--sample-interval',
        '250',
        '--retain-per-connection',
        String(RETAIN),
        '--out',
        out,
      ],
      { timeoutMs: 90_000 },
    );
    if (soak.code !== 0) return;
    result = JSON.parse(fs.readFileSync(out, 'utf8')) as SoakResult;
    report = await runBin(['report', out, '--html', path.join(dir, 'r.html'), '--markdown', path.join(dir, 'r.md')], {
      timeoutMs: 30_000,
    });
    if (report.code !== 0) return;
    markdown = fs.readFileSync(path.join(dir, 'r.md'), 'utf8');
    html = fs.readFileSync(path.join(dir, 'r.html'), 'utf8');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('soaks, then reports the soak alone', () => {
    assert.equal(soak.code, 0, soak.stderr);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stderr, /^report: 0 cells, 1 bench soak result → .*r\.html, .*r\.md$/m);
  });

  it('Markdown: a row for ws that leaks about 16,000 KiB per 1,000 connections', () => {
    const row = markdown.split('\n').find((l) => l.startsWith('| ws |'));
    assert.ok(row, markdown);
    const cells = row.slice(2, -2).split(' | ');
    assert.equal(cells.at(-1), 'leaks', row);
    const slope = Number(/^([\d,.]+) \(/.exec(cells[5]!)![1]!.replace(/,/g, ''));
    assert.ok(
      Math.abs(slope - EXPECTED_PER_1000) <= TOLERANCE * EXPECTED_PER_1000,
      `${slope} KiB per 1,000 in\n${row}`,
    );
  });

  it('HTML: the soak figure, its caption and the verdict', () => {
    assert.match(html, /<h2>Memory over connection cycles \(bench soak\)<\/h2>/);
    assert.match(html, /<canvas id="fig-soak-1" data-figure="soak"/);
    assert.ok(html.includes(result.verdict.text.replace(/'/g, '&#39;')), result.verdict.text);
  });

  it('draws the soak chart in Chromium: every sample, the warm-up faded, both fitted lines', async (t) => {
    if (!fs.existsSync(CHROMIUM)) {
      t.skip('chromium not installed: apt-get install -y chromium');
      return;
    }
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(msg.text());
      });
      page.on('pageerror', (err) => errors.push(String(err)));
      page.on('request', (req) => requests.push(req.url()));
      const url = pathToFileURL(path.join(dir, 'r.html')).href;
      await page.goto(url);
      await page.waitForFunction('window.__benchReportReady === true');
      const chart = await page.evaluate<{ drawn: number; datasets: DrawnDataset[] }>(READ_SOAK_CHART);
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, [url]);
      assert.ok(chart.drawn > 0, 'the chart has drawn pixels');

      const fitFrom = result.config.fitFromSeconds;
      const heap = result.series.filter((s) => s.externalBytes !== null);
      const rss = result.series.filter((s) => s.rssBytes !== null);
      const count = (role: string, name: string) =>
        chart.datasets.find((d) => d.role === role && d.label.startsWith(name))?.points ?? 0;
      assert.equal(count('soak-warmup', 'heap'), heap.filter((s) => s.t < fitFrom).length);
      assert.equal(count('soak-fitted', 'heap'), heap.filter((s) => s.t >= fitFrom).length);
      assert.equal(count('soak-fitted', 'heap'), result.fit!.n);
      assert.equal(count('soak-warmup', 'RSS') + count('soak-fitted', 'RSS'), rss.length);
      // A line for each fit: RSS's too, unless it could not be fitted.
      assert.deepEqual(
        chart.datasets.filter((d) => d.role === 'soak-fit').map((d) => d.points),
        [result.fit, result.rssFit].filter((f) => f !== null).map(() => 2),
      );
      const colour = (role: string) => chart.datasets.find((d) => d.role === role && d.label.startsWith('heap'))!.color;
      assert.notEqual(colour('soak-warmup'), colour('soak-fitted'));
    } finally {
      await browser.close();
    }
  });
});
