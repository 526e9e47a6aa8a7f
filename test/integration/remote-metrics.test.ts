import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { probeHost } from '../../runner/topology/isolation/host';
import { applyOnLinux, type Isolation } from '../../runner/topology/isolation/linux';
import { cannotIsolate, type IsolationPlan } from '../../runner/topology/isolation/plan';
import type { RunResult } from '../../runner/result/build';
import type { ReadyLine } from '../../runner/topology/server-process';
import { runBin, startBin, type StartedBin } from '../helpers/bin';

const host = probeHost();
const why = cannotIsolate(host);
const TOKEN = 'test-token-0123456789';

/** Two namespaces joined by a veth on 198.18.0.0/15, nothing else: the two-machine topology on one host. */
const TWO_HOSTS: IsolationPlan = {
  profile: 'two-hosts',
  constrained: true,
  canIsolate: true,
  cannotIsolateReason: null,
  server: { cores: null, cpus: null, memoryBytes: null, source: 'not set' },
  loadgen: { cores: null, cpus: null, memoryBytes: null, source: 'not set' },
  link: { bandwidthMbit: null, latencyMs: null },
};

describe('remote server metrics between two namespaces', { skip: why ? `needs namespaces: ${why}` : false }, () => {
  let iso: Isolation;
  let serve: StartedBin;
  let ready: ReadyLine;
  let dir: string;
  const onLoadgen = (args: string[]) => runBin(args, { prefix: iso.prefix('loadgen'), timeoutMs: 120_000 });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remote-metrics-'));
    iso = applyOnLinux(TWO_HOSTS, host);
    serve = startBin(['serve', '--lib', 'socketio', '--host', iso.serverHost, '--metrics-token', TOKEN], {
      prefix: iso.prefix('server'),
    });
    const lines = readline.createInterface({ input: serve.child.stdout! });
    ready = await new Promise<ReadyLine>((resolve) => lines.once('line', (l) => resolve(JSON.parse(l) as ReadyLine)));
  });
  after(async () => {
    serve.child.kill('SIGTERM');
    await serve.exited;
    iso.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('bench serve names its metrics endpoint in the ready line', () => {
    assert.equal(ready.metrics, `http://${iso.serverHost}:${ready.port}/metrics/samples`);
  });

  it('refuses a request without the token (401)', async () => {
    const script = `fetch(${JSON.stringify(ready.metrics)}).then(async (r) => console.log(r.status, await r.text()))`;
    const r = await runBin(['--help'], { prefix: [...iso.prefix('loadgen'), process.execPath, '-e', script, '--'] });
    assert.equal(
      r.stdout,
      '401 {"error":"missing or wrong token: send Authorization: Bearer <the --metrics-token of bench serve>"}\n',
    );
  });

  it('a run from the other namespace records the remote server’s memory with the token', async () => {
    const out = path.join(dir, 'remote.json');
    const r = await onLoadgen([
      'run',
      '--lib',
      'socketio',
      '--clients',
      '200',
      '--hold',
      '2',
      '--probes',
      '2',
      '--quiet',
      '--target',
      ready.url,
      '--server-metrics',
      ready.metrics!,
      '--metrics-token',
      TOKEN,
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
    assert.equal(result.clients.connected, 200);
    assert.equal(result.server.samplesFrom, 'remote');
    assert.equal(result.server.pid, ready.pid);
    const rss = result.server.rssBytes;
    assert.ok(rss.idle! > 0 && rss.steady! > 0 && rss.peak! >= rss.steady!, JSON.stringify(rss));
    // Memory per client from the remote samples: a figure, or the floor it stayed below.
    assert.equal(typeof result.server.bytesPerClientFloor, 'number');
    assert.ok(result.server.samples.length > 4);
    // Read inside the remote process too, served on the same endpoint.
    const inner = result.server.inner!;
    assert.ok(inner && inner.samples > 4, JSON.stringify(inner));
    const heap = inner.heapBytes.used;
    assert.ok(heap.steady! > 0 && heap.steady! <= inner.heapBytes.total.steady!, JSON.stringify(inner.heapBytes));
    assert.equal(inner.heapAfterGcBytes, null);
  });

  it('a wrong token stops the run before any load, exit 2', async () => {
    const r = await onLoadgen([
      'run',
      '--lib',
      'socketio',
      '--clients',
      '10',
      '--target',
      ready.url,
      '--server-metrics',
      ready.metrics!,
      '--metrics-token',
      'wrong-token-000',
    ]);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `Error: --server-metrics ${ready.metrics} refused the request (401): the token is missing or wrong. Pass the same --metrics-token (or BENCH_METRICS_TOKEN) as bench serve.\n`,
    );
  });
});
