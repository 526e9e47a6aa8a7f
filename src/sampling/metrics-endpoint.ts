import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { ProcSample } from './proc-stats';
import type { InnerSample } from '../result/measurements';

// Defined with the options, which check them; kept here too for the endpoint's readers.
import { METRICS_PATH, METRICS_TOKEN_ENV, MIN_TOKEN_LENGTH } from '../config/defaults';
export { METRICS_PATH, METRICS_TOKEN_ENV, MIN_TOKEN_LENGTH };

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
    req.resume();
    if (!tokenMatches(req, expected)) {
      send(
        res,
        401,
        { error: 'missing or wrong token: send Authorization: Bearer <the --metrics-token of bench serve>' },
        {
          'www-authenticate': 'Bearer',
        },
      );
      return;
    }
    if (req.method !== 'GET') {
      send(res, 405, { error: 'use GET' }, { allow: 'GET' });
      return;
    }
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
