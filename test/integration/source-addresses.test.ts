import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { RunResult } from '../../runner/result/build';
import { BENCH_BIN, runBin } from '../helpers/bin';

/**
 * The port range is real, and source addresses get past it: in a network namespace of our own
 * whose range is 1,000 ports, 3,000 clients connect from several loopback addresses, and without
 * them connections beyond the range fail.
 */
const NS = `bench-test-${process.pid}`;
const PREFIX = ['ip', 'netns', 'exec', NS];
const CLIENTS = 3_000;
const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : 'needs root: ip netns exec makes a network namespace';
if (skip) console.log(`# skipped source-addresses: ${skip}`);

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

let dir: string;
let server: ChildProcess | null = null;
let url = '';

describe('source addresses past a small port range', { skip }, () => {
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'source-addresses-'));
    ip('netns', 'add', NS);
    ip('netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up');
    ip('netns', 'exec', NS, 'sysctl', '-q', '-w', 'net.ipv4.ip_local_port_range=40000 40999');
    server = spawn(PREFIX[0]!, [...PREFIX.slice(1), process.execPath, BENCH_BIN, 'serve', '--lib', 'ws'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bench serve gave no ready line in 20 s')), 20_000);
      readline.createInterface({ input: server!.stdout! }).once('line', (line) => {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      });
    });
  });

  after(async () => {
    if (server && server.exitCode === null) {
      const gone = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5_000))]);
      if (server.exitCode === null) server.kill('SIGKILL');
    }
    try {
      ip('netns', 'del', NS);
    } catch {
      // not made: before failed first
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const base = ['run', '--lib', 'ws', '--clients', String(CLIENTS), '--warmup', '0', '--hold', '1', '--probes', '0'];

  it('3,000 clients from several addresses: all connected, none failed', async () => {
    const out = path.join(dir, 'auto.json');
    const r = await runBin(
      [
        ...base,
        '--target',
        url,
        '--source-addresses',
        'auto',
        '--arrival-rate',
        '1000',
        '--allow-invalid',
        '--quiet',
        '--out',
        out,
      ],
      { prefix: PREFIX, timeoutMs: 180_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
    assert.deepEqual(
      { connected: res.clients.connected, failed: res.clients.failed },
      { connected: CLIENTS, failed: 0 },
    );
    const used = res.topology?.sourceAddresses ?? [];
    assert.ok(used.length >= 3, `${used.length} source addresses`);
    assert.equal(
      used.reduce((sum, a) => sum + (a.clients ?? 0), 0),
      CLIENTS,
    );
  });

  it('without them, the port check refuses the run before it starts', async () => {
    const r = await runBin([...base, '--target', url, '--quiet'], { prefix: PREFIX, timeoutMs: 60_000 });
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr.trim(),
      'Error: The ephemeral port range 40000-40999 gives 1,000 ports, but 3,000 connections need 3,000. Add --source-addresses auto, or widen it with: sudo sysctl -w net.ipv4.ip_local_port_range="1024 65535"',
    );
  });

  it('and a script that runs anyway loses the connections past the range', async () => {
    // A custom script is not held to the port check: it shows what the check prevents.
    const script = path.join(dir, 'past-range.yml');
    fs.writeFileSync(
      script,
      [
        'config:',
        `  target: ${url}`,
        '  engines:',
        '    bench: { lib: ws, connectTimeoutMs: 5000 }',
        '  phases:',
        '    - { name: ramp, arrivalCount: 1500, duration: 2 }',
        '    - { name: hold, pause: 1 }',
        'scenarios:',
        '  - { name: past-range, engine: bench, flow: [{ connect: {} }, { hold: {} }] }',
        '',
      ].join('\n'),
    );
    const out = path.join(dir, 'past-range.json');
    const r = await runBin(['run', '--lib', 'ws', '--scenario', script, '--allow-invalid', '--quiet', '--out', out], {
      prefix: PREFIX,
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
    assert.ok(res.clients.failed > 0, `failed ${res.clients.failed}`);
    assert.ok(res.clients.connected <= 1_000, `connected ${res.clients.connected} of a 1,000-port range`);
  });
});
