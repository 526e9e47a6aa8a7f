import type { LatencyStats } from '../metrics/histograms';
import type { SweepManifest } from '../result/manifest';
import { faultText } from '../result/faults';
import { flapLines, sweepDropLines, type DropResult } from './flaps';
import type { InnerSummary, RunResult } from '../result/build';
import type { BrokerRecord, PerClientFloor, RollingRestartFault, RoomsReport } from '../result/schema';
import { kib, mib } from '../metrics/units';
import { slowLines } from './slow';

const num = (n: number | null | undefined, digits = 1) => (n === null || n === undefined ? '–' : n.toFixed(digits));

function latencyRow(label: string, s: LatencyStats | null): string {
  if (s === null) return `  ${label.padEnd(16)} –`;
  return `  ${label.padEnd(16)} p50 ${num(s.p50, 2).padStart(8)}  p90 ${num(s.p90, 2).padStart(8)}  p99 ${num(s.p99, 2).padStart(8)}  max ${num(s.max, 2).padStart(8)}  (n=${s.count})`;
}

/**
 * The verdict, in one line: whether the numbers below measure what was asked. Results of
 * schemaVersion 1 carry it in `loadgen` only.
 */
export function formatVerdict(r: RunResult): string {
  const valid = r.valid ?? r.loadgen.valid;
  const reasons = r.invalidReasons ?? r.loadgen.invalidReasons;
  if (r.status !== 'completed') {
    return `${r.status.toUpperCase()}: ${r.error}${valid ? '' : `; also invalid: ${reasons.join('; ')}`}`;
  }
  return valid ? 'VALID: the run measured what was asked' : `INVALID: ${reasons.join('; ')}`;
}

/** How clients reached the nodes and from where; null for one URL from the kernel's address. */
export function topologyText(r: RunResult): string | null {
  const t = r.topology;
  if (!t || (t.spread === 'single' && t.sourceAddresses === null)) return null;
  const parts: string[] = [];
  if (t.spread === 'client') parts.push(`${t.targets.length} nodes, each client picks the next (no balancer)`);
  if (t.spread === 'balancer') parts.push(`${r.options.nodes ?? 1} nodes behind HAProxy`);
  if (t.sourceAddresses) {
    const a = t.sourceAddresses;
    parts.push(
      `from ${a.length} source address${a.length === 1 ? '' : 'es'} ${a.length > 2 ? `${a[0]!.address}..${a[a.length - 1]!.address}` : a.map((x) => x.address).join(', ')}`,
    );
  }
  return parts.join(' · ');
}

/** What bench serve read inside itself: heap as the Socket.IO team reports it, loop and GC. */
function innerLines(i: InnerSummary): string[] {
  const h = i.heapBytes.used;
  const gc = i.heapAfterGcBytes === null ? '' : `  after forced GC ${mib(i.heapAfterGcBytes)}`;
  const elu = (v: number | null) => (v === null ? '–' : (v * 100).toFixed(1));
  return [
    `  server heap      idle ${mib(h.idle)}  steady ${mib(h.steady)}  peak ${mib(h.peak)}${gc}  external ${mib(i.heapBytes.external.steady)}`,
    `  server loop      busy ${elu(i.eventLoop.utilization.steady)}%  delay ${num(i.eventLoop.delayMs.steady, 2)} ms (max ${num(i.eventLoop.delayMaxMs, 1)})  GC ${num(i.gc.steadyPauseMsPerSecond, 1)} ms/s (${i.gc.count} in all)`,
  ];
}

const rateText = (rate: number | 'burst') => (rate === 'burst' ? 'burst arrivals' : `${rate} arrivals/s`);

/** The tuning options that differ from the defaults, and the add-ons as loaded: ` · msgpack parser · bufferutil off`. */
function tuningText(r: RunResult): string {
  const o = r.options;
  const parts = [
    o.sioParser === 'msgpack' ? 'msgpack parser' : '',
    o.sioDiscardRequest ? 'request discarded' : '',
    o.sioWsEngine ? `wsEngine ${o.sioWsEngine}` : '',
    r.server.native && r.lib !== 'sockjs' ? `bufferutil ${r.server.native.bufferutil ? 'on' : 'off'}` : '',
  ];
  return parts
    .filter((p) => p !== '')
    .map((p) => ` · ${p}`)
    .join('');
}

/** Memory per client, or the floor it stayed below: never a negative cost. */
export function perClientText(p: { bytesPerClient: number | null } & PerClientFloor): string {
  if (p.bytesPerClientBelowFloor && p.bytesPerClientFloor != null)
    return `< ${kib(p.bytesPerClientFloor)} (below what this run resolves)`;
  return kib(p.bytesPerClient);
}

/** Deflate as the server applied it, else as asked and said to be so. */
const deflateText = (r: RunResult) =>
  r.server.deflate ?? `${r.options.deflate ? 'on' : 'off'} asked (the server did not report it)`;

const int = (n: number) => n.toLocaleString('en-US');

/** --scenario rooms: latency of room messages, then deliveries against the rooms the nodes reported. */
export function roomLines(k: RoomsReport): string[] {
  const lines = [latencyRow('room message', k.latencyMs)];
  if (k.serviceMs) lines.push(latencyRow('room service', k.serviceMs));
  if (k.joinMs) lines.push(latencyRow('join', k.joinMs));
  const m = k.membership;
  const sizes =
    m.minPerRoom === null
      ? ''
      : m.minPerRoom === m.maxPerRoom
        ? `, ${m.minPerRoom} each`
        : `, ${m.minPerRoom}..${m.maxPerRoom} each`;
  const nodesSaid =
    m.from === null
      ? 'no node reported its rooms'
      : `the nodes counted ${int(m.members)} members in ${int(m.rooms)} rooms${sizes}`;
  lines.push(
    `  rooms            ${int(k.rooms)} × ${k.roomSize} asked; ${nodesSaid} · a message every ${k.publishEveryMs} ms per member · ${k.messageBytes} B · ${k.exceptSender ? 'to the room but the sender' : 'to the whole room'}${(k.namespaces ?? 1) > 1 ? ` · over ${k.namespaces} namespaces on each connection` : ''}`,
  );
  if (k.joinFailed > 0)
    lines.push(`                   ${int(k.joinFailed)} joins failed (of ${int(k.joined + k.joinFailed)})`);
  const of =
    k.expected === null
      ? ''
      : ` of ${int(k.expected)} expected (${k.deliveredPct ?? '–'} %) · ${int(k.missed ?? 0)} missed`;
  lines.push(
    `                   ${int(k.published)} published${k.publishedLate ? ` (${int(k.publishedLate)} late)` : ''} · ${int(k.received)} received${of} · ${int(k.duplicates)} duplicates · ${int(k.outOfOrder)} out of order`,
  );
  const short = k.roomsShort
    ? ` · ${int(k.roomsShort)} rooms short, worst ${k.worstRoom!.room}: ${int(k.worstRoom!.received)} of ${int(k.worstRoom!.expected)}`
    : '';
  const writes = k.serverWrites === null ? '' : ` · the nodes wrote ${int(k.serverWrites)}`;
  lines.push(
    `                   ${k.sentPerSecond ?? '–'} sent/s · ${k.deliveredPerSecond ?? '–'} delivered/s${writes}${short}`,
  );
  if (m.changed) lines.push('                   membership changed between the middle and the end of the hold');
  if (m.error) lines.push(`                   a node did not report its rooms: ${m.error}`);
  return lines;
}

/** --polling-share: each transport's clients, their latencies and what they received out of order. */
export function transportLines(t: NonNullable<RunResult['byTransport']>): string[] {
  const counted = t.serverCounted
    ? `; the servers counted ${Object.entries(t.serverCounted)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, n]) => `${int(n)} on ${name}`)
        .join(', ')}`
    : '';
  const lines = [
    `  by transport     ${t.pollingSharePct} % of the clients kept on long-polling, the rest on websocket${counted}`,
  ];
  for (const name of ['websocket', 'polling'] as const) {
    const x = t[name];
    lines.push(
      `  ${name}${' '.repeat(Math.max(1, 9 - name.length))}        ${int(x.connected)} connected, ${int(x.failed)} failed`,
    );
    for (const [label, s] of [
      ['connect', x.connectMs],
      ['echo', x.echoMs],
      ['broadcast', x.broadcastMs],
      ['room message', x.roomMs],
    ] as const) {
      if (s) lines.push(latencyRow(`  ${label}`, s));
    }
    const b = x.broadcasts;
    const parts = [
      b.expected ? `broadcasts ${int(b.received)} of ${int(b.expected)} (${b.deliveredPct} %)` : '',
      b.received || b.expected ? `${int(b.outOfOrder)} out of order, ${int(b.duplicates)} duplicates` : '',
      x.rooms.received ? `room messages ${int(x.rooms.received)}, ${int(x.rooms.outOfOrder)} out of order` : '',
    ].filter((p) => p !== '');
    if (parts.length) lines.push(`                     ${parts.join(' · ')}`);
  }
  return lines;
}

/** The human summary of one run (for stderr). Returns a string; the caller prints it. */
export function formatSummary(r: RunResult, outFile?: string): string {
  const lines: string[] = [formatVerdict(r)];
  const opts = r.options;
  lines.push(
    `${r.lib} · ${r.scenario} · ${opts.clients ?? 'script'} clients · ${rateText(opts.arrivalRate)} · transport ${opts.transport} · deflate ${deflateText(r)}${tuningText(r)} · ${r.status}`,
  );
  const req = r.clients.requested === null ? '' : ` of ${r.clients.requested}`;
  const dropped = r.clients.dropped ? `, ${r.clients.dropped} dropped later` : '';
  lines.push(`  clients          ${r.clients.connected}${req} connected, ${r.clients.failed} failed${dropped}`);
  const topology = topologyText(r);
  if (topology) lines.push(`  topology         ${topology}`);
  const fromSchedule = r.schedule?.source !== 'actual';
  lines.push(
    fromSchedule
      ? '  latency (ms)     from when each arrival was due; "service" from when its client started'
      : '  latency (ms)     from when each client started (no arrival schedule was given: plain Artillery or a ramp)',
  );
  lines.push(latencyRow('connect', r.connectMs));
  if (r.connectServiceMs) lines.push(latencyRow('connect service', r.connectServiceMs));
  if (r.arrivalLagMs) lines.push(latencyRow('arrival lag', r.arrivalLagMs));
  if (r.timeToFirstMessageMs) lines.push(latencyRow('to first message', r.timeToFirstMessageMs));
  lines.push(latencyRow('first message', r.firstMessageMs));
  if (r.welcomeDelivery) {
    const w = r.welcomeDelivery;
    if (w.serverClock === 'other') lines.push(`  welcome delivery –  (the server's clock is another machine's)`);
    else lines.push(latencyRow('welcome delivery', r.welcomeDeliveryMs));
    if (w.negative > 0)
      lines.push(`                   ${w.negative} welcomes stamped after they arrived (clocks apart), not counted`);
  }
  lines.push(latencyRow('echo', r.echoMs));
  if (r.echoServiceMs) lines.push(latencyRow('echo service', r.echoServiceMs));
  if (r.echo.late)
    lines.push(`                   ${r.echo.late} of ${r.echo.sent} echoes sent late, timed from when they were due`);
  if (r.broadcast?.serverClock === 'other')
    lines.push(`  broadcast        –  (the server's clock is another machine's)`);
  else if (r.broadcastMs) lines.push(latencyRow('broadcast', r.broadcastMs));
  if (r.broadcast) {
    const b = r.broadcast;
    if (b.clockNegative)
      lines.push(
        `                   ${b.clockNegative} broadcasts stamped after they arrived (clocks apart), not timed`,
      );
    lines.push(
      `  broadcasts       ${b.sent} sent · ${b.recovered ? `${b.delivered - b.recovered} live + ${b.recovered} replayed (recovery)` : b.delivered} of ${b.expectedDeliveries} deliveries · ${b.lost} lost · ${b.outOfOrder} out of order · ${b.duplicates} duplicates`,
    );
    if (b.gaps || b.missedWhileReconnecting) {
      lines.push(
        `                   ${b.gaps ?? 0} gaps · ${b.missedWhileReconnecting ?? 0} missed while reconnecting`,
      );
    }
  }
  if (r.rooms) lines.push(...roomLines(r.rooms));
  if (r.byTransport) lines.push(...transportLines(r.byTransport));
  if (r.slowClients) lines.push(...slowLines(r.slowClients));
  for (const f of r.faults ?? []) {
    if (f.kind !== 'flap') lines.push(`  fault            ${faultText(f, r.options.adapter ?? 'none')}`);
    if (f.kind === 'rolling-restart') lines.push(...restartLines(f));
  }
  if (r.flaps) lines.push(...flapLines(r.flaps, r.faults ?? []));
  if (r.reconnect) {
    const c = r.reconnect;
    const set = c.settings;
    lines.push(
      `  reconnects       ${c.reconnected} of ${c.lost} lost connections · ${c.failed} gave up · ${c.attempts} attempts · back-off ${set.delayMs}..${set.delayMaxMs} ms ±${set.jitter * 100}% × ${set.attempts}`,
    );
    if (c.timeMs) lines.push(latencyRow('reconnect', c.timeMs));
  }
  if (r.probe.requested > 0) {
    lines.push(`  probes           ${r.probe.connected} of ${r.probe.requested} connected`);
    lines.push(latencyRow('probe connect', r.probe.connectMs));
    if (r.probe.timeToFirstMessageMs) lines.push(latencyRow('probe to 1st msg', r.probe.timeToFirstMessageMs));
    lines.push(latencyRow('probe first msg', r.probe.firstMessageMs));
  }
  const s = r.server;
  lines.push(
    `  server RSS       idle ${mib(s.rssBytes.idle)}  steady ${mib(s.rssBytes.steady)}  peak ${mib(s.rssBytes.peak)}  per client ${perClientText(s)}  CPU ${num(s.cpuPercent)}%`,
  );
  if (s.inner) lines.push(...innerLines(s.inner));
  if (s.remoteErrors) {
    const n = s.remoteErrors.count;
    lines.push(
      `  remote metrics   ${n} failed read${n === 1 ? '' : 's'} of --server-metrics, last: ${s.remoteErrors.last}`,
    );
  }
  if (r.broker) lines.push(brokerLine(r.broker));
  const g = r.loadgen;
  lines.push(
    `  generator        CPU ${num(g.cpuPercent)}%  RSS peak ${mib(g.rssBytes)}  per client ${perClientText(g)}  loop delay p99 ${num(g.loopDelayMs?.p99)} ms`,
  );
  const valid = r.valid ?? g.valid;
  lines.push(valid ? '  valid            yes' : `  valid            NO (see the first line)`);
  const errors = Object.entries(r.errors);
  if (errors.length > 0) lines.push(`  errors           ${errors.map(([c, n]) => `${c} ×${n}`).join(', ')}`);
  const kernel = kernelLine(r.kernel);
  if (kernel) lines.push(kernel);
  if (outFile) lines.push(`  result           ${outFile}`);
  return lines.join('\n');
}

/**
 * The end-of-sweep summary: counts, the fixed cost per cell, and every cell that did not
 * complete or is invalid, with why.
 */
/** What a sweep summary reads of a cell's result: its p50s, when the run wrote one. */
export type CellResult = Pick<RunResult, 'connectMs' | 'timeToFirstMessageMs' | 'echoMs'> & DropResult;

const SPREAD_OF: [string, (r: CellResult) => number | null | undefined][] = [
  ['connect', (r) => r.connectMs?.p50],
  ['first message', (r) => r.timeToFirstMessageMs?.p50],
  ['echo', (r) => r.echoMs?.p50],
];

/**
 * One line per cell that ran more than one trial: each p50's lowest and highest over the trials
 * and their ratio, so a reader sees how far identical runs wander before reading a difference.
 */
export function trialSpreadLines(m: SweepManifest, resultOf: (file: string) => CellResult | null): string[] {
  const groups = new Map<string, { label: string; results: CellResult[] }>();
  for (const c of m.cells) {
    if (c.status !== 'completed' || c.valid === false) continue;
    const r = resultOf(c.file);
    if (!r) continue;
    const rate = c.arrivalRate === undefined ? '' : c.arrivalRate === 'burst' ? ' burst' : ` r${c.arrivalRate}`;
    const label = `${c.lib} ${c.clients}${rate}`;
    const g = groups.get(label) ?? { label, results: [] };
    g.results.push(r);
    groups.set(label, g);
  }
  const lines: string[] = [];
  for (const g of groups.values()) {
    if (g.results.length < 2) continue;
    const parts = SPREAD_OF.flatMap(([name, read]) => {
      const xs = g.results.map(read).filter((v): v is number => typeof v === 'number' && v > 0);
      if (xs.length < 2) return [];
      const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
      return [`${name} ${num(lo, 2)}–${num(hi, 2)} ms (${(hi / lo).toFixed(2)}×)`];
    });
    if (parts.length) lines.push(`    ${g.label} (${g.results.length} trials): ${parts.join(', ')}`);
  }
  return lines.length ? ['  spread of each p50 over the trials (lowest–highest, max/min):', ...lines] : [];
}

export function formatSweepSummary(
  m: SweepManifest,
  dir: string,
  resultOf: (file: string) => CellResult | null = () => null,
): string {
  const by = (s: string) => m.cells.filter((c) => c.status === s).length;
  const invalid = m.cells.filter((c) => c.status === 'completed' && c.valid === false).length;
  const rates = m.options.arrivalRates ? ` · arrival rates ${m.options.arrivalRates.join(', ')}` : '';
  const lines = [
    `sweep · ${m.cells.length} cells · ${by('completed')} completed, ${by('errored')} errored, ${by('aborted')} aborted, ${by('pending')} pending · ${invalid} invalid${rates} · ${m.wallSeconds} s`,
  ];
  if (m.fixedCost) {
    const f = m.fixedCost;
    lines.push(
      `  fixed cost per cell (median of ${f.cells}): startup ${f.startupSeconds} s, teardown ${f.teardownSeconds} s, all overhead ${f.overheadSeconds} s`,
    );
  }
  for (const c of m.cells.filter((c) => c.status !== 'completed' || c.valid === false)) {
    const rate = c.arrivalRate === undefined ? '' : c.arrivalRate === 'burst' ? ' burst' : ` r${c.arrivalRate}`;
    const why =
      c.status === 'completed'
        ? `invalid${c.invalidReasons?.length ? `: ${c.invalidReasons.join('; ')}` : ''}`
        : `${c.status}${c.error ? `: ${c.error}` : ''}`;
    lines.push(`  ${c.lib} ${c.clients}${rate} t${c.trial}: ${why}`);
  }
  lines.push(...trialSpreadLines(m, resultOf));
  lines.push(...sweepDropLines(m, resultOf));
  lines.push(`  folder           ${dir}`);
  return lines.join('\n');
}

/** --rolling-restart: one line per node restarted, then how the clients sat on the nodes at the end of the hold. */
export function restartLines(f: RollingRestartFault): string[] {
  const lines = f.restarts.map((x) => {
    const who = `${x.nodeId}${x.publisher ? ' (publisher)' : ''}`.padEnd(16);
    if (x.stopAtMs === null) return `    ${who} not restarted: the run ended first`;
    const down =
      x.downMs === null ? `not back${x.error ? ` (${x.error})` : ''}` : `away ${(x.downMs / 1000).toFixed(1)} s`;
    const back = x.reconnectMs
      ? `back in p50 ${num(x.reconnectMs.p50, 0)} p95 ${num(x.reconnectMs.p95, 0)} max ${num(x.reconnectMs.max, 0)} ms`
      : 'none back';
    const s = x.survivors;
    const others = s ? ` · others CPU ${num(s.cpuPercent)}% loop max ${num(s.loopDelayMaxMs)} ms` : '';
    return `    ${who} ${down} · ${x.clientsDisconnected} disconnected · ${back} · ${x.neverBack} never back · ${x.connectFailures} connect failures${others}`;
  });
  const end = Object.entries(f.clientsPerNodeAtEnd)
    .map(([id, n]) => `${id} ${n ?? '–'}`)
    .join(', ');
  const skew = f.skewAtEnd === null ? '' : ` (busiest ${f.skewAtEnd}× an even share)`;
  return [...lines, `    clients at the end of the hold: ${end}${skew}`];
}

/** The adapter's broker: its processes' CPU and RSS, or why they were not read. */
export function brokerLine(b: BrokerRecord): string {
  if (b.error !== null) return `  broker           ${b.kind} at ${b.url}: not measured (${b.error})`;
  const more = b.pids.length > 1 ? ` + ${b.pids.length - 1} more` : '';
  const rss = b.rssBytes;
  return `  broker           ${b.process ?? b.kind} (pid ${b.pids[0] ?? '–'}${more}) · CPU ${num(b.cpuPercent)}% · RSS idle ${mib(rss.idle)} steady ${mib(rss.steady)} peak ${mib(rss.peak)}`;
}

/** What the machine's network stack lost during the run, when it lost anything. */
function kernelLine(k: RunResult['kernel']): string | null {
  if (!k || (k.backlogDrops === 0 && k.tcpAbortOnTimeout === 0)) return null;
  const parts: string[] = [];
  if (k.backlogDrops > 0) {
    const limit = k.netdevMaxBacklog === null ? '' : ` of ${k.netdevMaxBacklog} packets (net.core.netdev_max_backlog)`;
    parts.push(`${k.backlogDrops} packets dropped by a full input queue${limit}`);
  }
  if (k.tcpAbortOnTimeout > 0) {
    parts.push(`${k.tcpAbortOnTimeout} connections reset after unanswered keepalive probes or retransmits`);
  }
  return `  kernel           ${parts.join(' · ')} (whole machine; see docs/findings.md)`;
}
