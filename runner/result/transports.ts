import type { CohortName, EngineCounts, MetricName } from 'artillery-engine-bench/protocol';
import { mergeEncoded, toStats } from '../metrics/histograms';
import type { Measurements } from './measurements';
import type { RunResultBase, TransportReport } from './schema';

/** One transport's clients, from their own counts and histograms. */
function transportReport(
  c: { counts: EngineCounts; histograms: Partial<Record<MetricName, string[]>> } | undefined,
  broadcastsSent: number | null,
): TransportReport {
  const counts = c?.counts;
  const stats = (name: MetricName) => toStats(mergeEncoded(c?.histograms[name] ?? []));
  const connected = counts?.connected ?? 0;
  const received = counts?.broadcastsReceived ?? 0;
  // Every connected client of the transport gets every broadcast sent while it is held.
  const expected = broadcastsSent === null ? null : broadcastsSent * connected;
  return {
    connected,
    failed: counts?.failed ?? 0,
    connectMs: stats('connectMs'),
    echoMs: stats('echoMs'),
    broadcastMs: stats('broadcastMs'),
    roomMs: stats('roomMs'),
    echo: { sent: counts?.echoSent ?? 0, received: counts?.echoReceived ?? 0 },
    broadcasts: {
      expected,
      received,
      deliveredPct: expected ? Math.round((received / expected) * 10_000) / 100 : null,
      outOfOrder: counts?.broadcastOutOfOrder ?? 0,
      duplicates: counts?.broadcastDuplicates ?? 0,
    },
    rooms: {
      received: counts?.roomReceived ?? 0,
      outOfOrder: counts?.roomOutOfOrder ?? 0,
      duplicates: counts?.roomDuplicates ?? 0,
    },
  };
}

/** Clients by transport as the nodes counted them halfway through the hold, summed; null without that read. */
function serverCounted(m: Measurements): Record<string, number> | null {
  const read = (m.roomReads ?? []).find((r) => r.at === 'hold-mid' && r.takenAtMs !== null && r.error === null);
  if (!read || !read.nodes.some((n) => n.transports)) return null;
  const out: Record<string, number> = {};
  for (const n of read.nodes) for (const [t, k] of Object.entries(n.transports ?? {})) out[t] = (out[t] ?? 0) + k;
  return out;
}

/**
 * --polling-share: the long-polling clients and the websocket ones, each on its own (both are in
 * the run's figures too). Null without a share.
 */
export function transportsReport(m: Measurements, broadcast: RunResultBase['broadcast']): RunResultBase['byTransport'] {
  const pct = m.options.pollingSharePct;
  if (pct === null) return null;
  const cohorts = m.engine.cohorts ?? {};
  const sent = broadcast ? broadcast.sent : null;
  const of = (name: CohortName) => transportReport(cohorts[name], sent);
  return { pollingSharePct: pct, websocket: of('websocket'), polling: of('polling'), serverCounted: serverCounted(m) };
}
