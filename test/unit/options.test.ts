import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { resolveRunOptions, isBenchmarkAddress, RUN_DEFAULTS } from '../../runner/config/run-options';
import { usageMessage } from '../helpers/usage';

const now = new Date('2026-01-02T03:04:05.678Z');

describe('resolveRunOptions', () => {
  it('fills every default once', () => {
    const o = resolveRunOptions({ lib: 'socketio', clients: '1000' }, now);
    assert.equal(o.lib, 'socketio');
    assert.equal(o.clients, 1000);
    assert.equal(o.scenario.kind, 'builtin');
    assert.equal(o.scenario.name, 'echo');
    assert.ok(o.scenario.file.endsWith(path.join('scenarios', 'echo.yml')));
    assert.equal(o.arrivalRate, RUN_DEFAULTS.arrivalRate);
    assert.equal(o.holdSeconds, RUN_DEFAULTS.holdSeconds);
    assert.equal(o.probes, RUN_DEFAULTS.probes);
    assert.equal(o.transport, 'websocket');
    assert.equal(o.deflate, false);
    assert.equal(o.target, null);
    assert.equal(o.echoEveryMs, 1000);
    assert.equal(resolveRunOptions({ lib: 'ws', clients: '10000' }).echoEveryMs, 10_000, '1,000 echoes/s in all');
    assert.equal(resolveRunOptions({ lib: 'ws', clients: '10000', echoEvery: '500' }).echoEveryMs, 500);
    assert.equal(o.out, path.resolve('results', '2026-01-02T03-04-05-678Z-socketio-echo-1000.json'));
  });

  it('names the flag and the fix for a bad value', () => {
    assert.equal(
      usageMessage(() => resolveRunOptions({ lib: 'mqtt', clients: '5' })),
      '--lib must be one of ws, socketio, sockjs (got "mqtt"). Example: --lib ws',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ lib: 'ws', clients: 'ten' })),
      '--clients must be a whole number from 1 to 100000 (got "ten"). Example: --clients 1000',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ lib: 'ws', clients: '0' })),
      '--clients must be a whole number from 1 to 100000 (got "0"). Example: --clients 1000',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ lib: 'ws', clients: '10', arrivalRate: '-3' })),
      '--arrival-rate must be clients per second from 1 to 100000, or burst (got "-3"). Example: --arrival-rate 500',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ lib: 'ws' })),
      'Missing --clients. Say how many clients to connect, e.g. --clients 1000.',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ clients: '10' })),
      'Missing --lib. Choose one of ws, socketio, sockjs, e.g. --lib socketio.',
    );
  });

  it('refuses --transport for libraries that have none', () => {
    assert.equal(
      usageMessage(() => resolveRunOptions({ lib: 'ws', clients: '10', transport: 'polling' })),
      '--transport applies to --lib socketio only; ws clients always use websocket. Remove --transport.',
    );
    const o = resolveRunOptions({ lib: 'socketio', clients: '10', transport: 'polling' });
    assert.equal(o.transport, 'polling');
  });

  it('accepts only loopback and 198.18.0.0/15 targets unless told otherwise', () => {
    assert.equal(
      resolveRunOptions({ lib: 'ws', clients: '1', target: 'ws://127.0.0.1:9000/' }).target,
      'ws://127.0.0.1:9000/',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ lib: 'ws', clients: '1', target: 'ws://10.0.0.5:9000/' })),
      '--target 10.0.0.5 is not a loopback or 198.18.0.0/15 address. To load a server on another machine you own, add --allow-remote-target.',
    );
    assert.equal(
      resolveRunOptions({ lib: 'ws', clients: '1', target: 'ws://10.0.0.5:9000/', allowRemoteTarget: true }).target,
      'ws://10.0.0.5:9000/',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ lib: 'ws', clients: '1', target: 'ftp://127.0.0.1/' })),
      '--target must use ws://, wss://, http:// or https:// (got "ftp:"). Use the "url" from the ready line of bench serve.',
    );
  });

  it('takes a custom script, which sets its own load', () => {
    const file = path.resolve(__dirname, '../../../scenarios/echo.yml');
    const o = resolveRunOptions({ lib: 'socketio', scenario: file });
    assert.equal(o.scenario.kind, 'custom');
    assert.equal(o.clients, null);
    assert.match(
      usageMessage(() => resolveRunOptions({ lib: 'socketio', scenario: file, clients: '5' })),
      /^--clients does not apply to your own script .*echo\.yml: its config\.phases set the load\. Remove --clients\.$/,
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ lib: 'ws', scenario: './nope.yml' })),
      '--scenario file not found: ./nope.yml. Give the path of an Artillery script (.yml).',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ lib: 'ws', clients: '1', scenario: 'chat' })),
      '--scenario must be one of echo, connect, broadcast, rooms or the path of an Artillery script ending in .yml (got "chat").',
    );
  });
});

describe('resolveRunOptions: profiles and remote server metrics', () => {
  const base = { lib: 'ws', clients: '10' };
  const target = 'ws://198.18.0.1:8080/';
  it('defaults to the local profile and checks a given one at once', () => {
    assert.equal(resolveRunOptions(base).profile, 'local');
    assert.equal(resolveRunOptions({ ...base, profile: 'paper-2020', strict: true }).strict, true);
    assert.equal(
      usageMessage(() => resolveRunOptions({ ...base, profile: 'paper' })),
      'No profile named "paper". Known: ci-small, i3-8300-server, i5-4690k-workstation, local, paper-2020. Run bench profile list.',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ ...base, profile: 'ci-small', target })),
      '--profile ci-small places the server bench starts; it cannot apply to --target. Remove --profile, or apply it on the server host.',
    );
  });
  it('takes the metrics URL of a bench serve, with its token', () => {
    const o = resolveRunOptions({
      ...base,
      target,
      serverMetrics: 'http://198.18.0.1:8080',
      metricsToken: 'secret-123',
    });
    assert.deepEqual(o.serverMetrics, { url: 'http://198.18.0.1:8080/metrics/samples', token: 'secret-123' });
    assert.equal(resolveRunOptions({ ...base, target }).serverMetrics, null);
  });
  it('names what is missing or wrong about remote metrics', () => {
    const cases: [Record<string, string | boolean>, string][] = [
      [
        { serverMetrics: 'http://127.0.0.1:1/metrics/samples', metricsToken: 'secret-123' },
        '--server-metrics reads a remote bench serve and needs --target; without --target bench samples its own server.',
      ],
      [
        { target, metricsToken: 'secret-123' },
        '--metrics-token needs --server-metrics URL, the "metrics" URL from the ready line of bench serve.',
      ],
      [
        { target, serverMetrics: 'ws://198.18.0.1:8080', metricsToken: 'secret-123' },
        '--server-metrics must be an http:// or https:// URL (got "ws://198.18.0.1:8080"). Use the "metrics" URL from the ready line of bench serve.',
      ],
      [
        { target, serverMetrics: 'http://10.1.2.3:8080', metricsToken: 'secret-123', allowRemoteTarget: false },
        '--server-metrics 10.1.2.3 is not a loopback or 198.18.0.0/15 address. For a server on another machine you own, add --allow-remote-target.',
      ],
      [
        { target, serverMetrics: 'http://198.18.0.1:8080' },
        '--server-metrics needs --metrics-token (or BENCH_METRICS_TOKEN): the token bench serve was started with.',
      ],
    ];
    const saved = process.env.BENCH_METRICS_TOKEN;
    delete process.env.BENCH_METRICS_TOKEN;
    try {
      for (const [extra, message] of cases)
        assert.equal(
          usageMessage(() => resolveRunOptions({ ...base, ...extra })),
          message,
        );
    } finally {
      if (saved !== undefined) process.env.BENCH_METRICS_TOKEN = saved;
    }
  });
});

describe('isBenchmarkAddress', () => {
  it('knows loopback and the benchmark range', () => {
    for (const h of ['127.0.0.1', '127.9.9.9', 'localhost', '::1', '[::1]', '198.18.0.1', '198.19.255.254']) {
      assert.equal(isBenchmarkAddress(h), true, h);
    }
    for (const h of ['10.0.0.1', '192.168.1.1', '198.20.0.1', '8.8.8.8', 'example.com']) {
      assert.equal(isBenchmarkAddress(h), false, h);
    }
  });
});

describe('--kill-node-at and reconnecting', () => {
  const multi = { lib: 'ws', clients: '100', nodes: '3', adapter: 'redis', hold: '10' };

  it('turns reconnecting on with Socket.IO’s back-off by default; --no-reconnect keeps it off', () => {
    const o = resolveRunOptions({ ...multi, killNodeAt: '3' });
    assert.equal(o.killNodeAt, 3);
    assert.deepEqual(o.reconnect, { attempts: 10, delayMs: 1000, delayMaxMs: 5000, jitter: 0.5 });
    assert.equal(resolveRunOptions({ ...multi, killNodeAt: '3', reconnect: false }).reconnect, null);
    assert.equal(resolveRunOptions(multi).reconnect, null, 'off without a fault');
    assert.deepEqual(
      resolveRunOptions({ ...multi, reconnect: true, reconnectDelay: '200', reconnectJitter: '0' }).reconnect,
      {
        attempts: 10,
        delayMs: 200,
        delayMaxMs: 5000,
        jitter: 0,
      },
    );
  });

  it('names what is wrong', () => {
    assert.equal(
      usageMessage(() => resolveRunOptions({ ...multi, nodes: '1', adapter: undefined, killNodeAt: '3' })),
      '--kill-node-at needs --nodes 2 or more, so that its clients have a node to reconnect to (got --nodes 1).',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ ...multi, killNodeAt: 'soon' })),
      '--kill-node-at must be seconds after the hold starts, a number >= 0 (got "soon"). Example: --kill-node-at 3',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ ...multi, killNodeAt: '10' })),
      '--kill-node-at 10 is not within the hold (10 s). Give --hold 15 or more.',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ ...multi, reconnect: false, reconnectDelay: '100' })),
      '--reconnect-* flags tune reconnecting, which --no-reconnect turns off. Remove one of them.',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ ...multi, reconnectJitter: '2' })),
      '--reconnect-jitter must be a number from 0 to 1 (got "2"). Example: --reconnect-jitter 0.5',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ ...multi, reconnectDelay: '3000', reconnectDelayMax: '1000' })),
      '--reconnect-delay-max (1000) must be at least --reconnect-delay (3000).',
    );
  });
});

describe('verdict options', () => {
  const base = { lib: 'ws', clients: '10', out: '/tmp/x.json' };
  it('reads --max-failed as a count or a percentage, --arrival-rate as a number or burst', () => {
    assert.deepEqual(resolveRunOptions(base).maxFailed, { count: 0 });
    assert.deepEqual(resolveRunOptions({ ...base, maxFailed: '7' }).maxFailed, { count: 7 });
    assert.deepEqual(resolveRunOptions({ ...base, maxFailed: '2.5%' }).maxFailed, { percent: 2.5 });
    assert.equal(resolveRunOptions({ ...base, arrivalRate: 'burst' }).arrivalRate, 'burst');
    assert.equal(resolveRunOptions(base).allowInvalid, false);
    assert.equal(resolveRunOptions({ ...base, allowInvalid: true }).allowInvalid, true);
  });
  it('names the flag and the fix for a bad limit', () => {
    assert.equal(
      usageMessage(() => resolveRunOptions({ ...base, maxFailed: 'lots' })),
      '--max-failed must be a count of connections or a percentage of them (got "lots"). Example: --max-failed 5 or --max-failed 1%',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ ...base, maxFailed: '101%' })),
      '--max-failed must be a count of connections or a percentage of them (got "101%"). Example: --max-failed 5 or --max-failed 1%',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ ...base, maxLag: '0' })),
      '--max-lag must be a whole number from 1 to 3600000 (got "0"). Example: --max-lag 100',
    );
  });
});
