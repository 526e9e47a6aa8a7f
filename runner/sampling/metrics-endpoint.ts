import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { ProcSample } from './proc-stats';
import type { InnerSample } from '../result/measurements';

// Defined with the options, which check them; kept here too for the endpoint's readers.
import { METRICS_PATH, METRICS_TOKEN_ENV, MIN_TOKEN_LENGTH, PROMETHEUS_PATH } from '../config/defaults';
export { METRICS_PATH, METRICS_TOKEN_ENV, MIN_TOKEN_LENGTH, PROMETHEUS_PATH };

/** The body of `GET /metrics/samples?since=T`. */
export interface MetricsResponse {
  /** the serving process */
  pid: number;
  /** the server's clock when it answered (ms since epoch), to align samples with the client's clock */
  now: number;
  intervalMs: number;
  /** samples taken after `since` (t in ms since epoch, server clock) */
  samples: ProcSample[];
  /** heap, event loop and GC read inside the process, after `since`; absent from older servers */
  inner?: InnerSample[];
}

function tokenMatches(req: IncomingMessage, token: Buffer): boolean {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  return given.length === token.length && timingSafeEqual(given, token);
}

/** Who the samples are of: Prometheus labels on every line. */
export interface PrometheusLabels {
  lib: string;
  node_id: string;
}

/** A sample field's Prometheus name: `rssBytes` → `bench_serve_rss_bytes`. */
export function prometheusName(field: string): string {
  return 'bench_serve_' + field.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
}

const HELP: Record<string, string> = {
  rssBytes: 'resident set of the bench serve process (VmRSS, bytes)',
  cpuPercent: 'CPU used over the last sampling interval (% of one core)',
  clients: 'clients connected to this node',
};

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * The latest sample as Prometheus text exposition (version 0.0.4): one gauge per numeric field,
 * so fields the sampler gains later are exported without touching this. No sample yet: no
 * sample gauges (Prometheus then sees the series as absent, not as 0).
 */
export function renderPrometheus(
  latest: object | undefined,
  labels: PrometheusLabels,
  extra: Record<string, number> = {},
): string {
  const fields: [string, number][] = [];
  for (const [k, v] of Object.entries({ ...latest, ...extra })) {
    if (k !== 't' && typeof v === 'number' && Number.isFinite(v)) fields.push([k, v]);
  }
  const lbl = `{lib="${escapeLabel(labels.lib)}",node_id="${escapeLabel(labels.node_id)}"}`;
  let out = '';
  for (const [k, v] of fields) {
    const name = prometheusName(k);
    out += `# HELP ${name} ${HELP[k] ?? k}\n# TYPE ${name} gauge\n${name}${lbl} ${v}\n`;
  }
  return out;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Refuses what is not a GET with the token; true when it answered. */
function refused(req: IncomingMessage, res: ServerResponse, expected: Buffer): boolean {
  req.resume();
  if (!tokenMatches(req, expected)) {
    send(
      res,
      401,
      { error: 'missing or wrong token: send Authorization: Bearer <the --metrics-token of bench serve>' },
      { 'www-authenticate': 'Bearer' },
    );
    return true;
  }
  if (req.method !== 'GET') {
    send(res, 405, { error: 'use GET' }, { allow: 'GET' });
    return true;
  }
  return false;
}

/**
 * Serves the latest of `samples` in Prometheus text format to holders of the token (a scrape
 * config's `authorization: {credentials: <token>}`); 401 and 405 as the JSON endpoint.
 */
export function prometheusHandler(
  samples: readonly ProcSample[],
  token: string,
  labels: PrometheusLabels,
  extra: () => Record<string, number> = () => ({}),
): RequestListener {
  const expected = Buffer.from(token);
  return (req, res) => {
    if (refused(req, res, expected)) return;
    const text = renderPrometheus(samples.at(-1), labels, extra());
    res.writeHead(200, {
      'content-type': PROMETHEUS_CONTENT_TYPE,
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
    });
    res.end(text);
  };
}

/**
 * Serves `samples` (the live array of a sampler of this process) to holders of the token.
 * Answers 401 without `Authorization: Bearer <token>`, 405 to anything but GET.
 */
export function metricsHandler(
  samples: readonly ProcSample[],
  token: string,
  intervalMs: number,
  pid = process.pid,
  inner: readonly InnerSample[] = [],
): RequestListener {
  const expected = Buffer.from(token);
  return (req, res) => {
    if (refused(req, res, expected)) return;
    const since = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('since') ?? 0) || 0;
    const body: MetricsResponse = {
      pid,
      now: Date.now(),
      intervalMs,
      samples: samples.filter((s) => s.t > since),
      inner: inner.filter((s) => s.t > since),
    };
    send(res, 200, body);
  };
}
