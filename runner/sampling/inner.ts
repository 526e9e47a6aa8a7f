import { monitorEventLoopDelay, performance, PerformanceObserver, type EventLoopUtilization } from 'node:perf_hooks';
import { runInNewContext } from 'node:vm';
import * as v8 from 'node:v8';
import type { InnerSample } from '../result/measurements';

export type { InnerSample } from '../result/measurements';

/** The event-loop delay histogram's resolution (ms): twice Node's default, half the wakeups. */
const DELAY_RESOLUTION_MS = 20;

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Reads the heap, event loop and GC of this process from inside it, every `intervalMs`: what
 * /proc cannot see. Each sample covers the interval since the previous one (ELU, delay, GC).
 */
export class InnerSampler {
  private timer: NodeJS.Timeout | undefined;
  private elu: EventLoopUtilization = performance.eventLoopUtilization();
  private readonly delay = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  private gcMs = 0;
  private gcCount = 0;
  private readonly gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      this.gcMs += e.duration;
      this.gcCount += 1;
    }
  });
  /** time spent inside sample() (ms), to show the sampler's own cost */
  ownMs = 0;
  taken = 0;

  constructor(
    readonly intervalMs: number,
    private readonly emit: (s: InnerSample) => void,
  ) {}

  private due = 0;

  start(): this {
    this.delay.enable();
    this.gc.observe({ entryTypes: ['gc'] });
    this.due = performance.now() + this.intervalMs;
    this.timer = setInterval(() => {
      // reset() also forgets the histogram's last tick, so the tick after a sample records
      // nothing: a stall across the sample would be lost. Our own timer's lateness covers it.
      const now = performance.now();
      const late = Math.max(0, now - this.due);
      this.due = now + this.intervalMs;
      this.emit(this.sample(late));
    }, this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** @param lateMs how late the sampling timer fired (ms), one more delay observation */
  sample(lateMs = 0): InnerSample {
    const began = performance.now();
    const d = this.delay;
    // The histogram records whole intervals between its ticks (ns): lateness is what exceeds one.
    const n = d.count;
    const histMean = n > 0 ? Math.max(0, d.mean / 1e6 - DELAY_RESOLUTION_MS) : 0;
    const histMax = n > 0 ? Math.max(0, d.max / 1e6 - DELAY_RESOLUTION_MS) : 0;
    const m = process.memoryUsage();
    const elu = performance.eventLoopUtilization(this.elu);
    this.elu = performance.eventLoopUtilization();
    const s: InnerSample = {
      t: Date.now(),
      heapUsedBytes: m.heapUsed,
      heapTotalBytes: m.heapTotal,
      externalBytes: m.external,
      arrayBuffersBytes: m.arrayBuffers,
      elu: round(elu.utilization, 4),
      delayMeanMs: round((histMean * n + lateMs) / (n + 1), 2),
      delayMaxMs: round(Math.max(histMax, lateMs), 2),
      gcPauseMs: round(this.gcMs, 3),
      gcCount: this.gcCount,
    };
    this.delay.reset();
    this.gcMs = 0;
    this.gcCount = 0;
    this.ownMs += performance.now() - began;
    this.taken += 1;
    return s;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.delay.disable();
    this.gc.disconnect();
  }
}

/**
 * A full, synchronous GC, then heap used: as the Socket.IO team measures memory per client.
 * Exposes gc() at run time, so a process not started with --expose-gc can still do it.
 */
export function heapAfterForcedGc(): number {
  return memoryAfterForcedGc().heapUsed;
}

/** The same forced GC, then all of process.memoryUsage(): off-heap Buffers are in `external`. */
export function memoryAfterForcedGc(): NodeJS.MemoryUsage {
  let gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) {
    v8.setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  return process.memoryUsage();
}
