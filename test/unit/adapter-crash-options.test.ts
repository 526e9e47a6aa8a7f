import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveRunOptions } from '../../runner/config/run-options';
import { resolveServeOptions } from '../../runner/config/serve-options';
import { faultLabel, faultText } from '../../runner/result/faults';
import type { AdapterCrashFault } from '../../runner/result/schema';
import { usageMessage } from '../helpers/usage';

describe('--adapter-crash and --adapter redis-streams', () => {
  const multi = { lib: 'socketio', clients: '100', nodes: '3', adapter: 'redis', hold: '10' };

  it('takes FROM..TO within the hold, with redis or redis-streams', () => {
    assert.deepEqual(resolveRunOptions({ ...multi, adapterCrash: '3..6' }).adapterCrash, {
      fromSeconds: 3,
      toSeconds: 6,
    });
    const streams = resolveRunOptions({ ...multi, adapter: 'redis-streams', adapterCrash: '0.5..10' });
    assert.deepEqual([streams.adapter, streams.adapterCrash], ['redis-streams', { fromSeconds: 0.5, toSeconds: 10 }]);
    assert.equal(resolveRunOptions(multi).adapterCrash, null);
  });

  it('names what is wrong', () => {
    assert.equal(
      usageMessage(() => resolveRunOptions({ ...multi, adapterCrash: '6..3' })),
      '--adapter-crash must be FROM..TO in seconds after the hold starts, FROM below TO (got "6..3"). Example: --adapter-crash 3..6',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ ...multi, adapter: 'postgres', adapterCrash: '3..6' })),
      '--adapter-crash kills Redis, so it needs --adapter redis or redis-streams (got --adapter postgres). Example: --nodes 3 --adapter redis --adapter-crash 3..6',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ ...multi, redisUrl: 'redis://127.0.0.1:6379', adapterCrash: '3..6' })),
      "--adapter-crash kills bench's own redis-server, never the one at --redis-url. Remove --redis-url.",
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ ...multi, adapterOutage: '1..2', adapterCrash: '3..6' })),
      '--adapter-crash and --adapter-outage both take Redis away during the hold. Give one of them.',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ ...multi, adapterCrash: '3..12' })),
      '--adapter-crash 3..12 ends after the hold (10 s): broadcasts run only during the hold. Give --hold 14 or more.',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ ...multi, lib: 'ws', adapter: 'redis-streams' })),
      '--adapter redis-streams exists for Socket.IO only; ws nodes share broadcasts through --adapter redis, amqp or nats.',
    );
  });

  it('bench serve takes --redis-url with redis-streams, for Socket.IO only', () => {
    const o = resolveServeOptions({ lib: 'socketio', adapter: 'redis-streams', redisUrl: 'redis://127.0.0.1:6390' });
    assert.equal(o.adapter.kind, 'redis-streams');
    assert.equal((o.adapter as { url: string }).url, 'redis://127.0.0.1:6390');
    assert.equal(
      usageMessage(() => resolveServeOptions({ lib: 'sockjs', adapter: 'redis-streams' })),
      '--adapter redis-streams exists for Socket.IO only; sockjs nodes share broadcasts through --adapter redis, amqp or nats (or none).',
    );
    assert.equal(
      usageMessage(() =>
        resolveServeOptions({ lib: 'socketio', adapter: 'postgres', redisUrl: 'redis://127.0.0.1:6390' }),
      ),
      '--redis-url applies to --adapter redis or redis-streams only. Remove --redis-url, or add --adapter redis.',
    );
  });

  it('says what the crash did, and labels it apart from a pause', () => {
    const f: AdapterCrashFault = {
      kind: 'adapter-crash',
      fromSeconds: 3,
      toSeconds: 6,
      adapter: 'redis',
      killedAtMs: 8_000,
      backAtMs: 11_050,
      nodes: [
        { nodeId: 'node-1', missed: 0, deliveryStopMs: 1_000, deliveredAfter: true, serversAfter: 2 },
        { nodeId: 'node-2', missed: 3, deliveryStopMs: 4_200, deliveredAfter: true, serversAfter: 1 },
      ],
      recovered: false,
      error: null,
    };
    assert.equal(
      faultText(f, 'redis'),
      'Redis killed 3 s into the hold, restarted at 6 s (redis): 3 broadcasts missed by nodes, delivery stopped up to 4.2 s, not every node recovered',
    );
    assert.equal(
      faultText({ ...f, killedAtMs: null }, 'redis'),
      'Redis crash (killed 3 s into the hold, restarted at 6 s) not applied: the run ended first',
    );
    assert.equal(faultLabel({ faults: [f] }), 'Redis killed 3..6 s');
  });
});
