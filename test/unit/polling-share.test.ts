import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPollingClient } from 'artillery-engine-bench/protocol';
import { resolveRunOptions } from '../../runner/config/run-options';

describe('the long-polling share', () => {
  it('picks exactly ⌊n × share⌋ of the first n clients, evenly spread', () => {
    for (const share of [0.05, 0.25, 0.5, 0.333]) {
      for (const n of [1, 7, 40, 1000]) {
        const picked = Array.from({ length: n }, (_, k) => k).filter((k) => isPollingClient(k, share));
        assert.equal(picked.length, Math.floor(n * share), `share ${share}, n ${n}`);
      }
    }
    assert.deepEqual(
      Array.from({ length: 12 }, (_, k) => (isPollingClient(k, 0.25) ? 1 : 0)),
      [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1],
    );
  });

  it('reads a percentage with or without %, and starts the server with both transports', () => {
    assert.equal(resolveRunOptions({ lib: 'socketio', clients: '10', pollingShare: '5%' }).pollingSharePct, 5);
    assert.equal(resolveRunOptions({ lib: 'sockjs', clients: '10', pollingShare: '12.5' }).pollingSharePct, 12.5);
    assert.equal(resolveRunOptions({ lib: 'socketio', clients: '10' }).pollingSharePct, null);
  });
});
