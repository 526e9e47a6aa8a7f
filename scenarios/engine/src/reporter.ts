import * as fs from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import type { Recorder } from './metrics';
import { epochMs, type EngineEvent, type LoopDelay } from './protocol';

export const PROGRESS_EVERY_MS = 1000;
export const SNAPSHOT_EVERY_MS = 5000;

const RESOLUTION_MS = 10;

function loopDelay(h: IntervalHistogram): LoopDelay {
  if (h.count === 0) return { p50: 0, p99: 0, max: 0, mean: 0 };
  // Node records the whole timer period, resolution included; only the excess is delay.
  const ms = (ns: number) => Math.max(0, Math.round(ns / 1e3 - RESOLUTION_MS * 1e3) / 1e3);
  return {
    p50: ms(h.percentile(50)),
    p99: ms(h.percentile(99)),
    max: ms(h.max),
    mean: ms(h.mean),
  };
}

/**
 * The engine → runner channel: NDJSON lines appended to
 * `<dir>/engine-<pid>-<threadId>.ndjson`. Appends are synchronous so the `final` line is on disk
 * before Artillery exits the worker right after `done`.
 */
export class Reporter {
  readonly file: string;
  private readonly recentDelay = monitorEventLoopDelay({
    resolution: RESOLUTION_MS,
  });
  private readonly totalDelay = monitorEventLoopDelay({
    resolution: RESOLUTION_MS,
  });
  private readonly timers: NodeJS.Timeout[] = [];
  private broken = false;

  constructor(
    dir: string,
    private readonly recorder: Recorder,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, `engine-${process.pid}-${threadId}.ndjson`);
  }

  write(event: EngineEvent): void {
    if (this.broken) return;
    try {
      fs.appendFileSync(this.file, JSON.stringify(event) + '\n');
    } catch (err) {
      // One warning, not one per line: the run goes on, the runner sees the file stop growing.
      this.broken = true;
      console.error(`bench engine: cannot write ${this.file}: ${(err as Error).message}`);
    }
  }

  start(): void {
    this.recentDelay.enable();
    this.totalDelay.enable();
    const every = (ms: number, fn: () => void) => this.timers.push(setInterval(fn, ms).unref());
    every(PROGRESS_EVERY_MS, () => {
      this.write({
        event: 'progress',
        t: epochMs(),
        counts: this.recorder.counts,
        loopDelayMs: loopDelay(this.recentDelay),
        rssBytes: process.memoryUsage.rss(),
        heapUsedBytes: process.memoryUsage().heapUsed,
      });
      this.recentDelay.reset();
    });
    every(SNAPSHOT_EVERY_MS, () => this.writeHistograms('snapshot'));
  }

  /** Writes the `final` line and stops every timer and monitor. */
  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    this.writeHistograms('final');
    this.recentDelay.disable();
    this.totalDelay.disable();
  }

  /** A snapshot a reader can tie to a phase: `bench limit` reads each step's numbers from these. */
  snapshotAfter(phaseIndex: number): void {
    this.writeHistograms('snapshot', phaseIndex);
  }

  private writeHistograms(event: 'snapshot' | 'final', afterPhase?: number): void {
    this.write({
      event,
      t: epochMs(),
      counts: this.recorder.counts,
      loopDelayMs: loopDelay(this.totalDelay),
      histograms: this.recorder.encode(),
      ...this.recorder.encodeByNode(),
      ...this.recorder.encodeRooms(),
      ...this.recorder.encodeCohorts(),
      ...(afterPhase !== undefined && { afterPhase }),
    });
  }
}
