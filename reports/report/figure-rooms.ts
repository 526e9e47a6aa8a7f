/** The figures of --scenario rooms: room message latency, and deliveries against the membership the nodes reported. */
import type { BarSet, ChartBar } from '../browser/figure-data';
import type { ReportCell } from '../read/read';
import { valueMax } from './figure-drops';
import type { FigureView } from './figure-view';
import { isFlagged, type Across } from './metrics';
import { fmt, fmtClients } from './numbers';
import { roomRows, type RoomRow } from './rooms';
import { rgba, seriesStyles } from './styles';

const STATS: { key: 'p50' | 'p90' | 'p99'; color: string }[] = [
  { key: 'p50', color: '#a1d99b' },
  { key: 'p90', color: '#41ab5d' },
  { key: 'p99', color: '#005a32' },
];

const trialsText = (a: Across) =>
  `${a.trials > 1 ? `, median of ${a.trials} trials` : ''}${a.flagged ? ' — only errored or invalid runs measured this' : ''}`;

const category = (r: RoomRow) => `${r.label} · ${fmtClients(r.clients)} clients`;

const flaggedOf = (rows: readonly RoomRow[]): ReportCell[] => [
  ...new Set(rows.flatMap((r) => r.cells).filter(isFlagged)),
];

/** "Rooms": latency p50/p90/p99 of room messages, and delivered %, per series and client level; only when some run has rooms. */
export function roomFigures(cells: readonly ReportCell[]): FigureView[] {
  const rows = roomRows(cells);
  const views: FigureView[] = [];
  const timed = rows.filter((r) => r.p50 !== null);
  if (timed.length > 0) {
    const sets: BarSet[] = STATS.map((s) => ({
      name: s.key,
      color: s.color,
      fill: rgba(s.color, 0.85),
      bars: timed.map((r): ChartBar | null => {
        const a = r[s.key];
        if (!a) return null;
        const label = `${fmt(a.value)} ms`;
        return {
          category: category(r),
          value: a.value,
          label,
          text: `${s.key} ${label} from when a message was due at its publisher to each member's receipt (${r.shape})${trialsText(a)}`,
          color: s.color,
          fill: rgba(s.color, 0.85),
          flagged: a.flagged,
        };
      }),
    }));
    views.push({
      id: 'fig-rooms-latency',
      figure: 'rooms-latency',
      title: 'Rooms: message latency',
      explain:
        'Runs with <code>--scenario rooms</code>: every client joined one room and published to it on a fixed schedule; the server sent each message to the room’s members (across nodes through the adapter). A bar is the time from when a message was due at its publisher to its receipt by a member, over every member’s copy: p50, p90 and p99 per library and client level (medians across trials).',
      notes: [],
      flagged: flaggedOf(timed),
      data: {
        kind: 'bar-groups',
        id: 'fig-rooms-latency',
        figure: 'rooms-latency',
        valueTitle: 'room message latency (ms)',
        unit: 'ms',
        valueMax: valueMax(sets),
        categories: timed.map(category),
        sets,
      },
    });
  }
  const checked = rows.filter((r) => r.deliveredPct !== null);
  if (checked.length > 0) {
    const styles = seriesStyles(checked.map((r) => ({ series: r.label, lib: r.lib })));
    const bars = checked.map((r): ChartBar => {
      const a = r.deliveredPct!;
      const { color } = styles.get(r.label)!;
      const label = `${a.value.toFixed(2)} %`;
      const of =
        r.cells.length === 1 && r.received && r.expected
          ? ` (${fmtClients(r.received.value)} of ${fmtClients(r.expected.value)} expected deliveries)`
          : '';
      return {
        category: category(r),
        value: a.value,
        label,
        text: `${label} of room messages delivered${of}, ${r.shape}${trialsText(a)}`,
        color,
        fill: rgba(color, 0.75),
        flagged: a.flagged,
      };
    });
    views.push({
      id: 'fig-rooms-delivered',
      figure: 'rooms-delivered',
      title: 'Rooms: messages delivered',
      explain:
        'The room messages members received (each member, publisher and message once) over those expected: per room, the messages published to it × its members as the <em>nodes</em> reported them halfway through the hold (one fewer with <code>--except-sender</code>). A bar outlined in red was measured only by errored or invalid runs.',
      notes: [],
      flagged: flaggedOf(checked),
      data: {
        kind: 'bar',
        id: 'fig-rooms-delivered',
        figure: 'rooms-delivered',
        valueTitle: 'delivered / expected room messages (%)',
        valueMax: Math.max(100, ...bars.map((b) => b.value)),
        bars,
      },
    });
  }
  return views;
}
