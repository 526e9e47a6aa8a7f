import * as http from 'node:http';
import * as https from 'node:https';
import { PreflightError } from '../errors';
import { METRICS_TOKEN_ENV, type MetricsResponse } from './metrics-endpoint';
import type { ProcSample } from './proc-stats';
import type { InnerSample } from '../result/measurements';

/** A GET with a bearer token, bounded in time; resolves with status and body text. */
function get(url: URL, token: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.get(url, { headers: { authorization: `Bearer ${token}` }, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
  });
}

/** A failed read: what follows the URL in a message, and the fix. */
class ReadFailure extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

/** The start of a body that is not what we asked for, to show in a message. */
function opening(text: string): string {
  return text.trimStart().slice(0, 12).replace(/\s+/g, ' ');
}

function parseAnswer(text: string): MetricsResponse {
  const fix = 'Give the "metrics" URL from the ready line of bench serve.';
  if (text.trim() === '') throw new ReadFailure('answered 200 with an empty body', fix);
  let body: Partial<MetricsResponse>;
  try {
    body = JSON.parse(text) as Partial<MetricsResponse>;
  } catch {
    throw new ReadFailure(`answered 200 but not with JSON (starts with "${opening(text)}")`, fix);
  }
  if (typeof body?.now !== 'number' || typeof body.pid !== 'number' || !Array.isArray(body.samples)) {
    throw new ReadFailure(`answered 200 but not with bench serve samples (starts with "${opening(text)}")`, fix);
  }
  return body as MetricsResponse;
}

/**
 * Reads a remote `bench serve`'s RSS and CPU samples from its metrics endpoint, so a run with
 * `--target` on another machine records server memory into the same fields as a local run.
 * Sample times are moved onto this machine's clock with the offset seen at each answer.
 * Once the run is under way, a failed read is counted, never thrown: it must not end the run.
 */
export class RemoteSampler {
  readonly samples: ProcSample[] = [];
  /** heap, event loop and GC from inside it, on this machine's clock */
  readonly inner: InnerSample[] = [];
  pid: number | null = null;
  private since = 0;
  private innerSince = 0;
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> | null = null;
  /** reads that failed while polling, and the last one's reason, for the result */
  failures = 0;
  lastError: string | null = null;

  constructor(
    readonly url: URL,
    private readonly token: string,
    readonly pollMs = 1_000,
  ) {}

  /** Fetches once; throws PreflightError naming the fix when the endpoint refuses or is unreachable. */
  async check(): Promise<void> {
    try {
      await this.fetch();
    } catch (err) {
      if (!(err instanceof ReadFailure)) throw err;
      throw new PreflightError(`--server-metrics ${this.url.href} ${err.message}.${err.fix ? ` ${err.fix}` : ''}`);
    }
  }

  start(): this {
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
    return this;
  }

  private poll(): Promise<void> {
    this.pending ??= this.fetch()
      .catch((err: unknown) => {
        this.failures += 1;
        this.lastError = String((err as Error)?.message ?? err).split('\n')[0]!;
      })
      .finally(() => (this.pending = null));
    return this.pending;
  }

  /** Stops polling after one last fetch, so the samples reach the end of the run. */
  async stop(): Promise<ProcSample[]> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.pending;
    await this.poll();
    return this.samples;
  }

  /** The failed reads for the result: null when every read succeeded. */
  errors(): { count: number; last: string } | null {
    return this.failures === 0 ? null : { count: this.failures, last: this.lastError ?? '' };
  }

  private async fetch(): Promise<void> {
    const sent = Date.now();
    const u = new URL(this.url);
    u.searchParams.set('since', String(this.since));
    let answer: { status: number; text: string };
    try {
      answer = await get(u, this.token, 5_000);
    } catch (err) {
      throw new ReadFailure(
        `cannot be reached: ${(err as Error).message}`,
        'Start bench serve there with --metrics-token, and check the address and port.',
      );
    }
    if (answer.status === 401) {
      throw new ReadFailure(
        'refused the request (401): the token is missing or wrong',
        `Pass the same --metrics-token (or ${METRICS_TOKEN_ENV}) as bench serve.`,
      );
    }
    if (answer.status !== 200) {
      throw new ReadFailure(
        `answered ${answer.status}`,
        answer.status === 404 ? 'Was bench serve started with --metrics-token?' : '',
      );
    }
    const body = parseAnswer(answer.text);
    const received = Date.now();
    // The answer was made somewhere between sending and receiving: take the middle.
    const offset = (sent + received) / 2 - body.now;
    this.pid = body.pid;
    for (const s of body.samples) {
      this.since = Math.max(this.since, s.t);
      this.samples.push({ t: Math.round(s.t + offset), rssBytes: s.rssBytes, cpuPercent: s.cpuPercent });
    }
    for (const s of Array.isArray(body.inner) ? body.inner : []) {
      if (typeof s?.t !== 'number' || s.t <= this.innerSince) continue;
      this.innerSince = s.t;
      this.inner.push({ ...s, t: Math.round(s.t + offset) });
    }
  }
}
