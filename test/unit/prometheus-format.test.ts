import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  PROMETHEUS_CONTENT_TYPE,
  prometheusHandler,
  prometheusName,
  renderPrometheus,
} from '../../runner/sampling/metrics-endpoint';
import type { ProcSample } from '../../runner/sampling/proc-stats';
import { resolveRunOptions } from '../../runner/config/run-options';
import { buildScript } from '../../runner/loadgen/artillery';

const LABELS = { lib: 'ws', node_id: 'node-1' };

describe('Prometheus text rendering of the samples', () => {
  it('names each field bench_serve_<snake_case>', () => {
    assert.equal(prometheusName('rssBytes'), 'bench_serve_rss_bytes');
    assert.equal(prometheusName('heapUsedBytes'), 'bench_serve_heap_used_bytes');
  });

  it('renders the latest sample as gauges, with the extra values, without the timestamp', () => {
    const text = renderPrometheus({ t: 1, rssBytes: 52_000_000, cpuPercent: 3.5 }, LABELS, { clients: 7 });
    assert.equal(
      text,
      [
        '# HELP bench_serve_rss_bytes resident set of the bench serve process (VmRSS, bytes)',
        '# TYPE bench_serve_rss_bytes gauge',
        'bench_serve_rss_bytes{lib="ws",node_id="node-1"} 52000000',
        '# HELP bench_serve_cpu_percent CPU used over the last sampling interval (% of one core)',
        '# TYPE bench_serve_cpu_percent gauge',
        'bench_serve_cpu_percent{lib="ws",node_id="node-1"} 3.5',
        '# HELP bench_serve_clients clients connected to this node',
        '# TYPE bench_serve_clients gauge',
        'bench_serve_clients{lib="ws",node_id="node-1"} 7',
        '',
      ].join('\n'),
    );
  });

  it('exports fields a sampler gains later, and skips what is not a finite number', () => {
    const text = renderPrometheus({ t: 1, heapUsedBytes: 10, note: 'x', gcPauseMs: NaN } as object, LABELS);
    assert.deepEqual(
      text.split('\n').filter((l) => l && !l.startsWith('#')),
      ['bench_serve_heap_used_bytes{lib="ws",node_id="node-1"} 10'],
    );
  });

  it('escapes label values', () => {
    assert.match(renderPrometheus({ rssBytes: 1 }, { lib: 'a"b\\c', node_id: 'n' }), /lib="a\\"b\\\\c"/);
  });

  it('has no sample lines before the first sample', () => {
    assert.equal(renderPrometheus(undefined, LABELS), '');
  });
});

describe('the Prometheus endpoint', () => {
  const samples: ProcSample[] = [
    { t: 1, rssBytes: 100, cpuPercent: 0 },
    { t: 2, rssBytes: 200, cpuPercent: 1 },
  ];
  let server: http.Server;
  let url: string;
  before(async () => {
    server = http.createServer(prometheusHandler(samples, 'secret-token', LABELS, () => ({ clients: 3 })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('answers 401 without the token', async () => {
    const r = await fetch(url);
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer');
  });

  it('answers 405 to a POST with the token', async () => {
    const r = await fetch(url, { method: 'POST', headers: { authorization: 'Bearer secret-token' } });
    assert.equal(r.status, 405);
  });

  it('serves the latest sample in text format with the token', async () => {
    const r = await fetch(url, { headers: { authorization: 'Bearer secret-token' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), PROMETHEUS_CONTENT_TYPE);
    const lines = (await r.text()).split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(lines, [
      'bench_serve_rss_bytes{lib="ws",node_id="node-1"} 200',
      'bench_serve_cpu_percent{lib="ws",node_id="node-1"} 1',
      'bench_serve_clients{lib="ws",node_id="node-1"} 3',
    ]);
  });
});

describe('bench run --push-metrics in the generated script', () => {
  it("adds Artillery's publish-metrics plugin with the Pushgateway and labels naming the run", () => {
    const o = resolveRunOptions({ lib: 'ws', clients: '20', pushMetrics: 'http://127.0.0.1:9091/' });
    const config = buildScript(o.scenario.file, o, 'http://127.0.0.1:1').config as Record<string, unknown>;
    assert.deepEqual(config.plugins, {
      'publish-metrics': [
        {
          type: 'prometheus',
          pushgateway: 'http://127.0.0.1:9091',
          prefix: 'artillery',
          tags: ['lib:ws', 'scenario:echo', 'clients:20'],
        },
      ],
    });
  });

  it('adds no plugin without it', () => {
    const o = resolveRunOptions({ lib: 'ws', clients: '20' });
    assert.equal(
      (buildScript(o.scenario.file, o, 'http://127.0.0.1:1').config as { plugins?: unknown }).plugins,
      undefined,
    );
  });
});
