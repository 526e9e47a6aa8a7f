/** The service an adapter needs (Redis, PostgreSQL, RabbitMQ, NATS) could not be reached or refused us. */
export class AdapterUnavailableError extends Error {
  override readonly name = 'AdapterUnavailableError';

  /**
   * @param service `Redis`, `PostgreSQL`, `RabbitMQ` or `NATS`
   * @param url where it was looked for (its password hidden)
   * @param failure what went wrong: words that follow the URL ("refused the connection"), and
   *   whether the service answered at all (it did when it refused our login or database)
   */
  constructor(
    readonly service: 'Redis' | 'PostgreSQL' | 'RabbitMQ' | 'NATS',
    readonly url: string,
    readonly failure: ConnectFailure,
  ) {
    super(`${service} at ${redactUrl(url)} ${failure.reason}`);
  }
}

/** Part of a server could not start (a cluster worker died or stayed silent). */
export class ServerStartError extends Error {
  override readonly name = 'ServerStartError';
}

/** A URL fit for a message: any password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password === '') return url;
    u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

export interface ConnectFailure {
  reason: string;
  /** something answered, and refused what we asked (a login, a database) */
  answered: boolean;
}

/** Words for a failed connection attempt, from the error node, node-redis, pg, amqplib or the NATS client gave. */
export function connectFailure(err: unknown, timeoutMs: number): ConnectFailure {
  const e = err as {
    code?: unknown;
    message?: unknown;
    socketError?: unknown;
    originalError?: unknown;
    cause?: unknown;
  };
  // node-redis wraps the socket's error, the NATS client gives it as `cause`; pg, amqplib and net as is
  const inner = (e?.socketError ?? e?.originalError ?? e?.cause ?? err) as { code?: unknown; message?: unknown };
  const code = typeof inner?.code === 'string' ? inner.code : typeof e?.code === 'string' ? e.code : '';
  const message = String(inner?.message ?? e?.message ?? err);
  // pg's own timeout ("Connection terminated due to connection timeout") carries the socket's
  // end as its cause ("Connection terminated unexpectedly"): the outer words say what happened.
  const outer = String(e?.message ?? '');
  const unreachable = (reason: string) => ({ reason, answered: false });
  if (code === 'ECONNREFUSED') return unreachable('refused the connection');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return unreachable('is not a known host name');
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return unreachable('is not reachable from here');
  if (/timeout|timed out/i.test(message) || /timeout|timed out/i.test(outer))
    return unreachable(`did not answer within ${timeoutMs / 1000} s`);
  return { reason: `failed: ${message.split('\n')[0]}`, answered: true };
}
