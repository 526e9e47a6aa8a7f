import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Engine, resolveEngineConfig, roomPrefix } from 'artillery-engine-bench';
import {
  exchangeName,
  exchangeType,
  formatTopology,
  parseTopology,
  roomKey,
} from '../../servers/adapters/amqp-topology';
import { amqpArgs, resolveAmqp, roomAffinity } from '../../runner/config/amqp-options';
import { haproxyConfig } from '../../runner/topology/balancer';

describe('--amqp-topology', () => {
  it('reads fanout, routing and prefix:N (1 to 65,536), and writes them back as typed', () => {
    for (const text of ['fanout', 'routing', 'prefix:1', 'prefix:256', 'prefix:65536']) {
      assert.equal(formatTopology(parseTopology(text)!), text);
    }
    for (const bad of ['prefix:0', 'prefix:65537', 'prefix:', 'prefix:-1', 'topic', 'Routing', 'prefix:1.5']) {
      assert.equal(parseTopology(bad), null, bad);
    }
  });

  it('names each layout its own exchange, so nodes told different layouts never share one', () => {
    const base = 'bench.run-1.broadcast';
    assert.equal(exchangeName(base, { kind: 'fanout' }), base);
    assert.equal(exchangeName(base, { kind: 'routing' }), `${base}.routing`);
    assert.equal(exchangeName(base, { kind: 'prefix', prefixes: 256 }), `${base}.prefix-256`);
    assert.equal(exchangeType({ kind: 'fanout' }), 'fanout');
    assert.equal(exchangeType({ kind: 'routing' }), 'direct');
  });

  it("routes a room by its name, or by its prefix: a stable hash, the engine's and the servers' alike", () => {
    assert.equal(roomKey({ kind: 'routing' }, 'r7'), 'room.r7');
    assert.equal(roomKey({ kind: 'fanout' }, 'r7'), 'all');
    // Pinned: a change would send clients to other nodes than an older build's servers bound.
    assert.deepEqual(
      ['r0', 'r1', 'r2', 'r3'].map((r) => roomPrefix(r, 256)),
      [63, 172, 101, 210],
    );
    assert.equal(roomKey({ kind: 'prefix', prefixes: 256 }, 'r1'), 'prefix.172');
    for (let i = 0; i < 1000; i++) {
      const p = roomPrefix(`r${i}`, 7);
      assert.ok(Number.isInteger(p) && p >= 0 && p < 7);
    }
    const longRoom = 'x'.repeat(300);
    assert.ok(Buffer.byteLength(roomKey({ kind: 'routing' }, longRoom)) <= 255);
  });

  it('gives bench serve only what differs from the defaults, and affinity only to prefix:N with rooms', () => {
    assert.deepEqual(amqpArgs(resolveAmqp({}, 'amqp')), []);
    assert.deepEqual(amqpArgs(resolveAmqp({ amqpTopology: 'routing', amqpExtraBindings: '40000' }, 'amqp')), [
      '--amqp-topology',
      'routing',
      '--amqp-extra-bindings',
      '40000',
    ]);
    const amqp = resolveAmqp({ amqpTopology: 'prefix:16' }, 'amqp');
    assert.equal(roomAffinity({ adapter: 'amqp', amqp, rooms: {} }), 16);
    assert.equal(roomAffinity({ adapter: 'amqp', amqp, rooms: null }), null);
    assert.equal(
      roomAffinity({ adapter: 'amqp', amqp: resolveAmqp({ amqpTopology: 'routing' }, 'amqp'), rooms: {} }),
      null,
    );
  });

  it('HAProxy routes on the prefix parameter with consistent hashing, round robin otherwise', () => {
    const backends = [{ name: 'node-1', host: '127.0.0.1', port: 1 }];
    const routed = haproxyConfig({ host: '127.0.0.1', port: 2 }, backends, 10, 'prefix');
    assert.match(routed, /^ {2}balance url_param prefix\n {2}hash-type consistent$/m);
    assert.doesNotMatch(routed, /roundrobin/);
    assert.match(haproxyConfig({ host: '127.0.0.1', port: 2 }, backends, 10), /^ {2}balance roundrobin$/m);
  });
});

describe('room affinity in the engine', () => {
  it('checks config.engines.bench.affinity', () => {
    assert.deepEqual(resolveEngineConfig({ affinity: { prefixes: 8 } }, {}).affinity, { prefixes: 8 });
    assert.throws(() => resolveEngineConfig({ affinity: { prefixes: 0 } }, {}), {
      name: 'EngineConfigError',
      message:
        'config.engines.bench.affinity must be { prefixes: N } with N an integer from 1 to 65536, got {"prefixes":0}.',
    });
  });

  it("sends a client to its prefix's node: prefix mod the nodes, or through HAProxy with ?prefix=P", () => {
    const spread = new Engine(
      {
        config: {
          target: 'ws://127.0.0.1:1/',
          engines: { bench: { targets: ['ws://127.0.0.1:1/', 'ws://127.0.0.1:2/', 'ws://127.0.0.1:3/'] } },
        },
      },
      new EventEmitter(),
    );
    assert.deepEqual(
      [0, 1, 2, 3, 4, 17].map((p) => spread.nextEndpoint(p).url),
      [
        'ws://127.0.0.1:1/',
        'ws://127.0.0.1:2/',
        'ws://127.0.0.1:3/',
        'ws://127.0.0.1:1/',
        'ws://127.0.0.1:2/',
        'ws://127.0.0.1:3/',
      ],
    );
    const balanced = new Engine({ config: { target: 'http://127.0.0.1:9/sockjs' } }, new EventEmitter());
    assert.equal(balanced.nextEndpoint(17).url, 'http://127.0.0.1:9/sockjs?prefix=17');
    assert.equal(balanced.nextEndpoint().url, 'http://127.0.0.1:9/sockjs');
  });
});
