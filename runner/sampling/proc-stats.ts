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

/** When a process started: seconds after boot, or null when it is gone. */
export function readStartSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) / ticksPerSecond();
  } catch {
    return null;
  }
}

/** Seconds since boot, or null where /proc does not say. */
function readUptimeSeconds(): number | null {
  try {
    return Number.parseFloat(fs.readFileSync('/proc/uptime', 'utf8'));
  } catch {
    return null;
  }
}

/** Which processes to sample: one, several, or a list read again at every sample. */
export type PidSource = number | readonly number[] | (() => readonly number[]);

/**
 * Samples the RSS and CPU of one process, or the sum over several (the nodes of one service), at
 * a fixed interval until stopped. A process that is gone counts as nothing; the sampler stops
 * recording once all are gone. Given a function, it asks it for the processes at every sample
 * (a process tree whose children come and go): one that started since the previous sample
 * counts its CPU from its start, one that was already running from this sample on.
 */
export class ProcSampler {
  readonly samples: ProcSample[] = [];
  private pidList: number[];
  private readonly source: (() => readonly number[]) | null;
  /** seconds since boot at the last sample, to tell a process that started since */
  private lastUptime: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private last: { t: number; cpuSeconds: number } | undefined;
  /** each process's CPU time at the last sample: a process that joins (replacePid) counts from 0 */
  private lastCpu = new Map<number, number>();

  /**
   * @param pid process to watch, or processes to add up
   * @param intervalMs sampling interval (ms)
   */
  constructor(
    pid: PidSource,
    readonly intervalMs: number,
    /** oldest samples are dropped beyond this many */
    readonly maxSamples = Infinity,
  ) {
    this.source = typeof pid === 'function' ? pid : null;
    this.pidList = typeof pid === 'number' ? [pid] : typeof pid === 'function' ? [] : [...pid];
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

  /** Reads the processes again from the source: a newcomer started since the last sample counts from 0. */
  private refresh(): void {
    if (this.source === null) return;
    const next = [...new Set(this.source())];
    const uptime = readUptimeSeconds();
    for (const pid of next) {
      if (this.lastCpu.has(pid) || this.lastUptime === null) continue;
      const started = readStartSeconds(pid);
      if (started !== null && started >= this.lastUptime) this.lastCpu.set(pid, 0);
    }
    for (const pid of this.lastCpu.keys()) if (!next.includes(pid)) this.lastCpu.delete(pid);
    this.pidList = next;
    this.lastUptime = uptime;
  }

  /** Takes one sample now; returns it, or null when every process is gone. */
  sample(): ProcSample | null {
    this.refresh();
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
