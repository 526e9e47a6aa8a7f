import * as net from 'node:net';
import type { Lib } from 'artillery-engine-bench/protocol';
import { CONTROL_BROADCAST_PATH } from 'artillery-engine-bench/protocol';
import { startBalancer, type Balancer } from './balancer';
import { PreflightError } from './errors';
import type { Isolation } from './isolation/index';
import type { ResolvedRunOptions } from './options';
import { startServerProcess, type ServerProcess } from './server-process';

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
  /** the publisher node's control route: it numbers the broadcasts */
  controlUrl: string;
  balancer: Balancer | null;
  /** clients `nodeId` last wrote a broadcast to, from the delivery log; null when it logged none */
  lastClients(nodeId: string): number | null;
  stop(): Promise<void>;
}

/** The URL a library's client connects to at host:port. */
export function libUrl(lib: Lib, host: string, port: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  if (lib === 'ws') return `ws://${h}:${port}/`;
  if (lib === 'sockjs') return `http://${h}:${port}/sockjs`;
  return `http://${h}:${port}`;
}

function controlOf(url: string): string {
  const u = new URL(url);
  return `${u.protocol === 'wss:' || u.protocol === 'https:' ? 'https:' : 'http:'}//${u.host}${CONTROL_BROADCAST_PATH}`;
}

/** Fails before any load when the adapter's service does not answer (a TCP connect, bounded). */
export async function checkAdapterService(o: Pick<ResolvedRunOptions, 'adapter' | 'redisUrl' | 'pgUrl'>) {
  const service =
    o.adapter === 'redis'
      ? { name: 'Redis', url: o.redisUrl, flag: '--redis-url', port: 6379 }
      : o.adapter === 'postgres'
        ? { name: 'PostgreSQL', url: o.pgUrl, flag: '--pg-url', port: 5432 }
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
      `${service.name} at ${service.url} is not reachable (${error}): start it, or give ${service.flag}.`,
    );
  }
}

/** Flags that make a `bench serve` one node of a run. */
function adapterArgs(o: ResolvedRunOptions, nodeId: string, key: string): string[] {
  if (o.adapter === 'none') return [];
  const args = ['--adapter', o.adapter, '--node-id', nodeId, '--cluster-key', key];
  if (o.adapter === 'redis') args.push('--redis-url', o.redisUrl);
  if (o.adapter === 'postgres') args.push('--pg-url', o.pgUrl);
  if (o.adapter === 'cluster') args.push('--workers', String(o.nodes));
  return args;
}

/**
 * Starts the run's servers. One node: a `bench serve` as always. Several with redis or
 * postgres: N `bench serve` processes behind HAProxy (sticky by cookie, for long-polling). With
 * cluster: one `bench serve` whose primary hands connections to N workers, sticky by session.
 */
export async function startNodes(o: ResolvedRunOptions, iso: Isolation, runDir: string): Promise<NodeSet> {
  const base = {
    lib: o.lib,
    transport: o.transport,
    deflate: o.deflate,
    pingIntervalMs: o.pingIntervalMs,
    host: iso.serverHost,
    prefix: iso.prefix('server'),
  };
  // One key per run: nodes of this run share state under it, and nothing of an earlier run.
  const key = `bench-${process.pid}-${Date.now()}`;
  const servers: ServerProcess[] = [];
  let balancer: Balancer | null = null;
  // TODO(delivery log): from each server's tally
  const lastClients = (_nodeId: string): number | null => null;
  const stop = async () => {
    await balancer?.stop();
    await Promise.all(servers.map((s) => s.stop()));
  };
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
        controlUrl: controlOf(server.ready.url),
        balancer: null,
        lastClients,
        stop,
      };
    }
    const ids = Array.from({ length: o.nodes }, (_, i) => `node-${i + 1}`);
    const started = await Promise.allSettled(
      ids.map((id) => startServerProcess({ ...base, extraArgs: adapterArgs(o, id, key) })),
    );
    for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    balancer = await startBalancer(
      servers.map((s, i) => ({ name: ids[i]!, host: iso.serverHost, port: s.ready.port })),
      // Every client holds one connection to HAProxy and HAProxy one to a node.
      {
        dir: runDir,
        host: iso.serverHost,
        maxconn: (o.clients ?? 0) + o.probes + o.warmup + 1_000,
        prefix: iso.prefix('server'),
      },
    );
    return {
      servers,
      nodes: servers.map((s, i) => ({ nodeId: ids[i]!, pid: s.ready.pid })),
      target: libUrl(o.lib, balancer.host, balancer.port),
      controlUrl: controlOf(servers[0]!.ready.url),
      balancer,
      lastClients,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
