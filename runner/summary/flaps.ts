import type { FaultRecord, FlapReport, TailStats } from '../result/schema';

const n = (v: number) => v.toLocaleString('en-US');
const msText = (v: number) => v.toFixed(v >= 100 ? 0 : 2);

/** `p50 1,089 p95 1,478 p99 1,487 max 1,487 ms (n=80)`. */
function tail(s: TailStats): string {
  return `p50 ${msText(s.p50)}  p95 ${msText(s.p95)}  p99 ${msText(s.p99)}  max ${msText(s.max)} ms  (n=${n(s.count)})`;
}

/** What --flap cost, for the terminal summary: flaps, delivery, reconnects, recovery. */
export function flapLines(f: FlapReport, faults: readonly FaultRecord[]): string[] {
  const errors = faults.flatMap((x) => (x.kind === 'flap' && x.error ? [x.error] : []));
  const lines = [
    `  flaps            ${f.sharePct}% every ${f.everySeconds} s: ${n(f.flaps)} flaps reset ${n(f.cut)} connections · ${n(f.lost)} lost · ${n(f.neverBack)} never came back`,
  ];
  if (errors.length) lines.push(`                   a node did not answer a flap: ${errors[0]}`);
  lines.push(
    f.deliveredPct === null
      ? '  flap delivery    not measured: no broadcast was sent (--scenario broadcast sends them)'
      : `  flap delivery    ${f.deliveredPct.toFixed(2)}% · ${n(f.delivered)} of ${n(f.intended)} deliveries had nobody been cut · ${n(f.missed)} missed (${n(f.missedWhileReconnecting)} while reconnecting) · ${n(f.duplicates)} duplicates · ${n(f.outOfOrder)} out of order`,
  );
  if (f.reconnectMs) lines.push(`  flap reconnect   ${tail(f.reconnectMs)}`);
  const r = f.recovery;
  if (r) {
    const late = r.recoveredLatencyMs ? `, late by ${tail(r.recoveredLatencyMs)}` : '';
    lines.push(
      `  recovery         ${n(r.sessionsRecovered)} of ${n(r.sessionsRecovered + r.sessionsNotRecovered)} reconnects restored their session (kept ${n(r.maxDisconnectionMs)} ms) · ${n(r.broadcastsRecovered)} missed broadcasts replayed${late}`,
    );
  }
  return lines;
}
