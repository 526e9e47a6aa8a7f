import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as hdr from 'hdr-histogram-js';
import { buildResult, median, steadyWindow, summariseRss, type Measurements } from '../../runner/result/build';
import { emptyCounts, type EngineState } from '../../runner/loadgen/engine-events';
import { buildHistogram, mergeEncoded, toStats } from '../../runner/metrics/histograms';
import { resolveRunOptions } from '../../runner/config/run-options';
import { collectEnv } from '../../runner/result/env';
import type { ProcSample } from '../../runner/sampling/proc-stats';
import { formatSummary } from '../../runner/summary/text';

function encoded(valuesUs: number[]): string {
  const h = buildHistogram();
  for (const v of valuesUs) h.recordValue(v);
  return hdr.encodeIntoCompressedBase64(h);
}

const sample = (t: number, rssMb: number, cpuPercent = 10): ProcSample => ({
  t,
  rssBytes: rssMb * 1_000_000,
  cpuPercent,
});

function engineState(over: Partial<EngineState> = {}): EngineState {
  return {
    workers: 1,
    startedAt: 1_000,
    phases: {
      ramp: { startedAt: 2_000, completedAt: 3_000 },
      hold: { startedAt: 3_000, completedAt: 5_000 },
      probe: { startedAt: 5_000, completedAt: 6_000 },
    },
    counts: { ...emptyCounts(), connected: 100, failed: 0, probesConnected: 2, echoSent: 300, echoReceived: 300 },
    loopDelayMs: { p50: 10, p99: 20, max: 40, mean: 11 },
    histograms: {
      connectMs: [
        encoded(Array.from({ length: 50 }, (_, i) => 1000 + i)),
        encoded(Array.from({ length: 50 }, () => 3000)),
      ],
      firstMessageMs: [encoded(Array.from({ length: 100 }, () => 500))],
      probeConnectMs: [encoded([2000, 4000])],
    },
    final: true,
    ...over,
  };
}

function measurements(over: Partial<Measurements> = {}): Measurements {
  return {
    options: resolveRunOptions({ lib: 'ws', clients: '100', out: '/tmp/x.json' }),
    startedAt: 0,
    finishedAt: 7_000,
    loadStartedAt: 1_500,
    server: {
      ready: {
        event: 'ready',
        lib: 'ws',
        port: 1234,
        pid: 42,
        url: 'ws://127.0.0.1:1234/',
        deflate: 'off',
        versions: { ws: '8.18.3' },
      },
      // idle 50 MB; steady (hold's second half, 4000–5000) 60 MB; a 70 MB peak during the ramp
      samples: [
        sample(500, 50),
        sample(1_000, 50),
        sample(1_400, 50),
        sample(2_500, 70),
        sample(3_500, 61),
        sample(4_200, 60),
        sample(4_800, 60),
      ],
    },
    loadgen: { pid: 43, samples: [sample(1_900, 100, 50), sample(3_500, 101, 80), sample(4_500, 102, 90)] },
    engine: engineState(),
    artillery: null,
    env: collectEnv(),
    outcome: { status: 'completed' },
    ...over,
  };
}

describe('histograms', () => {
  it('merges workers by adding counts, never by averaging percentiles', () => {
    const merged = mergeEncoded([encoded([1000, 1000, 1000]), encoded([9000])]);
    const s = toStats(merged);
    assert.equal(s?.count, 4);
    assert.equal(s?.p50, 1);
    // HDR keeps 3 significant digits: 9 ms comes back within 0.1%.
    assert.ok(Math.abs((s?.max ?? 0) - 9) <= 0.009, String(s?.max));
    assert.equal(toStats(mergeEncoded([])), null);
  });
});

describe('summariseRss', () => {
  it('takes idle before the load, steady in the window, peak over all', () => {
    const m = measurements();
    const rss = summariseRss(m.server.samples, { before: 1_500 }, steadyWindow(m.engine.phases));
    assert.deepEqual(rss, { idle: 50_000_000, steady: 60_000_000, peak: 70_000_000 });
  });
  it('has no steady value without a sample in its window, not the last one before it', () => {
    // Samples every 2 s: none falls in the steady window 4000–5000.
    const sparse = [sample(1_000, 50), sample(3_000, 70), sample(6_000, 55)];
    const rss = summariseRss(sparse, { before: 1_500 }, [4_000, 5_000]);
    assert.deepEqual(rss, { idle: 50_000_000, steady: null, peak: 70_000_000 });
  });
  it('uses the second half of the hold, else ramp end to probe start', () => {
    assert.deepEqual(steadyWindow({ hold: { startedAt: 10, completedAt: 30 } }), [20, 30]);
    assert.deepEqual(steadyWindow({ ramp: { completedAt: 5 }, probe: { startedAt: 9 } }), [5, 9]);
    assert.equal(steadyWindow({ ramp: { startedAt: 1 } }), null);
  });
  it('median of even and odd counts', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([]), null);
  });
});

describe('buildResult', () => {
  it('meets the result contract', () => {
    const r = buildResult(measurements());
    assert.equal(r.schemaVersion, 2);
    assert.equal(r.status, 'completed');
    assert.equal(r.lib, 'ws');
    assert.equal(r.scenario, 'echo');
    assert.deepEqual(r.clients, { requested: 100, connected: 100, failed: 0, dropped: 0 });
    assert.equal(r.connectMs?.count, 100);
    assert.equal(r.firstMessageMs?.count, 100);
    assert.equal(r.echoMs, null);
    assert.equal(r.probe.connectMs?.count, 2);
    assert.deepEqual(r.server.rssBytes, { idle: 50_000_000, steady: 60_000_000, peak: 70_000_000 });
    assert.equal(r.server.bytesPerClient, 100_000);
    assert.equal(r.server.pid, 42);
    assert.equal(r.server.samples.length, 7);
    assert.equal(r.env.versions.ws, '8.18.3');
    assert.equal(r.loadgen.valid, true);
    assert.deepEqual(r.loadgen.invalidReasons, []);
    assert.equal(r.loadgen.rssBytes, 102_000_000);
    assert.deepEqual(Object.keys(r.connectMs ?? {}), ['p50', 'p90', 'p99', 'max', 'mean', 'count']);
    assert.deepEqual(r.phases.hold, { startedAt: 3_000, completedAt: 5_000 });
  });

  it("records broadcast latency on this host's clock only, and says whose clock it was", () => {
    const broadcast = {
      counts: { ...engineState().counts, broadcastsSent: 3, broadcastsExpected: 300, broadcastsReceived: 300 },
    };
    const same = buildResult(measurements({ engine: engineState({ ...broadcast, serverClock: 'same' }) }));
    assert.equal(same.broadcast?.serverClock, 'same');
    const other = buildResult(measurements({ engine: engineState({ ...broadcast, serverClock: 'other' }) }));
    assert.equal(other.broadcast?.serverClock, 'other');
    assert.equal(other.broadcast?.latencyMs, null);
    assert.match(formatSummary(other), /\n {2}broadcast {8}– {2}\(the server's clock is another machine's\)\n/);
  });

  it('records under --target only what the server reported as applied: the rest is null, asked in options', () => {
    const r = buildResult(
      measurements({
        options: resolveRunOptions({
          lib: 'socketio',
          clients: '100',
          out: '/tmp/x.json',
          target: 'http://10.0.0.5:8080',
          allowRemoteTarget: true,
          deflate: true,
        }),
        server: { ready: null, samples: [] },
      }),
    );
    assert.equal(r.server.deflate, null);
    assert.equal(r.server.transports, null);
    assert.equal(r.server.pingIntervalMs, null);
    assert.equal(r.options.deflate, true);
    assert.match(formatSummary(r), / · deflate on asked \(the server did not report it\) · /);
    // A server bench started says what it applied.
    const local = buildResult(measurements());
    assert.equal(local.server.deflate, 'off');
    assert.match(formatSummary(local), / · deflate off · /);
  });

  it('says a per-client memory below what the RSS samples resolve is below that floor, never a negative cost', () => {
    // Steady 0.2 MB below idle with 100 clients: garbage from before the load went meanwhile.
    const server = {
      ...measurements().server,
      samples: [sample(500, 50), sample(1_000, 50.1), sample(1_400, 50), sample(4_200, 49.8), sample(4_800, 49.8)],
    };
    const r = buildResult(measurements({ server }));
    assert.equal(r.server.rssBytes.steady! - r.server.rssBytes.idle!, -200_000);
    assert.equal(r.server.bytesPerClient, null);
    assert.equal(r.server.bytesPerClientBelowFloor, true);
    // The noise is the larger of the drop (0.2 MB) and the samples' spread (0.1 MB), over 100 clients.
    assert.equal(r.server.bytesPerClientFloor, 2_000);
    assert.match(formatSummary(r), / per client < 2\.0 KiB \(below what this run resolves\) /);
    assert.doesNotMatch(formatSummary(r), /-\d/);

    // 10 MB over 100 clients stands well above one page of noise.
    const resolved = buildResult(measurements());
    assert.equal(resolved.server.bytesPerClient, 100_000);
    assert.equal(resolved.server.bytesPerClientBelowFloor, false);
    assert.equal(resolved.server.bytesPerClientFloor, 41);
  });

  it('marks a saturated generator invalid, with the reason', () => {
    const r = buildResult(
      measurements({ engine: engineState({ loopDelayMs: { p50: 50, p99: 250, max: 900, mean: 60 } }) }),
    );
    assert.equal(r.loadgen.valid, false);
    assert.deepEqual(r.loadgen.invalidReasons, [
      'the load generator was saturated: its event-loop delay p99 was 250 ms (limit 100 ms, --max-loop-delay), so latencies include its own queueing',
    ]);
  });

  it('keeps what was measured when a run errors', () => {
    const r = buildResult(
      measurements({ outcome: { status: 'errored', error: 'the ws server exited during the run (SIGKILL)' } }),
    );
    assert.equal(r.status, 'errored');
    assert.equal(r.status === 'errored' && r.error, 'the ws server exited during the run (SIGKILL)');
    assert.equal(r.connectMs?.count, 100);
    assert.equal(r.server.rssBytes.peak, 70_000_000);
  });

  it('reports nothing measured as invalid, not as zero', () => {
    const r = buildResult(
      measurements({ engine: engineState({ workers: 0, histograms: {}, counts: emptyCounts(), loopDelayMs: null }) }),
    );
    assert.equal(r.connectMs, null);
    assert.equal(r.loadgen.valid, false);
    assert.deepEqual(r.loadgen.invalidReasons, ['the engine reported nothing: no client was measured']);
  });
});

describe('invalidReasons: a run that did not measure what was asked', () => {
  const reasonsOf = (over: Partial<Measurements>) => buildResult(measurements(over)).invalidReasons;
  const withOptions = (raw: Parameters<typeof resolveRunOptions>[0]) =>
    resolveRunOptions({ lib: 'ws', clients: '100', out: '/tmp/x.json', ...raw });

  it('counts failed connections, main and probe, against --max-failed', () => {
    const engine = engineState({ counts: { ...engineState().counts, failed: 3, probesFailed: 1 } });
    const r = buildResult(measurements({ engine }));
    assert.equal(r.valid, false);
    assert.deepEqual(r.invalidReasons, ['4 of 103 connections failed (limit 0, --max-failed)']);
    assert.deepEqual(r.loadgen.invalidReasons, r.invalidReasons, 'schemaVersion 1 readers see the same verdict');
    assert.deepEqual(reasonsOf({ engine, options: withOptions({ maxFailed: '4' }) }), []);
    // 3% of 103 attempts is 3 connections: 4 are too many.
    assert.deepEqual(reasonsOf({ engine, options: withOptions({ maxFailed: '3%' }) }), [
      '4 of 103 connections failed (limit 3%, --max-failed)',
    ]);
    assert.deepEqual(reasonsOf({ engine, options: withOptions({ maxFailed: '4%' }) }), []);
  });

  it('counts connections dropped after connecting, and reconnects given up, against --max-failed', () => {
    const engine = engineState({ counts: { ...engineState().counts, dropped: 2, reconnectFailed: 1 } });
    const r = buildResult(measurements({ engine }));
    assert.equal(r.clients.dropped, 2);
    assert.deepEqual(r.invalidReasons, [
      '3 of 100 connected clients lost their connection and did not get it back (limit 0, --max-failed); see errors for the close codes',
    ]);
    assert.deepEqual(reasonsOf({ engine, options: withOptions({ maxFailed: '3' }) }), []);
  });

  it('names arrivals that started late beyond --max-lag', () => {
    const engine = engineState({ histograms: { ...engineState().histograms, arrivalLagMs: [encoded([200_000])] } });
    assert.deepEqual(reasonsOf({ engine }), [
      'arrivals started late: the generator ran 200 ms behind its schedule at p99 (limit 100 ms, --max-lag); connectMs counts that wait, connectServiceMs does not',
    ]);
    assert.deepEqual(reasonsOf({ engine, options: withOptions({ maxLag: '250' }) }), []);
  });

  it('names an engine that never wrote its final state', () => {
    assert.deepEqual(reasonsOf({ engine: engineState({ final: false }) }), [
      'the engine never wrote its final state: counts and histograms miss what happened after its last snapshot',
    ]);
  });

  it("names a custom script whose engine reported nothing beyond Artillery's virtual users", () => {
    const file = 'scenarios/examples/artillery-ws.yml';
    const options = resolveRunOptions({ lib: 'ws', scenario: file, out: '/tmp/x.json' });
    const engine = engineState({ workers: 0, histograms: {}, counts: emptyCounts(), loopDelayMs: null });
    const silent = {
      counters: { 'vusers.created': 5, 'vusers.completed': 5 },
      summaries: { 'vusers.session_length': { p50: 1 } },
    };
    assert.deepEqual(reasonsOf({ options, engine, artillery: silent }), [
      `your script's engine reported nothing to Artillery beyond its virtual users (${options.scenario.file}): no latency was measured`,
    ]);
    const reporting = { ...silent, summaries: { ...silent.summaries, 'socketio.ack_ms': { p50: 0.2 } } };
    assert.deepEqual(reasonsOf({ options, engine, artillery: reporting }), []);
  });
});
