import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';

/** One reading of a process, taken from outside it. */
export interface ProcSample {
  /** ms since epoch */
  t: number;
  /** resident set (bytes), VmRSS from /proc/<pid>/status */
  rssBytes: number;
  /** CPU used since the previous sample (% of one core); 0 for the first */
  cpuPercent: number;
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** VmRSS of a process (bytes), or null when it is gone. */
export function readRssBytes(pid: number): number | null {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)\s+kB/m);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** User plus system CPU time of a process (seconds), or null when it is gone. */
export function readCpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parens; the fields after its last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return null;
  }
}

/** Samples one process's RSS and CPU at a fixed interval until stopped or the process is gone. */
export class ProcSampler {
  readonly samples: ProcSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private last: { t: number; cpuSeconds: number } | undefined;

  /**
   * @param pid process to watch
   * @param intervalMs sampling interval (ms)
   */
  constructor(
    readonly pid: number,
    readonly intervalMs: number,
    /** oldest samples are dropped beyond this many */
    readonly maxSamples = Infinity,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Takes one sample now; returns it, or null when the process is gone. */
  sample(): ProcSample | null {
    const t = Date.now();
    const rssBytes = readRssBytes(this.pid);
    const cpuSeconds = readCpuSeconds(this.pid);
    if (rssBytes === null || cpuSeconds === null) return null;
    const cpuPercent =
      this.last && t > this.last.t ? ((cpuSeconds - this.last.cpuSeconds) / ((t - this.last.t) / 1000)) * 100 : 0;
    this.last = { t, cpuSeconds };
    const s: ProcSample = { t, rssBytes, cpuPercent: Math.max(0, cpuPercent) };
    this.samples.push(s);
    if (this.samples.length > this.maxSamples) this.samples.splice(0, this.samples.length - this.maxSamples);
    return s;
  }

  stop(): ProcSample[] {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return this.samples;
  }
}
