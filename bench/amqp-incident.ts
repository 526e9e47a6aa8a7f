/**
 * Benchmark (not a test): Crisp's RabbitMQ incident (issue 23 item 3). A node whose queue is
 * bound with many routing keys goes away under load (killed: --kill-node-at; or restarted, which
 * also binds them all again: --rolling-restart), and RabbitMQ tears its bindings down. Measured
 * around that moment, for --amqp-topology routing with B bindings per node and for prefix:N,
 * where the same rooms hash into N keys (each node binds N):
 *
 * - RabbitMQ's own CPU and RSS over time (the run's `broker` samples, every 250 ms);
 * - broadcast latency and deliveries on the nodes that stay (the run's `broadcast` block, and a
 *   shadow queue this script binds to the run's exchange with the broadcast key: every broadcast
 *   the other nodes get, timed from the publisher's stamp);
 * - RabbitMQ serving others: a publish → consume round trip through a queue of this script's
 *   every 100 ms, and a bind + unbind of it (the kind of work the teardown holds up) back to back;
 * - how long until it serves normally again: the last bind + unbind slower than 5× its median
 *   before, and the broker's CPU back within 10 points of its median before.
 *
 *   node dist/bench/amqp-incident.js [--bindings 40000] [--prefixes 256] [--fault kill|restart]
 *        [--clients 300] [--nodes 3] [--hold 40] [--at 10] [--broadcast-every 200] [--lib ws]
 *
 * `npm run bench:amqp-incident` is this with the defaults (the table in docs/scale-out.md).
 * Results, with every probe's timeline, are kept under bench/results/<time>-amqp-incident/. Needs
 * RabbitMQ at 127.0.0.1:5672 and, to find the run's exchange, rabbitmqctl as root.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as amqp from 'amqplib';
import type { RunResult } from '../runner/result/build';
import type { StoredSample } from '../runner/result/schema';
import { arg, BIN, machine } from './common';

const AMQP_URL = arg('amqp-url', 'amqp://guest:guest@127.0.0.1:5672');
const bindings = arg('bindings', '40000');
const prefixes = arg('prefixes', '256');
const fault = arg('fault', 'kill');
const clients = arg('clients', '300');
const nodes = arg('nodes', '3');
const hold = arg('hold', '40');
const at = arg('at', '10');
const every = arg('broadcast-every', '200');
const lib = arg('lib', 'ws');
if (fault !== 'kill' && fault !== 'restart') {
  process.stderr.write(`--fault must be kill or restart (got "${fault}")\n`);
  process.exit(2);
}
const outDir = path.resolve(
  __dirname,
  '../../bench/results',
  `${new Date().toISOString().replace(/[:.]/g, '-')}-amqp-incident`,
);
fs.mkdirSync(outDir, { recursive: true });

/** One timed observation: when (ms since epoch) and how long it took, or how late it came (ms). */
interface Point {
  at: number;
  ms: number;
}

/** What this script sees of RabbitMQ while one run goes. */
class Probes {
  readonly roundTrips: Point[] = [];
  readonly binds: Point[] = [];
  readonly broadcasts: (Point & { seq: number })[] = [];
  private stopped = false;
  private readonly loops: Promise<void>[] = [];

  private constructor(
    private readonly connection: amqp.ChannelModel,
    private readonly channel: amqp.Channel,
    private readonly queue: string,
  ) {}

  static async start(): Promise<Probes> {
    const connection = await amqp.connect(AMQP_URL, { clientProperties: { connection_name: 'amqp-incident probe' } });
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    const p = new Probes(connection, channel, queue);
    await channel.consume(
      queue,
      (m) => {
        if (m) p.roundTrips.push({ at: Date.now(), ms: Date.now() - Number(m.content.toString()) });
      },
      { noAck: true },
    );
    p.loops.push(p.publishLoop(), p.bindLoop());
    return p;
  }

  /** Binds a queue of ours to the run's exchange with the broadcast key: every broadcast, as a node gets it. */
  async shadow(exchange: string): Promise<void> {
    const { queue } = await this.channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await this.channel.bindQueue(queue, exchange, 'all');
    await this.channel.consume(
      queue,
      (m) => {
        if (!m) return;
        const text = m.content.toString();
        if (!text.startsWith('{"seq"')) return; // hellos and room messages
        const envelope = JSON.parse(text) as { seq: number; text: string };
        const sent = (JSON.parse(envelope.text) as { t: number }).t;
        this.broadcasts.push({ at: Date.now(), ms: Date.now() - sent, seq: envelope.seq });
      },
      { noAck: true },
    );
  }

  private async publishLoop(): Promise<void> {
    while (!this.stopped) {
      this.channel.sendToQueue(this.queue, Buffer.from(String(Date.now())));
      await sleep(100);
    }
  }

  private async bindLoop(): Promise<void> {
    while (!this.stopped) {
      const t = Date.now();
      await this.channel.bindQueue(this.queue, 'amq.direct', `probe.${this.queue}`);
      await this.channel.unbindQueue(this.queue, 'amq.direct', `probe.${this.queue}`);
      this.binds.push({ at: t, ms: Date.now() - t });
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.race([Promise.all(this.loops), sleep(60_000)]);
    await this.connection.close().catch(() => {});
  }
}

/** The run's exchange, named for the bench pid (runner/topology/amqp-leftovers.ts), once a node declared it. */
async function findExchange(pid: number, until: () => boolean): Promise<string | null> {
  const prefix = `bench.bench-${pid}-`;
  while (!until()) {
    try {
      const names = execFileSync('rabbitmqctl', ['list_exchanges', '-q', 'name'], { encoding: 'utf8' }).split('\n');
      const found = names.find((n) => n.startsWith(prefix) && n.includes('.broadcast'));
      if (found) return found;
    } catch {
      return null; // no rabbitmqctl, or not root
    }
    await sleep(500);
  }
  return null;
}

const quantile = (values: readonly number[], q: number): number | null => {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const f = (n: number | null | undefined, d = 0) => (n === null || n === undefined ? '–' : n.toFixed(d));

interface Row {
  name: string;
  bindingsPerNode: number;
  line: string;
}

async function runCase(name: string, topology: string, extra: number): Promise<Row> {
  const out = path.join(outDir, `${name.replace(':', '-')}.json`);
  const args = [
    'run',
    '--lib',
    lib,
    '--scenario',
    'broadcast',
    '--clients',
    clients,
    '--nodes',
    nodes,
    '--adapter',
    'amqp',
    '--amqp-topology',
    topology,
    '--amqp-extra-bindings',
    String(extra),
    '--hold',
    hold,
    '--broadcast-every',
    every,
    '--sample-interval',
    '250',
    ...(fault === 'kill' ? ['--kill-node-at', at] : ['--rolling-restart', at]),
    '--out',
    out,
    '--quiet',
    '--allow-invalid',
  ];
  process.stderr.write(`bench ${args.join(' ')}   (load ${os.loadavg()[0]!.toFixed(2)})\n`);
  const probes = await Probes.start();
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const exchange = await findExchange(child.pid!, () => exited);
  if (exchange) await probes.shadow(exchange);
  else process.stderr.write('  (the run exchange was not found: no shadow queue; rabbitmqctl needs root)\n');
  await exit;
  await probes.stop();
  const r = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult) : null;
  fs.writeFileSync(
    path.join(outDir, `${name.replace(':', '-')}.probes.json`),
    JSON.stringify({ roundTrips: probes.roundTrips, binds: probes.binds, broadcasts: probes.broadcasts }),
  );
  if (!r) return { name, bindingsPerNode: extra, line: `| ${name} | ${extra} | no result | | | | | | |` };
  return { name, bindingsPerNode: extra, line: analyse(name, extra, r, probes) };
}

/** The moment the node went: killed, or (restart) the first node stopped. */
function teardownAt(r: RunResult): number | null {
  const t0 = Date.parse(r.startedAt);
  for (const fr of r.faults ?? []) {
    if (fr.kind === 'kill-node' && fr.startedAtMs !== null) return t0 + fr.startedAtMs;
    if (fr.kind === 'rolling-restart') {
      const first = fr.restarts.find((x) => x.stopAtMs !== null);
      if (first) return t0 + first.stopAtMs!;
    }
  }
  return null;
}

function analyse(name: string, extra: number, r: RunResult, p: Probes): string {
  const t0 = Date.parse(r.startedAt);
  const T = teardownAt(r);
  if (T === null) return `| ${name} | ${extra} | the fault did not happen | | | | | | |`;
  const samples: StoredSample[] = r.broker?.samples ?? [];
  const abs = samples.map((s) => ({ at: t0 + s.t, cpu: s.cpuPercent, rss: s.rssBytes }));
  const before = <X extends { at: number }>(xs: readonly X[], span = 6_000) =>
    xs.filter((x) => x.at >= T - span && x.at < T);
  // Up to the end of the hold: then the nodes stop, and their bindings go too.
  const end = t0 + (r.phases.hold?.completedAt ?? Infinity);
  const after = <X extends { at: number }>(xs: readonly X[]) => xs.filter((x) => x.at >= T && x.at < end);
  // Broker CPU: median before; back to normal at the first sample after the peak that is within
  // 10 points of it and stays so for a second.
  const cpuBase = quantile(
    before(abs).map((s) => s.cpu),
    0.5,
  );
  const post = after(abs);
  const peak = post.reduce((m, s) => (s.cpu > m.cpu ? s : m), post[0] ?? { at: T, cpu: 0, rss: 0 });
  let cpuBackMs: number | null = null;
  if (cpuBase !== null) {
    const calm = post.filter((s) => s.at >= peak.at);
    for (let i = 0; i < calm.length; i++) {
      const window = calm.filter((s) => s.at >= calm[i]!.at && s.at < calm[i]!.at + 1_000);
      if (window.every((s) => s.cpu <= cpuBase + 10)) {
        cpuBackMs = calm[i]!.at - T;
        break;
      }
    }
  }
  const rssBase = quantile(
    before(abs).map((s) => s.rss),
    0.5,
  );
  const rssPeak = Math.max(0, ...post.map((s) => s.rss));
  // Bind + unbind: the last one after the teardown slower than 5× its median before.
  const bindBase = quantile(
    before(p.binds).map((b) => b.ms),
    0.5,
  );
  const slow = after(p.binds).filter((b) => bindBase !== null && b.ms > Math.max(5 * bindBase, 20));
  const lastSlow = slow.at(-1);
  const servesAgainMs = lastSlow ? lastSlow.at + lastSlow.ms - T : 0;
  const bindMax = Math.max(0, ...after(p.binds).map((b) => b.ms));
  const rtMax = Math.max(0, ...after(p.roundTrips).map((b) => b.ms));
  const rtBase = quantile(
    before(p.roundTrips).map((b) => b.ms),
    0.99,
  );
  // The nodes that stay: broadcasts through the run's exchange after the teardown.
  const longestGap = (xs: readonly Point[]) => {
    let gap = 0;
    for (let i = 1; i < xs.length; i++) gap = Math.max(gap, xs[i]!.at - xs[i - 1]!.at);
    return gap;
  };
  const seen = after(p.broadcasts);
  const gap = longestGap(seen);
  const gapBefore = longestGap(before(p.broadcasts));
  const bcastMax = Math.max(0, ...seen.map((b) => b.ms));
  const bcastBase = quantile(
    before(p.broadcasts).map((b) => b.ms),
    0.5,
  );
  const b = r.broadcast;
  const delivered = b ? `${((b.delivered / Math.max(1, b.expectedDeliveries)) * 100).toFixed(2)} %` : '–';
  return (
    `| ${name} | ${extra.toLocaleString('en-US')} | ${f(cpuBase)} → ${f(peak.cpu)} %, back in ${cpuBackMs === null ? '–' : (cpuBackMs / 1000).toFixed(1) + ' s'} ` +
    `| ${f((rssBase ?? 0) / 2 ** 20)} → ${f(rssPeak / 2 ** 20)} MiB ` +
    `| ${f(bindBase, 1)} → ${f(bindMax)} ms; normal after ${(servesAgainMs / 1000).toFixed(1)} s ` +
    `| ${f(rtBase, 1)} → ${f(rtMax)} ms ` +
    `| ${f(bcastBase, 1)} → ${f(bcastMax)} ms, longest gap ${f(gapBefore)} → ${f(gap)} ms ` +
    `| ${delivered} (${b?.lost ?? '–'} lost), p99 ${f(b?.latencyMs?.p99, 1)} ms |`
  );
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  rows.push(await runCase('routing', 'routing', Number(bindings)));
  rows.push(await runCase(`prefix:${prefixes}`, `prefix:${prefixes}`, Number(prefixes)));
  const cmd = `node dist/bench/amqp-incident.js --bindings ${bindings} --prefixes ${prefixes} --fault ${fault} --clients ${clients} --nodes ${nodes} --hold ${hold} --at ${at} --broadcast-every ${every} --lib ${lib}`;
  process.stdout.write(
    [
      `${machine()}. RabbitMQ ${rabbitVersion()}. Load average at the end: ${os.loadavg()[0]!.toFixed(2)}.`,
      '',
      `### A node ${fault === 'kill' ? 'killed' : 'restarted'} with its queue's bindings: ${lib}, ${nodes} nodes × ${Number(clients).toLocaleString('en-US')} clients, a broadcast every ${every} ms`,
      '',
      `\`${cmd}\``,
      '',
      '| topology | bindings per node | RabbitMQ CPU before → peak, back to normal | RabbitMQ RSS before → peak | bind + unbind before → worst; RabbitMQ normal again | publish → consume p99 before → worst | broadcasts to the other nodes: latency p50 before → worst, longest gap before → after | run: delivered, broadcast p99 |',
      '|---|--:|---|---|---|---|---|---|',
      ...rows.map((r) => r.line),
      '',
      `Results and every probe's timeline: ${outDir}`,
      '',
    ].join('\n'),
  );
}

function rabbitVersion(): string {
  try {
    return execFileSync('rabbitmqctl', ['version'], { encoding: 'utf8' }).trim();
  } catch {
    return '(version unknown)';
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
