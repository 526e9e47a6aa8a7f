import type { LatencyStats } from '../metrics/histograms';
import { bytes, count } from '../metrics/units';
import type { SlowClientsReport } from '../result/slow-schema';

const ms = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v.toFixed(2));

function row(label: string, s: LatencyStats | null): string {
  if (s === null) return `  ${label.padEnd(16)} –`;
  return `  ${label.padEnd(16)} p50 ${ms(s.p50).padStart(8)}  p90 ${ms(s.p90).padStart(8)}  p99 ${ms(s.p99).padStart(8)}  max ${ms(s.max).padStart(8)}  (n=${s.count})`;
}

/**
 * --slow-clients: who was slow, their own latencies (the rows above them are the fast clients'),
 * what each group received, and what the nodes held for them.
 */
export function slowLines(k: SlowClientsReport): string[] {
  const lines = [
    `  slow clients     ${count(k.slow)} of ${count(k.slow + k.fast)} (${k.sharePct} %) read at most ${count(k.bytesPerSecond)} B/s; the latencies above are the other ${count(k.fast)}'s`,
  ];
  if (k.slowLatencyMs.broadcast) lines.push(row('slow broadcast', k.slowLatencyMs.broadcast));
  if (k.slowLatencyMs.echo) lines.push(row('slow echo', k.slowLatencyMs.echo));
  if (k.slowLatencyMs.room) lines.push(row('slow room msg', k.slowLatencyMs.room));
  const got = (g: SlowClientsReport['received']['slow']) =>
    [
      g.broadcasts ? `${count(g.broadcasts)} broadcasts` : null,
      g.echoes ? `${count(g.echoes)} echoes` : null,
      g.roomMessages ? `${count(g.roomMessages)} room messages` : null,
    ]
      .filter((x) => x !== null)
      .join(', ') || 'nothing';
  const pct = k.broadcastDeliveredPct;
  const share = (v: number | null | undefined) => (v === null || v === undefined ? '' : ` (${v} %)`);
  lines.push(
    `                   received: slow ${got(k.received.slow)}${share(pct?.slow)} · fast ${got(k.received.fast)}${share(pct?.fast)} · closed by the other side: slow ${count(k.dropped.slow)}, fast ${count(k.dropped.fast)}`,
  );
  const b = k.buffered;
  if (b === null) {
    lines.push('  server buffered  – (no read of the nodes answered whole)');
  } else {
    const m = b.max;
    lines.push(
      `  server buffered  at most ${bytes(m.total)} (${bytes(m.perSlowClient)} per slow client): library ${bytes(m.library)} · socket ${bytes(m.socket)} · kernel ${bytes(m.kernel)} · ${count(m.behind)} connections over 64 KiB`,
    );
  }
  lines.push(
    `                   RSS +${bytes(k.rssGrowthBytes)} over idle · ${k.closedDuringHold === null ? '–' : count(k.closedDuringHold)} clients closed during the hold`,
  );
  return lines;
}
