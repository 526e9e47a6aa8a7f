import type { FaultRecord, FlapReport, RollingRestartFault, RunResult, TailStats } from '../result/schema';
import { manifestRunOptions, type SweepManifest } from '../result/manifest';

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

/** The run options of a sweep that drop connections, as flags: `--flap 20%@2`, `--rolling-restart`, `--sio-recovery`. */
const DROP_FLAGS = [
  ['flap', 'flap'],
  ['rollingRestart', 'rolling-restart'],
  ['sioRecovery', 'sio-recovery'],
] as const;

/** What a sweep summary reads of a cell's result to say what dropping connections cost. */
export type DropResult = Partial<Pick<RunResult, 'flaps' | 'faults'>>;

/**
 * The sweep summary's lines on dropped connections: the flags every cell got (--sio-recovery
 * reaches the Socket.IO cells only), then per cell with flaps its delivery and reconnect time,
 * per cell with a rolling restart each node's reconnect time. None when no cell dropped any.
 */
export function sweepDropLines(
  m: Pick<SweepManifest, 'options' | 'cells'>,
  resultOf: (file: string) => DropResult | null,
): string[] {
  const run = manifestRunOptions(m.options) as Record<string, unknown>;
  const given = (key: string, flag: string) => {
    const v = run[key];
    return v === undefined ? [] : [v === '' || v === true ? `--${flag}` : `--${flag} ${String(v)}`];
  };
  const every = DROP_FLAGS.filter(([k]) => k !== 'sioRecovery').flatMap(([k, f]) => given(k, f));
  const sio = given('sioRecovery', 'sio-recovery');
  const lines: string[] = [];
  if (every.length || sio.length) {
    const parts = [
      ...(every.length ? [`every cell ${every.join(' ')}`] : []),
      ...(sio.length ? [`Socket.IO cells ${sio.join(' ')}`] : []),
    ];
    lines.push(`  dropped          ${parts.join('; ')}`);
  }
  for (const c of m.cells) {
    if (c.status !== 'completed') continue;
    const r = resultOf(c.file);
    if (!r) continue;
    const who = `    ${c.lib} ${c.clients}${c.arrivalRate === undefined ? '' : ` r${c.arrivalRate}`} t${c.trial}:`;
    const f = r.flaps;
    if (f) {
      const delivered = f.deliveredPct === null ? 'delivery not measured' : `${f.deliveredPct.toFixed(2)}% delivered`;
      const back = f.reconnectMs
        ? `reconnect p50 ${msText(f.reconnectMs.p50)} p95 ${msText(f.reconnectMs.p95)} max ${msText(f.reconnectMs.max)} ms`
        : 'none reconnected';
      const rec = f.recovery ? ` · ${n(f.recovery.sessionsRecovered)} sessions restored` : '';
      lines.push(`${who} flaps ${delivered} · ${back} · ${n(f.neverBack)} never back${rec}`);
    }
    const restart = (r.faults ?? []).find((x): x is RollingRestartFault => x.kind === 'rolling-restart');
    if (restart) {
      const nodes = restart.restarts.map(
        (x) => `${x.nodeId} ${x.reconnectMs ? `p95 ${msText(x.reconnectMs.p95)} ms` : 'none back'}`,
      );
      const never = restart.restarts.reduce((sum, x) => sum + x.neverBack, 0);
      lines.push(`${who} restarts, back ${nodes.join(', ')} · ${n(never)} never back`);
    }
  }
  return lines;
}
