import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import {
  Engine,
  EngineConfigError,
  backoffMs,
  compileFlow,
  resolveEngineConfig,
  resolveReconnect,
  resolveRooms,
  smallestPublishBytes,
} from 'artillery-engine-bench';

describe('resolveEngineConfig', () => {
  it('fills defaults: $BENCH_LIB, else ws', () => {
    assert.deepEqual(resolveEngineConfig(undefined, {}), {
      lib: 'ws',
      transport: 'websocket',
      deflate: false,
      sioParser: 'default',
      connectTimeoutMs: 30_000,
      controlUrl: null,
      reconnect: null,
      serverClock: null,
      targets: null,
      sourceAddresses: null,
      generators: 1,
      generatorIndex: 0,
      rooms: null,
      affinity: null,
      pollingShare: 0,
      namespaces: 1,
    });
    assert.equal(resolveEngineConfig({}, { BENCH_LIB: 'sockjs' }).lib, 'sockjs');
    assert.equal(resolveEngineConfig({ lib: 'socketio' }, { BENCH_LIB: 'sockjs' }).lib, 'socketio');
  });

  it('takes a long-polling share for Socket.IO and SockJS, never for ws or outside 0..1', () => {
    assert.equal(resolveEngineConfig({ lib: 'socketio', pollingShare: 0.05 }, {}).pollingShare, 0.05);
    assert.equal(resolveEngineConfig({ lib: 'sockjs', pollingShare: 0.5 }, {}).pollingShare, 0.5);
    assert.throws(() => resolveEngineConfig({ lib: 'ws', pollingShare: 0.1 }, {}), {
      name: 'EngineConfigError',
      message:
        "config.engines.bench.pollingShare must be a number from 0 to 1 (exclusive), for socketio or sockjs (ws has no long-polling), got '0.1' with lib ws.",
    });
    assert.throws(() => resolveEngineConfig({ lib: 'socketio', pollingShare: 1 }, {}), {
      message:
        "config.engines.bench.pollingShare must be a number from 0 to 1 (exclusive), for socketio or sockjs (ws has no long-polling), got '1' with lib socketio.",
    });
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

  it('takes the msgpack parser and rejects an unknown one, naming the allowed values', () => {
    assert.equal(resolveEngineConfig({ sioParser: 'msgpack' }, {}).sioParser, 'msgpack');
    assert.throws(() => resolveEngineConfig({ sioParser: 'json' } as never, {}), {
      name: 'EngineConfigError',
      message: "Unknown parser 'json' in config.engines.bench.sioParser. Use one of: default, msgpack.",
    });
  });

  it('takes the generators a run shares its schedule with, and names a bad count', () => {
    assert.equal(resolveEngineConfig({ generators: 3 }, {}).generators, 3);
    assert.throws(() => resolveEngineConfig({ generators: 0 }, {}), {
      name: 'EngineConfigError',
      message: "config.engines.bench.generators must be an integer >= 1, got '0'.",
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

describe('rooms and generatorIndex', () => {
  const ok = { roomSize: 10, publishEveryMs: 1000, messageBytes: 200, exceptSender: false };

  it('reads the rooms block, exceptSender false when absent', () => {
    assert.deepEqual(resolveEngineConfig({ rooms: ok }, {}).rooms, ok);
    const noExcept: Record<string, unknown> = { ...ok };
    delete noExcept.exceptSender;
    assert.deepEqual(resolveRooms(noExcept), ok);
    assert.equal(resolveRooms(undefined), null);
  });

  it('names each bad field, its range and the value given', () => {
    const bad = (patch: Record<string, unknown>) => () => resolveRooms({ ...ok, ...patch });
    assert.throws(() => resolveRooms(10), {
      name: 'EngineConfigError',
      message:
        'config.engines.bench.rooms must be an object { roomSize, publishEveryMs, messageBytes, exceptSender }, got 10.',
    });
    assert.throws(bad({ roomSize: 0 }), {
      message: "config.engines.bench.rooms.roomSize must be an integer >= 1, got '0'.",
    });
    assert.throws(bad({ roomSize: 2.5 }), {
      message: "config.engines.bench.rooms.roomSize must be an integer >= 1, got '2.5'.",
    });
    assert.throws(bad({ roomSize: undefined }), {
      message: "config.engines.bench.rooms.roomSize must be an integer >= 1, got 'undefined'.",
    });
    assert.throws(bad({ publishEveryMs: 9 }), {
      message: "config.engines.bench.rooms.publishEveryMs must be a number of ms >= 10, got '9'.",
    });
    assert.throws(bad({ exceptSender: 'yes' }), {
      message: "config.engines.bench.rooms.exceptSender must be true or false, got 'yes'.",
    });
    const least = smallestPublishBytes(false);
    assert.equal(
      least,
      89,
      '{"type":"publish","room":"r0","from":"0.0.1","seq":1,"t":1000000000000,"s":1000000000000}',
    );
    assert.equal(smallestPublishBytes(true), least + ',"x":1'.length);
    assert.equal(resolveRooms({ ...ok, messageBytes: least })?.messageBytes, least);
    assert.throws(bad({ messageBytes: least - 1 }), {
      message: `config.engines.bench.rooms.messageBytes must be an integer from 89 (the smallest publish message) to 1048576 (1 MiB), got '88'.`,
    });
    assert.throws(bad({ messageBytes: least, exceptSender: true }), {
      message: `config.engines.bench.rooms.messageBytes must be an integer from 95 (the smallest publish message with x) to 1048576 (1 MiB), got '89'.`,
    });
    assert.equal(resolveRooms({ ...ok, messageBytes: 1024 * 1024 })?.messageBytes, 1024 * 1024);
    assert.throws(bad({ messageBytes: 1024 * 1024 + 1 }), {
      message: `config.engines.bench.rooms.messageBytes must be an integer from 89 (the smallest publish message) to 1048576 (1 MiB), got '1048577'.`,
    });
  });

  it('takes a generator index below generators, and names a bad one with the range', () => {
    assert.equal(resolveEngineConfig({ generators: 3, generatorIndex: 2 }, {}).generatorIndex, 2);
    assert.throws(() => resolveEngineConfig({ generators: 3, generatorIndex: 3 }, {}), {
      name: 'EngineConfigError',
      message: "config.engines.bench.generatorIndex must be an integer from 0 to generators - 1 (2), got '3'.",
    });
    assert.throws(() => resolveEngineConfig({ generatorIndex: -1 }, {}), {
      message: "config.engines.bench.generatorIndex must be an integer from 0 to generators - 1 (0), got '-1'.",
    });
  });

  it('refuses a join step in a script without rooms, naming the block it needs', () => {
    const flow = [{ connect: {} }, { join: {} }, { hold: {} }];
    assert.deepEqual(compileFlow(flow, 'rooms')[1], { kind: 'join' });
    const message =
      "Scenario 'rooms', step 2 (join) needs config.engines.bench.rooms: { roomSize, publishEveryMs, messageBytes, exceptSender }.";
    assert.throws(() => compileFlow(flow, 'rooms', { rooms: false }), { name: 'EngineConfigError', message });
    assert.throws(
      () =>
        new Engine(
          { config: { target: 'ws://127.0.0.1:1/' }, scenarios: [{ name: 'rooms', engine: 'bench', flow }] },
          new EventEmitter(),
        ),
      { message },
    );
  });
});

describe('compileFlow', () => {
  it('parses every step', () => {
    assert.deepEqual(
      compileFlow([{ connect: {} }, { hold: { echoEveryMs: 1000 } }, { think: 0.5 }, { disconnect: {} }], 's'),
      [
        { kind: 'connect' },
        { kind: 'hold', echoEveryMs: 1000, broadcastEveryMs: 0, lifeMs: 0, abruptShare: 0 },
        { kind: 'think', ms: 500 },
        { kind: 'disconnect' },
      ],
    );
  });

  it("reads a hold's life and abrupt share, and refuses a share above 1", () => {
    assert.deepEqual(compileFlow([{ hold: { echoEveryMs: 500, lifeMs: 4000, abruptShare: 0.25 } }], 's'), [
      { kind: 'hold', echoEveryMs: 500, broadcastEveryMs: 0, lifeMs: 4000, abruptShare: 0.25 },
    ]);
    assert.throws(() => compileFlow([{ hold: { abruptShare: 1.5 } }], 'soak'), {
      message: "Scenario 'soak', step 1 (hold): abruptShare must be a share from 0 to 1, got '1.5'.",
    });
  });

  it('names the scenario, the step and the supported steps on an unknown step', () => {
    assert.throws(() => compileFlow([{ connect: {} }, { emit: 'x' }], 'echo'), {
      message: `Scenario 'echo', step 2: unknown step {"emit":"x"}. The bench engine supports: connect, join, hold, disconnect, think.`,
    });
  });

  it('rejects a negative interval', () => {
    assert.throws(() => compileFlow([{ hold: { echoEveryMs: -1 } }], 'echo'), {
      message: "Scenario 'echo', step 1 (hold): echoEveryMs must be a number >= 0, got '-1'.",
    });
  });
});

describe('reconnect back-off', () => {
  const r = { attempts: 10, delayMs: 1000, delayMaxMs: 5000, jitter: 0.5 };

  it('doubles per attempt up to the maximum, as Socket.IO does', () => {
    const none = { ...r, jitter: 0 };
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((a) => backoffMs(none, a, 0.3)),
      [1000, 2000, 4000, 5000, 5000],
    );
  });

  it('spreads each delay by at most ± jitter', () => {
    for (let i = 0; i < 200; i++) {
      const ms = backoffMs(r, 1, i / 200);
      assert.ok(ms >= 1000 && ms <= 3000, `${ms}`);
    }
    // random 0.15: floor(1.5) = 1 is odd, so the deviation (0.15 × 0.5 × 2000 = 150) is added.
    assert.equal(backoffMs(r, 1, 0.15), 2150);
    assert.equal(backoffMs(r, 1, 0.25), 1750);
  });

  it('fills defaults and names a bad value', () => {
    assert.equal(resolveReconnect(undefined), null);
    assert.deepEqual(resolveReconnect({}), r);
    assert.deepEqual(resolveReconnect({ attempts: 3 }), { ...r, attempts: 3 });
    assert.throws(
      () => resolveReconnect({ attempts: 0 }),
      /^EngineConfigError: config\.engines\.bench\.reconnect\.attempts must be an integer >= 1, got '0'\.$/,
    );
    assert.throws(
      () => resolveReconnect({ delayMs: 10, delayMaxMs: 5 }),
      /config\.engines\.bench\.reconnect\.delayMaxMs \(5\) must be >= delayMs \(10\)\./,
    );
  });
});

describe('targets and source addresses', () => {
  it('reads lists and refuses anything else, naming the key', () => {
    const c = resolveEngineConfig(
      { targets: ['ws://127.0.0.1:1/', 'ws://127.0.0.1:2/'], sourceAddresses: ['127.0.0.2'] },
      {},
    );
    assert.deepEqual([c.targets, c.sourceAddresses], [['ws://127.0.0.1:1/', 'ws://127.0.0.1:2/'], ['127.0.0.2']]);
    assert.throws(
      () => resolveEngineConfig({ targets: [] }, {}),
      /^EngineConfigError: config\.engines\.bench\.targets must be a non-empty list of ws\(s\):\/\/ or http\(s\):\/\/ URLs, got \[\]\.$/,
    );
    assert.throws(
      () => resolveEngineConfig({ sourceAddresses: ['localhost'] }, {}),
      /^EngineConfigError: config\.engines\.bench\.sourceAddresses must be a non-empty list of IP addresses, got \["localhost"\]\.$/,
    );
  });

  it('gives each VU the next target and the next address, round robin', () => {
    const engine = new Engine(
      {
        config: {
          target: 'ws://127.0.0.1:1/',
          engines: {
            bench: {
              targets: ['ws://127.0.0.1:1/', 'ws://127.0.0.1:2/', 'ws://127.0.0.1:3/'],
              sourceAddresses: ['127.0.0.2', '127.0.0.3'],
            },
          },
        },
      },
      new EventEmitter(),
    );
    const picks = Array.from({ length: 6 }, () => engine.nextEndpoint()).map(
      (e) => `${e.url} ${e.options.localAddress}`,
    );
    assert.deepEqual(picks, [
      'ws://127.0.0.1:1/ 127.0.0.2',
      'ws://127.0.0.1:2/ 127.0.0.3',
      'ws://127.0.0.1:3/ 127.0.0.2',
      'ws://127.0.0.1:1/ 127.0.0.3',
      'ws://127.0.0.1:2/ 127.0.0.2',
      'ws://127.0.0.1:3/ 127.0.0.3',
    ]);
    const plain = new Engine({ config: { target: 'ws://127.0.0.1:1/' } }, new EventEmitter());
    assert.deepEqual(plain.nextEndpoint(), { url: 'ws://127.0.0.1:1/', options: plain.clientOptions });
  });
});
