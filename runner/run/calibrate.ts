import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { CALIBRATION_VERSION, calibrationFile, type Calibration } from '../result/calibration';
import { collectEnv } from '../result/env';
import { PreflightError } from '../errors';
import { writeJsonAtomic } from '../result/write';
import { ensureDir, OutputPathError } from '../result/output-check';
import { startServerProcess } from '../topology/server-process';

const CPU_ROUNDS = 7;
const CONNECTIONS = 2_000;
const CONCURRENCY = 50;
const CONNECT_TIMEOUT_MS = 30_000;

/**
 * One round of the CPU workload: what a realtime server spends its time on, framed the same
 * way on every machine. 20,000 messages serialised and parsed as JSON, and 8 MiB hashed.
 */
function cpuRound(): number {
  let checksum = 0;
  for (let i = 0; i < 20_000; i++) {
    const text = JSON.stringify({ type: 'echo', id: i, t: 1_700_000_000_000 + i, payload: 'x'.repeat(32) });
    checksum += (JSON.parse(text) as { id: number }).id & 1;
  }
  const block = Buffer.alloc(1 << 20, 7);
  let digest = createHash('sha256');
  for (let i = 0; i < 8; i++) digest = digest.update(block);
  checksum += digest.digest()[0]!;
  return checksum;
}

export function measureCpu(rounds = CPU_ROUNDS): Calibration['cpu'] {
  cpuRound(); // warm-up: the JIT compiles the round
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    cpuRound();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const r2 = (n: number) => Math.round(n * 100) / 100;
  return {
    workload: 'JSON round trip of 20,000 echo messages + SHA-256 of 8 MiB',
    rounds,
    medianRoundMs: r2(times[Math.floor(times.length / 2)]!),
    fastestRoundMs: r2(times[0]!),
    roundsPerSecond: r2(1000 / times[0]!),
  };
}

/** Opens `total` ws connections, `concurrency` at a time, to a fresh `bench serve --lib ws`. */
export async function measureConnections(
  total = CONNECTIONS,
  concurrency = CONCURRENCY,
): Promise<Calibration['connections']> {
  const server = await startServerProcess({
    lib: 'ws',
    transport: 'websocket',
    deflate: false,
    pingIntervalMs: 25_000,
  });
  const open: WebSocket[] = [];
  let opened = 0;
  let started = 0;
  let elapsedMs = 0;
  const t0 = performance.now();
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const ws = new WebSocket(server.ready.url);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => ws.terminate(), CONNECT_TIMEOUT_MS);
      ws.once('open', () => {
        opened++;
        open.push(ws);
      });
      // A connection counts once the server's welcome arrives: the server has done its part.
      ws.once('message', done);
      ws.once('error', done);
      ws.once('close', done);
    });
  const worker = async () => {
    while (started < total) {
      started++;
      await one();
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    elapsedMs = performance.now() - t0;
    for (const ws of open) ws.terminate();
    await server.stop();
  }
  return { attempted: total, opened, concurrency, perSecond: Math.round((opened / elapsedMs) * 1000) };
}

/** Measures both parts and keeps the result where later runs on this machine find it. */
export async function calibrate(): Promise<{ calibration: Calibration; file: string }> {
  const { fingerprint } = collectEnv();
  const file = calibrationFile(fingerprint);
  // Checked before measuring, so the measurement is not lost to a folder it cannot be kept in.
  try {
    ensureDir(path.dirname(file));
  } catch (err) {
    if (!(err instanceof OutputPathError)) throw err;
    throw new PreflightError(
      `cannot keep the calibration in ${path.dirname(file)} (${err.message}). Set XDG_CACHE_HOME to a folder you can write.`,
    );
  }
  const cpu = measureCpu();
  const connections = await measureConnections();
  const calibration: Calibration = {
    version: CALIBRATION_VERSION,
    fingerprint,
    measuredAt: new Date().toISOString(),
    cpu,
    connections,
  };
  writeJsonAtomic(file, calibration);
  return { calibration, file };
}

export function formatCalibration(c: Calibration, file: string): string {
  return [
    `calibration (fingerprint ${c.fingerprint})`,
    `  cpu          ${c.cpu.roundsPerSecond} rounds/s (fastest ${c.cpu.fastestRoundMs} ms, median ${c.cpu.medianRoundMs} ms of ${c.cpu.rounds}; ${c.cpu.workload})`,
    `  connections  ${c.connections.perSecond}/s (${c.connections.opened} of ${c.connections.attempted} ws connections on loopback, ${c.connections.concurrency} at a time)`,
    `  saved        ${file}`,
    ...(c.cpu.medianRoundMs > 1.2 * c.cpu.fastestRoundMs
      ? [
          `  note         rounds varied: the median is ${Math.round((c.cpu.medianRoundMs / c.cpu.fastestRoundMs - 1) * 100)}% slower than the fastest; this machine's speed is not steady, so compare results from it with care`,
        ]
      : []),
  ].join('\n');
}
