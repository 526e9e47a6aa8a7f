/**
 * The verdict as a user meets it: a --target where nothing answers is refused before any load,
 * and a run whose connections fail beyond --max-failed is invalid, says so first and exits 1.
 * Connections fail for real: a TCP gate in front of a real `bench serve` passes the first few
 * connections and resets every later one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { RunResult } from '../../runner/result/build';
import type { ReadyLine } from '../../runner/topology/server-process';
import { runBin, startBin, type StartedBin } from '../helpers/bin';

/** Forwards the first `pass` connections to `port`; resets every one after them. */
function connectionGate(port: number, pass: number): Promise<net.Server & { passed: () => number }> {
  let seen = 0;
  const server = net.createServer((client) => {
    if (++seen > pass) return client.resetAndDestroy();
    const upstream = net.connect(port, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(Object.assign(server, { passed: () => Math.min(seen, pass) }))),
  );
}

const CLIENTS = 12;
/** the target check's connection, then 5 clients */
const PASSED = 6;
const FAILED = CLIENTS - (PASSED - 1);

describe('bench run: the verdict', () => {
  let dir: string;
  let serve: StartedBin;
  let ready: ReadyLine;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-verdict-'));
    serve = startBin(['serve', '--lib', 'ws']);
    const lines = readline.createInterface({ input: serve.child.stdout! });
    ready = JSON.parse(await new Promise<string>((r) => lines.once('line', r))) as ReadyLine;
  });
  after(async () => {
    serve.child.kill('SIGTERM');
    await serve.exited;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a --target where nothing answers, before any load, in one line', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const out = path.join(dir, 'refused.json');
    const r = await runBin([
      'run',
      '--lib',
      'ws',
      '--clients',
      '10',
      '--target',
      `ws://127.0.0.1:${port}/`,
      '--out',
      out,
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      `Error: --target ws://127.0.0.1:${port}/ did not answer a WebSocket connection (ws): ECONNREFUSED. Start one there (bench serve --lib ws) or fix the URL: use the "url" from bench serve's ready line.\n`,
    );
    assert.equal(fs.existsSync(out), false, 'no load ran, so no result');
  });

  const runThroughGate = async (name: string, extra: string[]) => {
    const gate = await connectionGate(ready.port, PASSED);
    const out = path.join(dir, `${name}.json`);
    try {
      const r = await runBin([
        'run',
        '--lib',
        'ws',
        '--clients',
        String(CLIENTS),
        '--scenario',
        'connect',
        '--arrival-rate',
        '50',
        '--warmup',
        '0',
        '--hold',
        '1',
        '--probes',
        '0',
        '--target',
        `ws://127.0.0.1:${(gate.address() as net.AddressInfo).port}/`,
        '--out',
        out,
        '--quiet',
        ...extra,
      ]);
      return { ...r, result: JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult };
    } finally {
      await new Promise((r) => gate.close(r));
    }
  };

  it('a run with failed connections beyond --max-failed is invalid, says so first and exits 1', async () => {
    const r = await runThroughGate('failed', []);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(r.result.clients, { requested: CLIENTS, connected: PASSED - 1, failed: FAILED, dropped: 0 });
    assert.equal(r.result.status, 'completed');
    assert.equal(r.result.valid, false);
    assert.deepEqual(r.result.invalidReasons, [`${FAILED} of ${CLIENTS} connections failed (limit 0, --max-failed)`]);
    assert.equal(
      r.stderr.split('\n')[0],
      `INVALID: ${FAILED} of ${CLIENTS} connections failed (limit 0, --max-failed)`,
    );
  });

  it('--max-failed as a percentage admits them; --allow-invalid exits 0 but still says INVALID', async () => {
    const admitted = await runThroughGate('admitted', ['--max-failed', '60%']);
    assert.equal(admitted.code, 0, admitted.stderr);
    assert.equal(admitted.result.valid, true);
    assert.equal(admitted.result.options.maxFailed, '60%');
    assert.equal(admitted.stderr.split('\n')[0], 'VALID: the run measured what was asked');

    const allowed = await runThroughGate('allowed', ['--allow-invalid']);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(allowed.result.valid, false);
    assert.match(allowed.stderr.split('\n')[0]!, /^INVALID: /);
  });

  it('an invalid run that meets every --ensure still exits 1', async () => {
    const r = await runThroughGate('ensured', ['--ensure', `connected==${PASSED - 1}`]);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(
      r.result.ensure?.map((e) => e.ok),
      [true],
    );
    assert.equal(r.result.valid, false);
  });
});
