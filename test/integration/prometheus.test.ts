import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReadyLine } from '../../runner/result/measurements';
import { runBin, startBin, type StartedBin } from '../helpers/bin';

/**
 * The real Prometheus scrapes a real `bench serve`, and a real run pushes to the real Pushgateway
 * through Artillery's own publish-metrics plugin; both are read back over their HTTP APIs.
 */
const PROMETHEUS = '/usr/bin/prometheus';
const PUSHGATEWAY = '/usr/bin/prometheus-pushgateway';
const TOKEN = 'prom-test-token-0123456789';

const missing = (bin: string) =>
  fs.existsSync(bin) ? false : `${path.basename(bin)} is not installed: apt-get install -y ${path.basename(bin)}`;

/** These binaries cannot take port 0: bind a free loopback port, close it, hand it over. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `read` until it gives a value, within `timeoutMs` (a bound, not an assertion). */
async function poll<T>(read: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const v = await read().catch(() => undefined);
    if (v !== undefined) return v;
    await sleep(250);
  }
  return undefined;
}

function startDaemon(bin: string, args: string[]): { child: ChildProcess; log: () => string; exited: Promise<void> } {
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4_000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { child, log: () => log, exited };
}

async function stop(d: { child: ChildProcess; exited: Promise<void> } | undefined): Promise<void> {
  if (!d || d.child.exitCode !== null || d.child.signalCode !== null) return;
  d.child.kill('SIGTERM');
  const done = await Promise.race([d.exited.then(() => true), sleep(10_000, false)]);
  if (!done) d.child.kill('SIGKILL');
  await d.exited;
}

describe(
  'bench serve --metrics-format prometheus, scraped by the real Prometheus',
  { skip: missing(PROMETHEUS) },
  () => {
    let dir: string;
    let serve: StartedBin;
    let ready: ReadyLine;
    let prom: ReturnType<typeof startDaemon> | undefined;
    let promPort: number;

    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-prometheus-'));
      serve = startBin(['serve', '--lib', 'ws', '--metrics-format', 'prometheus', '--metrics-token', TOKEN]);
      const lines = readline.createInterface({ input: serve.child.stdout! });
      ready = await new Promise<ReadyLine>((resolve) => lines.once('line', (l) => resolve(JSON.parse(l) as ReadyLine)));
      promPort = await freePort();
      const config = path.join(dir, 'prometheus.yml');
      fs.writeFileSync(
        config,
        [
          'global: {scrape_interval: 1s, scrape_timeout: 1s}',
          'scrape_configs:',
          '  - job_name: bench-serve',
          '    authorization: {credentials: ' + TOKEN + '}',
          `    static_configs: [{targets: ['127.0.0.1:${ready.port}']}]`,
          '',
        ].join('\n'),
      );
      prom = startDaemon(PROMETHEUS, [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ]);
    });
    after(async () => {
      await stop(prom);
      if (serve) {
        serve.child.kill('SIGTERM');
        await serve.exited;
      }
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('names the Prometheus endpoint in the ready line', () => {
      assert.equal(ready.metrics, `http://127.0.0.1:${ready.port}/metrics`);
    });

    it('refuses a scrape without the token (401)', async () => {
      const r = await fetch(ready.metrics!);
      assert.equal(r.status, 401);
    });

    it('Prometheus scrapes the serve process’s RSS with the token, labelled with lib and node', async () => {
      type Vector = { metric: Record<string, string>; value: [number, string] }[];
      const query = `http://127.0.0.1:${promPort}/api/v1/query?query=bench_serve_rss_bytes`;
      const series = await poll(async () => {
        const body = (await (await fetch(query)).json()) as { data: { result: Vector } };
        return body.data.result.length > 0 ? body.data.result : undefined;
      }, 30_000);
      assert.ok(series, `Prometheus never had bench_serve_rss_bytes; its log:\n${prom!.log()}`);
      assert.equal(series.length, 1);
      assert.equal(series[0]!.metric.job, 'bench-serve');
      assert.equal(series[0]!.metric.lib, 'ws');
      assert.equal(series[0]!.metric.node_id, ready.nodeId);
      const rss = Number(series[0]!.value[1]);
      // A Node process with a server loaded: more than 10 MB, less than 2 GB.
      assert.ok(rss > 10e6 && rss < 2e9, `rss ${rss}`);
    });
  },
);

describe('bench run --push-metrics, read back from the real Pushgateway', { skip: missing(PUSHGATEWAY) }, () => {
  let dir: string;
  let gw: ReturnType<typeof startDaemon> | undefined;
  let gwUrl: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pushgateway-'));
    const port = await freePort();
    gwUrl = `http://127.0.0.1:${port}`;
    // Debian's default persistence file would keep other runs' pushes (and outlive the test).
    gw = startDaemon(PUSHGATEWAY, [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file=']);
    const up = await poll(async () => ((await fetch(`${gwUrl}/-/ready`)).ok ? true : undefined), 15_000);
    assert.ok(up, `the Pushgateway did not start; its log:\n${gw.log()}`);
  });
  after(async () => {
    await stop(gw);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a run’s connect latencies and counts arrive in the Pushgateway', async () => {
    const out = path.join(dir, 'push.json');
    const r = await runBin(
      // Whether a run this small is valid on a shared machine is not what this checks.
      [
        'run',
        '--lib',
        'ws',
        '--clients',
        '20',
        '--hold',
        '1',
        '--quiet',
        '--allow-invalid',
        '--push-metrics',
        gwUrl,
        '--out',
        out,
      ],
      { timeoutMs: 120_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    type Group = Record<string, { metrics: { labels: Record<string, string>; value: string }[] } | unknown>;
    const body = (await (await fetch(`${gwUrl}/api/v1/metrics`)).json()) as { status: string; data: Group[] };
    assert.equal(body.status, 'success');
    assert.equal(body.data.length, 1, 'one group per run');
    const values = new Map<string, number>();
    for (const group of body.data) {
      for (const family of ['artillery_counters', 'artillery_summaries']) {
        const f = group[family] as { metrics: { labels: Record<string, string>; value: string }[] } | undefined;
        for (const m of f?.metrics ?? []) {
          assert.equal(m.labels.lib, 'ws');
          assert.equal(m.labels.clients, '20');
          values.set(m.labels.metric!, Number(m.value));
        }
      }
    }
    const result = JSON.parse(fs.readFileSync(out, 'utf8')) as { clients: { connected: number } };
    assert.equal(values.get('bench_connected'), 20);
    assert.equal(values.get('bench_connected'), result.clients.connected);
    assert.ok(values.has('bench_connect_p99'), [...values.keys()].join(', '));
    assert.equal(values.get('bench_connect_count'), 20);
  });
});

describe('bad Prometheus input', () => {
  const CASES: Array<[string[], string]> = [
    [
      ['serve', '--lib', 'ws', '--metrics-token', TOKEN, '--metrics-format', 'xml'],
      'Error: --metrics-format must be one of json, prometheus (got "xml"). Example: --metrics-format prometheus',
    ],
    [
      ['serve', '--lib', 'ws', '--metrics-format', 'prometheus'],
      'Error: --metrics-format prometheus needs --metrics-token (or $BENCH_METRICS_TOKEN): the endpoint serves only holders of the token.',
    ],
    [
      ['run', '--lib', 'ws', '--clients', '5', '--push-metrics', 'pushgateway:9091'],
      'Error: --push-metrics must be the http:// URL of a Prometheus Pushgateway (got "pushgateway:9091"). Example: --push-metrics http://127.0.0.1:9091',
    ],
    [
      ['run', '--lib', 'ws', '--clients', '5', '--push-metrics', 'http://203.0.113.9:9091'],
      'Error: --push-metrics 203.0.113.9 is not a loopback or 198.18.0.0/15 address. Run a Pushgateway on this machine, e.g. --push-metrics http://127.0.0.1:9091',
    ],
  ];
  const withoutToken = { ...process.env };
  delete withoutToken.BENCH_METRICS_TOKEN;
  for (const [args, line] of CASES) {
    it(`bench ${args.join(' ')}`, async () => {
      const r = await runBin(args, { timeoutMs: 30_000, env: withoutToken });
      assert.equal(r.code, 2);
      assert.equal(r.stderr, line + '\n');
    });
  }

  it('bench run --push-metrics where no Pushgateway answers: refused before any load', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const r = await runBin(['run', '--lib', 'ws', '--clients', '5', '--push-metrics', url], { timeoutMs: 30_000 });
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `Error: --push-metrics ${url}: no Pushgateway answers there (ECONNREFUSED). Start one (prometheus-pushgateway --web.listen-address=127.0.0.1:9091), or drop --push-metrics.\n`,
    );
  });

  it('bench run --push-metrics at something that is not a Pushgateway: refused', async () => {
    const other = http.createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(other.address() as net.AddressInfo).port}`;
    try {
      const r = await runBin(['run', '--lib', 'ws', '--clients', '5', '--push-metrics', url], { timeoutMs: 30_000 });
      assert.equal(r.code, 2);
      assert.equal(
        r.stderr,
        `Error: --push-metrics ${url} answers GET /-/ready with 404, not a Pushgateway's 200. Give the Pushgateway's own URL, e.g. http://127.0.0.1:9091\n`,
      );
    } finally {
      other.close();
    }
  });
});
