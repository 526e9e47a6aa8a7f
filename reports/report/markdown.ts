import { limitsMarkdown } from './limits';
import { profileName } from '../../runner/result/env';
import { escapeMarkdown as md } from './escape';
import { rateText, schemaVersionsOf, type LoadedReport, type ReportCell } from '../read/read';
import { schemaVersionComment } from './page';
import {
  acrossTrials,
  flagReason,
  groupCells,
  isFlagged,
  KB,
  MB,
  numbersOf,
  type Across,
  type CellGroup,
  type CellNumbers,
} from './metrics';
import { flapRows, restartRows } from './drops';
import { roomRows } from './rooms';
import { pollingRows, slowRows } from './clients';
import { soaksMarkdown } from './soak';

/** Packages that are the library under test, for the conditions footer. */
const LIB_PACKAGES: Record<string, string[]> = {
  ws: ['ws'],
  socketio: ['socket.io', 'engine.io'],
  sockjs: ['sockjs'],
};

function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

const count = (n: number) => n.toLocaleString('en-US');

function statusText(cells: readonly ReportCell[]): string {
  const by = new Map<string, number>();
  for (const c of cells) by.set(c.status, (by.get(c.status) ?? 0) + 1);
  if (by.size === 1) return cells.length === 1 ? cells[0]!.status : `${cells.length} ${cells[0]!.status}`;
  return [...by].map(([s, n]) => `${n} ${s}`).join(', ');
}

function validText(cells: readonly ReportCell[]): string {
  const known = cells.filter((c) => c.valid !== null);
  if (known.length === 0) return '–';
  const valid = known.filter((c) => c.valid).length;
  if (valid === known.length) return 'yes';
  if (valid === 0) return '**no**';
  return `**${valid} of ${known.length}**`;
}

/** KB per client across trials; when no trial resolved it, the highest floor they all stayed below. */
function perClientKb(g: CellGroup): string {
  const a = acrossTrials(g.cells, (n) => n.bytesPerClient);
  if (a !== null) return `${fmt(a.value / KB)}${a.flagged ? '\\*' : ''}`;
  const floors = g.cells.flatMap((c) => numbersOf(c).bytesPerClientBelow ?? []);
  return floors.length ? `< ${fmt(Math.max(...floors) / KB)}` : '–';
}

function row(g: CellGroup, rates: boolean): string {
  const at = (pick: (n: CellNumbers) => number | null, scale = 1) => {
    const a = acrossTrials(g.cells, pick);
    return a === null ? '–' : `${fmt(a.value / scale)}${a.flagged ? '\\*' : ''}`;
  };
  const connected = acrossTrials(g.cells, (n) => n.connected);
  const connectedText = `${connected === null ? '–' : count(Math.round(connected.value))}/${count(g.clients)}`;
  return [
    md(rates ? g.family : g.series),
    count(g.clients),
    ...(rates ? [rateText(g.arrivalRate)] : []),
    String(g.cells.length),
    md(statusText(g.cells)),
    validText(g.cells),
    connectedText,
    at((n) => n.connectMs?.p50 ?? null),
    at((n) => n.connectMs?.p99 ?? null),
    at((n) => n.connectServiceMs?.p50 ?? null),
    at((n) => n.connectServiceMs?.p99 ?? null),
    at((n) => n.timeToFirstMessageMs?.p50 ?? null),
    at((n) => n.timeToFirstMessageMs?.p99 ?? null),
    at((n) => n.firstMessageMs?.p50 ?? null),
    at((n) => n.echoMs?.p50 ?? null),
    at((n) => n.rssSteadyBytes, MB),
    perClientKb(g),
    at((n) => n.heapSteadyBytes, MB),
  ].join(' | ');
}

function footer(report: LoadedReport): string {
  const env = report.conditions.env;
  if (!env) return '_Conditions: not recorded._';
  const libs = [...new Set(report.cells.map((c) => c.lib))];
  // Each library's versions as its own runs saw them (the server's view wins in a result).
  const versionsOf = (lib: string) => report.cells.find((c) => c.lib === lib && c.result)?.result?.env?.versions ?? {};
  const pkgs = libs.flatMap((lib) =>
    (LIB_PACKAGES[lib] ?? [lib]).flatMap((p) => {
      const v = versionsOf(lib)[p] ?? env.versions?.[p];
      return v === undefined ? [] : [`${p} ${v}`];
    }),
  );
  // Transport and deflate change the numbers most; name them once, or per series when they differ.
  const perSeries = Object.entries(report.conditions.options).map(
    ([series, o]) => [series, `${o.transport}, deflate ${o.deflate ? 'on' : 'off'}`] as const,
  );
  const distinct = new Set(perSeries.map(([, text]) => text));
  const transport =
    distinct.size === 1 ? [...distinct] : distinct.size > 1 ? [perSeries.map(([k, t]) => `${k}: ${t}`).join('; ')] : [];
  const parts = [
    ...pkgs,
    ...transport,
    `Node ${env.node}`,
    env.cpu,
    `${env.cores} cores`,
    ...(report.manifest?.preset ? [`preset ${report.manifest.preset}`] : []),
    ...(profileName(env) !== 'local' ? [`profile ${profileName(env)}`] : []),
    ...(env.calibration
      ? [
          `calibration ${env.calibration.cpu.roundsPerSecond} CPU rounds/s, ${env.calibration.connections.perSecond} conn/s`,
        ]
      : []),
  ];
  const differs = Object.keys(report.conditions.differs);
  const warn = differs.length ? ` Not the same in every result: ${md(differs.join(', '))}.` : '';
  return `_Conditions: ${md(parts.join(' · '))}.${warn}_`;
}

/** A number across trials as the tables print it, `\*` when only errored or invalid runs had it. */
function across(a: Across | null, text: (v: number) => string = fmt): string {
  return a === null ? '–' : `${text(a.value)}${a.flagged ? '\\*' : ''}`;
}

const whole = (v: number) => count(Math.round(v));

/** One Markdown table row. */
const tableRow = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;

/** The first cells of a row of the per-series tables: the series, its client level, its trials. */
const rowHead = (r: { label: string; clients: number; cells: readonly unknown[] }) => [
  md(r.label),
  count(r.clients),
  String(r.cells.length),
];

/** The numbers of the "Rooms" figures: one row per series and client level. */
export function roomsMarkdown(cells: readonly ReportCell[]): string[] {
  const rows = roomRows(cells);
  if (rows.length === 0) return [];
  return [
    '### Rooms',
    '',
    '| library | clients | trials | rooms | p50 (ms) | p90 (ms) | p99 (ms) | delivered (%) | received | expected | missed | duplicates | out of order | delivered/s |',
    '|---|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...rows.map((r) =>
      tableRow([
        ...rowHead(r),
        md(r.shape),
        across(r.p50),
        across(r.p90),
        across(r.p99),
        across(r.deliveredPct, (v) => v.toFixed(2)),
        across(r.received, whole),
        across(r.expected, whole),
        across(r.missed, whole),
        across(r.duplicates, whole),
        across(r.outOfOrder, whole),
        across(r.deliveredPerSecond, whole),
      ]),
    ),
    '',
    'Latency from when a message was due at its publisher to each member’s receipt; expected deliveries from the membership the nodes reported halfway through the hold.',
    '',
  ];
}

/** The numbers of the "Slow consumers" and "Long-polling share" figures. */
export function clientsMarkdown(cells: readonly ReportCell[]): string[] {
  const out: string[] = [];
  const slow = slowRows(cells);
  if (slow.length) {
    out.push(
      '### Slow consumers',
      '',
      '| library | clients | trials | slow clients | held per slow client (KiB) | in kernel send queues (KiB) | fast p50 (ms) | fast p99 (ms) | slow clients received | closed during hold |',
      '|---|--:|--:|---|--:|--:|--:|--:|--:|--:|',
      ...slow.map((r) =>
        tableRow([
          ...rowHead(r),
          md(r.slow),
          across(r.heldPerSlowClient, (v) => whole(v / 1024)),
          across(r.kernel, (v) => whole(v / 1024)),
          across(r.fastP50),
          across(r.fastP99),
          across(r.slowReceived, whole),
          across(r.closed, whole),
        ]),
      ),
      '',
    );
  }
  const polling = pollingRows(cells);
  if (polling.length) {
    out.push(
      '### Long-polling share',
      '',
      '| library | clients | trials | on polling (%) | websocket p50 (ms) | websocket p99 (ms) | polling p50 (ms) | polling p99 (ms) | out of order: websocket | out of order: polling |',
      '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
      ...polling.map((r) =>
        tableRow([
          ...rowHead(r),
          String(r.sharePct),
          across(r.websocketP50),
          across(r.websocketP99),
          across(r.pollingP50),
          across(r.pollingP99),
          across(r.websocketOutOfOrder, whole),
          across(r.pollingOutOfOrder, whole),
        ]),
      ),
      '',
    );
  }
  return out;
}

/** The numbers of the "Connections that drop" figures: one table for --flap, one for --rolling-restart. */
export function dropsMarkdown(cells: readonly ReportCell[]): string[] {
  const out: string[] = [];
  const flaps = flapRows(cells);
  if (flaps.length) {
    out.push(
      '### Connections that drop: flaps',
      '',
      '| library | clients | trials | flaps | delivered (%) | delivered | intended | missed | missed while reconnecting | reconnect p50 (ms) | reconnect p95 (ms) | reconnect max (ms) | never back | sessions restored | broadcasts replayed |',
      '|---|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
      ...flaps.map((r) =>
        tableRow([
          ...rowHead(r),
          md(r.flaps),
          across(r.deliveredPct, (v) => v.toFixed(2)),
          across(r.delivered, whole),
          across(r.intended, whole),
          across(r.missed, whole),
          across(r.missedWhileReconnecting, whole),
          across(r.reconnect.p50),
          across(r.reconnect.p95),
          across(r.reconnect.max),
          across(r.neverBack, whole),
          across(r.sessionsRecovered, whole),
          across(r.broadcastsRecovered, whole),
        ]),
      ),
      '',
      'Delivered counts each client and broadcast once, over what every held client would have received had nobody been cut; reconnect runs from the lost connection to the welcome on a new one. Sessions restored and broadcasts replayed: Socket.IO’s connection state recovery (--sio-recovery).',
      '',
    );
  }
  const restarts = restartRows(cells);
  if (restarts.length) {
    out.push(
      '### Connections that drop: rolling restarts',
      '',
      '| library | clients | trials | node | disconnected | back p50 (ms) | back p95 (ms) | back max (ms) | never back |',
      '|---|--:|--:|---|--:|--:|--:|--:|--:|',
      ...restarts.map((r) =>
        tableRow([
          ...rowHead(r),
          md(`${r.nodeId}${r.publisher ? ' (publisher)' : ''}`),
          across(r.disconnected, whole),
          across(r.reconnect.p50),
          across(r.reconnect.p95),
          across(r.reconnect.max),
          across(r.neverBack, whole),
        ]),
      ),
      '',
    );
  }
  if (out.length && [...flaps, ...restarts].some((r) => r.cells.length > 1)) {
    out.push('Numbers are medians across the completed, valid trials.', '');
  }
  return out;
}

/** A compact summary for pull-request comments and the README: one table per scenario. */
export function renderMarkdown(report: LoadedReport): string {
  const out: string[] = [];
  const version = schemaVersionComment(schemaVersionsOf(report));
  if (version) out.push(version, '');
  const scenarios = [...new Set(report.cells.map((c) => c.scenario))];
  const groups = groupCells(report.cells);
  const multiTrial = groups.some((g) => g.cells.length > 1);
  // When rates vary, the series names carry them; a column of their own reads better.
  const rates = new Set(report.cells.map((c) => rateText(c.arrivalRate))).size > 1;
  for (const scenario of scenarios) {
    out.push(`### Scenario \`${scenario.replace(/`/g, "'")}\``, '');
    out.push(
      `| library | clients |${rates ? ' arrival rate |' : ''} trials | status | valid | connected | connect p50 (ms) | connect p99 (ms) | connect service p50 (ms) | connect service p99 (ms) | time to first message p50 (ms) | time to first message p99 (ms) | first message p50 (ms) | echo p50 (ms) | server RSS steady (MB) | KB per client | server heap steady (MB) |`,
      `|---|--:|${rates ? '--:|' : ''}--:|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|`,
    );
    for (const g of groups.filter((x) => x.scenario === scenario)) out.push(`| ${row(g, rates)} |`);
    out.push('');
    const notes: string[] = [];
    if (multiTrial) notes.push('Numbers are medians across the completed, valid trials.');
    notes.push(
      'Connect and time to first message run from when each arrival was due; connect service from the client’s actual start; first message from the connected event.',
    );
    if (groups.some((g) => g.scenario === scenario && g.cells.some(isFlagged))) {
      notes.push('\\* only errored or invalid runs measured this number.');
    }
    if (notes.length) out.push(notes.join(' '), '');
    const flagged = report.cells.filter((c) => c.scenario === scenario && isFlagged(c));
    if (flagged.length) {
      out.push('Errored or invalid runs:', '');
      for (const c of flagged) {
        out.push(`- ${md(c.series)} × ${count(c.clients)} clients, trial ${c.trial}: ${md(flagReason(c))}`);
      }
      out.push('');
    }
  }
  out.push(...roomsMarkdown(report.cells));
  out.push(...clientsMarkdown(report.cells));
  out.push(...dropsMarkdown(report.cells));
  if (report.limits.length) out.push(limitsMarkdown(report.limits));
  out.push(...soaksMarkdown(report.soaks));
  out.push(footer(report), '');
  return out.join('\n');
}
