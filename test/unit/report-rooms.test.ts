import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunResult, RoomsReport } from '../../runner/result/build';
import { roomRows } from '../../reports/report/rooms';
import { roomFigures } from '../../reports/report/figure-rooms';
import { roomsMarkdown } from '../../reports/report/markdown';
import { loadInputs } from '../../reports/report/index';
import type { BarFigureData, BarGroupsFigureData } from '../../reports/browser/figure-data';
import { makeResult, tempDir, writeJson } from '../helpers/report-fixtures';

let root: string;
before(() => (root = tempDir('bench-report-rooms-')));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** A rooms run of `lib` at 100 clients: 10 rooms of 10, 100 published, `received` of 1,000 expected. */
function roomsResult(lib: 'ws' | 'socketio' | 'sockjs', p50: number, received = 1000): RunResult {
  const r = makeResult(lib, 100);
  r.scenario = 'rooms';
  const shape = { rooms: 10, roomSize: 10, publishEveryMs: 1000, messageBytes: 200, exceptSender: false };
  r.options.rooms = shape;
  const latency = { p50, p90: p50 * 2, p99: p50 * 4, max: p50 * 8, mean: p50 * 1.2, count: received };
  const rooms: RoomsReport = {
    ...shape,
    membership: {
      from: 'hold-mid',
      members: 100,
      rooms: 10,
      minPerRoom: 10,
      maxPerRoom: 10,
      changed: false,
      error: null,
    },
    joined: 100,
    joinFailed: 0,
    published: 100,
    publishedLate: 0,
    expected: 1000,
    received,
    deliveredPct: received / 10,
    missed: 1000 - received,
    duplicates: 0,
    outOfOrder: 1,
    roomsShort: received < 1000 ? 1 : 0,
    worstRoom: null,
    serverWrites: 1000,
    sentPerSecond: 10,
    deliveredPerSecond: received / 10,
    latencyMs: latency,
    serviceMs: latency,
    joinMs: latency,
  };
  r.rooms = rooms;
  return r;
}

function load(name: string, results: Record<string, RunResult>) {
  const dir = path.join(root, name);
  for (const [file, r] of Object.entries(results)) writeJson(path.join(dir, `${file}.json`), r);
  return loadInputs([dir]);
}

describe('the "Rooms" figures and table', () => {
  it('take the median of the trials per series and client level, and leave out runs without rooms', () => {
    const report = load('trials', {
      t1: roomsResult('ws', 1),
      t2: roomsResult('ws', 5, 990),
      t3: roomsResult('ws', 2, 980),
      sio: roomsResult('socketio', 3),
      plain: makeResult('sockjs', 100),
    });
    const rows = roomRows(report.cells);
    assert.deepEqual(rows.map((r) => [r.lib, r.cells.length]).sort(), [
      ['socketio', 1],
      ['ws', 3],
    ]);
    const ws = rows.find((r) => r.lib === 'ws')!;
    assert.deepEqual(ws.p50, { value: 2, trials: 3, flagged: false });
    assert.deepEqual(ws.deliveredPct, { value: 99, trials: 3, flagged: false });
    assert.equal(ws.shape, '10 rooms of 10, a message every 1000 ms, 200 B');

    const views = roomFigures(report.cells);
    assert.deepEqual(
      views.map((v) => v.figure),
      ['rooms-latency', 'rooms-delivered'],
    );
    const latency = views[0]!.data as BarGroupsFigureData;
    assert.deepEqual(
      latency.sets.map((s) => s.name),
      ['p50', 'p90', 'p99'],
    );
    const wsP99 = latency.sets[2]!.bars.find((b) => b?.category.startsWith('ws'))!;
    assert.equal(wsP99.value, 8);
    const delivered = views[1]!.data as BarFigureData;
    assert.deepEqual(delivered.bars.map((b) => b.value).sort(), [100, 99].sort());

    const md = roomsMarkdown(report.cells).join('\n');
    assert.match(
      md,
      /\| ws \| 100 \| 3 \| 10 rooms of 10, a message every 1000 ms, 200 B \| 2\.00 \| 4\.00 \| 8\.00 \| 99\.00 \| 990 \| 1,000 \| 10 \| 0 \| 1 \| 99 \|/,
    );
  });

  it('draws nothing without a rooms run', () => {
    const report = load('none', { plain: makeResult('ws', 100) });
    assert.deepEqual(roomFigures(report.cells), []);
    assert.deepEqual(roomsMarkdown(report.cells), []);
  });
});
