import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { hasCommand } from '../../runner/topology/isolation/host';
import type { RunResult } from '../../runner/result/build';
import { runBin } from '../helpers/bin';

/**
 * Broker cost: with an adapter that syncs the nodes through a broker on this machine, the result
 * holds the broker's processes (found by the socket listening on the adapter's port) and their
 * samples, and the summary prints them; without one, `broker` is null. Two nodes, 50 clients,
 * a 3 s hold, two runs at a time: about 30 s in all. Behaviour only, never speed.
 */
const CLIENTS = 50;
const BROKERS = {
  redis: { lib: 'ws', port: 6379, flag: '--redis-url', url: 'redis://127.0.0.1:6379' },
  nats: { lib: 'ws', port: 4222, flag: '--nats-url', url: 'nats://127.0.0.1:4222' },
  amqp: { lib: 'sockjs', port: 5672, flag: '--amqp-url', url: 'amqp://guest:guest@127.0.0.1:5672' },
  postgres: { lib: 'socketio', port: 5432, flag: '--pg-url', url: 'postgres://postgres@127.0.0.1:5432/test' },
} as const;
type Broker = keyof typeof BROKERS;
const skip = hasCommand('haproxy') ? false : 'HAProxy is not installed: apt-get install -y haproxy';

/** Why the broker cannot be used here, or null when it answers. */
function unreachable(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, timeout: 2_000 }, () => {
      s.destroy();
      resolve(null);
    });
    s.once('timeout', () => {
      s.destroy();
      resolve(`nothing answers on 127.0.0.1:${port} within 2 s`);
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(`nothing answers on 127.0.0.1:${port} (${err.code})`));
  });
}

/** The pids `ss` says listen on 127.0.0.1:port (or every address): the other way of finding the broker. */
function ssListeners(port: number): number[] {
  const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  return [...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
}

let dir: string;
before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'broker-cost-'))));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(name: string, args: string[]): Promise<{ result: RunResult; stderr: string }> {
  const out = path.join(dir, `${name}.json`);
  const r = await runBin(
    [
      'run',
      ...args,
      '--warmup',
      '0',
      '--probes',
      '0',
      // Checks what was sampled, not the verdict: a generator behind its schedule on two busy
      // cores would make the run invalid (exit 1).
      '--allow-invalid',
      '--out',
      out,
    ],
    { timeoutMs: 60_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  return { result: JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult, stderr: r.stderr };
}

describe("the adapter's broker beside the nodes", { skip, concurrency: 2 }, () => {
  for (const broker of Object.keys(BROKERS) as Broker[]) {
    const b = BROKERS[broker];
    it(`${b.lib}, --adapter ${broker}: the process listening on its port, sampled over the run`, async (t) => {
      const why = await unreachable(b.port);
      if (why) return t.skip(why);
      const { result, stderr } = await run(`${b.lib}-${broker}`, [
        '--lib',
        b.lib,
        '--nodes',
        '2',
        '--adapter',
        broker,
        b.flag,
        b.url,
        '--scenario',
        'broadcast',
        '--clients',
        String(CLIENTS),
        '--hold',
        '3',
      ]);
      const k = result.broker;
      assert.ok(k, 'broker recorded');
      assert.equal(k.kind, broker);
      assert.equal(k.error, null);
      assert.equal(k.url, b.url.replace(':guest@', ':***@'), 'the URL, password hidden');
      const listeners = ssListeners(b.port);
      assert.ok(listeners.length > 0, `ss names a process listening on port ${b.port}`);
      assert.ok(
        listeners.some((pid) => k.pids.includes(pid)),
        `pids ${k.pids.join(',')} hold a listener ss names (${listeners.join(',')})`,
      );
      assert.ok(k.process !== null && k.process.length > 0, 'its command name');
      assert.ok(k.samples.length > 0, 'sampled');
      assert.ok(k.rssBytes.peak! > 0, 'its RSS');
      assert.ok(k.samples.every((s) => s.rssBytes > 0 && s.cpuPercent >= 0));
      assert.equal(typeof k.cpuPercent, 'number', 'CPU over the active window');
      if (broker === 'postgres') {
        assert.ok(k.pids.length > 1, 'the postmaster and its backends');
      }
      const line = stderr.split('\n').find((l) => l.startsWith('  broker '));
      assert.match(
        line ?? '',
        new RegExp(`^  broker +${k.process.replace('.', '\\.')} \\(pid ${k.pids[0]}.*\\) · CPU [0-9.]+% · RSS idle `),
      );
    });
  }

  it('--adapter none: no broker', async () => {
    const { result, stderr } = await run('ws-none', [
      '--lib',
      'ws',
      '--scenario',
      'connect',
      '--clients',
      '10',
      '--hold',
      '1',
    ]);
    assert.equal(result.broker, null);
    assert.doesNotMatch(stderr, /^ {2}broker /m);
  });
});
