import { mergeEncoded, toTailStats } from '../metrics/histograms';
import type { Measurements } from './measurements';
import type { FlapReport } from './schema';

/**
 * What --flap cost. `intended` counts every broadcast sent during the hold for every client that
 * connected: the deliveries had nobody been cut. Expected deliveries from the nodes' logs would
 * leave out the broadcasts a cut client could not be written, which is the loss to measure.
 */
export function flapReport(m: Measurements): FlapReport | null {
  const flap = m.options.flap;
  if (!flap) return null;
  const counts = m.engine.counts;
  const flaps = (m.faults ?? []).filter((f) => f.kind === 'flap');
  const applied = flaps.filter((f) => f.startedAtMs !== null);
  const sent = m.deliveries ? (m.broadcastsLogged ?? 0) : (counts.broadcastsSent ?? 0);
  const intended = sent * counts.connected;
  const delivered = counts.broadcastsReceived;
  const lost = counts.connectionsLost ?? 0;
  const reconnected = counts.reconnected ?? 0;
  const recoveryMs = m.options.sio.recoveryMs;
  const recovered = counts.sessionsRecovered ?? 0;
  return {
    sharePct: flap.sharePct,
    everySeconds: flap.everySeconds,
    flaps: applied.length,
    cut: applied.reduce((a, f) => a + f.cut, 0),
    lost,
    intended,
    delivered,
    deliveredPct: intended > 0 ? Math.round((delivered / intended) * 10_000) / 100 : null,
    missed: intended - delivered,
    missedWhileReconnecting: counts.broadcastsMissedReconnecting ?? 0,
    duplicates: counts.broadcastDuplicates ?? 0,
    outOfOrder: counts.broadcastOutOfOrder ?? 0,
    reconnectMs: toTailStats(mergeEncoded(m.engine.histograms.reconnectMs ?? [])),
    // Given up after every attempt, or still away when the run ended.
    neverBack: lost - reconnected,
    recovery:
      typeof recoveryMs === 'number'
        ? {
            maxDisconnectionMs: recoveryMs,
            sessionsRecovered: recovered,
            sessionsNotRecovered: reconnected - recovered,
            broadcastsRecovered: counts.broadcastsRecovered ?? 0,
            recoveredLatencyMs: toTailStats(mergeEncoded(m.engine.histograms.recoveredBroadcastMs ?? [])),
          }
        : null,
  };
}
