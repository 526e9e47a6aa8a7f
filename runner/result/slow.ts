import { mergeEncoded, toStats } from '../metrics/histograms';
import type { Measurements, SlowRead } from './measurements';
import type { RssSummary } from './schema';
import type { BufferedBytes, SlowClientsReport } from './slow-schema';

const pct = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 10_000) / 100 : null);

/** One read summed over its nodes; null when a node did not answer. */
function sumRead(read: SlowRead, slow: number): BufferedBytes | null {
  if (read.takenAtMs === null || read.error !== null || read.nodes.length === 0) return null;
  const out: BufferedBytes = { library: 0, socket: 0, kernel: 0, total: 0, perSlowClient: 0, behind: 0 };
  let kernelKnown = true;
  for (const { buffered: b } of read.nodes) {
    out.library += b.libraryBytes;
    out.socket += b.socketBytes;
    if (b.kernelBytes === null) kernelKnown = false;
    else out.kernel! += b.kernelBytes;
    out.behind += b.behind;
  }
  if (!kernelKnown) out.kernel = null;
  out.total = out.library + out.socket + (out.kernel ?? 0);
  out.perSlowClient = slow > 0 ? Math.round(out.total / slow) : 0;
  return out;
}

/**
 * --slow-clients: what the slow clients got and cost, beside what the fast ones got. The fast
 * clients' latencies are the run's own (`broadcastMs`, `echoMs`, `rooms.latencyMs`): slow
 * clients record theirs apart. Buffered bytes are the nodes' own reads through the hold; RSS
 * growth is the server's peak over its idle. Null without slow clients.
 */
export function slowClientsReport(m: Measurements, serverRss: RssSummary): SlowClientsReport | null {
  const s = m.options.slowClients;
  if (!s) return null;
  const c = m.engine.counts;
  const latency = (name: 'slowBroadcastMs' | 'slowEchoMs' | 'slowRoomMs') =>
    toStats(mergeEncoded(m.engine.histograms[name] ?? []));
  const slowConnected = c.slowConnected ?? 0;
  const fastConnected = c.connected - slowConnected;
  const slowBroadcasts = c.slowBroadcastsReceived ?? 0;
  const sent = c.broadcastsSent ?? 0;
  const reads = (m.slowReads ?? []).map((r) => ({ read: r, sum: sumRead(r, s.slow) }));
  const whole = reads.filter((r) => r.sum !== null);
  const maxOf = (k: keyof BufferedBytes): number | null => {
    const xs = whole.map((r) => r.sum![k]).filter((v): v is number => v !== null);
    return xs.length === 0 ? null : Math.max(...xs);
  };
  const connMax = (k: 'libraryMax' | 'socketMax' | 'kernelMax'): number | null => {
    const xs = whole.flatMap((r) => r.read.nodes.map((n) => n.buffered[k])).filter((v): v is number => v !== null);
    return xs.length === 0 ? null : Math.max(...xs);
  };
  const first = whole[0];
  const last = whole[whole.length - 1];
  const closed = (r: SlowRead) => r.nodes.reduce((n, x) => n + x.buffered.closedSinceStart, 0);
  return {
    sharePct: s.sharePct,
    bytesPerSecond: s.bytesPerSecond,
    slow: s.slow,
    fast: s.fast,
    connected: { slow: slowConnected, fast: fastConnected },
    received: {
      slow: { broadcasts: slowBroadcasts, echoes: c.slowEchoReceived ?? 0, roomMessages: c.slowRoomReceived ?? 0 },
      fast: {
        broadcasts: c.broadcastsReceived - slowBroadcasts,
        echoes: c.echoReceived - (c.slowEchoReceived ?? 0),
        roomMessages: (c.roomReceived ?? 0) - (c.slowRoomReceived ?? 0),
      },
    },
    broadcastDeliveredPct:
      sent > 0
        ? {
            slow: pct(slowBroadcasts, sent * slowConnected),
            fast: pct(c.broadcastsReceived - slowBroadcasts, sent * fastConnected),
          }
        : null,
    slowLatencyMs: { broadcast: latency('slowBroadcastMs'), echo: latency('slowEchoMs'), room: latency('slowRoomMs') },
    dropped: { slow: c.slowDropped ?? 0, fast: (c.dropped ?? 0) + (c.connectionsLost ?? 0) - (c.slowDropped ?? 0) },
    buffered:
      whole.length === 0
        ? null
        : {
            reads: whole.length,
            of: reads.length,
            max: {
              library: maxOf('library')!,
              socket: maxOf('socket')!,
              kernel: maxOf('kernel'),
              total: maxOf('total')!,
              perSlowClient: maxOf('perSlowClient')!,
              behind: maxOf('behind')!,
            },
            last: last!.sum!,
            lastAtSeconds: last!.read.atSeconds,
            oneConnectionMax: {
              library: connMax('libraryMax')!,
              socket: connMax('socketMax')!,
              kernel: connMax('kernelMax'),
            },
          },
    closedDuringHold: first && last && first !== last ? closed(last.read) - closed(first.read) : null,
    rssGrowthBytes:
      serverRss.peak !== null && serverRss.idle !== null ? Math.max(0, serverRss.peak - serverRss.idle) : null,
  };
}
