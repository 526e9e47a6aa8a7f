import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EngineConfigError, compileFlow, resolveEngineConfig } from 'artillery-engine-bench';

describe('resolveEngineConfig', () => {
  it('fills defaults: $BENCH_LIB, else ws', () => {
    assert.deepEqual(resolveEngineConfig(undefined, {}), {
      lib: 'ws',
      transport: 'websocket',
      deflate: false,
      connectTimeoutMs: 30_000,
      controlUrl: null,
    });
    assert.equal(resolveEngineConfig({}, { BENCH_LIB: 'sockjs' }).lib, 'sockjs');
    assert.equal(resolveEngineConfig({ lib: 'socketio' }, { BENCH_LIB: 'sockjs' }).lib, 'socketio');
  });

  it('rejects an unknown library, naming where it came from and the allowed values', () => {
    assert.throws(() => resolveEngineConfig({ lib: 'faye' }, {}), {
      name: 'EngineConfigError',
      message: "Unknown library 'faye' in config.engines.bench.lib. Use one of: ws, socketio, sockjs.",
    });
    assert.throws(() => resolveEngineConfig({}, { BENCH_LIB: 'io' }), {
      message: "Unknown library 'io' in $BENCH_LIB. Use one of: ws, socketio, sockjs.",
    });
  });

  it('rejects an unknown transport and a bad timeout', () => {
    assert.throws(() => resolveEngineConfig({ transport: 'xhr' }, {}), EngineConfigError);
    assert.throws(() => resolveEngineConfig({ connectTimeoutMs: 0 }, {}), EngineConfigError);
    assert.throws(() => resolveEngineConfig({ controlUrl: 'ws://x/' }, {}), {
      message: "config.engines.bench.controlUrl must be an http:// or https:// URL, got 'ws://x/'.",
    });
    assert.equal(
      resolveEngineConfig({ controlUrl: 'http://127.0.0.1:1/control/broadcast' }, {}).controlUrl,
      'http://127.0.0.1:1/control/broadcast',
    );
  });
});

describe('compileFlow', () => {
  it('parses every step', () => {
    assert.deepEqual(
      compileFlow([{ connect: {} }, { hold: { echoEveryMs: 1000 } }, { think: 0.5 }, { disconnect: {} }], 's'),
      [
        { kind: 'connect' },
        { kind: 'hold', echoEveryMs: 1000, broadcastEveryMs: 0 },
        { kind: 'think', ms: 500 },
        { kind: 'disconnect' },
      ],
    );
  });

  it('names the scenario, the step and the supported steps on an unknown step', () => {
    assert.throws(() => compileFlow([{ connect: {} }, { emit: 'x' }], 'echo'), {
      message: `Scenario 'echo', step 2: unknown step {"emit":"x"}. The bench engine supports: connect, hold, disconnect, think.`,
    });
  });

  it('rejects a negative interval', () => {
    assert.throws(() => compileFlow([{ hold: { echoEveryMs: -1 } }], 'echo'), {
      message: "Scenario 'echo', step 1 (hold): echoEveryMs must be a number >= 0, got '-1'.",
    });
  });
});
