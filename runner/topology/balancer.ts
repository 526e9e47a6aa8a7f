import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { OutputTail, spawnNode, stopChild } from './children';
import { PreflightError, RunError } from '../errors';
import { hasCommand } from './isolation/host';
import { packageRoot } from '../paths';

/** A backend the balancer spreads clients over. */
export interface Backend {
  name: string;
  host: string;
  port: number;
}

/** HAProxy in front of the nodes: sticky by cookie (long-polling needs it), round robin otherwise. */
export interface Balancer {
  child: ChildProcess;
  host: string;
  port: number;
  stop(): Promise<void>;
}

const SUPERVISE = path.join(packageRoot, 'dist', 'runner', 'topology', 'supervise.js');

/**
 * The HAProxy configuration: HTTP mode, so a cookie it inserts pins a long-polling session to
 * its node; websocket upgrades are tunnelled. A node that stops answering /healthz is taken out
 * within a second, so reconnecting clients land on the others.
 */
export function haproxyConfig(
  frontend: { host: string; port: number },
  backends: readonly Backend[],
  maxconn: number,
  /**
   * a URL query parameter to route on (room affinity, --amqp-topology prefix:N): requests with
   * the same value reach the same node (consistent hashing); those without it, round robin
   */
  urlParam: string | null = null,
): string {
  return [
    'global',
    `  maxconn ${maxconn}`,
    'defaults',
    '  mode http',
    '  option http-server-close',
    '  timeout connect 5s',
    // A node killed outright refuses connections until two health checks fail (about 1 s).
    // Without this, HAProxy retries the dead node three times, a second apart, before it
    // answers 503: reconnecting clients would wait that out. With it, each retry goes to
    // another node.
    '  retries 3',
    '  option redispatch 1',
    '  timeout client 1h',
    '  timeout server 1h',
    '  timeout tunnel 1h',
    'frontend bench',
    `  bind ${frontend.host}:${frontend.port}`,
    '  default_backend nodes',
    'backend nodes',
    ...(urlParam === null ? ['  balance roundrobin'] : [`  balance url_param ${urlParam}`, '  hash-type consistent']),
    '  cookie SERVERID insert indirect nocache',
    '  option httpchk GET /healthz',
    ...backends.map(
      (b) => `  server ${b.name} ${b.host}:${b.port} cookie ${b.name} check inter 500 fall 2 rise 1 maxconn ${maxconn}`,
    ),
    '',
  ].join('\n');
}

/** A free TCP port on `host`: bound by us, then released for HAProxy (which cannot bind port 0 and tell). */
export async function freePort(host: string): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, host, resolve);
  });
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

export function checkBalancer(): void {
  if (!hasCommand('haproxy')) {
    throw new PreflightError(
      'Several nodes need HAProxy as their load balancer, and it is not installed: apt-get install -y haproxy.',
    );
  }
}

/** Starts HAProxy and resolves once it accepts connections. */
export async function startBalancer(
  backends: readonly Backend[],
  o: { dir: string; host?: string; maxconn: number; prefix?: readonly string[]; urlParam?: string | null },
): Promise<Balancer> {
  checkBalancer();
  const host = o.host ?? '127.0.0.1';
  const port = await freePort(host);
  const cfg = path.join(o.dir, 'haproxy.cfg');
  fs.writeFileSync(cfg, haproxyConfig({ host, port }, backends, o.maxconn, o.urlParam ?? null));
  const child = spawnNode([SUPERVISE, 'haproxy', '-db', '-f', cfg], {}, undefined, o.prefix);
  const output = new OutputTail();
  child.stdout?.on('data', (d: Buffer) => output.push(d));
  child.stderr?.on('data', (d: Buffer) => output.push(d));
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, host, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (up) return { child, host, port, stop: () => stopChild(child, 5_000) };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stopChild(child);
  throw new RunError(`HAProxy did not start on ${host}:${port}: ${output.lastLines(5) || 'no output'}`);
}
