import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PreflightError } from '../errors';
import { OutputTail, exited, hasExited, stopChild, track } from './children';

/** How long a redis-server may take to accept connections (ms). */
const READY_TIMEOUT_MS = 5_000;

/**
 * bench's own `redis-server`, for fault runs that kill it: loopback only, on a private port,
 * no persistence (a restart comes back empty, as a crashed cache does), files in a temp dir.
 * It dies with bench: stopAllChildren stops it, and the kernel kills it if bench is killed
 * outright (setpriv --pdeathsig; redis-server cannot preload parent-watch).
 */
export class OwnRedis {
  private child: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | null {
    return this.child && !hasExited(this.child) ? (this.child.pid ?? null) : null;
  }

  /** Starts one on a free port. Throws PreflightError when redis-server cannot run here. */
  static async start(): Promise<OwnRedis> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-redis-'));
    const redis = new OwnRedis(await freePort(), dir);
    try {
      await redis.restart();
    } catch (err) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return redis;
  }

  /** A crash: SIGKILL, no shutdown, nothing saved. Resolves once it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || hasExited(child)) return;
    child.kill('SIGKILL');
    await exited(child);
  }

  /** Starts it (again) on its port; resolves once it accepts connections. */
  async restart(): Promise<void> {
    if (this.child && !hasExited(this.child)) return;
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    const child = track(
      spawn('setpriv', ['--pdeathsig', 'KILL', 'redis-server', ...args, '--dir', this.dir], {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      }),
    );
    this.child = child;
    const tail = new OutputTail();
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(
          new PreflightError(
            `bench's own redis-server did not start (${why}). Install redis-server, or leave out --adapter-crash.`,
          ),
        );
      };
      const timer = setTimeout(() => fail(`not ready within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
      child.once('error', (err) => fail(err.message));
      const died = () => fail(tail.lastLines(1) || 'it exited');
      child.once('exit', died);
      child.stdout!.on('data', (d: Buffer) => {
        tail.push(d);
        if (d.toString().includes('Ready to accept connections')) {
          clearTimeout(timer);
          child.removeListener('exit', died);
          resolve();
        }
      });
      child.stderr!.on('data', (d: Buffer) => tail.push(d));
    });
  }

  /** Stops it and removes its dir. */
  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child, 1_000);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A port free on 127.0.0.1 now (the kernel's pick), for a server that cannot take port 0. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
