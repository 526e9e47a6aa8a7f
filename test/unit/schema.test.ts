import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { buildResult, type Measurements, type RunResult } from '../../runner/result/build';
import { emptyCounts, type EngineState } from '../../runner/loadgen/engine-events';
import { buildHistogram } from '../../runner/metrics/histograms';
import { resolveRunOptions, type RunOptions } from '../../runner/config/run-options';
import { collectEnv } from '../../runner/result/env';
import { evaluateEnsure } from '../../runner/result/ensure';
import { parseEnsure } from '../../runner/metrics/expr';
import { assertResultFile, assertResultSchema, resultSchemaErrors } from '../helpers/schema';
import { runBin } from '../helpers/bin';
import type { NodeRestart, RollingRestartFault } from '../../runner/result/schema';
import { newRestartRecord } from '../../runner/run/rolling-restart';
import { formatSummary } from '../../runner/summary/text';
import { readMetric } from '../../runner/metrics/registry';
import {
  FIXTURE_RESULT,
  asV2,
  baseResult,
  errored,
  invalid,
  makeResult,
  tempDir,
  writeRatesSweep,
  writeResultsFolder,
  writeSweepFolder,
} from '../helpers/report-fixtures';
import {
  KILL_NODE,
  RECONNECT,
  REDIS_OUTAGE,
  broadcastResult,
  writeBroadcastFolder,
} from '../helpers/report-broadcast-fixtures';

function encoded(valuesUs: number[]): string {
  const h = buildHistogram();
  for (const v of valuesUs) h.recordValue(v);
  return hdr.encodeIntoCompressedBase64(h);
}

const us = (n: number, v: number) => encoded(Array.from({ length: n }, () => v));

function engineState(over: Partial<EngineState> = {}): EngineState {
  return {
    workers: 1,
    startedAt: 1_000,
    phases: {
      warmup: { startedAt: 1_100, completedAt: 1_200 },
      settle: { startedAt: 1_200, completedAt: 1_900 },
      ramp: { startedAt: 2_000, completedAt: 3_000 },
      hold: { startedAt: 3_000, completedAt: 5_000 },
      probe: { startedAt: 5_000, completedAt: 6_000 },
    },
    counts: { ...emptyCounts(), connected: 100, probesConnected: 2, echoSent: 300, echoReceived: 300 },
    loopDelayMs: { p50: 10, p99: 20, max: 40, mean: 11 },
    histograms: {
      connectMs: [us(100, 2000)],
      connectServiceMs: [us(100, 1000)],
      arrivalLagMs: [us(102, 1000)],
      firstMessageMs: [us(100, 50)],
      timeToFirstMessageMs: [us(100, 2050)],
      welcomeDeliveryMs: [us(100, 300)],
      echoMs: [us(300, 400)],
      echoServiceMs: [us(300, 300)],
      probeConnectMs: [us(2, 1500)],
      probeConnectServiceMs: [us(2, 1400)],
      probeFirstMessageMs: [us(2, 40)],
      probeTimeToFirstMessageMs: [us(2, 1540)],
    },
    final: true,
    serverClock: 'same',
    ...over,
  };
}

/** Removes a field the type says is always there: what a broken writer would do. */
const unset = (o: object, key: string) => delete (o as Record<string, unknown>)[key];

const samples = (mb: number[]) => mb.map((v, i) => ({ t: 500 * (i + 1), rssBytes: v * 1_000_000, cpuPercent: 10 }));

function measurements(raw: RunOptions = {}, over: Partial<Measurements> = {}): Measurements {
  return {
    options: resolveRunOptions({ lib: 'ws', clients: '100', out: '/tmp/x.json', ...raw }),
    startedAt: 0,
    finishedAt: 7_000,
    loadStartedAt: 1_000,
    server: {
      ready: { event: 'ready', lib: 'ws', port: 1234, pid: 42, url: 'ws://127.0.0.1:1234/', deflate: 'off' },
      samples: samples([50, 50, 50, 60, 61, 60, 60, 60, 60, 60, 60, 60]),
    },
    loadgen: { pid: 43, samples: samples([100, 100, 101, 102, 102, 102, 102, 102, 102, 102, 102, 102]) },
    engine: engineState(),
    artillery: null,
    env: collectEnv(),
    outcome: { status: 'completed' },
    ...over,
  };
}

/** Every result buildResult makes: the shapes a real run writes. */
function builtResults(): Record<string, RunResult> {
  const late = engineState({ histograms: { ...engineState().histograms, arrivalLagMs: [us(100, 300_000)] } });
  const silent = engineState({ workers: 0, histograms: {}, counts: emptyCounts(), loopDelayMs: null });
  const broadcastCounts = {
    ...emptyCounts(),
    connected: 90,
    broadcastsSent: 10,
    broadcastsExpected: 900,
    broadcastsReceived: 899,
    connectionsLost: 30,
    reconnected: 30,
    reconnectAttempts: 31,
  };
  const ensured = buildResult(measurements());
  ensured.ensure = evaluateEnsure(
    ['connect.p99<500ms', 'rss.steady<300MB', 'echo.p50<1ms', 'broadcast.lost==0'].map(parseEnsure),
    ensured,
  );
  return {
    completed: buildResult(measurements()),
    'with --ensure': ensured,
    'burst, late arrivals (invalid)': buildResult(measurements({ arrivalRate: 'burst' }, { engine: late })),
    'errored, nothing measured': buildResult(
      measurements(
        {},
        {
          engine: silent,
          server: { ready: null, samples: [] },
          loadgen: { pid: null, samples: [] },
          outcome: { status: 'errored', error: 'the ws server exited during the run (SIGKILL)' },
        },
      ),
    ),
    aborted: buildResult(measurements({}, { outcome: { status: 'aborted', error: 'interrupted by SIGINT' } })),
    '--target on another host': buildResult(
      measurements(
        { target: 'ws://10.0.0.5:8080/', allowRemoteTarget: true },
        { server: { ready: null, samples: [] }, engine: engineState({ serverClock: 'other' }) },
      ),
    ),
    'custom script': buildResult(
      measurements(
        { scenario: 'scenarios/examples/artillery-ws.yml', clients: undefined },
        {
          engine: silent,
          artillery: {
            counters: { 'vusers.created': 5, 'vusers.completed': 5 },
            summaries: { 'vusers.session_length': { p50: 1, max: 2 } },
          },
        },
      ),
    ),
    'socketio over 3 nodes, a node killed, Redis paused': buildResult(
      measurements(
        {
          lib: 'socketio',
          clients: '90',
          scenario: 'broadcast',
          nodes: '3',
          adapter: 'redis',
          killNodeAt: '2',
          adapterOutage: '1..2',
          transport: 'polling',
        },
        {
          engine: engineState({
            counts: {
              ...broadcastCounts,
              byNode: {
                'node-1': { welcomed: 45, received: 450 },
                'node-2': { welcomed: 45, received: 449 },
              },
            },
            histograms: { ...engineState().histograms, broadcastMs: [us(899, 2000)], reconnectMs: [us(30, 1_000_000)] },
          }),
          nodes: ['node-1', 'node-2', 'node-3'].map((nodeId, i) => ({
            nodeId,
            pid: 100 + i,
            samples: samples([50, 50, 55, 55]),
          })),
          deliveries: { 'node-1': 300, 'node-2': 300, 'node-3': 300 },
          broadcastsLogged: 10,
          faults: [{ ...KILL_NODE }, { ...REDIS_OUTAGE }],
          server: {
            ready: null,
            samples: samples([150, 150, 165]),
            memoryCap: { capBytes: 8 * 2 ** 30, peakBytes: 2e8, capHits: 0 },
          },
        },
      ),
    ),
  };
}

/**
 * --rolling-restart on 3 nodes of 30 clients: node-2 then node-3 then node-1 restarted; the
 * engine's counts by lost node (28 of node-3's 30 back, 2 never); node-1 still away at the end.
 */
function rollingRestartResult(): RunResult {
  const restart = (nodeId: string, pid: number, stopAtMs: number | null, publisher = false): NodeRestart => ({
    ...newRestartRecord(nodeId, pid, publisher),
    ...(stopAtMs !== null && { stopAtMs, exitMs: 100, downMs: 900, newPid: pid + 10, clientsAtStop: 30 }),
  });
  const fault: RollingRestartFault = {
    kind: 'rolling-restart',
    atSeconds: 1,
    restarts: [restart('node-2', 101, 2_000), restart('node-3', 102, 4_000), restart('node-1', 100, null, true)],
    clientsPerNodeAtEnd: { 'node-1': 20, 'node-2': 40, 'node-3': 30 },
    skewAtEnd: null,
    error: null,
  };
  // Each node sampled every 500 ms: the others at 40 % while one restarts.
  const nodeSamples = (nodeId: string) =>
    Array.from({ length: 12 }, (_, i) => ({
      t: 500 * (i + 1),
      rssBytes: 5e7,
      cpuPercent: nodeId === 'node-1' ? 40 : 20,
    }));
  return buildResult(
    measurements(
      { nodes: '3', clients: '90', rollingRestart: '1', hold: '20' },
      {
        engine: engineState({
          counts: {
            ...emptyCounts(),
            connected: 90,
            connectionsLost: 60,
            reconnected: 58,
            byNode: {
              'node-1': { welcomed: 50, received: 0 },
              'node-2': { welcomed: 40, received: 0, lost: 30, reconnected: 30 },
              'node-3': { welcomed: 30, received: 0, lost: 30, reconnected: 28, attemptsFailed: 5, reconnectFailed: 1 },
            },
          },
          reconnectByNode: { 'node-2': [us(30, 1_000_000)], 'node-3': [us(20, 1_200_000), us(8, 3_000_000)] },
        }),
        nodes: ['node-1', 'node-2', 'node-3'].map((nodeId, i) => ({
          nodeId,
          pid: 110 + i,
          samples: nodeSamples(nodeId),
        })),
        server: {
          ready: null,
          samples: samples([150, 150, 165]),
          inner: [
            { nodeId: 'node-1', samples: [innerAt(2_500, 30)], heapAfterGc: [] },
            { nodeId: 'node-3', samples: [innerAt(2_500, 12), innerAt(4_500, 50)], heapAfterGc: [] },
          ],
        },
        faults: [fault],
      },
    ),
  );
}

const innerAt = (t: number, delayMaxMs: number) => ({
  t,
  heapUsedBytes: 1e7,
  heapTotalBytes: 2e7,
  externalBytes: 0,
  arrayBuffersBytes: 0,
  elu: 0.1,
  delayMeanMs: 1,
  delayMaxMs,
  gcPauseMs: 0,
  gcCount: 0,
});

describe('--rolling-restart in the result', () => {
  it('fills each restart from the engine by lost node, the others from their samples; summary, --ensure, schema', () => {
    const r = rollingRestartResult();
    assertResultSchema(r, 'rolling restart');
    assert.equal(r.options.rollingRestart, 1);
    assert.ok(r.options.reconnect, 'a rolling restart turns reconnecting on');
    const f = r.faults[0] as RollingRestartFault;
    const [n2, n3, n1] = f.restarts;
    assert.deepEqual([n2!.clientsDisconnected, n2!.reconnected, n2!.neverBack, n2!.connectFailures], [30, 30, 0, 0]);
    assert.deepEqual([n3!.clientsDisconnected, n3!.reconnected, n3!.neverBack, n3!.connectFailures], [30, 28, 2, 5]);
    assert.deepEqual(n2!.reconnectMs, { p50: 1000.447, p95: 1000.447, max: 1000.447, count: 30 });
    assert.equal(n3!.reconnectMs!.count, 28);
    assert.ok(n3!.reconnectMs!.p95 > 2_990 && n3!.reconnectMs!.p50 < 1_210);
    // node-2's storm: 2 s → 3 s (+ one 250 ms sampling interval); the others are node-1 (40 %) and node-3 (20 %).
    assert.deepEqual(n2!.survivors, { fromMs: 2_000, toMs: 3_000, cpuPercent: 40, loopDelayMaxMs: 30 });
    // node-3's lasts until its last client was back, 3 s after the stop.
    assert.deepEqual(n3!.survivors, { fromMs: 4_000, toMs: 7_000, cpuPercent: 40, loopDelayMaxMs: null });
    assert.equal(n1!.stopAtMs, null);
    assert.equal(n1!.survivors, null);
    assert.equal(f.skewAtEnd, 1.33);

    const text = formatSummary(r);
    assert.match(
      text,
      /fault {12}rolling restart from 1 s into the hold: 2 of 3 nodes restarted, 60 clients disconnected, 2 never back: the run ended first/,
    );
    assert.match(
      text,
      /node-3 {11}away 0\.9 s · 30 disconnected · back in p50 1\d{3} p95 3\d{3} max 3\d{3} ms · 2 never back · 5 connect failures · others CPU 40\.0% loop max – ms/,
    );
    assert.match(text, /node-1 \(publisher\) not restarted: the run ended first/);
    assert.match(
      text,
      /clients at the end of the hold: node-1 20, node-2 40, node-3 30 \(busiest 1\.33× an even share\)/,
    );

    assert.equal(readMetric('restart.neverBack', r), 2);
    assert.equal(readMetric('restart.disconnected', r), 60);
    assert.equal(readMetric('restart.connectFailures', r), 5);
    assert.equal(readMetric('restart.down.max', r), 900);
    assert.equal(readMetric('restart.skew', r), 1.33);
    assert.equal(readMetric('restart.survivorLoopDelay.max', r), 30);
    assert.equal(readMetric('restart.reconnect.max', r), n3!.reconnectMs!.max);
    // Without a rolling restart: nothing to check, so an --ensure on it fails.
    assert.equal(readMetric('restart.neverBack', buildResult(measurements())), null);
  });
});

function resultFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json') && path.basename(f) !== 'manifest.json')
    .map((f) => path.join(dir, f));
}

describe('docs/result.schema.json', () => {
  it('accepts every shape buildResult writes (schemaVersion 2)', () => {
    const built = builtResults();
    for (const [name, r] of Object.entries(built)) {
      assert.equal(r.schemaVersion, 2, name);
      assertResultSchema(r, name);
    }
    // The cases above are what they claim to be, so the schema met each shape for real.
    assert.equal(built['burst, late arrivals (invalid)']!.valid, false);
    assert.equal(built['errored, nothing measured']!.connectMs, null);
    const nodes = built['socketio over 3 nodes, a node killed, Redis paused']!.nodes!;
    assert.deepEqual(
      nodes.map((n) => [n.nodeId, n.deliveries, n.welcomed, n.received]),
      [
        ['node-1', 300, 45, 450],
        ['node-2', 300, 45, 449],
        // The clients counted nothing of node-3: 0, not absent, beside what it logged.
        ['node-3', 300, 0, 0],
      ],
    );
    assert.equal(built['with --ensure']!.ensure?.length, 4);
    assert.equal(built['--target on another host']!.server.deflate, null);
  });

  it('accepts the test fixtures: the version-1 result file and every result the report fixtures write', () => {
    assertResultFile(FIXTURE_RESULT);
    assert.equal(baseResult().schemaVersion, 1);
    const fixtures: Record<string, RunResult> = {
      makeResult: makeResult('socketio', 5000, 2),
      errored: errored(makeResult('ws', 1000), 'server died'),
      invalid: invalid(makeResult('sockjs', 1000), 'the load generator was saturated'),
      asV2: asV2(makeResult('ws', 10000), 'burst', 300),
      broadcastResult: broadcastResult('ws', 300, { nodes: 3, deliveries: [1000, 1000, 1000], killed: 'node-3' }),
      'broadcastResult with faults': broadcastResult('socketio', 300, {
        nodes: 3,
        reconnect: RECONNECT,
        faults: [KILL_NODE, REDIS_OUTAGE],
      }),
    };
    for (const [name, r] of Object.entries(fixtures)) assertResultSchema(r, name);

    const dir = tempDir('bench-schema-');
    try {
      writeResultsFolder(path.join(dir, 'loose'));
      writeSweepFolder(path.join(dir, 'sweep'));
      writeRatesSweep(path.join(dir, 'rates'));
      writeBroadcastFolder(path.join(dir, 'broadcast'));
      const files = resultFiles(dir);
      assert.ok(files.length >= 30, `${files.length} fixture files`);
      for (const f of files) assertResultFile(f);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a result that breaks the contract, naming the field', () => {
    const good = () => buildResult(measurements()) as RunResult & Record<string, unknown>;
    const broken: [string, (r: RunResult & Record<string, unknown>) => unknown, string][] = [
      ['no connectMs', (r) => unset(r, 'connectMs'), "(top level) must have required property 'connectMs'"],
      [
        'a version-2 field missing',
        (r) => unset(r, 'timeToFirstMessageMs'),
        "required property 'timeToFirstMessageMs'",
      ],
      [
        'a count as text',
        (r) => (r.clients.connected = '100' as unknown as number),
        '/clients/connected must be integer',
      ],
      ['a latency without p99', (r) => unset(r.connectMs!, 'p99'), "/connectMs must have required property 'p99'"],
      [
        'an unknown library',
        (r) => (r.lib = 'mqtt' as RunResult['lib']),
        '/lib must be equal to one of the allowed values',
      ],
      [
        'an arrival rate that is neither a rate nor burst',
        (r) => (r.options.arrivalRate = 'fast' as 'burst'),
        '/options/arrivalRate',
      ],
      [
        'an errored run without its error',
        (r) => (r.status = 'errored'),
        "(top level) must have required property 'error'",
      ],
      [
        'valid with a reason against it',
        (r) => (r.invalidReasons = ['arrivals started late']),
        '/invalidReasons must NOT have more than 0 items',
      ],
      [
        'invalid without a reason',
        (r) => ((r.valid = false), (r.loadgen.valid = false)),
        '/invalidReasons must NOT have fewer than 1 items',
      ],
      [
        'a schemaVersion no reader knows',
        (r) => (r.schemaVersion = 3 as 2),
        '/schemaVersion must be equal to one of the allowed values',
      ],
      [
        'a sample without its RSS',
        (r) => unset(r.server.samples[0]!, 'rssBytes'),
        "/server/samples/0 must have required property 'rssBytes'",
      ],
      ['a start time that is not ISO 8601', (r) => (r.startedAt = 'yesterday'), '/startedAt must match pattern'],
    ];
    assert.deepEqual(resultSchemaErrors(good()), []);
    for (const [name, breakIt, expected] of broken) {
      const r = good();
      breakIt(r);
      const errors = resultSchemaErrors(r);
      assert.ok(
        errors.some((e) => e.includes(expected)),
        `${name}: expected an error containing ${JSON.stringify(expected)}, got ${JSON.stringify(errors)}`,
      );
      assert.throws(
        () => assertResultSchema(r, name),
        new RegExp(`^Error: ${name} does not meet docs/result.schema.json`),
      );
    }
  });

  it('holds version-1 files to the version-1 minimum only, and version-2 files to all of version 2', () => {
    const v1 = baseResult() as RunResult & Record<string, unknown>;
    assert.equal(v1.connectServiceMs, undefined);
    assert.deepEqual(resultSchemaErrors(v1), []);
    unset(v1, 'loadgen');
    assert.deepEqual(resultSchemaErrors(v1), ["(top level) must have required property 'loadgen'"]);
    // The same file claiming version 2 lacks everything version 2 added.
    const claims2 = { ...baseResult(), schemaVersion: 2 };
    const errors = resultSchemaErrors(claims2);
    for (const field of ['connectServiceMs', 'arrivalLagMs', 'valid', 'schedule', 'engine']) {
      assert.ok(
        errors.includes(`(top level) must have required property '${field}'`),
        `${field}: ${JSON.stringify(errors)}`,
      );
    }
  });
});

describe('runBin holds what bench writes to the schema', () => {
  // A stand-in for bench that writes what a broken writer would; the real bin is never run.
  const fakeBench = (script: string) => ['sh', '-c', script, 'fake-bench'];

  it('rejects a run whose --out file breaks the schema, naming the file and the field', async () => {
    const dir = tempDir('bench-schema-bin-');
    try {
      const out = path.join(dir, 'r.json');
      const env = { ...process.env, OUT: out };
      await assert.rejects(
        runBin(['run', '--lib', 'ws', '--clients', '1', '--out', out], {
          prefix: fakeBench('echo \'{"schemaVersion":2}\' > "$OUT"'),
          env,
        }),
        (e: Error) =>
          e.message.startsWith(`${out} does not meet docs/result.schema.json`) && /'connectMs'/.test(e.message),
      );
      // A file the run did not write (a refused run leaves it as it was) is not the run's result.
      const r = await runBin(['run', '--lib', 'ws', '--clients', '1', '--out', out], {
        prefix: fakeBench('exit 2'),
        env,
      });
      assert.equal(r.code, 2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects a sweep whose cell breaks the schema, and a run's --json that does", async () => {
    const dir = tempDir('bench-schema-bin-');
    try {
      const cell = path.join(dir, 'cells', 'ws-1-t1.json');
      await assert.rejects(
        runBin(['sweep', '--libs', 'ws', '--clients', '1', '--out', dir], {
          prefix: fakeBench(`mkdir -p "$(dirname "$CELL")" && echo '{"schemaVersion":1}' > "$CELL"`),
          env: { ...process.env, CELL: cell },
        }),
        (e: Error) => e.message.startsWith(`${cell} does not meet`),
      );
      await assert.rejects(
        runBin(['run', '--lib', 'ws', '--clients', '1', '--json'], {
          prefix: fakeBench('echo \'{"schemaVersion":2,"lib":"mqtt"}\''),
        }),
        (e: Error) => /the result JSON on stdout does not meet/.test(e.message) && /\/lib /.test(e.message),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docs/result.md', () => {
  it('its example is a result the schema accepts', () => {
    const doc = fs.readFileSync(path.resolve(__dirname, '../../../docs/result.md'), 'utf8');
    const example = /## An example[\s\S]*?```json\n([\s\S]*?)\n```/.exec(doc);
    assert.ok(example, 'docs/result.md has its example');
    const r = JSON.parse(example[1]!) as RunResult;
    assert.equal(r.schemaVersion, 2);
    assertResultSchema(r, 'the example in docs/result.md');
  });
});
