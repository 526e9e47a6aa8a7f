/**
 * The figures of connections that drop: broadcasts delivered under --flap, and the time clients
 * took to come back, after a flap and after each node of a --rolling-restart.
 */
import type { ReportCell } from '../read/read';
import type { BarSet, ChartBar } from '../browser/figure-data';
import { flapRows, restartRows, type ReconnectAcross } from './drops';
import type { FigureView } from './figure-view';
import { isFlagged, type Across } from './metrics';
import { fmt, fmtClients } from './numbers';
import { rgba, seriesStyles } from './styles';

/** The reconnect statistics drawn, light to dark. */
const STATS: { key: keyof ReconnectAcross; name: string; color: string }[] = [
  { key: 'p50', name: 'p50', color: '#9ecae1' },
  { key: 'p95', name: 'p95', color: '#4292c6' },
  { key: 'max', name: 'max', color: '#08306b' },
];

const trialsText = (a: Across) =>
  `${a.trials > 1 ? `, median of ${a.trials} trials` : ''}${a.flagged ? ' — only errored or invalid runs measured this' : ''}`;

/** One bar set per statistic over `rows`, each bar its value in ms. */
function reconnectSets<R extends { reconnect: ReconnectAcross }>(rows: readonly R[], name: (r: R) => string): BarSet[] {
  return STATS.map((s) => ({
    name: s.name,
    color: s.color,
    fill: rgba(s.color, 0.85),
    bars: rows.map((r): ChartBar | null => {
      const a = r.reconnect[s.key];
      if (!a) return null;
      const label = `${fmt(a.value)} ms`;
      return {
        category: name(r),
        value: a.value,
        label,
        text: `${s.name} ${label} from the lost connection to the welcome on a new one${trialsText(a)}`,
        color: s.color,
        fill: rgba(s.color, 0.85),
        flagged: a.flagged,
      };
    }),
  }));
}

/** The value axis' end: a tenth above the longest bar, up to a round number (1,659 → 2,000). */
export function valueMax(sets: readonly BarSet[]): number {
  const v = Math.max(1, ...sets.flatMap((s) => s.bars.map((b) => b?.value ?? 0))) * 1.1;
  const step = 10 ** Math.floor(Math.log10(v)) / 2;
  return Math.ceil(v / step) * step;
}

const flaggedOf = (rows: readonly { cells: ReportCell[] }[]) => [
  ...new Set(rows.flatMap((r) => r.cells).filter(isFlagged)),
];

/**
 * "Connections that drop": delivered % under flaps per series and client level, the reconnect
 * time after a flap, and the reconnect time per node of a rolling restart; each only when some
 * run has it.
 */
export function dropFigures(cells: readonly ReportCell[]): FigureView[] {
  const views: FigureView[] = [];
  const flaps = flapRows(cells);
  const styles = seriesStyles(flaps.map((r) => ({ series: r.label, lib: r.lib })));
  const category = (r: { label: string; clients: number }) => `${r.label} · ${fmtClients(r.clients)} clients`;

  const delivered = flaps.filter((r) => r.deliveredPct !== null);
  if (delivered.length > 0) {
    const bars = delivered.map((r): ChartBar => {
      const a = r.deliveredPct!;
      const { color } = styles.get(r.label)!;
      const label = `${a.value.toFixed(2)} %`;
      const of =
        r.cells.length === 1 && r.delivered && r.intended && r.missed && r.missedWhileReconnecting
          ? ` (${fmtClients(r.delivered.value)} of ${fmtClients(r.intended.value)} intended deliveries; ${fmtClients(r.missed.value)} missed, ${fmtClients(r.missedWhileReconnecting.value)} while reconnecting)`
          : '';
      const recovered = r.broadcastsRecovered
        ? `; ${fmtClients(r.broadcastsRecovered.value)} replayed by recovery`
        : '';
      return {
        category: category(r),
        value: a.value,
        label,
        text: `${label} delivered under flaps of ${r.flaps}${of}${recovered}${trialsText(a)}`,
        color,
        fill: rgba(color, 0.75),
        flagged: a.flagged,
      };
    });
    views.push({
      id: 'fig-drops-delivered',
      figure: 'drops-delivered',
      title: 'Connections that drop: broadcasts delivered',
      explain:
        'Runs with <code>--flap SHARE@EVERY</code>: every EVERY seconds of the hold each node reset SHARE % of its WebSocket connections, and the clients reconnected with back-off. A bar is the broadcasts the clients received (each client and broadcast once) over those they would have received had nobody been cut, one per library and client level; the median across trials. What a cut client misses while it is away is lost, unless Socket.IO’s connection state recovery (<code>--sio-recovery</code>, its own series “+ recovery”) replays it. A bar outlined in red was measured only by errored or invalid runs.',
      notes: [],
      flagged: flaggedOf(delivered),
      data: {
        kind: 'bar',
        id: 'fig-drops-delivered',
        figure: 'drops-delivered',
        valueTitle: 'delivered / intended deliveries under flaps (%)',
        valueMax: Math.max(100, ...bars.map((b) => b.value)),
        bars,
      },
    });
  }

  const back = flaps.filter((r) => r.reconnect.p50 !== null);
  if (back.length > 0) {
    const sets = reconnectSets(back, category);
    views.push({
      id: 'fig-drops-reconnect',
      figure: 'drops-reconnect',
      title: 'Connections that drop: time to reconnect after a flap',
      explain:
        'From a client’s lost connection to the welcome on its new one, over every reconnect after a flap: p50, p95 and max per library and client level (medians across trials). It includes the back-off’s first delay (<code>--reconnect-delay</code>, spread by its jitter), so it shows what the server adds to that.',
      notes: [],
      flagged: flaggedOf(back),
      data: {
        kind: 'bar-groups',
        id: 'fig-drops-reconnect',
        figure: 'drops-reconnect',
        valueTitle: 'reconnect time (ms)',
        unit: 'ms',
        valueMax: valueMax(sets),
        categories: back.map(category),
        sets,
      },
    });
  }

  const restarts = restartRows(cells);
  if (restarts.length > 0) {
    const name = (r: (typeof restarts)[number]) => `${category(r)} · ${r.nodeId}${r.publisher ? ' (publisher)' : ''}`;
    const sets = reconnectSets(restarts, name);
    const none = restarts.filter((r) => r.reconnect.p50 === null);
    views.push({
      id: 'fig-restart-reconnect',
      figure: 'restart-reconnect',
      title: 'Connections that drop: time to reconnect per restart',
      explain:
        'Runs with <code>--rolling-restart</code>: each node stopped gracefully and started again, one at a time, the publisher last. Per node restarted, the time its clients took from the lost connection to the welcome on a new one (on any node): p50, p95 and max per library and client level (medians across trials). The rolling-restart table below gives the rest.',
      notes: none.length ? [`No client came back after the restart of ${none.map(name).join('; ')}: no bars.`] : [],
      flagged: flaggedOf(restarts),
      data: {
        kind: 'bar-groups',
        id: 'fig-restart-reconnect',
        figure: 'restart-reconnect',
        valueTitle: 'reconnect time (ms)',
        unit: 'ms',
        valueMax: valueMax(sets),
        categories: restarts.map(name),
        sets,
      },
    });
  }
  return views;
}
