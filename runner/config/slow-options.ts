// --slow-clients SHARE%:BYTES_PER_S: slow consumers, checked before any load starts.
import { slowClientCount } from 'artillery-engine-bench/protocol';
import { UsageError } from '../errors';
import type { ResolvedRunOptions, RunOptions, SlowClientsSettings } from './run-option-types';

const EXAMPLE = 'Example: --slow-clients 10%:2000 (10 % of the clients read at most 2,000 bytes/s)';

/** The highest rate accepted (bytes/s): far above any link a slow client stands for. */
export const MAX_SLOW_BYTES_PER_SECOND = 1_000_000_000;

/** `10%:2000` → share and rate; throws UsageError on anything else. */
export function parseSlowClients(raw: string): { sharePct: number; bytesPerSecond: number } {
  const text = raw.trim();
  const m = /^(\d+(?:\.\d+)?)%:(\d+)$/.exec(text);
  if (!m) {
    throw new UsageError(`--slow-clients must be SHARE%:BYTES_PER_S (got "${text}"). ${EXAMPLE}`);
  }
  const sharePct = Number(m[1]);
  const bytesPerSecond = Number(m[2]);
  if (!(sharePct > 0 && sharePct < 100)) {
    throw new UsageError(
      `--slow-clients share must be above 0 % and below 100 % (got ${m[1]}%): some clients must stay fast to compare with. ${EXAMPLE}`,
    );
  }
  if (!(bytesPerSecond >= 1 && bytesPerSecond <= MAX_SLOW_BYTES_PER_SECOND)) {
    throw new UsageError(
      `--slow-clients rate must be from 1 to ${MAX_SLOW_BYTES_PER_SECOND} bytes/s (got ${m[2]}). ${EXAMPLE}`,
    );
  }
  return { sharePct, bytesPerSecond };
}

/**
 * The slow consumers of a run: null without the flag. Refuses what they cannot measure: your own
 * script (bench does not write its engine config), the connect scenario (nothing flows to the
 * clients after the welcome), a TLS target (the throttle proxy would stand between the client and
 * the certificate's host name), and a share of the clients that is no client at all.
 */
export function resolveSlowClients(
  raw: Pick<RunOptions, 'slowClients'>,
  o: Pick<ResolvedRunOptions, 'scenario' | 'clients' | 'target'>,
): SlowClientsSettings | null {
  if (raw.slowClients === undefined) return null;
  const { sharePct, bytesPerSecond } = parseSlowClients(String(raw.slowClients));
  if (o.scenario.kind === 'custom') {
    throw new UsageError(
      `--slow-clients applies to the built-in scenarios; your own script ${o.scenario.file} sets its engine options itself: add slowClients: { share: ${sharePct / 100}, bytesPerSecond: ${bytesPerSecond} } under config.engines.bench there.`,
    );
  }
  if (o.scenario.name === 'connect') {
    throw new UsageError(
      '--slow-clients needs messages flowing to the clients; --scenario connect sends none after the welcome. Use --scenario broadcast, echo or rooms.',
    );
  }
  if (o.target !== null && /^(wss|https):/.test(o.target)) {
    throw new UsageError(
      `--slow-clients connects slow clients through a local proxy, which cannot carry TLS for ${new URL(o.target).host}. Use a ws:// or http:// --target.`,
    );
  }
  const clients = o.clients ?? 0;
  const slow = slowClientCount(clients, sharePct / 100);
  if (slow === 0) {
    throw new UsageError(
      `--slow-clients ${sharePct}% of --clients ${clients} is no client at all. Raise the share or --clients (at least ${Math.ceil(100 / sharePct)} clients for ${sharePct}%).`,
    );
  }
  return { sharePct, bytesPerSecond, slow, fast: clients - slow };
}
