// --polling-share: a share of the clients stays on HTTP long-polling (Socket.IO, SockJS).
import { UsageError } from '../errors';
import type { ResolvedRunOptions, RunOptions } from './run-option-types';

const EXAMPLE = 'Example: --polling-share 5%';

/**
 * The percentage of main clients that stay on long-polling, or null. Checked against what the
 * run can do: a library with a long-polling transport, our own scenarios, every other client on
 * websocket, and no source addresses (long-polling goes through the library's own HTTP
 * requests, which cannot bind one).
 */
export function resolvePollingShare(
  raw: RunOptions['pollingShare'],
  o: Pick<ResolvedRunOptions, 'lib' | 'scenario' | 'transport' | 'sourceAddresses'>,
  transportGiven: boolean,
): number | null {
  if (raw === undefined) return null;
  const text = String(raw).trim();
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(text);
  const pct = m ? Number(m[1]) : NaN;
  if (!(pct > 0 && pct < 100)) {
    throw new UsageError(`--polling-share must be a percentage above 0 and below 100 (got "${text}"). ${EXAMPLE}`);
  }
  if (o.lib === 'ws') {
    throw new UsageError(
      '--polling-share needs a library with a long-polling transport: --lib socketio or sockjs (ws has WebSocket only). Remove --polling-share.',
    );
  }
  if (o.scenario.kind === 'custom') {
    throw new UsageError(
      `--polling-share applies to the built-in scenarios; your own script ${o.scenario.file} sets its clients' transports itself. Remove --polling-share.`,
    );
  }
  if (transportGiven && o.transport === 'polling') {
    throw new UsageError(
      '--polling-share keeps that share on long-polling and the rest on websocket; --transport polling starts every client on polling. Remove --transport.',
    );
  }
  if (o.sourceAddresses !== null) {
    throw new UsageError(
      '--source-addresses binds WebSocket connections; long-polling goes through the client library’s own HTTP requests, which cannot bind an address. Remove one of them.',
    );
  }
  return pct;
}
