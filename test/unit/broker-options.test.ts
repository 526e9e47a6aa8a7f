import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { resolveRunOptions } from '../../runner/config/run-options';
import { resolveServeOptions } from '../../runner/config/serve-options';
import { runArgv } from '../../runner/config/sweep-options';
import { RUN_FLAGS, SERVE_FLAGS, SWEEP_FLAGS } from '../../runner/cli/flags';
import { checkAdapterService } from '../../runner/topology/nodes';
import { PendingReports, Presence, type Hello } from '../../servers/adapters/fanout-reports';
import { connectFailure } from '../../servers/adapters/errors';
import { usageMessage } from '../helpers/usage';

/** --adapter amqp and --adapter nats: their URLs, where they apply, and the words when they fail. */
describe('--adapter amqp and nats: options', () => {
  const multi = { lib: 'ws', clients: '60', nodes: '2', scenario: 'broadcast' };

  it('bench run: each takes its URL, with a default on this machine', () => {
    const amqp = resolveRunOptions({ ...multi, adapter: 'amqp' });
    assert.equal(amqp.adapter, 'amqp');
    assert.equal(amqp.amqpUrl, 'amqp://guest:guest@127.0.0.1:5672');
    const nats = resolveRunOptions({ ...multi, adapter: 'nats', natsUrl: 'nats://127.0.0.1:4333' });
    assert.equal(nats.adapter, 'nats');
    assert.equal(nats.natsUrl, 'nats://127.0.0.1:4333');
    assert.equal(resolveRunOptions({ ...multi, lib: 'sockjs', adapter: 'nats' }).natsUrl, 'nats://127.0.0.1:4222');
    assert.equal(resolveRunOptions({ ...multi, lib: 'socketio', adapter: 'amqp' }).adapter, 'amqp');
  });

  it('bench run: a URL of another scheme or off this machine is refused', () => {
    assert.equal(
      usageMessage(() => resolveRunOptions({ ...multi, adapter: 'amqp', amqpUrl: 'redis://127.0.0.1:6379' })),
      '--amqp-url must be a amqp:// URL (got "redis://127.0.0.1:6379").',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ ...multi, adapter: 'nats', natsUrl: 'nats://10.0.0.5:4222' })),
      '--nats-url 10.0.0.5 is not a loopback address. Use the NATS running on this machine.',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ ...multi, adapter: 'amqp', amqpUrl: 'amqp://10.0.0.5' })),
      '--amqp-url 10.0.0.5 is not a loopback address. Use the RabbitMQ running on this machine.',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ ...multi, adapter: 'none' })),
      '--nodes 2 needs an --adapter to carry broadcasts between the nodes: redis, postgres, amqp, nats or cluster.',
    );
  });

  it('bench serve: the URL, its key, and --amqp-url or --nats-url without their adapter refused', () => {
    const o = resolveServeOptions({ lib: 'ws', adapter: 'amqp', clusterKey: 'run-7' });
    assert.deepEqual(o.adapter, { kind: 'amqp', url: 'amqp://guest:guest@127.0.0.1:5672', key: 'run-7' });
    assert.deepEqual(
      resolveServeOptions({ lib: 'socketio', adapter: 'nats', natsUrl: 'nats://127.0.0.1:4333' }).adapter,
      {
        kind: 'nats',
        url: 'nats://127.0.0.1:4333',
        key: 'default',
      },
    );
    assert.equal(
      usageMessage(() => resolveServeOptions({ lib: 'ws', amqpUrl: 'amqp://127.0.0.1' })),
      '--amqp-url applies to --adapter amqp only. Remove --amqp-url, or add --adapter amqp.',
    );
    assert.equal(
      usageMessage(() => resolveServeOptions({ lib: 'ws', adapter: 'redis', natsUrl: 'nats://127.0.0.1' })),
      '--nats-url applies to --adapter nats only. Remove --nats-url, or add --adapter nats.',
    );
    assert.equal(
      usageMessage(() => resolveServeOptions({ lib: 'sockjs', adapter: 'nats', natsUrl: 'http://127.0.0.1' })),
      '--nats-url must be a nats: or tls:// URL (got "http://127.0.0.1"). Example: --nats-url nats://127.0.0.1:4222',
    );
    assert.equal(
      usageMessage(() => resolveServeOptions({ lib: 'socketio', adapter: 'amqp', sioRecovery: '' })),
      '--sio-recovery cannot work with --adapter amqp: our RabbitMQ adapter relays broadcasts through a fanout exchange and keeps none to replay (no restoreSession). Use --adapter redis-streams (several nodes) or none (one node).',
    );
  });

  it('one flag each, shared by run and serve; a sweep passes them on', () => {
    for (const flag of ['amqp-url', 'nats-url'] as const) {
      assert.equal(RUN_FLAGS[flag], SERVE_FLAGS[flag], flag);
      assert.ok(SWEEP_FLAGS[flag] !== undefined, `bench sweep takes --${flag}`);
    }
    assert.deepEqual(runArgv({ adapter: 'nats', natsUrl: 'nats://127.0.0.1:4333' }), [
      '--adapter',
      'nats',
      '--nats-url',
      'nats://127.0.0.1:4333',
    ]);
  });
});

describe('--adapter amqp and nats: before any load', () => {
  /** A port where nothing listens: one we had, closed. */
  async function closedPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }
  const base = { redisUrl: 'redis://127.0.0.1:6379', pgUrl: 'postgres://127.0.0.1/test' };

  it('a URL where nothing answers: one line naming the service and the flag, its password hidden', async () => {
    const port = await closedPort();
    await assert.rejects(
      checkAdapterService({
        ...base,
        adapter: 'amqp',
        amqpUrl: `amqp://guest:guest@127.0.0.1:${port}`,
        natsUrl: 'nats://127.0.0.1:4222',
      }),
      {
        message: `RabbitMQ at amqp://guest:***@127.0.0.1:${port} is not reachable (ECONNREFUSED): start it, or give --amqp-url.`,
      },
    );
    await assert.rejects(
      checkAdapterService({
        ...base,
        adapter: 'nats',
        amqpUrl: 'amqp://127.0.0.1',
        natsUrl: `nats://127.0.0.1:${port}`,
      }),
      { message: `NATS at nats://127.0.0.1:${port} is not reachable (ECONNREFUSED): start it, or give --nats-url.` },
    );
  });

  it("the NATS client's refused connection reads as the others do", () => {
    const err = new Error('connection refused', {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    assert.deepEqual(connectFailure(err, 3_000), { reason: 'refused the connection', answered: false });
  });
});

describe('fan-out reports and presence', () => {
  it('answers once every expected node reported, with their clients summed', async () => {
    const pending = new PendingReports();
    const { delivery, expect } = pending.open(1);
    pending.onReport(JSON.stringify({ seq: 1, clients: 30 }));
    expect(2);
    pending.onReport(JSON.stringify({ seq: 1, clients: 29 }));
    pending.onReport(JSON.stringify({ seq: 1, clients: 5 })); // late: ignored
    assert.deepEqual(await delivery, { clients: 59, nodes: 2 });
    const second = pending.open(2, 3);
    pending.onReport(JSON.stringify({ seq: 2, clients: 1 }));
    pending.settleAll();
    assert.deepEqual(await second.delivery, { clients: 1, nodes: 1 });
  });

  it('counts the nodes that said hello, answers a first hello, counts out one that said bye', () => {
    const sent: Hello[] = [];
    const p = new Presence('me', (h) => sent.push(h));
    assert.equal(p.onMessage('{"seq":1,"text":"x","replyTo":"r"}'), false, 'an envelope is not a hello');
    assert.equal(p.onMessage(JSON.stringify({ hello: 'other', first: true })), true);
    assert.deepEqual(sent, [{ hello: 'me' }], 'answered at once');
    p.onMessage(JSON.stringify({ hello: 'me' }));
    assert.equal(p.count(), 2);
    p.onMessage(JSON.stringify({ hello: 'other', bye: true }));
    assert.equal(p.count(), 1);
  });
});
