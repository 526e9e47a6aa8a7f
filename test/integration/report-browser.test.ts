import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { resolveCapacityOptions, runCapacity } from '../../reports/capacity/capacity';
import { renderCapacityHtml } from '../../reports/capacity/html';
import { writeReport } from '../../reports/report/index';
import { CHROMIUM, CHROMIUM_ARGS } from '../../bench/chromium';
import { writeBroadcastFolder } from '../helpers/report-broadcast-fixtures';
import { writeDropsFolder } from '../helpers/report-drop-fixtures';
import { tempDir, writeRatesSweep, writeSweepFolder } from '../helpers/report-fixtures';

const haveChromium = fs.existsSync(CHROMIUM);

/** What the page says about one chart, read through Chart.js. */
interface ChartState {
  id: string;
  figure: string;
  drawnPixels: number;
  studyHidden: boolean[];
}

/** Runs in the page (no DOM types in this project, hence a string). */
const READ_CHARTS = `[...document.querySelectorAll('canvas[data-figure]')].map((canvas) => {
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) drawn++;
  const chart = Chart.getChart(canvas);
  return {
    id: canvas.id,
    figure: canvas.dataset.figure,
    drawnPixels: drawn,
    studyHidden: chart.data.datasets.flatMap((ds, i) => (ds.study ? [!chart.isDatasetVisible(i)] : [])),
  };
})`;

/** Collects a page's console errors, uncaught errors and every URL it requests. */
function watch(page: Page, errors: string[], requests: string[]): void {
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('request', (req) => requests.push(req.url()));
}

const chartStates = (page: Page) => page.evaluate<ChartState[]>(READ_CHARTS);

/** A report rendered from what `writeInput(dir)` returns, open in Chromium for one describe block. */
interface OpenReport {
  dir: string;
  url: string;
  browser: Browser;
  page: Page;
  consoleErrors: string[];
  requests: string[];
}

/** Registers the before/after hooks that render the report, open it and clean up. */
function openReport(prefix: string, writeInput: (dir: string) => string): OpenReport {
  const r = { consoleErrors: [], requests: [] } as unknown as OpenReport;
  before(async () => {
    r.dir = tempDir(prefix);
    const html = path.join(r.dir, 'report.html');
    writeReport({ inputs: [writeInput(r.dir)], html });
    r.url = pathToFileURL(html).href;
    const { chromium } = await import('playwright-core');
    r.browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    r.page = await r.browser.newPage({ viewport: { width: 1400, height: 900 } });
    watch(r.page, r.consoleErrors, r.requests);
    await r.page.goto(r.url);
    await r.page.waitForFunction('window.__benchReportReady === true');
  });
  after(async () => {
    await r.browser?.close();
    if (r.dir) fs.rmSync(r.dir, { recursive: true, force: true });
  });
  return r;
}

if (!haveChromium) {
  it('HTML report in a browser', (t) => {
    t.skip('chromium not installed: apt-get install -y chromium');
  });
} else {
  describe('HTML report in a browser', () => {
    const r = openReport('bench-report-browser-', (dir) => {
      const sweep = path.join(dir, 'sweep');
      writeSweepFolder(sweep);
      return sweep;
    });

    it('loads without errors and without any request besides the file itself', () => {
      assert.deepEqual(r.consoleErrors, []);
      assert.deepEqual(r.requests, [r.url]);
    });

    it('draws every chart', async () => {
      const states = await chartStates(r.page);
      assert.ok(states.length >= 5, `${states.length} charts`);
      for (const s of states) assert.ok(s.drawnPixels > 0, `${s.id} has drawn pixels`);
    });

    it('toggles the 2020 study points on every chart with one checkbox', async () => {
      const shown = await chartStates(r.page);
      const withStudy = shown.filter((s) => s.studyHidden.length > 0);
      assert.deepEqual(
        withStudy.map((s) => s.figure),
        ['connect', 'first-message', 'memory'],
      );
      for (const s of withStudy) assert.deepEqual(s.studyHidden, [false], `${s.id} shows the study at first`);

      await r.page.click('#toggle-study');
      assert.equal(await r.page.isChecked('#toggle-study'), false);
      for (const s of (await chartStates(r.page)).filter((x) => x.studyHidden.length > 0)) {
        assert.deepEqual(s.studyHidden, [true], `${s.id} hides the study`);
      }

      await r.page.click('#toggle-study');
      for (const s of (await chartStates(r.page)).filter((x) => x.studyHidden.length > 0)) {
        assert.deepEqual(s.studyHidden, [false], `${s.id} shows the study again`);
      }
      assert.deepEqual(r.consoleErrors, []);
    });

    it('saves a full-page screenshot', async () => {
      const file = path.join(r.dir, 'report.png');
      await r.page.screenshot({ path: file, fullPage: true });
      assert.ok(fs.statSync(file).size > 10_000);
      const wanted = process.env.BENCH_SCREENSHOT;
      if (wanted) fs.copyFileSync(file, wanted);
    });

    it('the capacity page loads, draws every chart and requests nothing', async () => {
      const report = runCapacity(
        resolveCapacityOptions({
          inputs: [path.join(r.dir, 'sweep')],
          memory: '8GiB',
          slo: ['connect.p99<500ms'],
          users: '200000',
        }),
      );
      const file = path.join(r.dir, 'capacity.html');
      fs.writeFileSync(file, renderCapacityHtml(report));
      const capacityUrl = pathToFileURL(file).href;
      const p = await r.browser.newPage({ viewport: { width: 1400, height: 900 } });
      const errors: string[] = [];
      const asked: string[] = [];
      watch(p, errors, asked);
      await p.goto(capacityUrl);
      await p.waitForFunction('window.__benchReportReady === true');
      const drawn = await p.evaluate<{ figure: string; pixels: number }[]>(
        `[...document.querySelectorAll('canvas[data-figure]')].map((c) => {
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
          return { figure: c.dataset.figure, pixels: n };
        })`,
      );
      assert.deepEqual(errors, []);
      assert.deepEqual(asked, [capacityUrl]);
      assert.deepEqual(
        drawn.map((d) => d.figure),
        ['memory', 'connect.p99'],
      );
      for (const d of drawn) assert.ok(d.pixels > 0, `${d.figure} has drawn pixels`);
      const shot = path.join(r.dir, 'capacity.png');
      await p.screenshot({ path: shot, fullPage: true });
      const wanted = process.env.BENCH_CAPACITY_SCREENSHOT;
      if (wanted) fs.copyFileSync(shot, wanted);
      await p.close();
    });
  });

  describe('HTML report of a sweep over arrival rates in a browser', () => {
    const r = openReport('bench-report-rates-', (dir) => {
      const sweep = path.join(dir, 'sweep');
      writeRatesSweep(sweep);
      return sweep;
    });

    it('draws every chart, the arrival-rate figure last, without errors or requests', async () => {
      const states = await chartStates(r.page);
      assert.deepEqual(
        states.map((s) => s.figure),
        ['connect', 'first-message', 'memory', 'bytes-per-client', 'probe-connect', 'arrival-rate'],
      );
      for (const s of states) assert.ok(s.drawnPixels > 0, `${s.id} has drawn pixels`);
      assert.deepEqual(r.consoleErrors, []);
      assert.deepEqual(r.requests, [r.url]);
    });

    it('names the rates on the x axis, burst last, and hides the study’s lines with the checkbox', async () => {
      const read = `(() => {
        const chart = Chart.getChart(document.querySelector('canvas[data-figure="arrival-rate"]'));
        return {
          ticks: chart.scales.x.ticks.map((t) => chart.scales.x.options.ticks.callback(t.value)),
          legend: chart.legend.legendItems.map((x) => x.text),
          study: chart.data.datasets.flatMap((ds, i) => (ds.study ? [chart.isDatasetVisible(i)] : [])),
        };
      })()`;
      type State = { ticks: string[]; legend: string[]; study: boolean[] };
      const shown = await r.page.evaluate<State>(read);
      assert.deepEqual(shown.ticks, ['500/s', '10,000/s', 'burst']);
      assert.deepEqual(
        shown.legend.filter((t) => !t.startsWith('2020') && t !== 'errored / invalid run'),
        ['ws', 'socketio', 'sockjs'],
        'one entry per library, for both its lines',
      );
      assert.deepEqual(shown.study, [true, true], 'ws and Socket.IO at 10,000 clients');
      await r.page.click('#toggle-study');
      assert.deepEqual((await r.page.evaluate<State>(read)).study, [false, false]);
      await r.page.click('#toggle-study');
      assert.deepEqual((await r.page.evaluate<State>(read)).study, [true, true]);
      assert.deepEqual(r.consoleErrors, []);
    });

    it('saves a full-page screenshot', async () => {
      const file = path.join(r.dir, 'report.png');
      await r.page.screenshot({ path: file, fullPage: true });
      assert.ok(fs.statSync(file).size > 10_000);
      const wanted = process.env.BENCH_RATES_SCREENSHOT;
      if (wanted) fs.copyFileSync(file, wanted);
    });
  });

  describe('HTML report of multi-node broadcast runs in a browser', () => {
    const r = openReport('bench-report-broadcast-', (dir) => {
      const input = path.join(dir, 'results');
      writeBroadcastFolder(input);
      return input;
    });

    it('draws the cross-node figures, without errors or requests', async () => {
      const states = await chartStates(r.page);
      assert.deepEqual(
        states.map((s) => s.figure),
        [
          'connect',
          'first-message',
          'memory',
          'bytes-per-client',
          'probe-connect',
          'broadcast-latency',
          'broadcast-nodes',
          'broadcast-delivered',
        ],
      );
      for (const s of states) assert.ok(s.drawnPixels > 0, `${s.id} has drawn pixels`);
      assert.deepEqual(r.consoleErrors, []);
      assert.deepEqual(r.requests, [r.url]);
    });

    it('shows one legend entry per cross-node series, which hides its p50 and p99 together', async () => {
      const state = await r.page.evaluate<{ legend: string[]; hidden: string[] }>(
        `(() => {
          const chart = Chart.getChart(document.querySelector('canvas[data-figure="broadcast-latency"]'));
          const items = chart.legend.legendItems;
          const item = items.find((x) => x.text === 'ws · redis · 3 nodes');
          chart.options.plugins.legend.onClick(null, item, chart.legend);
          const hidden = chart.data.datasets.filter((ds, i) => !chart.isDatasetVisible(i)).map((ds) => ds.label);
          chart.options.plugins.legend.onClick(null, item, chart.legend);
          return { legend: items.map((x) => x.text), hidden };
        })()`,
      );
      assert.equal(state.legend.length, 7);
      assert.equal(state.legend[0], 'ws · 1 node');
      assert.deepEqual(state.hidden, ['ws · redis · 3 nodes', 'ws · redis · 3 nodes p99']);
      assert.deepEqual(r.consoleErrors, []);
    });

    it('draws one delivered bar per series and client level, as long as its ratio', async () => {
      const bars = await r.page.evaluate<{ category: string; length: number }[]>(
        `(() => {
          const chart = Chart.getChart(document.querySelector('canvas[data-figure="broadcast-delivered"]'));
          // A long name is drawn on two lines: the label is then an array of them.
          const name = (l) => (Array.isArray(l) ? l.join(' · ') : l);
          return chart.getDatasetMeta(0).data.map((el, i) => ({ category: name(chart.data.labels[i]), length: el.x - el.base }));
        })()`,
      );
      assert.equal(bars.length, 8);
      const full = bars.find((b) => b.category === 'ws · 1 node · 100 clients')!;
      const killed = bars.find((b) => b.category === 'socketio · redis · 3 nodes · node killed at 2 s · 300 clients')!;
      assert.ok(full.length > 0, 'a bar is drawn');
      assert.ok(
        Math.abs(killed.length / full.length - 0.91) < 0.01,
        `91 % of a full bar: ${killed.length} of ${full.length}`,
      );
    });

    it('saves a full-page screenshot', async () => {
      const file = path.join(r.dir, 'report.png');
      await r.page.screenshot({ path: file, fullPage: true });
      assert.ok(fs.statSync(file).size > 10_000);
      const wanted = process.env.BENCH_BROADCAST_SCREENSHOT;
      if (wanted) fs.copyFileSync(file, wanted);
    });
  });

  describe('HTML report of runs that drop connections in a browser', () => {
    const r = openReport('bench-report-drops-', (dir) => {
      const input = path.join(dir, 'results');
      writeDropsFolder(input);
      return input;
    });

    it('draws the "Connections that drop" figures last, without errors or requests', async () => {
      const states = await chartStates(r.page);
      assert.deepEqual(states.map((s) => s.figure).slice(-3), [
        'drops-delivered',
        'drops-reconnect',
        'restart-reconnect',
      ]);
      for (const s of states) assert.ok(s.drawnPixels > 0, `${s.id} has drawn pixels`);
      assert.deepEqual(r.consoleErrors, []);
      assert.deepEqual(r.requests, [r.url]);
    });

    /** Each drawn bar of a figure: its category, set and length in pixels. */
    const barsOf = (figure: string) =>
      r.page.evaluate<{ category: string; set: string; length: number }[]>(
        `(() => {
          const chart = Chart.getChart(document.querySelector('canvas[data-figure="${figure}"]'));
          const name = (l) => (Array.isArray(l) ? l.join(' · ') : l);
          return chart.data.datasets.flatMap((ds, d) =>
            chart.getDatasetMeta(d).data.flatMap((el, i) =>
              ds.data[i] === null ? [] : [{ category: name(chart.data.labels[i]), set: ds.label, length: el.x - el.base }],
            ),
          );
        })()`,
      );

    it('draws delivered % as bars as long as the result files say', async () => {
      const bars = await barsOf('drops-delivered');
      assert.equal(bars.length, 4);
      const length = (start: string) => bars.find((b) => b.category.startsWith(start))!.length;
      const full = length('socketio + recovery');
      assert.ok(full > 0);
      assert.ok(Math.abs(length('ws') / full - 0.916) < 0.01, `ws 91.6 %: ${length('ws')} of ${full}`);
      assert.ok(Math.abs(length('sockjs') / full - 0.8) < 0.01, `sockjs 80 %: ${length('sockjs')} of ${full}`);
    });

    it('draws reconnect p50, p95 and max per series and per restart, with a legend of the three', async () => {
      const bars = await barsOf('drops-reconnect');
      assert.equal(bars.length, 12, 'four series × p50, p95, max');
      const ws = (set: string) => bars.find((b) => b.category.startsWith('ws') && b.set === set)!.length;
      // ws: p50 1013 ms, p95 1.4×, max 1.5×
      assert.ok(Math.abs(ws('p95') / ws('p50') - 1.4) < 0.01, `${ws('p95')} / ${ws('p50')}`);
      assert.ok(Math.abs(ws('max') / ws('p50') - 1.5) < 0.01, `${ws('max')} / ${ws('p50')}`);
      const restarts = await barsOf('restart-reconnect');
      assert.equal(restarts.length, 9, 'four restarts, one with nobody back');
      const legend = await r.page.evaluate<string[]>(
        `Chart.getChart(document.querySelector('canvas[data-figure="restart-reconnect"]')).legend.legendItems.map((x) => x.text)`,
      );
      assert.deepEqual(legend, ['p50', 'p95', 'max']);
      assert.deepEqual(r.consoleErrors, []);
    });

    it('saves a full-page screenshot', async () => {
      const file = path.join(r.dir, 'report.png');
      await r.page.screenshot({ path: file, fullPage: true });
      assert.ok(fs.statSync(file).size > 10_000);
      const wanted = process.env.BENCH_DROPS_SCREENSHOT;
      if (wanted) fs.copyFileSync(file, wanted);
    });
  });
}
