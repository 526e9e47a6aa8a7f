import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunResult, TransportReport } from '../../runner/result/build';
import type { SlowClientsReport } from '../../runner/result/slow-schema';
import { pollingRows, slowRows } from '../../reports/report/clients';
import { clientFigures } from '../../reports/report/figure-clients';
import { clientsMarkdown } from '../../reports/report/markdown';
import { loadInputs } from '../../reports/report/index';
import type { BarFigureData, BarGroupsFigureData } from '../../reports/browser/figure-data';
import { makeResult, tempDir, writeJson } from '../helpers/report-fixtures';

let root: string;
before(() => (root = tempDir('bench-report-clients-')));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const latency = (p50: number) => ({ p50, p90: p50 * 2, p99: p50 * 4, max: p50 * 8, mean: p50, count: 100 });
const held = (perSlowClient: number) => ({
  library: 0,
  socket: perSlowClient,
  kernel: 4 * 2 ** 20,
  total: perSlowClient * 4,
  perSlowClient,
  behind: 4,
});

/** A run of `lib` at 40 clients whose 4 slow clients were held `perSlowClient` bytes each. */
function slowResult(lib: 'ws' | 'socketio', perSlowClient: number, fastP50: number): RunResult {
  const r = makeResult(lib, 40);
  r.broadcastMs = latency(fastP50);
  const slow: SlowClientsReport = {
    sharePct: 10,
    bytesPerSecond: 2000,
    slow: 4,
    fast: 36,
    connected: { slow: 4, fast: 36 },
    received: {
      slow: { broadcasts: 8, echoes: 0, roomMessages: 0 },
      fast: { broadcasts: 360, echoes: 0, roomMessages: 0 },
    },
    broadcastDeliveredPct: { slow: 20, fast: 100 },
    slowLatencyMs: { broadcast: latency(7000), echo: null, room: null },
    dropped: { slow: 0, fast: 0 },
    buffered: {
      reads: 10,
      of: 10,
      max: held(perSlowClient),
      last: held(perSlowClient),
      lastAtSeconds: 19.5,
      oneConnectionMax: { library: 0, socket: perSlowClient, kernel: 2 ** 22 },
    },
    closedDuringHold: 0,
    rssGrowthBytes: 50 * 2 ** 20,
  };
  r.slowClients = slow;
  return r;
}

function transport(p50: number, outOfOrder: number): TransportReport {
  return {
    connected: 10,
    failed: 0,
    connectMs: latency(10),
    echoMs: null,
    broadcastMs: latency(p50),
    roomMs: null,
    echo: { sent: 0, received: 0 },
    broadcasts: { expected: 100, received: 100, deliveredPct: 100, outOfOrder, duplicates: 0 },
    rooms: { received: 0, outOfOrder: 0, duplicates: 0 },
  };
}

function pollingResult(p50s: [number, number], outOfOrder = 0): RunResult {
  const r = makeResult('socketio', 40);
  r.byTransport = {
    pollingSharePct: 25,
    websocket: transport(p50s[0], 0),
    polling: transport(p50s[1], outOfOrder),
    serverCounted: { polling: 10, websocket: 30 },
  };
  return r;
}

function load(name: string, results: Record<string, RunResult>) {
  const dir = path.join(root, name);
  for (const [file, r] of Object.entries(results)) writeJson(path.join(dir, `${file}.json`), r);
  return loadInputs([dir]);
}

describe('the "Slow consumers" and "Long-polling share" figures and tables', () => {
  it('draw the bytes held per slow client and each transport’s latency, medians across trials', () => {
    const report = load('both', {
      ws1: slowResult('ws', 2 * 2 ** 20, 1),
      ws2: slowResult('ws', 6 * 2 ** 20, 3),
      ws3: slowResult('ws', 4 * 2 ** 20, 2),
      sio: pollingResult([2, 6], 1),
      plain: makeResult('socketio', 100),
    });
    const slow = slowRows(report.cells);
    assert.equal(slow.length, 1);
    assert.deepEqual(slow[0]!.heldPerSlowClient, { value: 4 * 2 ** 20, trials: 3, flagged: false });
    assert.deepEqual(slow[0]!.fastP50, { value: 2, trials: 3, flagged: false });
    assert.equal(slow[0]!.slow, '10 % at 2,000 B/s');
    assert.deepEqual(slow[0]!.slowReceived, { value: 8, trials: 3, flagged: false });
    const polling = pollingRows(report.cells);
    assert.equal(polling.length, 1);
    assert.equal(polling[0]!.pollingP50!.value, 6);
    assert.equal(polling[0]!.websocketP99!.value, 8);
    assert.equal(polling[0]!.pollingOutOfOrder!.value, 1);

    const views = clientFigures(report.cells);
    assert.deepEqual(
      views.map((v) => v.figure),
      ['slow-held', 'polling-latency'],
    );
    const bars = (views[0]!.data as BarFigureData).bars;
    assert.deepEqual(
      bars.map((b) => b.value),
      [4096],
    );
    const sets = (views[1]!.data as BarGroupsFigureData).sets;
    assert.deepEqual(
      sets.map((s) => [s.name, s.bars[0]?.value]),
      [
        ['websocket p50', 2],
        ['polling p50', 6],
        ['websocket p99', 8],
        ['polling p99', 24],
      ],
    );
    const md = clientsMarkdown(report.cells).join('\n');
    assert.match(md, /\| ws \| 40 \| 3 \| 10 % at 2,000 B\/s \| 4,096 \| 4,096 \| 2\.00 \| 8\.00 \| 8 \| 0 \|/);
    assert.match(md, /\| socketio \| 40 \| 1 \| 25 \| 2\.00 \| 8\.00 \| 6\.00 \| 24\.0 \| 0 \| 1 \|/);
  });

  it('draw nothing without such runs', () => {
    const report = load('none', { plain: makeResult('ws', 100) });
    assert.deepEqual(clientFigures(report.cells), []);
    assert.deepEqual(clientsMarkdown(report.cells), []);
  });
});
