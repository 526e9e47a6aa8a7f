import cluster, { type Worker } from 'node:cluster';
import { EventEmitter } from 'node:events';
import type { RequestListener, Server as HttpServer } from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { setupPrimary } from '@socket.io/cluster-adapter';
import { setupMaster } from '@socket.io/sticky';
import { CONTROL_BROADCAST_PATH } from 'artillery-engine-bench/protocol';
import { PARENT_PID_ENV } from '../types';
import { CONTROL_STATS_PATH, HEALTHZ_PATH, HttpHost } from '../http';
import type {
  AdapterOptions,
  BenchServer,
  BroadcastResult,
  NodeStats,
  ServerDescription,
  ServerOptions,
  WorkerDescription,
} from '../types';
import { DEFAULT_NODE_ID } from '../types';
import { ServerStartError } from './errors';
import { isBenchMessage, WORKER_OPTIONS_ENV, type FromWorker, type ToWorker } from './cluster-ipc';

const WORKER_ENTRY = path.join(__dirname, 'cluster-worker.js');
/** How long the workers may take to start listening (ms). */
const WORKER_START_TIMEOUT_MS = 15_000;
/** How long the workers may take to find each other through the adapter before serving (ms). */
const SYNC_TIMEOUT_MS = 5_000;
/** How long a worker may take to answer a request; its adapter gives up on others after 5 s (ms). */
const REQUEST_TIMEOUT_MS = 10_000;
/** How long a stopping worker may take before SIGKILL; within bench serve's own grace (ms). */
const WORKER_GRACE_MS = 1_500;

type ClusterOptions = ServerOptions & { adapter: Extract<AdapterOptions, { kind: 'cluster' }> };

/**
 * A Socket.IO cluster's primary: it owns the port and serves no Socket.IO itself.
 *
 * - Socket.IO connections go to `workers` processes (`cluster-worker.ts`) through
 *   @socket.io/sticky, sticky by session id, so long-polling works; the workers share
 *   broadcasts through @socket.io/cluster-adapter, relayed here.
 * - The control routes (`/control/broadcast`, `/control/stats`, `/healthz`, and any `route()`)
 *   are served here: this process numbers the broadcasts and asks one worker to emit each, so
 *   seq stays one counter however the workers share the load. Its stats sum the workers'
 *   clients, and their rooms' members and writes.
 * - Workers never outlive it: they exit when its IPC channel closes, and `close()` stops them.
 * - With `logDeliveries`, each worker logs its own deliveries (node id `<nodeId>.w<n>`) to this
 *   process's stdout; the primary delivers nothing.
 */
export class ClusterPrimary implements BenchServer {
  readonly lib = 'socketio' as const;
  private readonly nodeId: string;
  private readonly control: HttpHost;
  private readonly controlPaths = new Set([CONTROL_BROADCAST_PATH, CONTROL_STATS_PATH, HEALTHZ_PATH]);
  /** what sticky listens to: the connections that are not ours */
  private readonly sticky = new EventEmitter();
  private readonly front: net.Server;
  private readonly frontSockets = new Set<net.Socket>();
  private readonly workers: { worker: Worker; nodeId: string }[] = [];
  private readonly requests = new Map<number, (result: BroadcastResult | NodeStats) => void>();
  private nextRequestId = 0;
  private seq = 0;
  /** clients as of the last stats, for `clientCount()` */
  private lastClients = 0;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ClusterOptions) {
    if (!cluster.isPrimary) throw new TypeError('a cluster primary cannot start inside a cluster worker');
    this.nodeId = options.nodeId ?? DEFAULT_NODE_ID;
    this.control = new HttpHost({ publish: () => this.publish(), stats: () => this.stats() });
    this.front = net.createServer((socket) => this.onConnection(socket));
  }

  async listen(): Promise<ServerDescription> {
    // setupMaster only listens for `connection` on what it is given.
    setupMaster(this.sticky as unknown as HttpServer, { loadBalancingMethod: 'least-connection' });
    setupPrimary();
    // Our stdout carries the ready line, and with the delivery log the workers' delivery lines,
    // which they write to it themselves: whole, since pipe writes under 4096 bytes are atomic.
    // Without it, what they print goes to our stderr.
    const stdout = this.options.logDeliveries ? 'inherit' : 'pipe';
    // advanced: sticky passes each connection's first bytes as a Buffer
    cluster.setupPrimary({
      exec: WORKER_ENTRY,
      args: [],
      serialization: 'advanced',
      stdio: ['ignore', stdout, 'pipe', 'ipc'],
    });
    cluster.on('message', (_worker, m: unknown) => this.onMessage(m));
    const port = await new Promise<number>((resolve, reject) => {
      this.front.once('error', reject);
      this.front.listen(this.options.port, this.options.host, () => {
        this.front.off('error', reject);
        resolve((this.front.address() as net.AddressInfo).port);
      });
    });
    try {
      const described = await Promise.all(
        Array.from({ length: this.options.adapter.workers }, (_, i) => this.fork(port, i + 1)),
      );
      await this.synced();
      const first = described[0]!;
      return {
        ...first,
        port,
        nodeId: this.nodeId,
        workers: this.workers.map((w): WorkerDescription => ({ pid: w.worker.process.pid!, nodeId: w.nodeId })),
      };
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** Starts worker `index`; resolves with its description once it is ready. */
  private fork(port: number, index: number): Promise<ServerDescription> {
    const nodeId = `${this.nodeId}.w${index}`;
    const workerOptions: ServerOptions = { ...this.options, port, nodeId };
    const worker = cluster.fork({
      [WORKER_OPTIONS_ENV]: JSON.stringify(workerOptions),
      // parent-watch, when bench preloaded it into us, then watches this process instead
      [PARENT_PID_ENV]: String(process.pid),
    });
    this.workers.push({ worker, nodeId });
    worker.process.stdout?.pipe(process.stderr, { end: false });
    worker.process.stderr?.pipe(process.stderr, { end: false });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => fail(`did not start within ${WORKER_START_TIMEOUT_MS / 1000} s`),
        WORKER_START_TIMEOUT_MS,
      );
      const fail = (why: string) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        reject(new ServerStartError(`cluster worker ${nodeId} ${why}`));
      };
      const onMessage = (m: unknown) => {
        if (!isBenchMessage<FromWorker>(m)) return;
        if (m.bench === 'failed') fail(`failed: ${m.message}`);
        if (m.bench !== 'ready') return;
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        worker.on('exit', (code, signal) => {
          if (this.closing === undefined) {
            process.stderr.write(`bench serve: cluster worker ${nodeId} exited (${signal ?? `code ${code}`})\n`);
          }
        });
        resolve(m.description);
      };
      const onExit = (code: number | null, signal: string | null) => fail(`exited (${signal ?? `code ${code}`})`);
      worker.on('message', onMessage);
      worker.once('exit', onExit);
    });
  }

  /** Waits until every worker's adapter knows all the others, so the first count is complete. */
  private async synced(): Promise<void> {
    const end = Date.now() + SYNC_TIMEOUT_MS;
    for (;;) {
      const stats = await this.stats();
      const all = this.workers.length;
      if (stats.workers?.every((w) => w.servers === all)) return;
      if (Date.now() > end) {
        process.stderr.write(
          `bench serve: cluster workers did not all find each other within ${SYNC_TIMEOUT_MS / 1000} s\n`,
        );
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private onConnection(socket: net.Socket): void {
    this.frontSockets.add(socket);
    socket.once('close', () => this.frontSockets.delete(socket));
    // Unhandled, a client's reset before the hand-over would crash the primary.
    socket.on('error', () => {});
    socket.once('data', (chunk: Buffer) => {
      // Within this callback no later bytes can arrive: the new owner gets the first ones back.
      const owner = this.controlPaths.has(requestPath(chunk)) ? this.control.server : this.sticky;
      const handle = handleOf(socket);
      owner.emit('connection', socket);
      socket.unshift(chunk);
      // Sticky may have sent the connection to a worker just now. Node closes our copy of it
      // only when the worker acknowledges, keeps reading until then, and drops what it reads: a
      // client quick to answer the worker (Socket.IO's CONNECT right after the websocket
      // handshake) lost those bytes and hung, 18 of 600 here, until we stopped reading.
      if (handleOf(socket) === null) handle?.readStop();
    });
  }

  private onMessage(m: unknown): void {
    if (!isBenchMessage<FromWorker>(m) || m.bench !== 'reply') return;
    this.requests.get(m.id)?.(m.result);
  }

  private request<T extends BroadcastResult | NodeStats>(
    worker: Worker,
    m: DistributiveOmit<ToWorker, 'id'>,
  ): Promise<T> {
    const id = ++this.nextRequestId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.requests.delete(id);
        reject(new Error(`a cluster worker did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`));
      }, REQUEST_TIMEOUT_MS);
      this.requests.set(id, (result) => {
        clearTimeout(timer);
        this.requests.delete(id);
        resolve(result as T);
      });
      worker.send({ ...m, id } as ToWorker);
    });
  }

  private live(): { worker: Worker; nodeId: string }[] {
    return this.workers.filter((w) => !w.worker.isDead() && w.worker.isConnected());
  }

  broadcast() {
    // The primary has no clients of its own.
    return { seq: ++this.seq, clients: 0 };
  }

  async publish(): Promise<BroadcastResult> {
    const seq = ++this.seq;
    const publisher = this.live()[0];
    if (publisher === undefined) throw new Error('no cluster worker is running');
    return this.request<BroadcastResult>(publisher.worker, { bench: 'publish', seq });
  }

  async stats(): Promise<NodeStats> {
    const replies = await Promise.all(
      this.live().map((w) => this.request<NodeStats>(w.worker, { bench: 'stats' }).catch(() => null)),
    );
    const workers = replies.filter((r): r is NodeStats => r !== null);
    this.lastClients = workers.reduce((sum, w) => sum + w.clients, 0);
    const rooms = sumRooms(workers);
    return {
      nodeId: this.nodeId,
      pid: process.pid,
      clients: this.lastClients,
      servers: workers.length,
      workers,
      ...(rooms && { rooms }),
      ...sumTransports(workers),
    };
  }

  clientCount(): number {
    return this.lastClients;
  }

  route(path: string, handler: RequestListener): void {
    this.controlPaths.add(path);
    this.control.route(path, handler);
  }

  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    this.front.close();
    for (const socket of this.frontSockets) socket.destroy();
    await Promise.all([this.control.close(), ...this.workers.map((w) => stopWorker(w.worker))]);
  }
}

/** The workers' clients by transport, summed; nothing when no worker said. */
function sumTransports(workers: NodeStats[]): Pick<NodeStats, 'transports'> {
  if (!workers.some((w) => w.transports)) return {};
  const transports: Record<string, number> = {};
  for (const w of workers)
    for (const [name, n] of Object.entries(w.transports ?? {})) transports[name] = (transports[name] ?? 0) + n;
  return { transports };
}

/** The workers' rooms as one node's: members per room and writes summed; undefined while none has any. */
function sumRooms(workers: NodeStats[]): NodeStats['rooms'] {
  let sum: NodeStats['rooms'];
  for (const { rooms } of workers) {
    if (rooms === undefined) continue;
    sum ??= { members: {}, writes: 0 };
    sum.writes += rooms.writes;
    for (const [room, n] of Object.entries(rooms.members)) sum.members[room] = (sum.members[room] ?? 0) + n;
  }
  return sum;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A socket's libuv handle (node's own field); null once it was sent to another process. */
function handleOf(socket: net.Socket): { readStop(): number } | null {
  return (socket as unknown as { _handle: { readStop(): number } | null })._handle;
}

/** The path of the HTTP request that starts `chunk` ("" when it is not one). */
function requestPath(chunk: Buffer): string {
  const line = chunk.toString('latin1', 0, Math.min(chunk.length, 2_048)).split('\r\n', 1)[0]!;
  const target = line.split(' ')[1] ?? '';
  return target.split('?')[0]!;
}

/** SIGTERM, then SIGKILL after WORKER_GRACE_MS; resolves once it is gone. */
function stopWorker(worker: Worker): Promise<void> {
  if (worker.isDead()) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => worker.process.kill('SIGKILL'), WORKER_GRACE_MS);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    worker.process.kill('SIGTERM');
  });
}
