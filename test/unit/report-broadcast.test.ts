import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunResult } from '../../runner/result/build';
import {
  adapterTables,
  broadcastRuns,
  broadcastSeries,
  deliveredRatio,
  nodesVary,
  ratioText,
  shapeOf,
} from '../../reports/report/broadcast';
import { faultLabel, faultText } from '../../runner/result/faults';
import { loadInputs, renderHtml } from '../../reports/report/index';
import {
  broadcastResult,
  KILL_NODE,
  RECONNECT,
  REDIS_OUTAGE,
  writeBroadcastFolder,
} from '../helpers/report-broadcast-fixtures';
import { errored, makeResult, tempDir, writeJson, writeResultsFolder } from '../helpers/report-fixtures';

let root: string;
let folder: string;

before(() => {
  root = tempDir('bench-report-broadcast-');
  folder = path.join(root, 'multinode');
  writeBroadcastFolder(folder);
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Loads the given results as a report would, from a fresh folder. */
function load(name: string, results: Record<string, RunResult>) {
  const dir = path.join(root, name);
  for (const [file, r] of Object.entries(results)) writeJson(path.join(dir, `${file}.json`), r);
  return loadInputs([dir]);
}

/** A broadcast result as written before scale-out: no nodes, adapter, faults, reconnect or delivery extras. */
function oldBroadcastResult(): RunResult {
  const r = broadcastResult('ws', 300);
  delete r.options.nodes;
  delete r.options.adapter;
  delete r.broadcast!.expectedFrom;
  delete r.reconnect;
  const loose = r as unknown as Record<string, unknown>;
  delete loose.nodes;
  delete loose.faults;
  return r;
}

type FigureJson = {
  kind: string;
  figure: string;
  xTitle?: string;
  levels?: number[];
  series?: { name: string; group?: string; points: { x: number; y: number }[] }[];
  bars?: { category: string; value: number; label: string; text: string; flagged: boolean }[];
  valueMax?: number;
};

function figuresOf(html: string): FigureJson[] {
  const m = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html);
  assert.ok(m, 'data script present');
  return (JSON.parse(m[1]!) as { figures: FigureJson[] }).figures;
}

const canvases = (html: string) => [...html.matchAll(/<canvas id="[^"]+" data-figure="([^"]+)"/g)].map((m) => m[1]);

describe('shapeOf', () => {
  it('reads nodes, adapter and transport from the options', () => {
    const r = broadcastResult('socketio', 300, { nodes: 2, adapter: 'cluster', transport: 'polling' });
    assert.deepEqual(shapeOf(r), { transport: 'polling', nodes: 2, adapter: 'cluster', deflate: false, fault: '' });
  });

  it('names the faults short, so faulted runs are never trials of an unfaulted cell', () => {
    assert.equal(shapeOf(broadcastResult('ws', 300, { nodes: 3, faults: [KILL_NODE] })).fault, 'node killed at 2 s');
    assert.equal(faultLabel({ faults: [REDIS_OUTAGE, KILL_NODE] }), 'Redis paused 1..3 s, node killed at 2 s');
    assert.equal(faultLabel({ faults: [] }), '');
  });

  it('takes one node and no adapter for a result written before scale-out', () => {
    assert.deepEqual(shapeOf(oldBroadcastResult()), {
      transport: 'websocket',
      nodes: 1,
      adapter: 'none',
      deflate: false,
      fault: '',
    });
  });

  it('counts the per-node entries when the options do not say', () => {
    const r = broadcastResult('ws', 300, { nodes: 3 });
    delete r.options.nodes;
    assert.equal(shapeOf(r).nodes, 3);
  });
});

describe('broadcastRuns', () => {
  it('keeps runs with broadcast numbers and errored broadcast runs, not echo runs', () => {
    const emptyBroadcast = errored(makeResult('sockjs', 300), 'server died');
    emptyBroadcast.scenario = 'broadcast';
    const r = load('runs', { echo: makeResult('ws', 300), b: broadcastResult('ws', 300), e: emptyBroadcast });
    assert.deepEqual(
      broadcastRuns(r.cells).map((x) => `${x.lib}/${x.cell.status}/${x.numbers.broadcast === null}`),
      ['ws/completed/false', 'sockjs/errored/true'],
    );
  });
});

describe('deliveredRatio', () => {
  const b = (delivered: number, expectedDeliveries: number) => ({
    sent: 4,
    expectedDeliveries,
    delivered,
    lost: expectedDeliveries - delivered,
    outOfOrder: 0,
    duplicates: 0,
  });

  it('is delivered over expected', () => {
    assert.equal(deliveredRatio(b(1197, 1200)), 0.9975);
    assert.equal(ratioText(deliveredRatio(b(1197, 1200))), '99.75 %');
    assert.equal(ratioText(deliveredRatio(b(1200, 1200))), '100.00 %');
  });

  it('is null when nothing was expected or there was no broadcast', () => {
    assert.equal(deliveredRatio(b(0, 0)), null);
    assert.equal(deliveredRatio(null), null);
    assert.equal(ratioText(null), '–');
  });
});

describe('broadcastSeries', () => {
  it('against clients: one series per library, adapter and node count, transport named when not websocket', () => {
    const series = broadcastSeries(broadcastRuns(loadInputs([folder]).cells), 'clients');
    assert.deepEqual(
      series.map((s) => [s.name, s.points.map((p) => `${p.x}×${p.cells.length}`).join(',')]),
      [
        ['ws · 1 node', '100×1,300×1'],
        ['ws · redis · 2 nodes', '300×1'],
        ['ws · redis · 3 nodes', '300×1'],
        ['socketio · redis · 3 nodes · node killed at 2 s', '300×1'],
        ['socketio · postgres · 3 nodes', '300×1'],
        ['socketio · cluster · 2 nodes · polling', '300×1'],
        ['sockjs · redis · 3 nodes · Redis paused 1..3 s', '300×1'],
      ],
    );
  });

  it('against nodes: one series per library and adapter, the client level named when runs have several', () => {
    const series = broadcastSeries(broadcastRuns(loadInputs([folder]).cells), 'nodes');
    assert.deepEqual(
      series.map((s) => [s.name, s.points.map((p) => p.x)]),
      [
        ['ws · no adapter · 100 clients', [1]],
        ['ws · no adapter · 300 clients', [1]],
        ['ws · redis · 300 clients', [2, 3]],
        ['socketio · redis · node killed at 2 s · 300 clients', [3]],
        ['socketio · postgres · 300 clients', [3]],
        ['socketio · cluster · polling · 300 clients', [2]],
        ['sockjs · redis · Redis paused 1..3 s · 300 clients', [3]],
      ],
    );
    assert.equal(nodesVary(series), true);
  });

  it('against nodes: no client level in the names at one level, and trials share a point', () => {
    const r = load('nodes-one-level', {
      a: broadcastResult('ws', 300, { nodes: 2 }),
      b: broadcastResult('ws', 300, { nodes: 3 }),
      c: broadcastResult('ws', 300, { nodes: 3, p50: 4 }),
    });
    const series = broadcastSeries(broadcastRuns(r.cells), 'nodes');
    assert.deepEqual(
      series.map((s) => [s.name, s.points.map((p) => `${p.x}×${p.cells.length}`)]),
      [['ws · redis', ['2×1', '3×2']]],
    );
  });

  it('does not vary nodes when every series has one node count', () => {
    const r = load('nodes-fixed', {
      a: broadcastResult('ws', 100, { nodes: 3 }),
      b: broadcastResult('ws', 300, { nodes: 3 }),
      c: broadcastResult('socketio', 300, { nodes: 3 }),
    });
    assert.equal(nodesVary(broadcastSeries(broadcastRuns(r.cells), 'nodes')), false);
  });

  it('names deflate when broadcast runs differ in it', () => {
    const on = broadcastResult('socketio', 300, { nodes: 3 });
    on.options.deflate = true;
    const r = load('deflate', { on, off: broadcastResult('socketio', 300, { nodes: 3 }) });
    assert.deepEqual(
      broadcastSeries(broadcastRuns(r.cells), 'clients').map((s) => s.name),
      ['socketio · redis · 3 nodes · deflate off', 'socketio · redis · 3 nodes · deflate on'],
    );
  });
});

describe('faultText', () => {
  it('says when a node was killed and how many clients it held', () => {
    assert.equal(
      faultText(KILL_NODE, 'redis'),
      'node-3 killed 2 s into the hold (3.1 s after the run started), holding 100 clients',
    );
    assert.equal(
      faultText({ ...KILL_NODE, atSeconds: 2.5, clientsAtKill: null }, 'redis'),
      'node-3 killed 2.5 s into the hold (3.1 s after the run started)',
    );
    assert.equal(
      faultText({ ...KILL_NODE, clientsAtKill: 1 }, 'redis'),
      'node-3 killed 2 s into the hold (3.1 s after the run started), holding 1 client',
    );
  });

  it('says when a kill did not happen or failed', () => {
    assert.equal(
      faultText({ ...KILL_NODE, startedAtMs: null }, 'redis'),
      'node-3 not killed: the run ended before 2 s into the hold',
    );
    assert.equal(
      faultText({ ...KILL_NODE, error: 'kill ESRCH' }, 'redis'),
      'node-3 kill 2 s into the hold failed: kill ESRCH',
    );
  });

  it('says when Redis was paused, or why it was not', () => {
    assert.equal(
      faultText(REDIS_OUTAGE, 'redis'),
      'Redis paused 1–3 s into the hold (from 4.3 s after the run started)',
    );
    assert.equal(
      faultText({ ...REDIS_OUTAGE, startedAtMs: null }, 'redis'),
      'Redis pause 1–3 s into the hold not applied: the run ended first',
    );
    assert.equal(
      faultText({ ...REDIS_OUTAGE, error: 'ECONNREFUSED 127.0.0.1:6379' }, 'redis'),
      'Redis pause 1–3 s into the hold failed: ECONNREFUSED 127.0.0.1:6379',
    );
  });
});

describe('adapterTables', () => {
  it('makes one table per adapter present, in the order none, redis, postgres, cluster', () => {
    const tables = adapterTables(loadInputs([folder]).cells);
    assert.deepEqual(
      tables.map((t) => [
        t.adapter,
        t.rows.map((r) => `${r.library}/${r.run.transport}/${r.run.nodes}/${r.run.clients}`).join(','),
      ]),
      [
        ['none', 'ws/websocket/1/100,ws/websocket/1/300'],
        ['redis', 'ws/websocket/2/300,ws/websocket/3/300,socketio/websocket/3/300,sockjs/websocket/3/300'],
        ['postgres', 'socketio/websocket/3/300'],
        ['cluster', 'socketio/polling/2/300'],
      ],
    );
  });

  it('fills the optional columns only where a row has them', () => {
    const [none, redis, postgres] = adapterTables(loadInputs([folder]).cells);
    assert.deepEqual(none!.has, {
      expectedFrom: true,
      gaps: false,
      missedWhileReconnecting: false,
      reconnect: false,
      nodes: false,
      faults: false,
    });
    assert.deepEqual(redis!.has, {
      expectedFrom: true,
      gaps: true,
      missedWhileReconnecting: true,
      reconnect: true,
      nodes: true,
      faults: true,
    });
    assert.equal(postgres!.has.nodes, false, 'nodes listed but none logged its deliveries');
  });

  it('gives a row its ratio, reconnects, per-node deliveries and faults', () => {
    const redis = adapterTables(loadInputs([folder]).cells)[1]!;
    const sio = redis.rows.find((r) => r.run.lib === 'socketio')!;
    assert.equal(sio.ratio, 0.91);
    assert.equal(sio.gaps, 0);
    assert.equal(sio.missedWhileReconnecting, 280);
    assert.deepEqual(sio.reconnect, RECONNECT);
    assert.equal(sio.reconnectMs?.p99, 2400);
    assert.deepEqual(sio.nodes, [
      { nodeId: 'node-1', deliveries: 1000, killed: false },
      { nodeId: 'node-2', deliveries: 1000, killed: false },
      { nodeId: 'node-3', deliveries: 730, killed: true },
    ]);
    assert.deepEqual(sio.faults, [
      'node-3 killed 2 s into the hold (3.1 s after the run started), holding 100 clients',
    ]);
    const sockjs = redis.rows.find((r) => r.run.lib === 'sockjs')!;
    assert.deepEqual(sockjs.faults, ['Redis paused 1–3 s into the hold (from 4.3 s after the run started)']);
    assert.equal(sockjs.reconnect, null);
  });

  it('reads a result written before scale-out as one node without an adapter', () => {
    const tables = adapterTables(load('old', { old: oldBroadcastResult() }).cells);
    assert.equal(tables.length, 1);
    assert.equal(tables[0]!.adapter, 'none');
    assert.deepEqual(Object.values(tables[0]!.has), [false, false, false, false, false, false]);
    assert.deepEqual(tables[0]!.rows[0]!.faults, []);
    assert.deepEqual(tables[0]!.rows[0]!.nodes, []);
  });
});

describe('renderHtml: multi-node broadcast runs', () => {
  let html: string;
  before(() => {
    html = renderHtml(loadInputs([folder]));
  });

  it('adds the cross-node figures after the others, numbered on', () => {
    assert.deepEqual(canvases(html), [
      'connect',
      'first-message',
      'memory',
      'bytes-per-client',
      'probe-connect',
      'broadcast-latency',
      'broadcast-nodes',
      'broadcast-delivered',
    ]);
    for (const title of [
      '<h3>6. Cross-node broadcast latency</h3>',
      '<h3>7. Cross-node broadcast latency p99 against nodes</h3>',
      '<h3>8. Broadcasts delivered</h3>',
    ]) {
      assert.ok(html.includes(title), title);
    }
  });

  it('draws p50 and p99 per series against clients, sharing one legend entry', () => {
    const fig = figuresOf(html).find((f) => f.figure === 'broadcast-latency')!;
    assert.equal(fig.xTitle, 'clients connected (log scale)');
    assert.deepEqual(fig.levels, [100, 300]);
    const ws = fig.series!.filter((s) => s.group === 'ws · 1 node');
    assert.deepEqual(
      ws.map((s) => [s.name, s.points.map((p) => [p.x, p.y])]),
      [
        [
          'ws · 1 node',
          [
            [100, 1],
            [300, 1.5],
          ],
        ],
        [
          'ws · 1 node p99',
          [
            [100, 4],
            [300, 6],
          ],
        ],
      ],
    );
  });

  it('draws p99 against nodes', () => {
    const fig = figuresOf(html).find((f) => f.figure === 'broadcast-nodes')!;
    assert.equal(fig.xTitle, 'server nodes');
    assert.deepEqual(fig.levels, [1, 2, 3]);
    const redis = fig.series!.find((s) => s.name === 'ws · redis · 300 clients')!;
    assert.deepEqual(
      redis.points.map((p) => [p.x, p.y]),
      [
        [2, 8],
        [3, 12],
      ],
    );
  });

  it('draws one delivered bar per series and client level, on a percent axis', () => {
    const fig = figuresOf(html).find((f) => f.figure === 'broadcast-delivered')!;
    assert.equal(fig.kind, 'bar');
    assert.equal(fig.valueMax, 100);
    assert.deepEqual(fig.bars![0], {
      category: 'ws · 1 node · 100 clients',
      value: 100,
      label: '100.00 %',
      text: '100.00 % delivered (1,000 of 1,000 deliveries)',
      color: '#1f77b4',
      fill: 'rgba(31, 119, 180, 0.75)',
      flagged: false,
    });
    assert.deepEqual(fig.bars!.map((b) => [b.category, b.label]).slice(4, 6), [
      ['socketio · redis · 3 nodes · node killed at 2 s · 300 clients', '91.00 %'],
      ['socketio · postgres · 3 nodes · 300 clients', '100.00 %'],
    ]);
  });

  it('has one delivery table per adapter, and the killed node and the fault in its row', () => {
    assert.deepEqual(
      [...html.matchAll(/<table class="cells" data-adapter="([^"]+)"/g)].map((m) => m[1]),
      ['none', 'redis', 'postgres', 'cluster'],
    );
    assert.equal((html.match(/<section id="delivery">/g) ?? []).length, 1, 'no second delivery table');
    assert.ok(
      html.includes(
        '<tr class="row-invalid"><td>socketio</td><td>websocket</td><td class="num">3</td><td class="num">300</td><td class="num">1</td><td class="num">10</td><td class="num">3,000</td><td>node logs</td><td class="num">2,730</td><td class="num">270</td><td class="num">0</td><td class="num">0</td><td class="num">0</td><td class="num">280</td><td class="num">91.00 %</td><td class="num">4.00</td><td class="num">16.0</td><td class="num">98 / 100</td><td class="num">2</td><td class="num">1100</td><td class="num">2400</td><td class="nodes"><div>node-1 1,000</div><div>node-2 1,000</div><div>node-3 730 <span class="badge invalid">killed</span></div></td><td class="faults"><div>node-3 killed 2 s into the hold (3.1 s after the run started), holding 100 clients</div></td></tr>',
      ),
    );
    assert.ok(
      html.includes(
        '<td class="faults"><div>Redis paused 1–3 s into the hold (from 4.3 s after the run started)</div></td>',
      ),
    );
    assert.ok(
      html.includes(
        'Clients reconnect with up to 5 attempts per lost connection, the first after 1,000 ms, each further delay doubled up to 5,000 ms, ± 50 % at random.',
      ),
    );
  });

  it('shows a result written before scale-out with the columns it has', () => {
    const old = renderHtml(load('old-html', { old: oldBroadcastResult() }));
    assert.deepEqual(canvases(old).slice(5), ['broadcast-latency', 'broadcast-delivered']);
    assert.ok(
      old.includes(
        '<thead><tr><th>library</th><th>transport</th><th>nodes</th><th>clients</th><th>trial</th><th>sent</th><th>expected</th><th>delivered</th><th>lost</th><th>out of order</th><th>duplicates</th><th>delivered ratio</th><th>broadcast p50 (ms)</th><th>broadcast p99 (ms)</th></tr></thead>',
      ),
    );
    assert.ok(
      old.includes(
        '<tr><td>ws</td><td>websocket</td><td class="num">1</td><td class="num">300</td><td class="num">1</td><td class="num">10</td><td class="num">3,000</td><td class="num">3,000</td><td class="num">0</td><td class="num">0</td><td class="num">0</td><td class="num">100.00 %</td><td class="num">2.00</td><td class="num">8.00</td></tr>',
      ),
    );
  });

  it('adds no broadcast figure or table to runs without broadcasts', () => {
    const dir = path.join(root, 'echo');
    writeResultsFolder(dir);
    const echo = renderHtml(loadInputs([dir]));
    assert.doesNotMatch(echo, /data-figure="broadcast|id="delivery"/);
  });
});
