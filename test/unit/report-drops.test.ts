import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunResult } from '../../runner/result/build';
import { dropLabel, flapRows, restartRows } from '../../reports/report/drops';
import { dropFigures } from '../../reports/report/figure-drops';
import { loadInputs, renderHtml, renderMarkdown } from '../../reports/report/index';
import type { BarFigureData, BarGroupsFigureData } from '../../reports/browser/figure-data';
import { writeBroadcastFolder } from '../helpers/report-broadcast-fixtures';
import { flapResult, restartResult, writeDropsFolder } from '../helpers/report-drop-fixtures';
import { errored, tempDir, writeJson } from '../helpers/report-fixtures';

let root: string;
let folder: string;

before(() => {
  root = tempDir('bench-report-drops-');
  folder = path.join(root, 'drops');
  writeDropsFolder(folder);
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Loads the given results as a report would, from a fresh folder. */
function load(name: string, results: Record<string, RunResult>) {
  const dir = path.join(root, name);
  for (const [file, r] of Object.entries(results)) writeJson(path.join(dir, `${file}.json`), r);
  return loadInputs([dir]);
}

/** Every result file of the folder, by its name without .json. */
function resultsOf(dir: string): Record<string, RunResult> {
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .map((f) => [f.replace(/\.json$/, ''), JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as RunResult]),
  );
}

function figuresOf(html: string): { figure: string }[] {
  const m = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html);
  assert.ok(m, 'data script present');
  return (JSON.parse(m[1]!) as { figures: { figure: string }[] }).figures;
}

const FLAP = '1 node · adapter none · 20 % flapped every 2 s';
const RESTART = '2 nodes · adapter redis · rolling restart at 2 s';

describe('dropLabel', () => {
  it('names Socket.IO with recovery “socketio + recovery”, whether or not its series has to', () => {
    const alone = load('alone', { sio: flapResult('socketio', { recovery: { sessions: 40, replayed: 29 } }) });
    assert.equal(alone.cells[0]!.series, 'socketio');
    assert.equal(dropLabel(alone.cells[0]!), 'socketio + recovery');
    const both = load('both', {
      on: flapResult('socketio', { recovery: { sessions: 40, replayed: 29 } }),
      off: flapResult('socketio'),
    });
    assert.deepEqual(both.cells.map((c) => c.series).sort(), ['socketio', 'socketio + recovery']);
    assert.deepEqual(both.cells.map(dropLabel).sort(), ['socketio', 'socketio + recovery']);
  });
});

describe('flapRows and restartRows', () => {
  it('are the numbers of the result files, one row per series and client level', () => {
    const results = resultsOf(folder);
    const rows = flapRows(loadInputs([folder]).cells);
    const byFile: Record<string, string> = {
      'ws-flap': `ws · ${FLAP}`,
      'socketio-flap': `socketio · ${FLAP}`,
      'socketio-flap-recovery': `socketio + recovery · ${FLAP}`,
      'sockjs-flap': 'sockjs',
    };
    assert.deepEqual(rows.map((r) => r.label).sort(), Object.values(byFile).sort());
    for (const [file, label] of Object.entries(byFile)) {
      const f = results[file]!.flaps!;
      const row = rows.find((r) => r.label === label)!;
      assert.equal(row.flaps, '20 % every 2 s');
      assert.equal(row.deliveredPct?.value, f.deliveredPct, label);
      assert.equal(row.delivered?.value, f.delivered, label);
      assert.equal(row.missedWhileReconnecting?.value, f.missedWhileReconnecting, label);
      assert.equal(row.reconnect.p50?.value, f.reconnectMs!.p50, label);
      assert.equal(row.reconnect.p95?.value, f.reconnectMs!.p95, label);
      assert.equal(row.reconnect.max?.value, f.reconnectMs!.max, label);
      assert.equal(row.neverBack?.value, f.neverBack, label);
      assert.equal(row.sessionsRecovered?.value ?? null, f.recovery?.sessionsRecovered ?? null, label);
    }
    const restarts = restartRows(loadInputs([folder]).cells);
    assert.deepEqual(
      restarts.map((r) => `${r.label} ${r.nodeId}${r.publisher ? ' (publisher)' : ''}`),
      [
        `ws · ${RESTART} node-2`,
        `ws · ${RESTART} node-1 (publisher)`,
        `socketio · ${RESTART} node-2`,
        `socketio · ${RESTART} node-1 (publisher)`,
      ],
    );
    const ws = results['ws-restart']!.faults!.find((f) => f.kind === 'rolling-restart')!;
    assert.equal(ws.kind, 'rolling-restart');
    for (const [i, x] of ws.restarts.entries()) {
      assert.equal(restarts[i]!.reconnect.p50?.value, x.reconnectMs!.p50);
      assert.equal(restarts[i]!.reconnect.p95?.value, x.reconnectMs!.p95);
      assert.equal(restarts[i]!.reconnect.max?.value, x.reconnectMs!.max);
      assert.equal(restarts[i]!.disconnected?.value, x.clientsDisconnected);
    }
    assert.equal(restarts[3]!.reconnect.p50, null, 'nobody back: no time');
    assert.equal(restarts[3]!.neverBack?.value, 50);
  });

  it('take the median across trials, the valid ones only', () => {
    const r = load('trials', {
      t1: flapResult('ws', { delivered: 400, p50: 900 }),
      t2: flapResult('ws', { delivered: 450, p50: 1000 }),
      t3: flapResult('ws', { delivered: 480, p50: 1200 }),
      bad: errored(flapResult('ws', { delivered: 10, p50: 9000 }), 'server died'),
    });
    const [row] = flapRows(r.cells);
    assert.equal(row!.cells.length, 4);
    assert.deepEqual(row!.deliveredPct, { value: 90, trials: 3, flagged: false });
    assert.deepEqual(row!.reconnect.p50, { value: 1000, trials: 3, flagged: false });
  });
});

describe('the "Connections that drop" figures', () => {
  it('draw delivered % per series as bars, and reconnect p50/p95/max per series and per restart, from the results', () => {
    const results = resultsOf(folder);
    const views = dropFigures(loadInputs([folder]).cells);
    assert.deepEqual(
      views.map((v) => v.figure),
      ['drops-delivered', 'drops-reconnect', 'restart-reconnect'],
    );
    const delivered = views[0]!.data as BarFigureData;
    const file: Record<string, string> = {
      [`ws · ${FLAP} · 100 clients`]: 'ws-flap',
      [`socketio · ${FLAP} · 100 clients`]: 'socketio-flap',
      [`socketio + recovery · ${FLAP} · 100 clients`]: 'socketio-flap-recovery',
      'sockjs · 100 clients': 'sockjs-flap',
    };
    assert.deepEqual(delivered.bars.map((b) => b.category).sort(), Object.keys(file).sort());
    for (const b of delivered.bars) {
      const f = results[file[b.category]!]!.flaps!;
      assert.equal(b.value, f.deliveredPct, b.category);
      assert.equal(b.label, `${f.deliveredPct!.toFixed(2)} %`);
    }
    const ws = delivered.bars.find((b) => b.category.startsWith('ws'))!;
    assert.equal(
      ws.text,
      '91.60 % delivered under flaps of 20 % every 2 s (458 of 500 intended deliveries; 42 missed, 16 while reconnecting)',
    );
    const sio = delivered.bars.find((b) => b.category.startsWith('socketio + recovery'))!;
    assert.match(sio.text, /; 29 replayed by recovery$/);
    assert.equal(delivered.valueMax, 100);

    const reconnect = views[1]!.data as BarGroupsFigureData;
    assert.equal(reconnect.kind, 'bar-groups');
    assert.equal(reconnect.unit, 'ms');
    assert.deepEqual(
      reconnect.sets.map((s) => s.name),
      ['p50', 'p95', 'max'],
    );
    assert.deepEqual(
      reconnect.categories,
      delivered.bars.map((b) => b.category),
    );
    reconnect.categories.forEach((category, i) => {
      const t = results[file[category]!]!.flaps!.reconnectMs!;
      assert.deepEqual(
        reconnect.sets.map((s) => s.bars[i]!.value),
        [t.p50, t.p95, t.max],
        category,
      );
    });
    assert.ok(reconnect.valueMax >= Math.max(...reconnect.sets.flatMap((s) => s.bars.map((b) => b!.value))));

    const restarts = views[2]!.data as BarGroupsFigureData;
    assert.deepEqual(restarts.categories, [
      `ws · ${RESTART} · 100 clients · node-2`,
      `ws · ${RESTART} · 100 clients · node-1 (publisher)`,
      `socketio · ${RESTART} · 100 clients · node-2`,
      `socketio · ${RESTART} · 100 clients · node-1 (publisher)`,
    ]);
    const fault = results['ws-restart']!.faults![0]!;
    assert.equal(fault.kind, 'rolling-restart');
    assert.deepEqual(
      restarts.sets.map((s) => s.bars[0]!.value),
      [300, 600, 900],
    );
    assert.equal(fault.restarts[0]!.reconnectMs!.p95, 600);
    assert.deepEqual(
      restarts.sets.map((s) => s.bars[3]),
      [null, null, null],
      'nobody came back: no bars',
    );
    assert.deepEqual(views[2]!.notes, [
      `No client came back after the restart of socketio · ${RESTART} · 100 clients · node-1 (publisher): no bars.`,
    ]);
  });

  it('outline what only errored or invalid runs measured, and list those runs', () => {
    const r = load('flagged', { bad: errored(flapResult('ws', { delivered: 250 }), 'server died') });
    const [delivered, reconnect] = dropFigures(r.cells);
    assert.equal((delivered!.data as BarFigureData).bars[0]!.flagged, true);
    assert.equal((reconnect!.data as BarGroupsFigureData).sets[0]!.bars[0]!.flagged, true);
    assert.equal(delivered!.flagged.length, 1);
  });

  it('are in the HTML report after the others, and absent when no run dropped connections', () => {
    const html = renderHtml(loadInputs([folder]));
    assert.deepEqual(
      figuresOf(html)
        .map((f) => f.figure)
        .slice(-3),
      ['drops-delivered', 'drops-reconnect', 'restart-reconnect'],
    );
    assert.match(html, /<h3>\d+\. Connections that drop: broadcasts delivered<\/h3>/);
    const plain = path.join(root, 'plain');
    writeBroadcastFolder(plain);
    const figures = figuresOf(renderHtml(loadInputs([plain]))).map((f) => f.figure);
    assert.ok(!figures.some((f) => f.startsWith('drops-') || f === 'restart-reconnect'), figures.join(', '));
    assert.doesNotMatch(renderMarkdown(loadInputs([plain])), /Connections that drop/);
  });

  it('a restart-only report has the restart figure alone', () => {
    const r = load('restart-only', { r: restartResult('ws', [300, 450]) });
    assert.deepEqual(
      dropFigures(r.cells).map((v) => v.figure),
      ['restart-reconnect'],
    );
  });
});

describe('the Markdown report', () => {
  it('gives the same numbers as tables', () => {
    const text = renderMarkdown(loadInputs([folder]));
    const all = text.split('\n');
    // The per-scenario table names the same series first.
    const lines = all.slice(all.indexOf('### Connections that drop: flaps'));
    const row = (start: string) => lines.find((l) => l.startsWith(start));
    assert.ok(lines.includes('### Connections that drop: flaps'));
    assert.equal(
      row(`| ws · ${FLAP} |`),
      `| ws · ${FLAP} | 100 | 1 | 20 % every 2 s | 91.60 | 458 | 500 | 42 | 16 | 1013 | 1418 | 1520 | 0 | – | – |`,
    );
    assert.equal(
      row(`| socketio + recovery · ${FLAP} |`),
      `| socketio + recovery · ${FLAP} | 100 | 1 | 20 % every 2 s | 100.00 | 500 | 500 | 0 | 0 | 1090 | 1526 | 1635 | 0 | 40 | 29 |`,
    );
    assert.equal(
      row('| sockjs |'),
      '| sockjs | 100 | 1 | 20 % every 2 s | 80.00 | 400 | 500 | 100 | 0 | 1500 | 2100 | 2250 | 2 | – | – |',
    );
    assert.ok(lines.includes('### Connections that drop: rolling restarts'));
    assert.equal(
      row(`| ws · ${RESTART} | 100 | 1 | node-2 |`),
      `| ws · ${RESTART} | 100 | 1 | node-2 | 50 | 300 | 600 | 900 | 0 |`,
    );
    assert.equal(
      row(`| socketio · ${RESTART} | 100 | 1 | node-1 (publisher) |`),
      `| socketio · ${RESTART} | 100 | 1 | node-1 (publisher) | 50 | – | – | – | 50 |`,
    );
  });
});
