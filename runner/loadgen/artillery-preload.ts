/**
 * Preloaded (`node --require`) into the Artillery process bench starts.
 *
 * Artillery 2 sends a telemetry event to PostHog at the end of every run even when
 * ARTILLERY_DISABLE_TELEMETRY is set (it only strips the payload). A benchmark must not
 * reach out of the machine, and on an offline machine the failed DNS lookup holds the
 * process open for about 10 s per run. So the PostHog client is replaced with one that sends
 * nothing, before Artillery loads it.
 *
 * It also swaps `nanotimer`, the timer of Artillery's arrival scheduler, for CoarseTimer: the
 * original spins a whole core during every ramp (see coarse-timer.ts).
 *
 * Node runs preloads in every worker thread too, so each thread's module cache gets both.
 *
 * Test hook: `BENCH_TEST_ARTILLERY_WORKERS=N` makes Artillery start N worker threads (it starts
 * one per core but one), so a 2-core machine can show what a user script's arrivalRate phases
 * do across threads.
 */
import os = require('node:os');
import * as path from 'node:path';
import Module = require('node:module');
import '../topology/parent-watch';
import { CoarseTimer } from './coarse-timer';

class SilentPostHog {
  capture(): void {}
  shutdown(): void {}
  async shutdownAsync(): Promise<void> {}
}

/** Makes `require(name)`, as `fromPackage` would resolve it, return `exports`. */
function replaceModule(name: string, fromPackage: string, exports: unknown): void {
  try {
    const fromDir = path.dirname(require.resolve(`${fromPackage}/package.json`));
    const file = require.resolve(name, { paths: [fromDir] });
    const stub = new Module(file);
    stub.filename = file;
    stub.loaded = true;
    stub.exports = exports;
    require.cache[file] = stub;
  } catch {
    // Not installed there: nothing to replace.
  }
}

replaceModule('posthog-node', 'artillery', { PostHog: SilentPostHog });
replaceModule('nanotimer', 'arrivals', CoarseTimer);

export const WORKERS_ENV = 'BENCH_TEST_ARTILLERY_WORKERS';
const workers = Number(process.env[WORKERS_ENV]);
if (Number.isInteger(workers) && workers >= 1 && workers <= 16) {
  const cpus = os.cpus;
  // Artillery's local platform reads only the length: one worker per entry but one.
  (os as { cpus: typeof os.cpus }).cpus = () => {
    const real = cpus();
    return Array.from({ length: workers + 1 }, (_, i) => real[i % real.length]!);
  };
}
