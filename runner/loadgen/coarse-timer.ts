/**
 * A stand-in for `nanotimer`, which Artillery's arrival scheduler (the `arrivals` package) uses.
 *
 * nanotimer reaches sub-millisecond precision by spinning on setImmediate for the last 25 ms of
 * every interval, so during any ramp faster than 40 arrivals/s Artillery burns a whole core
 * doing nothing (measured here: 100% of a core at 100 arrivals/s). On a 2-core machine that core
 * is taken from the server under test. This timer sleeps with setTimeout instead and fires every
 * arrival that has come due, so the count of arrivals by any moment stays exact; arrivals that
 * fall inside the same millisecond are released together.
 *
 * Each arrival carries the time it was due (start + k × period) to the scenario it starts
 * (setArrivalDue), so the engine times it from the schedule: when this timer fires late, the
 * wait counts in the latency instead of vanishing (coordinated omission).
 */
import { setArrivalDue } from 'artillery-engine-bench/protocol';

const NS_PER_UNIT: Record<string, number> = { s: 1e9, m: 1e6, u: 1e3, n: 1 };

/** nanotimer's interval strings: '2000u', '5m', '1s', '100n'. */
export function parseIntervalMs(spec: string | number): number {
  if (typeof spec === 'number') return spec;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smun])\s*$/.exec(spec);
  if (!m) throw new TypeError(`coarse-timer: cannot read interval "${spec}"`);
  return (Number(m[1]) * NS_PER_UNIT[m[2]!]!) / 1e6;
}

type Task = (...args: unknown[]) => void;

function call(task: Task, args: unknown): void {
  if (Array.isArray(args)) task(...args);
  else if (args === undefined || args === '') task();
  else task(args);
}

export class CoarseTimer {
  private intervalRef: NodeJS.Timeout | null = null;
  private timeoutRef: NodeJS.Timeout | null = null;
  private intervalActive = false;

  setInterval(task: Task, args: unknown, interval: string | number, callback?: () => void): void {
    const periodMs = Math.max(parseIntervalMs(interval), 0.001);
    const start = performance.now();
    let fired = 0;
    this.intervalActive = true;
    const tick = () => {
      this.intervalRef = null;
      const due = Math.floor((performance.now() - start) / periodMs);
      while (fired < due && this.intervalActive) {
        fired++;
        setArrivalDue(start + fired * periodMs);
        try {
          call(task, args);
        } finally {
          setArrivalDue(undefined);
        }
      }
      if (!this.intervalActive) return;
      const nextInMs = start + (fired + 1) * periodMs - performance.now();
      this.intervalRef = setTimeout(tick, Math.max(1, nextInMs));
    };
    this.intervalRef = setTimeout(tick, Math.max(1, periodMs));
    void callback;
  }

  clearInterval(): void {
    this.intervalActive = false;
    if (this.intervalRef) clearTimeout(this.intervalRef);
    this.intervalRef = null;
  }

  setTimeout(task: Task, args: unknown, delay: string | number, callback?: (info: { waitTime: number }) => void): void {
    const startedAt = performance.now();
    const delayMs = parseIntervalMs(delay);
    this.timeoutRef = setTimeout(() => {
      this.timeoutRef = null;
      // Poisson arrivals: the next one is scheduled from the moment this timer was set.
      setArrivalDue(startedAt + delayMs);
      try {
        call(task, args);
      } finally {
        setArrivalDue(undefined);
      }
      callback?.({ waitTime: (performance.now() - startedAt) * 1e6 });
    }, delayMs);
  }

  clearTimeout(): void {
    if (this.timeoutRef) clearTimeout(this.timeoutRef);
    this.timeoutRef = null;
  }
}
