/**
 * The faults a run injected (--kill-node-at, --adapter-outage, --adapter-crash, --flap), in words: short for series
 * names and pairing, whole for tables and the terminal summary.
 */
import type { FaultRecord, RunResult } from './build';

const plural = (n: number, one: string, many: string) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** Seconds as the user gave them (2, 2.5), without float noise. */
const seconds = (s: number) => String(Number(s.toFixed(3)));
/** ms since the run started, as seconds with one decimal. */
const runSeconds = (ms: number) => (ms / 1000).toFixed(1);

/** What an adapter outage pauses: only Redis can be paused today (--adapter-outage needs --adapter redis). */
const PAUSED: Record<string, string> = { redis: 'Redis', postgres: 'PostgreSQL' };

/** One fault in words, e.g. `node-3 killed 2 s into the hold (3.1 s after the run started), holding 100 clients`. */
export function faultText(f: FaultRecord, adapter: string): string {
  if (f.kind === 'kill-node') {
    const when = `${seconds(f.atSeconds)} s into the hold`;
    if (f.error) return `${f.nodeId} kill ${when} failed: ${f.error}`;
    if (f.startedAtMs === null) return `${f.nodeId} not killed: the run ended before ${when}`;
    const held = f.clientsAtKill === null ? '' : `, holding ${plural(f.clientsAtKill, 'client', 'clients')}`;
    return `${f.nodeId} killed ${when} (${runSeconds(f.startedAtMs)} s after the run started)${held}`;
  }
  if (f.kind === 'adapter-outage') {
    const service = PAUSED[adapter] ?? `adapter ${adapter}`;
    const window = `${seconds(f.fromSeconds)}–${seconds(f.toSeconds)} s into the hold`;
    if (f.error) return `${service} pause ${window} failed: ${f.error}`;
    if (f.startedAtMs === null) return `${service} pause ${window} not applied: the run ended first`;
    return `${service} paused ${window} (from ${runSeconds(f.startedAtMs)} s after the run started)`;
  }
  if (f.kind === 'adapter-crash') {
    const window = `killed ${seconds(f.fromSeconds)} s into the hold, restarted at ${seconds(f.toSeconds)} s`;
    if (f.error) return `Redis crash (${window}) failed: ${f.error}`;
    if (f.killedAtMs === null) return `Redis crash (${window}) not applied: the run ended first`;
    const missed = f.nodes.reduce((sum, n) => sum + n.missed, 0);
    const stop = Math.max(0, ...f.nodes.map((n) => n.deliveryStopMs ?? 0));
    const recovered =
      f.recovered === null ? 'recovery unknown' : f.recovered ? 'every node recovered' : 'not every node recovered';
    return `Redis ${window} (${f.adapter}): ${plural(missed, 'broadcast', 'broadcasts')} missed by nodes, delivery stopped up to ${runSeconds(stop)} s, ${recovered}`;
  }
  if (f.kind === 'flap') {
    const when = `${seconds(f.atSeconds)} s into the hold`;
    if (f.startedAtMs === null) return `flap ${when} not applied: the run ended first`;
    const cut = `flap ${when}: ${plural(f.cut, 'connection', 'connections')} of ${f.of.toLocaleString('en-US')} reset`;
    return f.error ? `${cut}; a node did not answer: ${f.error}` : cut;
  }
  if (f.kind === 'rolling-restart') {
    const done = f.restarts.filter((r) => r.downMs !== null).length;
    const when = `from ${seconds(f.atSeconds)} s into the hold`;
    const lost = f.restarts.reduce((sum, r) => sum + r.clientsDisconnected, 0);
    const never = f.restarts.reduce((sum, r) => sum + r.neverBack, 0);
    const end = f.error ? `: ${f.error}` : done < f.restarts.length ? ': the run ended first' : '';
    return `rolling restart ${when}: ${done} of ${plural(f.restarts.length, 'node', 'nodes')} restarted, ${plural(lost, 'client', 'clients')} disconnected, ${never} never back${end}`;
  }
  return `fault ${String((f as { kind?: unknown }).kind)}`;
}

/**
 * The faults a run injected, short, for series names and pairing: `node killed at 3 s`,
 * `Redis paused 3..6 s`; '' for none. Runs with different faults never count as trials of one
 * cell.
 */
export function faultLabel(result: Pick<RunResult, 'faults'>): string {
  const faults = Array.isArray(result.faults) ? result.faults : [];
  const flaps = faults.filter((f) => f.kind === 'flap');
  const flapLabel = flaps.length
    ? [
        `${flaps[0]!.sharePct} % flapped every ${seconds(flaps.length > 1 ? flaps[1]!.atSeconds - flaps[0]!.atSeconds : flaps[0]!.atSeconds)} s`,
      ]
    : [];
  return faults
    .filter((f) => f.kind !== 'flap')
    .map((f) =>
      f.kind === 'kill-node'
        ? `node killed at ${seconds(f.atSeconds)} s`
        : f.kind === 'adapter-outage'
          ? `Redis paused ${seconds(f.fromSeconds)}..${seconds(f.toSeconds)} s`
          : f.kind === 'adapter-crash'
            ? `Redis killed ${seconds(f.fromSeconds)}..${seconds(f.toSeconds)} s`
            : f.kind === 'rolling-restart'
              ? `rolling restart at ${seconds(f.atSeconds)} s`
              : `fault ${String((f as { kind?: unknown }).kind)}`,
    )
    .concat(flapLabel)
    .join(', ');
}
