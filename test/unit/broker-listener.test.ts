import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  canonicalAddress,
  decodeProcAddress,
  findListener,
  parseProcNetTcp,
  processTree,
  socketsFor,
} from '../../runner/sampling/listener';
import { ProcSampler } from '../../runner/sampling/proc-stats';
import { BrokerSampler, brokerOf } from '../../runner/run/broker';
import { resolveRunOptions } from '../../runner/config/run-options';
import { brokerLine } from '../../runner/summary/text';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';

async function listening(host: string): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer();
  server.listen(0, host);
  await once(server, 'listening');
  return { server, port: (server.address() as net.AddressInfo).port };
}

describe('the process listening on a TCP address', () => {
  it('decodes /proc/net/tcp addresses, IPv4 and IPv6, in either byte order', () => {
    assert.equal(decodeProcAddress('0100007F', true), '127.0.0.1');
    assert.equal(decodeProcAddress('7F000001', false), '127.0.0.1');
    assert.equal(decodeProcAddress('00000000', true), '0.0.0.0');
    assert.equal(decodeProcAddress('00000000000000000000000001000000', true), '::1');
    assert.equal(decodeProcAddress('00000000000000000000000000000000', true), '::');
    assert.equal(decodeProcAddress('0000000000000000FFFF00000100007F', true), '127.0.0.1', 'IPv4-mapped');
    assert.equal(canonicalAddress('[0:0:0:0:0:0:0:1]'), '::1');
    assert.equal(canonicalAddress('::ffff:127.0.0.1'), '127.0.0.1');
  });

  it('keeps the listening sockets (state 0A) of /proc/net/tcp with their port and inode', () => {
    const text =
      HEADER +
      '   0: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000   100        0 23456 1 0 100 0 0 10 0\n' +
      '   1: 0100007F:18EB 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000   100        0 34567 1 0 20 4 30 10 -1\n' +
      '   2: 00000000:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   114        0 45678 1 0 100 0 0 10 0\n';
    const sockets = parseProcNetTcp(text).map((s) => ({ ...s, address: canonicalAddress(s.address) }));
    assert.deepEqual(sockets, [
      { address: '127.0.0.1', port: 6379, inode: 23456 },
      { address: '0.0.0.0', port: 5432, inode: 45678 },
    ]);
    assert.deepEqual(
      socketsFor(sockets, ['127.0.0.1'], 5432).map((s) => s.inode),
      [45678],
      'a wildcard address takes loopback connections',
    );
    assert.deepEqual(socketsFor(sockets, ['::1'], 6379), [], 'another address, same port');
  });

  it('finds this process listening on a port the kernel picked', async () => {
    const { server, port } = await listening('127.0.0.1');
    try {
      assert.deepEqual(findListener(['127.0.0.1'], port), { pids: [process.pid], error: null });
      const none = findListener(['127.0.0.1'], port === 1 ? 2 : 1);
      assert.match(none.error ?? '', /nothing listens on 127\.0\.0\.1 port/);
    } finally {
      server.close();
    }
  });

  it('finds an IPv6 listener in /proc/net/tcp6', async (t) => {
    let s: { server: net.Server; port: number };
    try {
      s = await listening('::1');
    } catch {
      t.skip('no IPv6 loopback here');
      return;
    }
    try {
      assert.deepEqual(findListener(['::1'], s.port).pids, [process.pid]);
    } finally {
      s.server.close();
    }
  });

  it("reads a process's descendants and samples them as they come and go", async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)'], { stdio: 'ignore' });
    await once(child, 'spawn');
    try {
      assert.ok(processTree(process.pid).includes(child.pid!), 'the child is in the tree');
      assert.equal(processTree(process.pid)[0], process.pid, 'the root first');
      const sampler = new ProcSampler(() => processTree(process.pid), 1000);
      const first = sampler.sample();
      assert.deepEqual([...sampler.pids].sort(), [process.pid, child.pid!].sort());
      child.kill('SIGKILL');
      await once(child, 'exit');
      await sleep(20);
      const second = sampler.sample();
      assert.deepEqual(sampler.pids, [process.pid], 'the child is gone from the sum');
      assert.ok(first !== null && second !== null && second.rssBytes < first.rssBytes);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe("an adapter's broker", () => {
  const options = (adapter: string, extra: Record<string, unknown> = {}) =>
    resolveRunOptions({
      lib: 'ws',
      scenario: 'connect',
      clients: 10,
      nodes: adapter === 'none' ? 1 : 2,
      adapter,
      ...extra,
    });

  it('is the service each adapter syncs through, none without one', () => {
    assert.deepEqual(brokerOf(options('redis')), { kind: 'redis', url: 'redis://127.0.0.1:6379' });
    assert.equal(brokerOf(options('nats'))?.kind, 'nats');
    assert.equal(brokerOf(options('amqp'))?.kind, 'amqp');
    assert.equal(brokerOf(options('none')), null);
  });

  it('is sampled from the process holding its port, password hidden', async () => {
    const { server, port } = await listening('127.0.0.1');
    try {
      const b = await BrokerSampler.start({ kind: 'amqp', url: `amqp://guest:secret@127.0.0.1:${port}` }, 50);
      await sleep(120);
      b.sample();
      b.stop();
      const m = b.measured();
      assert.equal(m.error, null);
      assert.equal(m.url, `amqp://guest:***@127.0.0.1:${port}`);
      assert.equal(m.pids[0], process.pid);
      assert.ok(m.process !== null && m.process.length > 0);
      assert.ok(m.samples.length >= 2 && m.samples.every((s) => s.rssBytes > 0));
    } finally {
      server.close();
    }
  });

  it('says why when it is not on this machine, and gives no numbers', async () => {
    const remote = await BrokerSampler.start({ kind: 'nats', url: 'nats://192.0.2.7:4222' }, 50);
    remote.stop();
    const m = remote.measured();
    assert.match(m.error ?? '', /192\.0\.2\.7 .*is not this machine/);
    assert.deepEqual([m.pids, m.samples, m.process], [[], [], null]);
  });

  it('is one summary line', () => {
    const rss = { idle: 8.2 * 2 ** 20, steady: 8.9 * 2 ** 20, peak: 9 * 2 ** 20 };
    const base = { kind: 'redis' as const, url: 'redis://127.0.0.1:6379', samples: [], rssBytes: rss };
    assert.equal(
      brokerLine({ ...base, pids: [123], process: 'redis-server', cpuPercent: 3.1, error: null }),
      '  broker           redis-server (pid 123) · CPU 3.1% · RSS idle 8.2 MiB steady 8.9 MiB peak 9.0 MiB',
    );
    assert.match(
      brokerLine({ ...base, pids: [1, 2, 3], process: 'postgres', cpuPercent: 1, error: null }),
      /postgres \(pid 1 \+ 2 more\)/,
    );
    assert.equal(
      brokerLine({ ...base, pids: [], process: null, cpuPercent: null, error: 'why' }),
      '  broker           redis at redis://127.0.0.1:6379: not measured (why)',
    );
  });
});
