/**
 * The bench engine under real Artillery, against the real servers: one scenario per library,
 * counts and histograms checked from the engine's event file and Artillery's own report.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { WebSocketServer } from 'ws';
import {
  ARTILLERY_METRIC,
  ConnectionError,
  Engine,
  ENGINE_DIR_ENV,
  emptyCounts,
  LIBS,
  LIB_ENV,
  METRICS,
  type EngineCounts,
  type EngineEvent,
  type Lib,
  type MetricName,
} from 'artillery-engine-bench';
import { addCounts } from '../../runner/loadgen/engine-events';
import { createServer } from '../../servers/index';
import type { BenchServer } from '../../servers/types';

const ROOT = path.resolve(__dirname, '../../..');
const ARTILLERY = path.join(ROOT, 'node_modules/artillery/bin/run');
/** Keeps Artillery's telemetry call from leaving the machine (see runner/artillery-preload.ts). */
const PRELOAD = path.join(ROOT, 'dist/runner/loadgen/artillery-preload.js');
const RAMP = 20;
const PROBES = 3;
const OVERRIDES = JSON.stringify({
  config: {
    phases: [
      { name: 'ramp', arrivalCount: RAMP, duration: 1 },
      { name: 'hold', pause: 2 },
      { name: 'probe', arrivalCount: PROBES, duration: 1 },
    ],
  },
});
/** A bound on one Artillery run, not an expectation. */
const RUN_TIMEOUT_MS = 120_000;

type FinalEvent = Extract<EngineEvent, { histograms: unknown }> & {
  event: 'final';
};

interface ArtilleryRun {
  code: number | null;
  output: string;
  /** counts summed over every engine worker's final line */
  counts: EngineCounts;
  /** values recorded per histogram, summed over workers */
  recorded: Record<MetricName, number>;
  /** each engine worker's event file */
  files: EngineEvent[][];
  report: {
    aggregate: {
      summaries: Record<string, { count: number }>;
      counters: Record<string, number>;
    };
  };
}

/** True while any process of the group led by `pgid` is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function runArtillery(scenario: string, target: string, lib: Lib, dir: string): Promise<ArtilleryRun> {
  const report = path.join(dir, 'report.json');
  // Own process group, so that whatever Artillery starts can be checked (and killed) as one.
  const child = spawn(
    process.execPath,
    [
      '--require',
      PRELOAD,
      ARTILLERY,
      'run',
      path.join(ROOT, 'scenarios', `${scenario}.yml`),
      '--target',
      target,
      '--overrides',
      OVERRIDES,
      '--output',
      report,
    ],
    {
      cwd: dir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        [ENGINE_DIR_ENV]: dir,
        [LIB_ENV]: lib,
        ARTILLERY_DISABLE_TELEMETRY: 'true',
      },
    },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), RUN_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);

  for (let i = 0; i < 50 && groupAlive(child.pid!); i++) await new Promise((r) => setTimeout(r, 100));
  const leftover = groupAlive(child.pid!);
  if (leftover) process.kill(-child.pid!, 'SIGKILL');
  assert.equal(leftover, false, 'a process Artillery started outlived it');
  assert.equal(code, 0, output);

  // One file per Artillery worker thread: one on a 2-core machine, more on bigger ones.
  const names = fs.readdirSync(dir).filter((f) => /^engine-\d+-\d+\.ndjson$/.test(f));
  assert.ok(names.length > 0, `no engine event file in ${dir}\n${output}`);
  const files = names.map((f) =>
    fs
      .readFileSync(path.join(dir, f), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as EngineEvent),
  );
  const counts = emptyCounts();
  const recorded = Object.fromEntries(METRICS.map((m) => [m, 0])) as Record<MetricName, number>;
  for (const events of files) {
    const finals = events.filter((e): e is FinalEvent => e.event === 'final');
    assert.equal(finals.length, 1, 'exactly one final line per worker');
    const final = finals[0]!;
    addCounts(counts, final.counts);
    for (const m of METRICS) {
      const encoded = final.histograms[m];
      if (encoded !== undefined) recorded[m] += hdr.decodeFromCompressedBase64(encoded).totalCount;
    }
  }
  return { code, output, counts, recorded, files, report: JSON.parse(fs.readFileSync(report, 'utf8')) };
}

async function withServer<T>(lib: Lib, fn: (url: string) => Promise<T>): Promise<T> {
  const server: BenchServer = createServer(lib, {
    port: 0,
    host: '127.0.0.1',
    transport: 'websocket',
    deflate: false,
    pingIntervalMs: 25_000,
  });
  const { url } = await server.listen();
  try {
    return await fn(url);
  } finally {
    await server.close();
  }
}

describe('bench engine under real Artillery', () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-engine-test-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const cases = LIBS.map((lib) => ({ lib, scenario: 'echo' }));
  for (const { lib, scenario } of cases) {
    it(`${lib}: ${scenario}.yml connects ${RAMP} clients and ${PROBES} probes, echoes, reports`, async () => {
      const dir = fs.mkdtempSync(path.join(tmp, `${lib}-${scenario}-`));
      const run = await withServer(lib, (url) => runArtillery(scenario, url, lib, dir));
      const { counts, recorded } = run;
      assert.equal(counts.connected, RAMP, run.output);
      assert.equal(counts.failed, 0, JSON.stringify(counts.errors));
      assert.equal(counts.open, 0, 'every client closed');
      assert.equal(counts.probesConnected, PROBES);
      assert.equal(counts.probesFailed, 0);
      assert.deepEqual(counts.errors, {});
      assert.equal(recorded.connectMs, RAMP);
      assert.equal(recorded.firstMessageMs, RAMP);
      assert.equal(recorded.probeConnectMs, PROBES);
      assert.equal(recorded.probeFirstMessageMs, PROBES);
      assert.ok(counts.echoSent > 0, 'echoes were sent');
      assert.equal(counts.echoReceived, counts.echoSent, 'every echo came back');
      assert.equal(recorded.echoMs, counts.echoReceived);

      for (const events of run.files) {
        const started = events[0];
        assert.equal(started?.event === 'started' && started.lib, lib, 'first line: started, with the lib');
        const phases = events.flatMap((e) => (e.event === 'phase' ? [`${e.name}:${e.state}`] : []));
        assert.deepEqual(phases, [
          'ramp:started',
          'ramp:completed',
          'hold:started',
          'hold:completed',
          'probe:started',
          'probe:completed',
        ]);
        assert.ok(
          events.some((e) => e.event === 'progress'),
          'progress lines written',
        );
      }

      const { summaries, counters } = run.report.aggregate;
      assert.equal(summaries[ARTILLERY_METRIC.connectMs]?.count, RAMP);
      assert.equal(summaries[ARTILLERY_METRIC.probeConnectMs]?.count, PROBES);
      assert.equal(counters['bench.connected'], RAMP);
      assert.equal(counters['vusers.failed'], 0);
    });
  }

  it('ws: broadcast.yml has one leader ask for broadcasts that reach every client', async () => {
    const lib: Lib = 'ws';
    const dir = fs.mkdtempSync(path.join(tmp, 'ws-broadcast-'));
    const run = await withServer(lib, (url) => runArtillery('broadcast', url, lib, dir));
    const { counts, recorded } = run;
    assert.equal(counts.connected, RAMP, run.output);
    assert.equal(counts.failed, 0);
    assert.ok(counts.broadcastsReceived > 0, 'broadcasts arrived');
    assert.ok((counts.broadcastsSent ?? 0) > 0, 'the leader asked for broadcasts');
    // Every client was connected through the hold phase, so each broadcast reached all of them.
    assert.ok(counts.broadcastsReceived >= (counts.broadcastsSent ?? 0) * RAMP, JSON.stringify(counts));
    // Each one timed, or counted as stamped after it arrived (two processes' clocks), never both.
    assert.equal(recorded.broadcastMs + (counts.broadcastNegative ?? 0), counts.broadcastsReceived);
    assert.equal(counts.echoSent, 0, 'no echo traffic in the broadcast scenario');
  });
});

/** A port nothing listens on: bound once by us, then released. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('bench engine, driven directly', () => {
  const TARGET = {
    ws: (port: number) => `ws://127.0.0.1:${port}/`,
    socketio: (port: number) => `http://127.0.0.1:${port}`,
    sockjs: (port: number) => `http://127.0.0.1:${port}/sockjs`,
  } satisfies Record<Lib, (port: number) => string>;
  const REFUSED_CODE: Record<Lib, string> = {
    ws: 'ECONNREFUSED',
    socketio: 'ECONNREFUSED',
    sockjs: 'sockjs.close_1002',
  };

  for (const lib of LIBS) {
    it(`${lib}: a refused connection fails the VU with a short code and is counted`, async () => {
      const port = await closedPort();
      const runner = new EventEmitter();
      const engine = new Engine(
        {
          config: { target: TARGET[lib](port), engines: { bench: { lib } } },
          scenarios: [],
        },
        runner,
      );
      const emitted: unknown[][] = [];
      const vu = engine.createScenario(
        { flow: [{ connect: {} }, { hold: {} }] },
        { emit: (...args: unknown[]) => emitted.push(args) },
      );
      const err = await new Promise<Error | null>((resolve) => vu({}, (e) => resolve(e)));
      runner.emit('done');
      assert.ok(err instanceof ConnectionError, String(err));
      assert.equal(err.code, REFUSED_CODE[lib]);
      // Driven without bench's arrival timer: no due time, so the VU is counted as unscheduled
      // and its lag (measured from its own start) is a number near zero.
      const shape = emitted.map((e) => (e[1] === 'bench.arrival_lag' ? [e[0], e[1], typeof e[2]] : e));
      // The first VU of an engine also names the library, once (bench.lib.<lib>).
      assert.deepEqual(shape, [
        ['started'],
        ['counter', `bench.lib.${lib}`, 1],
        ['counter', 'bench.arrivals_unscheduled', 1],
        ['histogram', 'bench.arrival_lag', 'number'],
        ['counter', 'bench.failed', 1],
        ['error', REFUSED_CODE[lib]],
      ]);
      const { counts } = engine.recorder;
      assert.equal(counts.failed, 1);
      assert.equal(counts.connected, 0);
      assert.equal(counts.open, 0);
      assert.deepEqual(counts.errors, { [REFUSED_CODE[lib]]: 1 });
    });
  }

  it('ws: probes connect one at a time; holds end when the probe phase completes', async () => {
    await withServer('ws', async (url) => {
      const runner = new EventEmitter();
      const phases = [
        { name: 'ramp', index: 0 },
        { name: 'hold', index: 1 },
        { name: 'probe', index: 2 },
      ];
      const engine = new Engine(
        {
          config: {
            target: url,
            engines: { bench: { lib: 'ws' } },
            phases: phases.map((p) => ({ ...p, pause: 1 })),
          },
        },
        runner,
      );
      const log: string[] = [];
      const vu = engine.createScenario(
        { flow: [{ connect: {} }, { hold: {} }, { disconnect: {} }] },
        {
          emit: (event: unknown, name: unknown) => {
            // Driven without bench's arrival timer, every VU is also counted as unscheduled;
            // the first also names the library.
            if (event === 'counter' && name !== 'bench.arrivals_unscheduled' && name !== 'bench.lib.ws')
              log.push(String(name));
          },
        },
      );
      const run = (who: string) =>
        new Promise<void>((resolve, reject) =>
          vu({}, (err) => {
            log.push(`${who} done`);
            if (err) reject(err);
            else resolve();
          }),
        );

      runner.emit('phaseStarted', phases[0]);
      const main = [run('main'), run('main')];
      // Bounded wait (not a timing assertion): both main clients open.
      for (let i = 0; i < 1000 && engine.recorder.counts.open < 2; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(engine.recorder.counts.open, 2, JSON.stringify(engine.recorder.counts));
      runner.emit('phaseCompleted', phases[0]);
      runner.emit('phaseStarted', phases[1]);
      runner.emit('phaseCompleted', phases[1]);
      runner.emit('phaseStarted', phases[2]);
      const probes = [run('probe'), run('probe'), run('probe')];
      await Promise.all(probes);
      assert.equal(engine.recorder.counts.open, 2, 'main clients still held');
      runner.emit('phaseCompleted', phases[2]);
      await Promise.all(main);
      runner.emit('done');

      assert.deepEqual(log, [
        'bench.connected',
        'bench.connected',
        'bench.probe.connected',
        'probe done',
        'bench.probe.connected',
        'probe done',
        'bench.probe.connected',
        'probe done',
        'main done',
        'main done',
      ]);
      assert.equal(engine.recorder.counts.open, 0);
    });
  });

  it('ws: counts each broadcast once per client, and what arrives out of order or twice', async () => {
    // A server that sends seq 1, 3, 2, 2, 4: one late arrival and one duplicate.
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (socket) => {
      socket.send(JSON.stringify({ type: 'welcome', t: Date.now(), node: 'node-7' }));
      for (const seq of [1, 3, 2, 2, 4]) socket.send(JSON.stringify({ type: 'broadcast', seq, t: Date.now() }));
    });
    try {
      const runner = new EventEmitter();
      const phases = [
        { name: 'ramp', index: 0 },
        { name: 'hold', index: 1 },
        { name: 'probe', index: 2 },
      ];
      const { port } = wss.address() as net.AddressInfo;
      const engine = new Engine(
        {
          config: {
            target: `ws://127.0.0.1:${port}/`,
            engines: { bench: { lib: 'ws' } },
            phases: phases.map((p) => ({ ...p, pause: 1 })),
          },
        },
        runner,
      );
      const vu = engine.createScenario({ flow: [{ connect: {} }, { hold: {} }, { disconnect: {} }] }, { emit() {} });
      runner.emit('phaseStarted', phases[0]);
      const done = new Promise<void>((resolve, reject) => vu({}, (err) => (err ? reject(err) : resolve())));
      const c = engine.recorder.counts;
      // Bounded wait (not a timing assertion): all five messages handled.
      for (let i = 0; i < 1000 && c.broadcastsReceived + (c.broadcastDuplicates ?? 0) < 5; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      for (const p of phases) {
        runner.emit('phaseStarted', p);
        runner.emit('phaseCompleted', p);
      }
      await done;
      runner.emit('done');
      assert.equal(c.broadcastsReceived, 4, 'seq 1, 2, 3 and 4 once each');
      assert.equal(c.broadcastDuplicates, 1);
      assert.equal(c.broadcastOutOfOrder, 1, 'seq 2 after seq 3');
      // Counted for the node the welcome named, each (client, seq) once: held against its log.
      assert.deepEqual(c.byNode, { 'node-7': { welcomed: 1, received: 4 } });
    } finally {
      await new Promise((r) => wss.close(r));
    }
  });

  for (const serverClock of ['same', 'other'] as const) {
    it(`ws: broadcast latency with the server's clock ${serverClock}: recorded only on one clock, never clamped`, async () => {
      // seq 2 is stamped a minute after it arrives: the server's clock runs ahead of ours.
      const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
      await new Promise((r) => wss.once('listening', r));
      wss.on('connection', (socket) => {
        socket.send(JSON.stringify({ type: 'welcome', t: Date.now() - 1000 }));
        for (const [seq, ahead] of [
          [1, -1000],
          [2, 60_000],
          [3, -1000],
        ])
          socket.send(JSON.stringify({ type: 'broadcast', seq, t: Date.now() + ahead! }));
      });
      try {
        const runner = new EventEmitter();
        const phases = [{ name: 'hold', index: 0 }];
        const { port } = wss.address() as net.AddressInfo;
        const engine = new Engine(
          {
            config: {
              target: `ws://127.0.0.1:${port}/`,
              engines: { bench: { lib: 'ws', serverClock } },
              phases: phases.map((p) => ({ ...p, pause: 1 })),
            },
          },
          runner,
        );
        const emitted: unknown[][] = [];
        const vu = engine.createScenario(
          { flow: [{ connect: {} }, { hold: {} }, { disconnect: {} }] },
          { emit: (...args: unknown[]) => emitted.push(args) },
        );
        runner.emit('phaseStarted', phases[0]);
        const done = new Promise<void>((resolve, reject) => vu({}, (err) => (err ? reject(err) : resolve())));
        const c = engine.recorder.counts;
        // Bounded wait (not a timing assertion): all three broadcasts handled.
        for (let i = 0; i < 1000 && c.broadcastsReceived < 3; i++) await new Promise((r) => setTimeout(r, 10));
        runner.emit('phaseCompleted', phases[0]);
        await done;
        runner.emit('done');
        assert.equal(c.broadcastsReceived, 3);
        const recorded = emitted.filter((e) => e[0] === 'histogram' && e[1] === ARTILLERY_METRIC.broadcastMs);
        if (serverClock === 'same') {
          assert.equal(c.broadcastNegative, 1, 'seq 2 counted as stamped after it arrived');
          assert.equal(engine.recorder.totalCount('broadcastMs'), 2, 'seq 2 left out, not recorded as 0 ms');
          assert.ok(
            recorded.every((e) => (e[2] as number) >= 900),
            `no clamped value: ${JSON.stringify(recorded)}`,
          );
        } else {
          assert.equal(engine.recorder.totalCount('broadcastMs'), 0, "another machine's clock: no latency");
          assert.equal(c.broadcastNegative ?? 0, 0);
        }
        assert.equal(recorded.length, engine.recorder.totalCount('broadcastMs'));
      } finally {
        await new Promise((r) => wss.close(r));
      }
    });
  }

  it('rejects an unknown library with the allowed values', () => {
    assert.throws(
      () =>
        new Engine(
          {
            config: {
              target: 'ws://127.0.0.1:1/',
              engines: { bench: { lib: 'faye' } },
            },
          },
          new EventEmitter(),
        ),
      {
        name: 'EngineConfigError',
        message: "Unknown library 'faye' in config.engines.bench.lib. Use one of: ws, socketio, sockjs.",
      },
    );
  });
});
