/**
 * One request to --push-metrics before any load: Artillery's plugin only logs a failed push, so
 * a Pushgateway that is not there would cost a whole run and show nothing.
 */
import { UsageError } from '../errors';

/** The check gives up after this long (ms). */
export const PUSH_CHECK_TIMEOUT_MS = 5_000;

/** GET <url>/-/ready, which a Pushgateway answers 200. Throws UsageError naming the URL and what came back. */
export async function checkPushgateway(url: string): Promise<void> {
  let status: number;
  try {
    const r = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(PUSH_CHECK_TIMEOUT_MS) });
    await r.body?.cancel();
    status = r.status;
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string; message?: string } };
    const why =
      e.name === 'TimeoutError'
        ? `no answer within ${PUSH_CHECK_TIMEOUT_MS} ms`
        : (e.cause?.code ?? e.cause?.message ?? String(err));
    throw new UsageError(
      `--push-metrics ${url}: no Pushgateway answers there (${why}). Start one (prometheus-pushgateway --web.listen-address=127.0.0.1:9091), or drop --push-metrics.`,
    );
  }
  if (status !== 200) {
    throw new UsageError(
      `--push-metrics ${url} answers GET /-/ready with ${status}, not a Pushgateway's 200. Give the Pushgateway's own URL, e.g. http://127.0.0.1:9091`,
    );
  }
}
