import * as net from 'node:net';
import type { Lib } from 'artillery-engine-bench/protocol';
import { CONTROL_BROADCAST_PATH, PREFIX_PARAM } from 'artillery-engine-bench/protocol';
import { startBalancer, type Balancer } from './balancer';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONTROL_STATS_PATH } from '../../servers/http';
import { PreflightError, RunError } from '../errors';
import type { Isolation } from './isolation/index';
import type { ResolvedRunOptions } from '../config/run-options';
import { DeliveryTally, startServerProcess, type ServerProcess } from './server-process';
import { wsNativeEnv } from '../config/sio-options';
import { redactUrl } from '../../servers/adapters/errors';
import { amqpArgs, roomAffinity } from '../config/amqp-options';
import { noteRun, removeRun, runExchanges } from './amqp-leftovers';
import { removeRunStream } from './redis-leftovers';

/** One server process of a run, for sampling and the result. */
export interface NodeProcess {
  nodeId: string;
  pid: number;
}

/** The servers of one run: one process, several behind HAProxy, or a cluster primary with workers. */
export interface NodeSet {
  /** the `bench serve` processes bench started (a cluster is one: its primary) */
  servers: ServerProcess[];
  /** every process that serves clients, each sampled on its own */
  nodes: NodeProcess[];
  /** what clients connect to */
  target: string;
  /** every URL clients connect to: the nodes themselves with --spread client, else `[target]` */
  targets: string[];
  /** the publisher node's control route: it numbers the broadcasts */
  controlUrl: string;
  balancer: Balancer | null;
  /** every node's broadcast deliveries, from their logs; complete once `stop()` resolved */
  deliveries: DeliveryTally;
  /** clients `nodeId` last wrote a broadcast to, from the delivery log; null when it logged none */
  lastClients(nodeId: string): number | null;
  /** processes `startAgain` replaced (stopped by then): their samples and delivery lines still count */
  retired: ServerProcess[];
  /**
   * Starts node `nodeId` again, once its process has exited, with the options and on the port it
   * had (HAProxy and --spread client reach it where they did), its broadcasts numbered on from
   * `firstSeq`; swaps it into `servers` and `nodes`. Refused for a cluster's workers.
   */
  startAgain(nodeId: string, firstSeq?: number): Promise<ServerProcess>;
  stop(): Promise<void>;
}

/** The URL a library's client connects to at host:port. */
export function libUrl(lib: Lib, host: string, port: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  if (lib === 'ws') return `ws://${h}:${port}/`;
  if (lib === 'sockjs') return `http://${h}:${port}/sockjs`;
  return `http://${h}:${port}`;
}

/** A node's control route `path` (default: broadcast), over http(s) whatever the library's scheme. */
export function controlOf(url: string, path: string = CONTROL_BROADCAST_PATH): string {
  const u = new URL(url);
  return `${u.protocol === 'wss:' || u.protocol === 'https:' ? 'https:' : 'http:'}//${u.host}${path}`;
}

/** Fails before any load when the adapter's service does not answer (a TCP connect, bounded). */
export async function checkAdapterService(
  o: Pick<ResolvedRunOptions, 'adapter' | 'redisUrl' | 'pgUrl' | 'amqpUrl' | 'natsUrl'>,
) {
  const service =
    o.adapter === 'redis' || o.adapter === 'redis-streams'
      ? { name: 'Redis', url: o.redisUrl, flag: '--redis-url', port: 6379 }
      : o.adapter === 'postgres'
        ? { name: 'PostgreSQL', url: o.pgUrl, flag: '--pg-url', port: 5432 }
        : o.adapter === 'amqp'
          ? { name: 'RabbitMQ', url: o.amqpUrl, flag: '--amqp-url', port: 5672 }
          : o.adapter === 'nats'
            ? { name: 'NATS', url: o.natsUrl, flag: '--nats-url', port: 4222 }
            : null;
  if (!service) return;
  const u = new URL(service.url);
  const port = Number(u.port || service.port);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const error = await new Promise<string | null>((resolve) => {
    const s = net.connect({ host, port, timeout: 3_000 }, () => {
      s.destroy();
      resolve(null);
    });
    s.once('timeout', () => {
      s.destroy();
      resolve('no answer within 3 s');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
  if (error) {
    throw new PreflightError(
      `${service.name} at ${redactUrl(service.url)} is not reachable (${error}): start it, or give ${service.flag}.`,
    );
  }
}

/** How long the nodes may take to find each other through the adapter (ms). */
const SYNC_TIMEOUT_MS = 15_000;

/**
 * Waits until every node counts all of them through its adapter (`servers` in its stats).
 * The PostgreSQL adapter finds the others by heartbeat, some seconds after it listens: a
 * broadcast before that would reach only some nodes.
 */
async function waitForSync(servers: readonly ServerProcess[], ids: readonly string[]): Promise<void> {
  const deadline = Date.now() + SYNC_TIMEOUT_MS;
  const seen = new Map<string, number>();
  for (;;) {
    await Promise.all(
      servers.map(async (s, i) => {
        const url = controlOf(s.ready.url, CONTROL_STATS_PATH);
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
          seen.set(ids[i]!, ((await res.json()) as { servers?: number }).servers ?? 0);
        } catch {
          seen.set(ids[i]!, 0);
        }
      }),
    );
    const behind = ids.filter((id) => seen.get(id)! < ids.length);
    if (behind.length === 0) return;
    if (Date.now() > deadline) {
      const what = behind.map((id) => `${id} sees ${seen.get(id)}`).join(', ');
      throw new RunError(
        `The nodes did not find each other through the adapter within ${SYNC_TIMEOUT_MS / 1000} s (${what} of ${ids.length}).`,
      );
    }
    await sleep(200);
  }
}

/** Flags that make a `bench serve` one node of a run. */
function adapterArgs(o: ResolvedRunOptions, nodeId: string, key: string): string[] {
  if (o.adapter === 'none') return [];
  const args = ['--adapter', o.adapter, '--node-id', nodeId, '--cluster-key', key];
  if (o.adapter === 'redis' || o.adapter === 'redis-streams') args.push('--redis-url', o.redisUrl);
  if (o.adapter === 'postgres') args.push('--pg-url', o.pgUrl);
  if (o.adapter === 'amqp') args.push('--amqp-url', o.amqpUrl, ...amqpArgs(o.amqp));
  if (o.adapter === 'nats') args.push('--nats-url', o.natsUrl);
  if (o.adapter === 'cluster') args.push('--workers', String(o.nodes));
  return args;
}

/**
 * Starts the run's servers. One node: a `bench serve` as always. Several with redis or
 * postgres: N `bench serve` processes behind HAProxy (sticky by cookie, for long-polling), or
 * with --spread client on their own, each client connecting to one of them. With
 * cluster: one `bench serve` whose primary hands connections to N workers, sticky by session.
 */
export async function startNodes(
  o: ResolvedRunOptions,
  iso: Isolation,
  runDir: string,
  /** more environment for every server process (bench soak's heap snapshot signal) */
  serverEnv: Record<string, string> = {},
): Promise<NodeSet> {
  // One tally for every node of the run (a cluster's workers log through their primary).
  const deliveries = new DeliveryTally();
  const lastClients = (nodeId: string): number | null => deliveries.byNode.get(nodeId)?.lastClients ?? null;
  const base = {
    lib: o.lib,
    // With a long-polling share the server takes both transports (polling, then upgrade).
    transport: o.pollingSharePct !== null ? 'polling' : o.transport,
    deflate: o.deflate,
    pingIntervalMs: o.pingIntervalMs,
    sio: o.sio,
    env: { ...wsNativeEnv(o.wsNative), ...serverEnv },
    host: iso.serverHost,
    prefix: iso.prefix('server'),
    deliveries,
    // A cluster primary would sample only itself, not the workers that hold the clients.
    innerSampleIntervalMs: o.adapter === 'cluster' ? 0 : o.sampleIntervalMs,
    serverTest: o.serverTest,
    // A node binds its --amqp-extra-bindings before it listens, all nodes at once (1 ms each is ample).
    startTimeoutMs: 20_000 + (o.adapter === 'amqp' ? o.amqp.extraBindings * o.nodes : 0),
  };
  // One key per run: nodes of this run share state under it, and nothing of an earlier run.
  const key = `bench-${process.pid}-${Date.now()}`;
  // RabbitMQ: noted before any node declares them, removed at the end (amqp-leftovers.ts).
  const exchanges = o.adapter === 'amqp' ? runExchanges(key, o.amqp.topology) : [];
  if (exchanges.length > 0) noteRun(key, exchanges);
  const servers: ServerProcess[] = [];
  const retired: ServerProcess[] = [];
  const nodes: NodeProcess[] = [];
  /** a node starting again: stop() waits for it, so that none outlives the run */
  let starting: Promise<unknown> = Promise.resolve();
  let balancer: Balancer | null = null;
  const stop = async () => {
    await starting.catch(() => {});
    await balancer?.stop();
    await Promise.all(servers.map((s) => s.stop()));
    // RabbitMQ unreachable now: the note stays, and the next run removes them.
    if (exchanges.length > 0) await removeRun(o.amqpUrl, key, exchanges).catch(() => {});
    // Redis unreachable now (a crash or outage the run made): the next run removes it.
    if (o.adapter === 'redis-streams') await removeRunStream(o.redisUrl, key).catch(() => {});
  };
  const startAgain = (nodeId: string, firstSeq = 0): Promise<ServerProcess> => {
    const i = nodes.findIndex((n) => n.nodeId === nodeId);
    if (o.adapter === 'cluster' || o.adapter === 'none' || i < 0) {
      return Promise.reject(new RunError(`${nodeId} cannot be started again: it is not a node of its own`));
    }
    const old = servers[i]!;
    const start = startServerProcess({
      ...base,
      port: old.ready.port,
      firstSeq,
      extraArgs: adapterArgs(o, nodeId, key),
    }).then((server) => {
      retired.push(old);
      servers[i] = server;
      nodes[i]!.pid = server.ready.pid;
      return server;
    });
    starting = start;
    return start;
  };
  const common = { deliveries, lastClients, retired, startAgain, stop };
  try {
    if (o.adapter === 'none' || o.adapter === 'cluster') {
      const server = await startServerProcess({ ...base, extraArgs: adapterArgs(o, 'node-1', key) });
      servers.push(server);
      const workers = server.ready.workers ?? [];
      return {
        servers,
        nodes: workers.length
          ? workers.map((w, i) => ({ nodeId: w.nodeId ?? `node-${i + 1}`, pid: w.pid }))
          : [{ nodeId: 'node-1', pid: server.ready.pid }],
        target: server.ready.url,
        targets: [server.ready.url],
        controlUrl: controlOf(server.ready.url),
        balancer: null,
        ...common,
      };
    }
    const ids = Array.from({ length: o.nodes }, (_, i) => `node-${i + 1}`);
    const started = await Promise.allSettled(
      ids.map((id) => startServerProcess({ ...base, extraArgs: adapterArgs(o, id, key) })),
    );
    for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    await waitForSync(servers, ids);
    nodes.push(...servers.map((s, i) => ({ nodeId: ids[i]!, pid: s.ready.pid })));
    if (o.spread === 'client') {
      // No balancer: every client picks a node itself, round robin, as DNS round-robin spreads real clients.
      const urls = servers.map((s) => s.ready.url);
      return {
        servers,
        nodes,
        target: urls[0]!,
        targets: urls,
        controlUrl: controlOf(urls[0]!),
        balancer: null,
        ...common,
      };
    }
    balancer = await startBalancer(
      servers.map((s, i) => ({ name: ids[i]!, host: iso.serverHost, port: s.ready.port })),
      // Every client holds one connection to HAProxy and HAProxy one to a node.
      {
        dir: runDir,
        host: iso.serverHost,
        maxconn: (o.clients ?? 0) + o.probes + o.warmup + 1_000,
        prefix: iso.prefix('server'),
        // Room affinity: each client says its room's prefix in the URL, HAProxy routes on it.
        urlParam: roomAffinity(o) ? PREFIX_PARAM : null,
      },
    );
    const target = libUrl(o.lib, balancer.host, balancer.port);
    return {
      servers,
      nodes,
      target,
      targets: [target],
      controlUrl: controlOf(servers[0]!.ready.url),
      balancer,
      ...common,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
