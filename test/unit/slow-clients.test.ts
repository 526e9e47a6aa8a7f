import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { once } from 'node:events';
import {
  EngineConfigError,
  Recorder,
  ThrottleProxy,
  TokenBucket,
  isSlowClient,
  resolveSlowClients,
  slowClientCount,
  slowHosts,
  slowRecorder,
  type Endpoint,
} from 'artillery-engine-bench';
import { EventEmitter } from 'node:events';
import { parseSlowClients, resolveSlowClients as resolveSlowOption } from '../../runner/config/slow-options';
import { measureBuffered, parseTxQueues, procAddress } from '../../servers/buffered';
import { slowReadOffsets } from '../../runner/run/slow-reads';
import type { ScenarioRef } from '../../runner/config/run-options';

const quiet = { emit: () => true };
const builtin = (name: 'broadcast' | 'connect'): ScenarioRef => ({ kind: 'builtin', name, file: `/x/${name}.yml` });

describe('--slow-clients option', () => {
  it('reads SHARE%:BYTES_PER_S', () => {
    assert.deepEqual(parseSlowClients('10%:2000'), { sharePct: 10, bytesPerSecond: 2000 });
    assert.deepEqual(parseSlowClients(' 12.5%:1 '), { sharePct: 12.5, bytesPerSecond: 1 });
  });

  it('refuses anything else with the one line bench prints', () => {
    const example = 'Example: --slow-clients 10%:2000 (10 % of the clients read at most 2,000 bytes/s)';
    const cases: [string, string][] = [
      ['10:2000', `--slow-clients must be SHARE%:BYTES_PER_S (got "10:2000"). ${example}`],
      ['10%', `--slow-clients must be SHARE%:BYTES_PER_S (got "10%"). ${example}`],
      ['10%:1.5', `--slow-clients must be SHARE%:BYTES_PER_S (got "10%:1.5"). ${example}`],
      [
        '0%:2000',
        `--slow-clients share must be above 0 % and below 100 % (got 0%): some clients must stay fast to compare with. ${example}`,
      ],
      ['5%:0', `--slow-clients rate must be from 1 to 1000000000 bytes/s (got 0). ${example}`],
    ];
    for (const [raw, message] of cases) assert.throws(() => parseSlowClients(raw), { message }, raw);
  });

  it('resolves to exact counts, and refuses what it cannot measure', () => {
    const o = { scenario: builtin('broadcast'), clients: 40, target: null };
    assert.deepEqual(resolveSlowOption({ slowClients: '25%:500' }, o), {
      sharePct: 25,
      bytesPerSecond: 500,
      slow: 10,
      fast: 30,
    });
    assert.equal(resolveSlowOption({}, o), null);
    assert.throws(() => resolveSlowOption({ slowClients: '10%:5' }, { ...o, scenario: builtin('connect') }), {
      message:
        '--slow-clients needs messages flowing to the clients; --scenario connect sends none after the welcome. Use --scenario broadcast, echo or rooms.',
    });
    assert.throws(
      () =>
        resolveSlowOption(
          { slowClients: '10%:5' },
          { ...o, scenario: { kind: 'custom', name: 'x', file: '/s/x.yml' } },
        ),
      {
        message:
          '--slow-clients applies to the built-in scenarios; your own script /s/x.yml sets its engine options itself: add slowClients: { share: 0.1, bytesPerSecond: 5 } under config.engines.bench there.',
      },
    );
    assert.throws(() => resolveSlowOption({ slowClients: '1%:5' }, { ...o, clients: 99 }), {
      message:
        '--slow-clients 1% of --clients 99 is no client at all. Raise the share or --clients (at least 100 clients for 1%).',
    });
  });

  it('engine config: checked with texts that name the field', () => {
    assert.equal(resolveSlowClients({}), null);
    assert.deepEqual(resolveSlowClients({ slowClients: { share: 0.1, bytesPerSecond: 10 } }), {
      share: 0.1,
      bytesPerSecond: 10,
    });
    assert.throws(() => resolveSlowClients({ slowClients: { share: 1, bytesPerSecond: 10 } }), EngineConfigError);
    assert.throws(() => resolveSlowClients({ slowClients: { share: 0.5, bytesPerSecond: 0 } }), {
      message: "config.engines.bench.slowClients.bytesPerSecond must be a number >= 1, got '0'.",
    });
  });
});

describe('which clients are slow', () => {
  it('gives exactly ⌊n × share⌋ slow clients among the first n, spread evenly, for every n', () => {
    for (const share of [0.1, 0.25, 0.125, 0.333, 0.01, 0.99]) {
      let slow = 0;
      for (let k = 0; k < 2_000; k++) {
        if (isSlowClient(k, share)) slow++;
        assert.equal(slow, slowClientCount(k + 1, share), `share ${share}, first ${k + 1}`);
      }
    }
    assert.equal(slowClientCount(40, 0.25), 10);
    assert.equal(slowClientCount(200, 0.1), 20);
  });

  it('is the same run-wide whatever the generators (client i of generator g of G is client i × G + g)', () => {
    const G = 3;
    const perGenerator = [0, 1, 2].map((g) => {
      let n = 0;
      for (let i = 0; i * G + g < 100; i++) if (isSlowClient(i * G + g, 0.1)) n++;
      return n;
    });
    assert.equal(
      perGenerator.reduce((a, b) => a + b),
      10,
    );
  });
});

describe('slow recorder', () => {
  it('keeps slow latencies apart and counts slow receipts in both', () => {
    const r = new Recorder();
    const slow = slowRecorder(r);
    slow.latency('broadcastMs', 5, quiet);
    slow.latency('echoServiceMs', 5, quiet);
    slow.latency('connectMs', 5, quiet);
    slow.count('broadcastsReceived', quiet);
    slow.count('connected', quiet);
    r.latency('broadcastMs', 1, quiet);
    assert.equal(r.totalCount('broadcastMs'), 1, 'only the fast one');
    assert.equal(r.totalCount('slowBroadcastMs'), 1);
    assert.equal(r.totalCount('echoServiceMs'), 0, 'not kept for slow clients');
    assert.equal(r.totalCount('connectMs'), 1, 'shared');
    assert.equal(r.counts.broadcastsReceived, 1);
    assert.equal(r.counts.slowBroadcastsReceived, 1);
    assert.equal(r.counts.slowConnected, 1);
    assert.equal(slow.counts, r.counts);
  });
});

describe('slow hosts', () => {
  it('gives slow main clients a host with the slow recorder and the proxy URL; others, probes and warm-up their own', async () => {
    const recorder = new Recorder();
    const endpoint: Endpoint = {
      url: 'ws://127.0.0.1:9/',
      options: { connectTimeoutMs: 1000, localAddress: '127.0.0.2' } as Endpoint['options'],
    };
    const base = { recorder, nextEndpoint: () => endpoint } as unknown as Parameters<ReturnType<typeof slowHosts>>[0];
    const ee = new EventEmitter();
    const engine = {
      config: { generators: 2, generatorIndex: 1, sourceAddresses: null },
      targets: ['ws://127.0.0.1:9/'],
    };
    assert.equal(slowHosts({}, engine, ee)(base, 3), base, 'no slow clients: every host unchanged');
    const choose = slowHosts({ slowClients: { share: 0.25, bytesPerSecond: 100 } }, engine, ee);
    await new Promise((r) => setImmediate(r));
    // Client i of this engine is client 2i + 1 of the run: slow when ⌊(k+1)/4⌋ > ⌊k/4⌋, i.e. k = 3, 7, …
    const slowOnes = [0, 1, 2, 3, 4, 5].filter((i) => choose(base, i) !== base);
    assert.deepEqual(slowOnes, [1, 3, 5]);
    assert.equal(choose(base, -1), base, 'a probe or warm-up client is never slow');
    const slow = choose(base, 1);
    assert.equal(choose(base, 3), slow, 'one throttled host per base host');
    const e = slow.nextEndpoint();
    assert.match(e.url, /^ws:\/\/127\.0\.0\.1:\d+\/$/);
    assert.notEqual(e.url, endpoint.url);
    assert.equal(e.options.localAddress, undefined, 'the proxy connects from the source address, not the client');
    slow.recorder.latency('broadcastMs', 1, quiet);
    assert.equal(recorder.totalCount('slowBroadcastMs'), 1);
    ee.emit('done');
  });
});

describe('token bucket', () => {
  it('starts full, refills at its rate, never beyond its capacity', () => {
    const b = new TokenBucket(1000, 500, 0);
    assert.equal(b.take(800, 0), 500);
    assert.equal(b.take(10, 0), 0);
    assert.equal(b.msUntil(100, 0), 100);
    assert.equal(b.take(1000, 250), 250);
    assert.equal(b.take(1000, 10_000), 500, 'capped at the capacity');
    assert.equal(b.msUntil(1000, 10_000), 500, 'wants no more than the capacity');
  });
});

/** A server on loopback that writes `bytes` to its first client at once; resolves with the server and its socket's promise. */
async function writer(bytes: number) {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.write(Buffer.alloc(bytes, 7));
  });
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as net.AddressInfo).port, accepted };
}

describe('throttle proxy (real sockets)', () => {
  it('delivers N bytes at R bytes/s: a second’s worth at once, the rest in (N − R) / R s', async () => {
    const N = 6_000;
    const R = 4_000;
    const w = await writer(N);
    const proxy = new ThrottleProxy({ host: '127.0.0.1', port: w.port }, R);
    await new Promise((r) => setImmediate(r));
    const t0 = performance.now();
    const c = net.connect(proxy.port, '127.0.0.1');
    let got = 0;
    let atBurst = 0;
    await new Promise<void>((resolve) =>
      c.on('data', (d: Buffer) => {
        got += d.length;
        if (got >= R && atBurst === 0) atBurst = performance.now() - t0;
        if (got >= N) resolve();
      }),
    );
    const elapsed = performance.now() - t0;
    const expected = ((N - R) / R) * 1000;
    assert.ok(elapsed >= expected - 60, `took ${elapsed.toFixed(0)} ms, at least ${expected} ms expected`);
    assert.ok(elapsed < expected + 2_500, `took ${elapsed.toFixed(0)} ms, about ${expected} ms expected`);
    assert.equal(proxy.stats.bytesDelivered, N);
    assert.equal(proxy.stats.connections, 1);
    c.destroy();
    await proxy.close();
    w.server.close();
  });

  it('passes client → server bytes at once and stops reading the server: its writes pile up in its socket', async () => {
    const w = await writer(32 * 1024 * 1024);
    const proxy = new ThrottleProxy({ host: '127.0.0.1', port: w.port }, 1_000);
    await new Promise((r) => setImmediate(r));
    const c = net.connect(proxy.port, '127.0.0.1');
    c.on('data', () => {});
    const s = await w.accepted;
    const echoed = once(s, 'data');
    c.write('hello');
    assert.equal(String((await echoed)[0]), 'hello');
    // The 32 MiB cannot all go: the kernel takes a few MiB at most, the rest waits in the server's socket.
    const until = Date.now() + 5_000;
    while (s.writableLength === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.ok(s.writableLength > 0, 'the server socket buffers what the slow reader does not take');
    const b = measureBuffered([s], [], 0);
    assert.equal(b.connections, 1);
    assert.equal(b.socketBytes, s.writableLength);
    assert.ok(b.kernelBytes === null || b.kernelBytes > 0, `kernel queue ${b.kernelBytes}`);
    assert.equal(b.behind, 1);
    assert.ok(proxy.stats.bytesDelivered < 1_000 * 10, 'delivered at the capped rate');
    c.destroy();
    await proxy.close();
    w.server.close();
  });
});

describe('buffered bytes', () => {
  it('reads tx_queue by local → remote address as /proc/net/tcp writes them', () => {
    assert.equal(procAddress('127.0.0.1', 8080), '0100007F:1F90');
    assert.equal(procAddress('::1', 80), '00000000000000000000000001000000:0050');
    assert.equal(procAddress('::ffff:127.0.0.1', 80), '0000000000000000FFFF00000100007F:0050');
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 0100007F:C350 01 0000A000:00000000 00:00000000 00000000  1000        0 1 1 0 20 4 30 10 -1',
    ].join('\n');
    assert.deepEqual([...parseTxQueues(text)], [['0100007F:1F90→0100007F:C350', 0xa000]]);
  });

  it('reads the hold at its start, evenly on, and just before its end', () => {
    assert.deepEqual(slowReadOffsets(4), [0, 1, 2, 3, 3.5]);
    const long = slowReadOffsets(600);
    assert.ok(long.length <= 30);
    assert.equal(long.at(-1), 599.5);
  });
});
