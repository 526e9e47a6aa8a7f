import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { ProcSample } from '../result/measurements';

export type { ProcSample } from '../result/measurements';

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

/**
 * Samples the RSS and CPU of one process, or the sum over several (the nodes of one service), at
 * a fixed interval until stopped. A process that is gone counts as nothing; the sampler stops
 * recording once all are gone.
 */
export class ProcSampler {
  readonly samples: ProcSample[] = [];
  private pidList: number[];
  private timer: NodeJS.Timeout | undefined;
  private last: { t: number; cpuSeconds: number } | undefined;
  /** each process's CPU time at the last sample: a process that joins (replacePid) counts from 0 */
  private lastCpu = new Map<number, number>();

  /**
   * @param pid process to watch, or processes to add up
   * @param intervalMs sampling interval (ms)
   */
  constructor(
    pid: number | readonly number[],
    readonly intervalMs: number,
    /** oldest samples are dropped beyond this many */
    readonly maxSamples = Infinity,
  ) {
    this.pidList = typeof pid === 'number' ? [pid] : [...pid];
  }

  get pids(): readonly number[] {
    return this.pidList;
  }

  get pid(): number {
    return this.pidList[0]!;
  }

  /**
   * Samples `next` from now on where it sampled `prev` (a node started again): the sum stays
   * over the same nodes. The new process's CPU counts from its start, in the first interval it
   * is sampled in; the old one's since its last sample is lost with it.
   */
  replacePid(prev: number, next: number): void {
    const i = this.pidList.indexOf(prev);
    if (i < 0) return;
    this.pidList[i] = next;
    this.lastCpu.delete(prev);
    this.lastCpu.set(next, 0);
  }

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Takes one sample now; returns it, or null when every process is gone. */
  sample(): ProcSample | null {
    const t = Date.now();
    let rssBytes = 0;
    let cpuSeconds = 0;
    let cpuDelta = 0;
    let alive = 0;
    for (const pid of this.pidList) {
      const rss = readRssBytes(pid);
      const cpu = readCpuSeconds(pid);
      if (rss === null || cpu === null) continue;
      rssBytes += rss;
      cpuSeconds += cpu;
      cpuDelta += cpu - (this.lastCpu.get(pid) ?? cpu);
      this.lastCpu.set(pid, cpu);
      alive++;
    }
    if (alive === 0) return null;
    const cpuPercent = this.last && t > this.last.t ? (cpuDelta / ((t - this.last.t) / 1000)) * 100 : 0;
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
