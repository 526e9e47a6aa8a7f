import type { ChildProcess } from 'node:child_process';
import type { ServerTestSwitches } from '../config/test-switches';
import * as readline from 'node:readline';
import type { Lib, Transport } from 'artillery-engine-bench/protocol';
import type { DeliveryLine, SioTuning } from '../../servers/types';
import { hasExited, OutputTail, spawnNode, stopChild } from './children';
import { RunError } from '../errors';
import { cliEntry } from '../paths';
import type { AfterGcSample, InnerLine, InnerSample, ReadyLine } from '../result/measurements';

/** How long stdout may stay open once the server exited (a cluster's workers share it), before we stop reading (ms). */
const DRAIN_TIMEOUT_MS = 5_000;

export type { ReadyLine } from '../result/measurements';

export interface ServerProcessOptions {
  lib: Lib;
  transport: Transport;
  deflate: boolean;
  pingIntervalMs: number;
  /** give up waiting for the ready line after this long (ms) */
  startTimeoutMs?: number;
  /** address to bind (default 127.0.0.1) */
  host?: string;
  /** TCP port (default 0: a free one); a restarted node takes the port it had */
  port?: number;
  /** its broadcasts count on from this seq (a restarted publisher); default 0 */
  firstSeq?: number;
  /** command prefix that places the server (see spawnNode) */
  prefix?: readonly string[];
  /** Socket.IO: its tuning options */
  sio?: SioTuning;
  /** more environment for the server process (`--ws-native off`) */
  env?: NodeJS.ProcessEnv;
  /** more `bench serve` flags (a node's adapter) */
  extraArgs?: readonly string[];
  /** where to count its delivery lines, e.g. one tally for every node of a run; default its own */
  deliveries?: DeliveryTally;
  /** ask it for inner samples (heap, event loop, GC) this often (ms); 0 or absent: none */
  innerSampleIntervalMs?: number;
  /** injected regressions (tests); absent or 0: none */
  serverTest?: ServerTestSwitches;
}

/** One node's broadcast deliveries, from its delivery lines. */
export interface NodeDeliveries {
  /** broadcasts it delivered */
  broadcasts: number;
  /** clients it wrote them to, summed over the broadcasts: its deliveries */
  clients: number;
  /** clients it wrote its latest broadcast to */
  lastClients: number;
  pid: number;
}

/**
 * Deliveries the server nodes logged (`bench serve --log-deliveries`), late ones included: the
 * exact count of broadcast messages they wrote to clients, whatever the publisher's answer said.
 */
export class DeliveryTally {
  /** node id (a cluster worker's own) → its deliveries */
  readonly byNode = new Map<string, NodeDeliveries>();
  private readonly seqs = new Set<number>();

  add(line: DeliveryLine): void {
    this.seqs.add(line.seq);
    const node = this.byNode.get(line.node);
    if (node === undefined) {
      this.byNode.set(line.node, { broadcasts: 1, clients: line.clients, lastClients: line.clients, pid: line.pid });
      return;
    }
    node.broadcasts += 1;
    node.clients += line.clients;
    node.lastClients = line.clients;
    node.pid = line.pid;
  }

  /** The highest seq any node delivered; 0 for none. */
  maxSeq(): number {
    let max = 0;
    for (const seq of this.seqs) if (seq > max) max = seq;
    return max;
  }

  /** `broadcasts`: distinct seqs any node delivered; `clients`: every node's deliveries, summed. */
  total(): { broadcasts: number; clients: number } {
    let clients = 0;
    for (const node of this.byNode.values()) clients += node.clients;
    return { broadcasts: this.seqs.size, clients };
  }
}

/** A `bench serve` child, on port 0 unless told (127.0.0.1 unless a profile places it elsewhere). */
export interface ServerProcess {
  child: ChildProcess;
  ready: ReadyLine;
  stderr: OutputTail;
  /** its delivery lines so far: complete once `drained` (or `stop()`) resolved */
  deliveries: DeliveryTally;
  /** its inner samples so far (--inner-sample-interval) */
  inner: InnerSample[];
  /** heap used after each forced GC (`forceGc()`), in order */
  heapAfterGc: number[];
  /** the same forced GCs' whole answers: heap, external memory and RSS after each */
  afterGc: AfterGcSample[];
  /** Asks it for a forced GC (SIGUSR2); the answer lands in `heapAfterGc`. False when it cannot be asked. */
  forceGc(): boolean;
  /**
   * Resolves once its stdout closed: it and whatever shares its stdout (a cluster's workers)
   * have exited, and every line they wrote is in `deliveries`. Exit alone comes earlier.
   */
  drained: Promise<void>;
  /** Stops it; resolves once it exited and its stdout is drained (bounded). */
  stop(): Promise<void>;
  /** the clients it said it was closing as it began to stop (SIGTERM); null before, or if it did not say */
  readonly stoppingClients: number | null;
  /** true once `expectExit()` said this process is meant to die (a fault the run injects) */
  readonly exitExpected: boolean;
  expectExit(): void;
}

export function parseReadyLine(line: string): ReadyLine | null {
  try {
    const obj = JSON.parse(line) as Partial<ReadyLine>;
    if (obj.event === 'ready' && typeof obj.port === 'number' && typeof obj.url === 'string') return obj as ReadyLine;
  } catch {
    // not JSON: not the ready line
  }
  return null;
}

export function parseDeliveryLine(line: string): DeliveryLine | null {
  try {
    const obj = JSON.parse(line) as Partial<DeliveryLine>;
    if (
      obj.event === 'delivery' &&
      typeof obj.node === 'string' &&
      typeof obj.seq === 'number' &&
      typeof obj.clients === 'number'
    ) {
      return obj as DeliveryLine;
    }
  } catch {
    // not JSON: not a delivery line
  }
  return null;
}

export function parseInnerLine(line: string): InnerLine | null {
  if (!line.startsWith('{"event":"inner"') && !line.startsWith('{"event":"heap-after-gc"')) return null;
  try {
    const obj = JSON.parse(line) as InnerLine;
    return typeof obj.heapUsedBytes === 'number' && typeof obj.t === 'number' ? obj : null;
  } catch {
    return null;
  }
}

const innerSample = (l: InnerLine & { event: 'inner' }): InnerSample => ({
  t: l.t,
  heapUsedBytes: l.heapUsedBytes,
  heapTotalBytes: l.heapTotalBytes,
  externalBytes: l.externalBytes,
  arrayBuffersBytes: l.arrayBuffersBytes,
  elu: l.elu,
  delayMeanMs: l.delayMeanMs,
  delayMaxMs: l.delayMaxMs,
  gcPauseMs: l.gcPauseMs,
  gcCount: l.gcCount,
});

export async function startServerProcess(o: ServerProcessOptions): Promise<ServerProcess> {
  const args = [cliEntry, 'serve', '--lib', o.lib, '--port', String(o.port ?? 0), '--host', o.host ?? '127.0.0.1'];
  if (o.firstSeq) args.push('--first-seq', String(o.firstSeq));
  args.push('--ping-interval', String(o.pingIntervalMs), '--log-deliveries');
  if (o.lib === 'socketio') args.push('--transport', o.transport);
  if (o.deflate) args.push('--deflate');
  if (o.innerSampleIntervalMs) args.push('--inner-sample-interval', String(o.innerSampleIntervalMs));
  if (o.lib === 'socketio' && o.sio) args.push(...sioArgs(o.sio));
  if (o.serverTest?.echoDelayMs) args.push('--echo-delay', String(o.serverTest.echoDelayMs));
  if (o.serverTest?.retainPerConnectionBytes) {
    args.push('--retain-per-connection', String(o.serverTest.retainPerConnectionBytes));
  }
  args.push(...(o.extraArgs ?? []));
  const child = spawnNode(args, { env: { ...process.env, ...o.env } }, undefined, o.prefix);
  const stderr = new OutputTail();
  child.stderr?.on('data', (d: Buffer) => stderr.push(d));
  const timeoutMs = o.startTimeoutMs ?? 20_000;
  const deliveries = o.deliveries ?? new DeliveryTally();
  const stdout = child.stdout!;
  // 'close' follows 'end', by when readline has passed on every complete line.
  const drained = new Promise<void>((resolve) => stdout.once('close', () => resolve()));
  const lines = readline.createInterface({ input: stdout });
  const inner: InnerSample[] = [];
  const heapAfterGc: number[] = [];
  const afterGc: AfterGcSample[] = [];
  let stoppingClients: number | null = null;
  lines.on('line', (line) => {
    const d = parseDeliveryLine(line);
    if (d) return deliveries.add(d);
    if (line.startsWith('{"event":"stopping"')) {
      const clients = (JSON.parse(line) as { clients?: unknown }).clients;
      stoppingClients = typeof clients === 'number' ? clients : null;
      return;
    }
    const i = parseInnerLine(line);
    if (i?.event === 'inner') inner.push(innerSample(i));
    else if (i) {
      heapAfterGc.push(i.heapUsedBytes);
      const sample: AfterGcSample & { event?: string; pid?: number } = { ...i };
      delete sample.event;
      delete sample.pid;
      afterGc.push(sample);
    }
  });

  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      lines.close();
      void stopChild(child);
      const tail = stderr.lastLines(5);
      reject(new RunError(`The ${o.lib} server did not start: ${why}${tail ? `\n${tail}` : ''}`));
    };
    const timer = setTimeout(() => fail(`no ready line within ${timeoutMs / 1000} s`), timeoutMs);
    lines.on('line', (line) => {
      const r = parseReadyLine(line);
      if (r) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(r);
      }
    });
    const onExit = (code: number | null, signal: string | null) => fail(`it exited (${signal ?? `code ${code}`})`);
    child.once('exit', onExit);
  });
  // bench serve closes within its own grace (CLOSE_GRACE_MS); SIGKILL only if it hangs past that.
  return {
    child,
    ready,
    stderr,
    deliveries,
    inner,
    heapAfterGc,
    afterGc,
    // ready.pid, not the child: a profile's prefix (ip netns exec, taskset) may stand between.
    forceGc: () => {
      if (!o.innerSampleIntervalMs || hasExited(child)) return false;
      try {
        process.kill(ready.pid, 'SIGUSR2');
        return true;
      } catch {
        return false;
      }
    },
    drained,
    get stoppingClients() {
      return stoppingClients;
    },
    stop: async () => {
      await stopChild(child, 10_000);
      const timer = setTimeout(() => stdout.destroy(), DRAIN_TIMEOUT_MS);
      await drained;
      clearTimeout(timer);
    },
    exitExpected: false,
    expectExit() {
      (this as { exitExpected: boolean }).exitExpected = true;
    },
  };
}

/** The `bench serve` flags of the options that differ from the defaults. */
function sioArgs(sio: SioTuning): string[] {
  const args = ['--sio-parser', sio.parser];
  if (sio.discardRequest) args.push('--sio-discard-request');
  if (sio.wsEngine !== null) args.push('--sio-ws-engine', sio.wsEngine);
  if (typeof sio.recoveryMs === 'number') args.push('--sio-recovery', String(sio.recoveryMs));
  return args;
}
