/** The figures of --slow-clients and --polling-share: what a slow reader costs, and each transport's latency. */
import type { BarSet, ChartBar } from '../browser/figure-data';
import type { ReportCell } from '../read/read';
import { pollingRows, slowRows, type PollingRow } from './clients';
import { valueMax } from './figure-drops';
import type { FigureView } from './figure-view';
import { isFlagged, KB, type Across } from './metrics';
import { fmt, fmtClients } from './numbers';
import { rgba, seriesStyles } from './styles';

const trialsText = (a: Across) =>
  `${a.trials > 1 ? `, median of ${a.trials} trials` : ''}${a.flagged ? ' — only errored or invalid runs measured this' : ''}`;

const category = (r: { label: string; clients: number }) => `${r.label} · ${fmtClients(r.clients)} clients`;

const flaggedOf = (rows: readonly { cells: ReportCell[] }[]): ReportCell[] => [
  ...new Set(rows.flatMap((r) => r.cells).filter(isFlagged)),
];

/** "Slow consumers" and "Long-polling share", each only when some run has it. */
export function clientFigures(cells: readonly ReportCell[]): FigureView[] {
  const views: FigureView[] = [];
  const slow = slowRows(cells).filter((r) => r.heldPerSlowClient !== null);
  if (slow.length > 0) {
    const styles = seriesStyles(slow.map((r) => ({ series: r.label, lib: r.lib })));
    const bars = slow.map((r): ChartBar => {
      const a = r.heldPerSlowClient!;
      const { color } = styles.get(r.label)!;
      const label = `${fmt(a.value / KB)} KiB`;
      const kernel = r.kernel
        ? `, ${fmt(r.kernel.value / KB)} KiB of all slow clients' in the kernel's send queues`
        : '';
      return {
        category: `${category(r)} · ${r.slow}`,
        value: a.value / KB,
        label,
        text: `${label} held for each slow client at most${kernel}; fast clients' p50 ${r.fastP50 ? `${fmt(r.fastP50.value)} ms` : '–'}${trialsText(a)}`,
        color,
        fill: rgba(color, 0.75),
        flagged: a.flagged,
      };
    });
    views.push({
      id: 'fig-slow-held',
      figure: 'slow-held',
      title: 'Slow consumers: bytes held for each slow client',
      explain:
        'Runs with <code>--slow-clients SHARE%:BYTES_PER_S</code>: that share of the clients read at most that many bytes a second. A bar is the most the nodes held for them during the hold (the library’s queue, the socket’s buffer and the kernel’s send queue, which RSS does not show), per slow client, per library and client level (medians across trials). The table gives the fast clients’ latency and what the slow ones received.',
      notes: [],
      flagged: flaggedOf(slow),
      data: {
        kind: 'bar',
        id: 'fig-slow-held',
        figure: 'slow-held',
        valueTitle: 'held per slow client (KiB)',
        valueMax: Math.max(1, ...bars.map((b) => b.value)) * 1.1,
        bars,
      },
    });
  }
  const polling = pollingRows(cells).filter((r) => r.pollingP50 !== null || r.websocketP50 !== null);
  if (polling.length > 0) {
    const sets: BarSet[] = (
      [
        ['websocket p50', '#9ecae1', (r: PollingRow) => r.websocketP50],
        ['polling p50', '#fdae6b', (r: PollingRow) => r.pollingP50],
        ['websocket p99', '#3182bd', (r: PollingRow) => r.websocketP99],
        ['polling p99', '#e6550d', (r: PollingRow) => r.pollingP99],
      ] as const
    ).map(([name, color, pick]) => ({
      name,
      color,
      fill: rgba(color, 0.85),
      bars: polling.map((r): ChartBar | null => {
        const a = pick(r);
        if (!a) return null;
        const label = `${fmt(a.value)} ms`;
        return {
          category: category(r),
          value: a.value,
          label,
          text: `${name} ${label} with ${r.sharePct} % of the clients on long-polling${trialsText(a)}`,
          color,
          fill: rgba(color, 0.85),
          flagged: a.flagged,
        };
      }),
    }));
    views.push({
      id: 'fig-polling-latency',
      figure: 'polling-latency',
      title: 'Long-polling share: message latency by transport',
      explain:
        'Runs with <code>--polling-share P%</code>: that share of the clients stayed on HTTP long-polling, the rest on WebSocket. Each transport’s clients are measured apart: the latency of what they receive (broadcasts, else room messages, else echoes), p50 and p99 per library and client level (medians across trials). The table gives what each transport received out of order.',
      notes: [],
      flagged: flaggedOf(polling),
      data: {
        kind: 'bar-groups',
        id: 'fig-polling-latency',
        figure: 'polling-latency',
        valueTitle: 'message latency (ms)',
        unit: 'ms',
        valueMax: valueMax(sets),
        categories: polling.map(category),
        sets,
      },
    });
  }
  return views;
}
