import type { ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';
import type { Lib, Transport } from 'artillery-engine-bench/protocol';
import { OutputTail, spawnNode, stopChild } from './children';
import { RunError } from './errors';
import { cliEntry } from './paths';

/** The line `bench serve` prints once it listens. */
export interface ReadyLine {
  event: 'ready';
  lib: Lib;
  port: number;
  pid: number;
  url: string;
  host?: string;
  deflate?: 'on' | 'off' | 'unsupported';
  transports?: Transport[];
  pingIntervalMs?: number;
  versions?: Record<string, string>;
  /** the metrics endpoint, when served (bench serve --metrics-token) */
  metrics?: string;
  /** what carries broadcasts between nodes, and this node's label */
  adapter?: string;
  nodeId?: string;
  /** a cluster primary's workers, which serve the clients */
  workers?: { pid: number; nodeId?: string }[];
}

export interface ServerProcessOptions {
  lib: Lib;
  transport: Transport;
  deflate: boolean;
  pingIntervalMs: number;
  /** give up waiting for the ready line after this long (ms) */
  startTimeoutMs?: number;
  /** address to bind (default 127.0.0.1) */
  host?: string;
  /** command prefix that places the server (see spawnNode) */
  prefix?: readonly string[];
  /** more `bench serve` flags (a node's adapter) */
  extraArgs?: readonly string[];
}

/** A `bench serve` child on port 0 (127.0.0.1 unless a profile places it elsewhere). */
export interface ServerProcess {
  child: ChildProcess;
  ready: ReadyLine;
  stderr: OutputTail;
  stop(): Promise<void>;
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

export async function startServerProcess(o: ServerProcessOptions): Promise<ServerProcess> {
  const args = [cliEntry, 'serve', '--lib', o.lib, '--port', '0', '--host', o.host ?? '127.0.0.1'];
  args.push('--ping-interval', String(o.pingIntervalMs));
  if (o.lib === 'socketio') args.push('--transport', o.transport);
  if (o.deflate) args.push('--deflate');
  args.push(...(o.extraArgs ?? []));
  const child = spawnNode(args, {}, undefined, o.prefix);
  const stderr = new OutputTail();
  child.stderr?.on('data', (d: Buffer) => stderr.push(d));
  const timeoutMs = o.startTimeoutMs ?? 20_000;

  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
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
  return { child, ready, stderr, stop: () => stopChild(child, 10_000) };
}
