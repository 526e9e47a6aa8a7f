import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SweepCell, SweepManifest } from '../../runner/result/manifest';
import type { ArrivalRate } from '../../runner/config/run-options';
import type { RunResult } from '../../runner/result/build';

/** A real result file (ws, 1,000 clients) with its sample arrays trimmed. */
export const FIXTURE_RESULT = path.resolve(__dirname, '../../../test/fixtures/result-ws-1000.json');

export const HOSTILE_ERROR = 'server died: <script>alert(1)</script> and a|b';
export const HOSTILE_REASON = 'the load generator was saturated: p99 <b>250 ms</b> | limit 100 ms';

export function baseResult(): RunResult {
  return JSON.parse(fs.readFileSync(FIXTURE_RESULT, 'utf8')) as RunResult;
}

/** A result of `lib` at `clients`, its numbers scaled so the lines differ. */
export function makeResult(lib: 'ws' | 'socketio' | 'sockjs', clients: number, scale = 1): RunResult {
  const r = baseResult();
  const times = (s: { p50: number; p90: number; p99: number; max: number; mean: number } | null) => {
    if (!s) return;
    for (const k of ['p50', 'p90', 'p99', 'max', 'mean'] as const) s[k] = Math.round(s[k] * scale * 1000) / 1000;
  };
  r.lib = lib;
  r.options.clients = clients;
  r.clients = { requested: clients, connected: clients, failed: 0 };
  times(r.connectMs);
  times(r.firstMessageMs);
  times(r.echoMs);
  times(r.probe.connectMs);
  const rss = r.server.rssBytes;
  rss.steady = Math.round(rss.idle! + clients * 20_000 * scale);
  rss.peak = Math.round(rss.steady * 1.05);
  r.server.bytesPerClient = Math.round((rss.steady - rss.idle!) / clients);
  return r;
}

export function errored(r: RunResult, error: string): RunResult {
  return { ...r, status: 'errored', error };
}

export function invalid(r: RunResult, reason: string): RunResult {
  return { ...r, loadgen: { ...r.loadgen, valid: false, invalidReasons: [reason] } };
}

export function tempDir(prefix = 'bench-report-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeJson(file: string, value: unknown): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2));
  return file;
}

/**
 * A folder of loose results: ws and sockjs at 1,000 and 10,000, socketio at 1,000 errored with
 * hostile text and at 10,000 completed, sockjs at 1,000 invalid.
 */
export function writeResultsFolder(dir: string): Record<string, string> {
  return {
    ws1k: writeJson(path.join(dir, 'ws-1000.json'), makeResult('ws', 1000)),
    ws10k: writeJson(path.join(dir, 'ws-10000.json'), makeResult('ws', 10000, 1.5)),
    sio1k: writeJson(path.join(dir, 'socketio-1000.json'), errored(makeResult('socketio', 1000, 3), HOSTILE_ERROR)),
    sio10k: writeJson(path.join(dir, 'socketio-10000.json'), makeResult('socketio', 10000, 4)),
    sockjs1k: writeJson(path.join(dir, 'sockjs-1000.json'), invalid(makeResult('sockjs', 1000, 2), HOSTILE_REASON)),
    sockjs10k: writeJson(path.join(dir, 'sockjs-10000.json'), makeResult('sockjs', 10000, 2.5)),
  };
}

export const MISSING_CELL_ERROR = 'bench run exited with code 1 before writing its result';

/**
 * A sweep folder: ws × {1,000, 10,000} × 2 trials, socketio × 1,000 (errored, hostile text),
 * sockjs × 1,000 (invalid), and socketio × 10,000, which errored and left no result file.
 */
export function writeSweepFolder(dir: string): SweepManifest {
  const cells: SweepCell[] = [];
  const add = (
    lib: 'ws' | 'socketio' | 'sockjs',
    clients: number,
    trial: number,
    r: RunResult | null,
    error?: string,
  ) => {
    const file = `${lib}-${clients}-t${trial}.json`;
    if (r) writeJson(path.join(dir, file), r);
    cells.push({
      index: cells.length,
      lib,
      clients,
      trial,
      file,
      args: ['run', '--lib', lib, '--clients', String(clients), '--out', file],
      status: r ? r.status : 'errored',
      ...(error !== undefined && { error }),
      ...(r && { valid: r.loadgen.valid }),
    });
  };
  add('ws', 1000, 1, makeResult('ws', 1000));
  add('ws', 1000, 2, makeResult('ws', 1000, 1.2));
  add('ws', 10000, 1, makeResult('ws', 10000, 1.5));
  add('ws', 10000, 2, makeResult('ws', 10000, 1.7));
  add('socketio', 1000, 1, errored(makeResult('socketio', 1000, 3), HOSTILE_ERROR), HOSTILE_ERROR);
  add('socketio', 10000, 1, null, MISSING_CELL_ERROR);
  add('sockjs', 1000, 1, invalid(makeResult('sockjs', 1000, 2), HOSTILE_REASON));
  add('sockjs', 10000, 1, makeResult('sockjs', 10000, 2.5));
  const env = baseResult().env;
  const manifest: SweepManifest = {
    schemaVersion: 1,
    kind: 'bench-sweep',
    createdAt: '2026-11-29T03:00:00.000Z',
    updatedAt: '2026-11-29T03:10:00.000Z',
    preset: 'paper-2020',
    assumptions: ['Socket.IO with per-message deflate <on> | as in 2.x'],
    options: { libs: ['ws', 'socketio', 'sockjs'], clients: [1000, 10000], trials: 2, scenario: 'echo', runArgs: [] },
    env,
    cells,
    fixedCost: { startupSeconds: 4.2, teardownSeconds: 1.1, overheadSeconds: 6.3, cells: 7 },
    wallSeconds: 600,
  };
  writeJson(path.join(dir, 'manifest.json'), manifest);
  return manifest;
}

type Stats = NonNullable<RunResult['connectMs']>;
const scaled = (s: Stats, k: number, plus = 0): Stats => ({
  p50: s.p50 * k + plus,
  p90: s.p90 * k + plus,
  p99: s.p99 * k + plus,
  max: s.max * k + plus,
  mean: s.mean * k + plus,
  count: s.count,
});

/**
 * `r` as a schemaVersion 2 result at `arrivalRate`: connect from when each arrival was due is
 * the service time times `lag` (a generator behind its schedule), time to first message a
 * little more.
 */
export function asV2(r: RunResult, arrivalRate: ArrivalRate, lag = 1): RunResult {
  const service = r.connectMs!;
  const v2 = r as RunResult & Record<string, unknown>;
  Object.assign(v2, {
    schemaVersion: 2,
    valid: r.loadgen.valid,
    invalidReasons: r.loadgen.invalidReasons,
    schedule: { source: 'arrivals', unscheduled: 0 },
    connectMs: scaled(service, lag),
    connectServiceMs: service,
    arrivalLagMs: scaled(service, lag - 1),
    timeToFirstMessageMs: scaled(service, lag, r.firstMessageMs!.p50),
    welcomeDeliveryMs: null,
    welcomeDelivery: { serverClock: 'same', negative: 0 },
    echoServiceMs: r.echoMs,
    // The rest of what every version-2 writer adds, so the fixture meets docs/result.schema.json.
    echo: { ...r.echo, late: 0 },
    probe: { ...r.probe, connectServiceMs: r.probe.connectMs, timeToFirstMessageMs: null },
    server: { ...r.server, samplesFrom: 'local', memoryCap: null },
    engine: { workers: 1, final: true },
    broadcast: null,
    nodes: null,
    faults: [],
    env: { ...r.env, fingerprint: '0123456789abcdef', calibration: null },
  });
  r.options.arrivalRate = arrivalRate;
  return r;
}

/** How far the fixture generator falls behind at each rate, so that connect grows with it. */
const LAG: Record<string, number> = { '500': 1, '10000': 300, burst: 1500 };

/**
 * A sweep over arrival rates (schemaVersion 2): ws, socketio, sockjs × 10,000 clients × 500/s,
 * 10,000/s and burst; socketio's burst cell invalid, sockjs's burst cell errored without a
 * result; plus ws × 1,000 clients at 500/s only (a level with one rate).
 */
export function writeRatesSweep(dir: string): SweepManifest {
  const cells: SweepCell[] = [];
  const rates: ArrivalRate[] = [500, 10000, 'burst'];
  const add = (lib: 'ws' | 'socketio' | 'sockjs', clients: number, rate: ArrivalRate, r: RunResult | null) => {
    const tag = rate === 'burst' ? 'burst' : `r${rate}`;
    const file = `${lib}-${clients}-${tag}-t1.json`;
    if (r) writeJson(path.join(dir, file), r);
    cells.push({
      index: cells.length,
      lib,
      clients,
      arrivalRate: rate,
      trial: 1,
      file,
      args: ['run', '--lib', lib, '--clients', String(clients), '--arrival-rate', String(rate), '--allow-invalid'],
      status: r ? r.status : 'errored',
      ...(!r && { error: MISSING_CELL_ERROR }),
      ...(r && { valid: r.loadgen.valid }),
    });
  };
  const scale = { ws: 1, socketio: 2.5, sockjs: 1.5 };
  add('ws', 1000, 500, asV2(makeResult('ws', 1000), 500));
  for (const rate of rates) {
    for (const lib of ['ws', 'socketio', 'sockjs'] as const) {
      if (lib === 'sockjs' && rate === 'burst') {
        add(lib, 10000, rate, null);
        continue;
      }
      let r = makeResult(lib, 10000, scale[lib]);
      if (lib === 'socketio' && rate === 'burst') r = invalid(r, 'arrivals ran behind their schedule');
      add(lib, 10000, rate, asV2(r, rate, LAG[String(rate)]));
    }
  }
  const manifest: SweepManifest = {
    schemaVersion: 1,
    kind: 'bench-sweep',
    createdAt: '2026-12-01T03:00:00.000Z',
    updatedAt: '2026-12-01T03:10:00.000Z',
    preset: null,
    assumptions: [],
    options: {
      libs: ['ws', 'socketio', 'sockjs'],
      clients: [1000, 10000],
      trials: 1,
      scenario: 'echo',
      runArgs: [],
      arrivalRates: rates,
    },
    env: baseResult().env,
    cells,
    fixedCost: null,
    wallSeconds: 300,
  };
  writeJson(path.join(dir, 'manifest.json'), manifest);
  return manifest;
}
