import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../../runner/errors';
import { escapeHtml, escapeMarkdown, jsonForScript } from '../../reports/report/escape';
import { arrivalRateFigure } from '../../reports/report/figure-rates';
import { chartJsSource, pageScriptSource } from '../../reports/report/scripts';
import {
  loadInputs,
  renderHtml,
  renderMarkdown,
  resolveReportOptions,
  STUDY_2020_POINTS,
  writeReport,
} from '../../reports/report/index';
import {
  baseResult,
  FIXTURE_RESULT,
  HOSTILE_ERROR,
  HOSTILE_REASON,
  makeResult,
  MISSING_CELL_ERROR,
  tempDir,
  writeJson,
  writeRatesSweep,
  writeResultsFolder,
  writeSweepFolder,
} from '../helpers/report-fixtures';

const usage = (message: string) => (err: unknown) => {
  assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
  assert.equal(err.message, message);
  return true;
};

let root: string;
let loose: string;
let looseFiles: Record<string, string>;
let sweep: string;
let rates: string;

before(() => {
  root = tempDir();
  loose = path.join(root, 'loose');
  looseFiles = writeResultsFolder(loose);
  sweep = path.join(root, 'sweep');
  writeSweepFolder(sweep);
  rates = path.join(root, 'rates');
  writeRatesSweep(rates);
});

/** The figures' data embedded in a rendered report. */
function figuresOf(html: string): {
  figure: string;
  xCategories?: string[];
  series: { name: string; group?: string; points: { x: number; y: number }[] }[];
  study: { y: number; across?: boolean }[];
  failures: { x: number; y: number | null; text: string }[];
}[] {
  const m = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html);
  assert.ok(m, 'data script present');
  return (JSON.parse(m[1]!) as { figures: ReturnType<typeof figuresOf> }).figures;
}

after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('loadInputs', () => {
  it('reads a folder of result files without a manifest', () => {
    const r = loadInputs([loose]);
    assert.equal(r.cells.length, 6);
    assert.equal(r.manifest, null);
    assert.deepEqual(
      r.cells.map((c) => `${c.lib}/${c.clients}/${c.trial}/${c.status}/${c.valid}`),
      [
        'ws/1000/1/completed/true',
        'ws/10000/1/completed/true',
        'socketio/1000/1/errored/true',
        'socketio/10000/1/completed/true',
        'sockjs/1000/1/completed/false',
        'sockjs/10000/1/completed/true',
      ],
    );
    const sio = r.cells.find((c) => c.lib === 'socketio' && c.clients === 1000)!;
    assert.equal(sio.error, HOSTILE_ERROR);
    assert.deepEqual(r.cells.find((c) => c.valid === false)!.invalidReasons, [HOSTILE_REASON]);
    assert.equal(r.conditions.env?.node, baseResult().env.node);
  });

  it('reads single result files and counts trials per library and level', () => {
    const second = writeJson(path.join(root, 'ws-1000-again.json'), {
      ...makeResult('ws', 1000),
      startedAt: '2099-01-01T00:00:00.000Z',
    });
    const r = loadInputs([looseFiles.ws1k!, second, looseFiles.ws1k!]);
    assert.deepEqual(
      r.cells.map((c) => [c.file, c.trial]),
      [
        [looseFiles.ws1k, 1],
        [second, 2],
      ],
    );
  });

  it('lists a sweep cell that errored without a result file, from the manifest', () => {
    const r = loadInputs([sweep]);
    assert.equal(r.cells.length, 8);
    assert.equal(r.manifest?.preset, 'paper-2020');
    assert.equal(r.sweeps.length, 1);
    const missing = r.cells.find((c) => c.lib === 'socketio' && c.clients === 10000)!;
    assert.equal(missing.result, null);
    assert.equal(missing.status, 'errored');
    assert.equal(missing.valid, null);
    assert.match(missing.error!, new RegExp(`^${MISSING_CELL_ERROR} \\(no result file: socketio-10000-t1.json`));
    assert.deepEqual(
      r.cells.filter((c) => c.lib === 'ws').map((c) => `${c.clients}/${c.trial}`),
      ['1000/1', '1000/2', '10000/1', '10000/2'],
    );
  });

  it('names series by the options that tell one library’s cells apart', () => {
    const dir = path.join(root, 'deflate');
    writeJson(path.join(dir, 'a.json'), makeResult('socketio', 1000));
    const on = makeResult('socketio', 1000);
    on.options.deflate = true;
    writeJson(path.join(dir, 'b.json'), on);
    writeJson(path.join(dir, 'c.json'), makeResult('ws', 1000));
    const r = loadInputs([dir]);
    assert.deepEqual(r.cells.map((c) => c.series).sort(), ['socketio · deflate off', 'socketio · deflate on', 'ws']);
  });

  it('names the arrival rate in the series when it varies, and orders the rates, burst last', () => {
    const r = loadInputs([rates]);
    assert.deepEqual(
      r.cells.filter((c) => c.lib === 'ws').map((c) => `${c.series}/${c.family}/${c.clients}`),
      ['ws · 500/s/ws/1000', 'ws · 500/s/ws/10000', 'ws · 10,000/s/ws/10000', 'ws · burst/ws/10000'],
    );
    const missing = r.cells.find((c) => c.lib === 'sockjs' && c.result === null)!;
    assert.equal(missing.arrivalRate, 'burst', 'from the manifest when the cell left no result');
    assert.equal(r.conditions.differs['options.arrivalRate'], undefined, 'a swept rate is no difference to warn of');
    // Without rates that vary, nothing changes.
    assert.deepEqual([...new Set(loadInputs([sweep]).cells.map((c) => c.series))], ['ws', 'socketio', 'sockjs']);
  });

  it('refuses a path that does not exist', () => {
    const p = path.join(root, 'nope');
    assert.throws(
      () => loadInputs([p]),
      usage(`report: ${p} does not exist. Give a sweep folder (with manifest.json) or result .json files.`),
    );
  });

  it('refuses a folder with no result file', () => {
    const dir = path.join(root, 'empty');
    writeJson(path.join(dir, 'other.json'), { hello: 'world' });
    assert.throws(
      () => loadInputs([dir]),
      usage(`report: no result files in ${dir}. Give a sweep folder (with manifest.json) or result .json files.`),
    );
  });

  it('refuses a JSON file that is not a result', () => {
    const file = writeJson(path.join(root, 'a.json'), { schemaVersion: 3, lib: 'ws', status: 'completed' });
    assert.throws(() => loadInputs([file]), usage(`report: ${file} is not a bench result (no schemaVersion 1 or 2).`));
  });

  it('refuses a file that is not JSON', () => {
    const file = path.join(root, 'b.json');
    fs.writeFileSync(file, 'not json');
    assert.throws(
      () => loadInputs([file]),
      usage(`report: ${file} is not JSON. Give a sweep folder (with manifest.json) or result .json files.`),
    );
  });

  it('refuses a manifest that is not a sweep manifest', () => {
    const dir = path.join(root, 'badsweep');
    writeJson(path.join(dir, 'manifest.json'), { kind: 'other' });
    assert.throws(
      () => loadInputs([dir]),
      usage(
        `report: ${path.join(dir, 'manifest.json')} is not a sweep manifest (no kind "bench-sweep" with cells). Give a folder written by bench sweep, or its result .json files.`,
      ),
    );
  });
});

describe('escape', () => {
  it('escapeHtml escapes markup and quotes', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('jsonForScript cannot close a script element and parses back to the same value', () => {
    const value = { s: '</script><!-- \u2028 \u2029 & ]]>' };
    const text = jsonForScript(value);
    assert.doesNotMatch(text, /<\/script|<!--|\u2028|\u2029|]]>/i);
    assert.deepEqual(JSON.parse(text), value);
  });

  it('escapeMarkdown keeps a table cell on one line and escapes pipes and markup', () => {
    assert.equal(escapeMarkdown('a|b\n<i>c</i>'), 'a\\|b &lt;i&gt;c&lt;/i&gt;');
  });
});

/** The HTML without chart.js's own source, which names its home page in a comment. */
const withoutChartJs = (html: string) => html.replace(chartJsSource(), '');

describe('renderHtml', () => {
  let html: string;
  before(() => {
    html = renderHtml(loadInputs([sweep]));
  });

  it('escapes every text from the results', () => {
    assert.ok(html.includes(escapeHtml(HOSTILE_ERROR)));
    assert.ok(html.includes(escapeHtml(HOSTILE_REASON)));
    assert.ok(html.includes(escapeHtml('Socket.IO with per-message deflate <on> | as in 2.x')));
    assert.doesNotMatch(html, /<script>alert/i);
    assert.doesNotMatch(html, /<b>250/);
    assert.doesNotMatch(html, /<on>/);
  });

  it('is self-contained: chart.js inlined, no URL outside chart.js’s own source', () => {
    assert.ok(html.includes(chartJsSource()), 'chart.js is inlined');
    assert.doesNotMatch(html, /(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    assert.doesNotMatch(html, /url\(\s*["']?(https?:)?\/\//i);
    assert.doesNotMatch(withoutChartJs(html), /https?:\/\//i);
    assert.doesNotMatch(html, /<link\b|<img\b|@import/i);
  });

  it('inlines the page script compiled from reports/browser, as a plain script', () => {
    const script = pageScriptSource('report-page');
    assert.ok(html.includes(`<script>${script}</script>`), 'the compiled script, inline');
    assert.match(script, /window\.__benchReportReady = true/);
    // A module's emit (exports, import or export statements) throws or fails to parse in a plain <script>.
    assert.doesNotMatch(script, /\bexports\b|^\s*(import|export)\s/m);
    assert.doesNotMatch(pageScriptSource('capacity-page'), /\bexports\b|^\s*(import|export)\s/m);
  });

  it('gives every figure a canvas with an id and a data-figure', () => {
    const canvases = [...html.matchAll(/<canvas id="([^"]+)" data-figure="([^"]+)"/g)];
    assert.deepEqual(
      canvases.map((m) => m[2]),
      ['connect', 'first-message', 'memory', 'bytes-per-client', 'probe-connect'],
    );
    assert.equal(new Set(canvases.map((m) => m[1])).size, 5);
  });

  it('embeds the chart data as JSON that parses, with the study points on figures 1–3', () => {
    const m = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html);
    assert.ok(m, 'data script present');
    const data = JSON.parse(m[1]!) as {
      figures: { figure: string; study: unknown[]; failures: { y: number | null; text: string }[] }[];
    };
    assert.deepEqual(
      data.figures.map((f) => [f.figure, f.study.length]),
      [
        ['connect', 3],
        ['first-message', 3],
        ['memory', 6],
        ['bytes-per-client', 0],
        ['probe-connect', 0],
      ],
    );
    const failures = data.figures[0]!.failures;
    assert.equal(failures.length, 3, 'errored, errored without result, invalid');
    assert.ok(failures.some((f) => f.y === null && f.text.includes(MISSING_CELL_ERROR)));
    assert.ok(
      failures.some((f) => f.text.includes(HOSTILE_ERROR)),
      'raw text, drawn on the canvas only',
    );
  });

  it('marks errored and invalid cells in the table', () => {
    assert.equal((html.match(/<tr class="row-errored">/g) ?? []).length, 2);
    assert.equal((html.match(/<tr class="row-invalid">/g) ?? []).length, 1);
    assert.ok(html.includes('<span class="badge invalid">INVALID</span>'));
    assert.ok(html.includes('<span class="badge status-errored">errored</span>'));
  });

  it('shows the conditions and the sweep', () => {
    const env = baseResult().env;
    for (const text of [env.node, env.cpu, env.kernel, 'paper-2020', 'Fixed cost per cell', 'Show the 2020 study']) {
      assert.ok(html.includes(escapeHtml(text)), text);
    }
    assert.ok(html.includes('SockJS failed above 7,000 clients'));
  });
});

describe('renderHtml: connect service, time to first message and arrival rates', () => {
  let html: string;
  before(() => {
    html = renderHtml(loadInputs([rates]));
  });

  it('draws connect from when it was due and connect service, one legend entry for both', () => {
    const connect = figuresOf(html).find((f) => f.figure === 'connect')!;
    const ws = connect.series.filter((s) => s.group === 'ws · 10,000/s');
    assert.deepEqual(
      ws.map((s) => s.name),
      ['ws · 10,000/s', 'ws · 10,000/s connect service p50'],
    );
    assert.ok(ws[0]!.points[0]!.y > ws[1]!.points[0]!.y * 100, 'due ≫ service when the generator is behind');
    // Results of schemaVersion 1 have no service line, and say why.
    const old = renderHtml(loadInputs([sweep]));
    const oldConnect = figuresOf(old).find((f) => f.figure === 'connect')!;
    assert.ok(oldConnect.series.every((s) => !s.name.endsWith('connect service p50')));
    assert.ok(old.includes('7 of these runs predate result schemaVersion 2'));
  });

  it('records the schemaVersion of the results it shows in a meta tag', () => {
    assert.ok(html.includes('<meta name="bench-schema-version" content="2">'));
    assert.ok(renderHtml(loadInputs([sweep])).includes('<meta name="bench-schema-version" content="1">'));
    assert.ok(renderHtml(loadInputs([sweep, rates])).includes('<meta name="bench-schema-version" content="1,2">'));
  });

  it('plots time to first message in figure 2, with the study’s points and that its method was not published', () => {
    const fig = figuresOf(html).find((f) => f.figure === 'first-message')!;
    assert.ok(fig.series.some((s) => s.points.length > 0));
    assert.equal(fig.study.length, 3);
    assert.ok(html.includes('<h3>2. Time to first message, from when each arrival was due</h3>'));
    assert.ok(html.includes('its method for the time to the first message was not published'));
    const old = renderHtml(loadInputs([sweep]));
    assert.ok(figuresOf(old)[1]!.series.every((s) => s.points.length === 0));
    assert.ok(old.includes('No result has this number: the runs predate it (result schemaVersion 1).'));
  });

  it('adds the arrival-rate figure: one pair of lines per library at the highest level with two rates', () => {
    const figs = figuresOf(html);
    assert.deepEqual(
      figs.map((f) => f.figure),
      ['connect', 'first-message', 'memory', 'bytes-per-client', 'probe-connect', 'arrival-rate'],
    );
    const fig = figs.at(-1)!;
    assert.deepEqual(fig.xCategories, ['500/s', '10,000/s', 'burst']);
    assert.deepEqual(
      fig.series.map((s) => `${s.name}: ${s.points.map((p) => p.x).join(',')}`),
      [
        'ws: 0,1,2',
        'ws time to first message p50: 0,1,2',
        'socketio: 0,1,2',
        'socketio time to first message p50: 0,1,2',
        'sockjs: 0,1',
        'sockjs time to first message p50: 0,1',
      ],
    );
    const ws = fig.series[0]!.points.map((p) => p.y);
    assert.ok(ws[0]! < ws[1]! && ws[1]! < ws[2]!, 'connect grows with the rate');
    assert.deepEqual(
      fig.failures.map((f) => [f.x, f.y === null]),
      [
        [2, false],
        [2, true],
      ],
    );
    // The study's 10,000-client connect points (ws, Socket.IO): lines across every rate.
    assert.deepEqual(
      fig.study.map((s) => [s.y, s.across]),
      [
        [411, true],
        [519, true],
      ],
    );
    assert.ok(
      html.includes('<h3>6. Connect latency and time to first message against arrival rate, 10,000 clients</h3>'),
    );
    assert.ok(html.includes('it published neither its method nor its arrival rate'));
    assert.ok(html.includes('<dt>arrival rates</dt><dd>500/s, 10,000/s, burst</dd>'));
  });

  it('draws no arrival-rate figure for one rate per level', () => {
    const cells = loadInputs([sweep]).cells;
    assert.equal(arrivalRateFigure(cells), null);
    // Two rates, but each at its own level: still none.
    const dir = path.join(root, 'rate-per-level');
    writeJson(path.join(dir, 'a.json'), {
      ...makeResult('ws', 100),
      options: { ...makeResult('ws', 100).options, arrivalRate: 100 },
    });
    writeJson(path.join(dir, 'b.json'), makeResult('ws', 1000));
    assert.equal(arrivalRateFigure(loadInputs([dir]).cells), null);
    // The highest level with two rates wins, also over a higher level with one.
    const more = path.join(root, 'rate-levels');
    for (const [name, clients, rate] of [
      ['a', 100, 100],
      ['b', 100, 'burst'],
      ['c', 200, 100],
      ['d', 200, 500],
      ['e', 300, 500],
    ] as const) {
      const r = makeResult('ws', clients);
      r.options.arrivalRate = rate;
      writeJson(path.join(more, `${name}.json`), r);
    }
    const fig = arrivalRateFigure(loadInputs([more]).cells)!;
    assert.equal(fig.title, 'Connect latency and time to first message against arrival rate, 200 clients');
    assert.deepEqual(fig.data.kind === 'line' && fig.data.xCategories, ['100/s', '500/s']);
    assert.ok(
      fig.notes.includes('No result has a time to first message: the runs predate it (result schemaVersion 1).'),
    );
  });
});

describe('renderHtml: the machine a run came from', () => {
  it('shows the profile’s applied and skipped parts, the fingerprint and the calibration score', () => {
    const r = makeResult('ws', 1000);
    r.env.fingerprint = 'abcdef0123456789';
    r.env.profile = {
      name: 'paper-2020',
      applied: [{ what: 'CPU set (server)', detail: 'server pinned to CPU 0 <x>' }],
      skipped: [{ what: 'link latency', reason: 'netem (latency emulation) is not available on this kernel' }],
    };
    r.env.calibration = {
      version: 1,
      fingerprint: 'abcdef0123456789',
      measuredAt: '2026-11-29T05:00:00.000Z',
      cpu: { workload: 'w', rounds: 7, medianRoundMs: 40, fastestRoundMs: 35, roundsPerSecond: 28.57 },
      connections: { attempted: 2000, opened: 2000, concurrency: 50, perSecond: 1700 },
    };
    const dir = path.join(root, 'profiled');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'ws.json'), JSON.stringify(r));
    const html = renderHtml(loadInputs([dir]));
    for (const text of [
      '<dt>fingerprint</dt><dd>abcdef0123456789</dd>',
      '<h3>Profile <code>paper-2020</code></h3>',
      '<li><b>CPU set (server)</b>: server pinned to CPU 0 &lt;x&gt;</li>',
      '<li><b>link latency</b>: netem (latency emulation) is not available on this kernel</li>',
      'CPU 28.57 rounds/s (w); 1700 ws connections/s on loopback',
    ]) {
      assert.ok(html.includes(text), text);
    }
    const md = renderMarkdown(loadInputs([dir]));
    assert.match(md, /profile paper-2020 · calibration 28\.57 CPU rounds\/s, 1700 conn\/s/);
  });
  it('says how to get a calibration when a result has none', () => {
    const html = renderHtml(loadInputs([loose]));
    assert.ok(html.includes('not measured: run bench calibrate on that machine, then rerun'));
  });
});

describe('renderMarkdown', () => {
  let text: string;
  before(() => {
    text = renderMarkdown(loadInputs([loose]));
  });

  it('has one row per library and level', () => {
    const rows = text.split('\n').filter((l) => /^\| (ws|socketio|sockjs) \|/.test(l));
    assert.equal(rows.length, 6);
    assert.match(text, /^### Scenario `echo`$/m);
    assert.match(rows[0]!, /^\| ws \| 1,000 \| 1 \| completed \| yes \| 1,000\/1,000 \| /);
  });

  it('lists errored and invalid cells with their reasons, pipes and markup escaped', () => {
    assert.ok(text.includes('server died: &lt;script&gt;alert(1)&lt;/script&gt; and a\\|b'));
    assert.ok(text.includes('p99 &lt;b&gt;250 ms&lt;/b&gt; \\| limit 100 ms'));
    assert.doesNotMatch(text, /<script>|a\|b|<b>/);
    assert.match(text, /^- socketio × 1,000 clients, trial 1: errored: /m);
    assert.match(text, /^- sockjs × 1,000 clients, trial 1: invalid: /m);
  });

  it('adds connect service and time to first message columns, and a rate column when rates vary', () => {
    const header = text.split('\n').find((l) => l.startsWith('| library'))!;
    assert.ok(
      header.includes(
        '| connect p50 (ms) | connect p99 (ms) | connect service p50 (ms) | connect service p99 (ms) | time to first message p50 (ms) | time to first message p99 (ms) |',
      ),
    );
    assert.doesNotMatch(header, /arrival rate/);
    const withRates = renderMarkdown(loadInputs([rates])).split('\n');
    const head = withRates.find((l) => l.startsWith('| library'))!;
    assert.match(head, /^\| library \| clients \| arrival rate \| trials \|/);
    const cols = (l: string) => l.split('|').length;
    const rows = withRates.filter((l) => /^\| (ws|socketio|sockjs) \|/.test(l));
    assert.equal(rows.length, 10);
    for (const l of [withRates[withRates.indexOf(head) + 1]!, ...rows]) assert.equal(cols(l), cols(head), l);
    assert.match(
      rows[2]!,
      /^\| ws \| 10,000 \| 10,000\/s \| 1 \| completed \| yes \| 10,000\/10,000 \| 334 \| 3751 \| 1\.11 \| /,
    );
    assert.match(rows[6]!, /^\| socketio \| 10,000 \| burst \| 1 \| completed \| \*\*no\*\* \|/);
  });

  it('shows a statistic a result lacks as –, never as another one', () => {
    const dir = path.join(root, 'trimmed');
    const r = baseResult() as unknown as Record<string, unknown>;
    r.connectMs = { p50: 5 };
    writeJson(path.join(dir, 'ws.json'), r);
    const row = renderMarkdown(loadInputs([dir]))
      .split('\n')
      .find((l) => l.startsWith('| ws |'))!;
    assert.match(row, /^\| ws \| 1,000 \| 1 \| completed \| yes \| 1,000\/1,000 \| 5\.00 \| – \| /);
    const html = renderHtml(loadInputs([dir]));
    assert.match(html, /<td class="num">5\.00<\/td><td class="num">–<\/td>/);
  });

  it('shows a per-client memory below what the run resolves as below its floor', () => {
    const dir = path.join(root, 'below-floor');
    const r = makeResult('ws', 1000);
    Object.assign(r.server, { bytesPerClient: null, bytesPerClientFloor: 2048, bytesPerClientBelowFloor: true });
    writeJson(path.join(dir, 'ws.json'), r);
    const row = renderMarkdown(loadInputs([dir]))
      .split('\n')
      .find((l) => l.startsWith('| ws |'))!;
    assert.match(row, / \| < 2\.00 \| [^|]+ \|$/);
    const html = renderHtml(loadInputs([dir]));
    assert.match(html, /<td class="num">&lt; 2\.0<\/td>/);
    assert.match(
      html,
      /1 run added less memory than the noise of its RSS samples: below what it resolves, so not drawn/,
    );
  });

  it('ends with a one-line conditions footer', () => {
    const env = baseResult().env;
    const last = text.trim().split('\n').pop()!;
    assert.ok(last.startsWith('_Conditions: ws 8.18.3'), last);
    assert.ok(last.includes(`Node ${env.node}`) && last.includes(`${env.cores} cores`), last);
  });
});

describe('resolveReportOptions', () => {
  it('needs an input', () => {
    assert.throws(
      () => resolveReportOptions({ html: 'r.html' }),
      usage(
        'Missing input. Give a sweep folder or result files, e.g. bench report results/sweep-1 --html report.html.',
      ),
    );
    assert.throws(() => resolveReportOptions({ inputs: [], html: 'r.html' }), UsageError);
  });

  it('needs something to write', () => {
    assert.throws(
      () => resolveReportOptions({ inputs: ['x'] }),
      usage('Say what to write: --html FILE and/or --markdown FILE.'),
    );
  });

  it('takes one input or several', () => {
    assert.deepEqual(resolveReportOptions({ inputs: 'a', markdown: 'r.md' }), { inputs: ['a'], markdown: 'r.md' });
    assert.deepEqual(resolveReportOptions({ inputs: ['a', 'b'], html: 'r.html' }), {
      inputs: ['a', 'b'],
      html: 'r.html',
    });
  });
});

describe('writeReport', () => {
  it('writes each file asked for and says what it wrote', () => {
    const out = path.join(root, 'out');
    const html = path.join(out, 'report.html');
    const markdown = path.join(out, 'report.md');
    const written = writeReport({ inputs: [sweep, FIXTURE_RESULT], html, markdown });
    assert.deepEqual(written, { cells: 9, html, markdown });
    assert.match(fs.readFileSync(html, 'utf8'), /^<!DOCTYPE html>/);
    // The summary records the schemaVersion of the results it shows (here, all of version 1).
    assert.match(fs.readFileSync(markdown, 'utf8'), /^<!-- bench-schema-version: 1 -->\n\n### Scenario/);
    assert.deepEqual(fs.readdirSync(out).sort(), ['report.html', 'report.md'], 'no temp files left');
  });
});

describe('STUDY_2020_POINTS', () => {
  it('holds the published points, the approximate one marked', () => {
    assert.equal(STUDY_2020_POINTS.length, 12);
    const sio = STUDY_2020_POINTS.find((p) => p.figure === 'memory' && p.lib === 'socketio' && p.clients === 10000);
    assert.equal(sio?.value, 2000);
    assert.match(sio?.note ?? '', /approximate/);
    // SockJS failed above 7,000 clients: its "10,000" points are at 7,000.
    assert.deepEqual(
      STUDY_2020_POINTS.filter((p) => p.lib === 'sockjs' && p.clients > 1000).map((p) => [p.figure, p.clients]),
      [
        ['connect', 7000],
        ['memory', 7000],
      ],
    );
  });
});
