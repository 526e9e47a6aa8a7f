import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  emptyCounts,
  type EngineCounts,
  type EngineEvent,
  type LoopDelay,
  type MetricName,
  type RoomCounts,
  type CohortName,
  type CohortSnapshot,
} from 'artillery-engine-bench/protocol';
import type { EngineState } from '../result/measurements';

export type { EngineState } from '../result/measurements';
export type { PhaseTimes } from '../result/schema';

export { emptyCounts };

/** Adds one engine worker's counts to `into`. */
export function addCounts(into: EngineCounts, c: EngineCounts): void {
  // Every count but the errors and the per-node ones is a number to add up, whichever the engine's version knows.
  const sum = into as unknown as Record<string, number>;
  for (const [key, n] of Object.entries(c)) {
    if (typeof n === 'number') sum[key] = (sum[key] ?? 0) + n;
  }
  for (const [code, n] of Object.entries(c.errors)) into.errors[code] = (into.errors[code] ?? 0) + n;
  for (const [node, n] of Object.entries(c.byNode ?? {})) {
    const to = ((into.byNode ??= {})[node] ??= { welcomed: 0, received: 0 }) as unknown as Record<string, number>;
    for (const [key, v] of Object.entries(n)) if (typeof v === 'number') to[key] = (to[key] ?? 0) + v;
  }
}

/** Adds one engine worker's per-room counts to `into`. */
export function addRoomCounts(into: RoomCounts, c: RoomCounts): void {
  for (const key of ['published', 'received'] as const) {
    for (const [room, n] of Object.entries(c[key] ?? {})) into[key][room] = (into[key][room] ?? 0) + n;
  }
}

function parseLines(text: string): EngineEvent[] {
  const events: EngineEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      events.push(JSON.parse(line) as EngineEvent);
    } catch {
      // A line still being written when we read; the next read gets it whole.
    }
  }
  return events;
}

/** Reads every engine worker's event file in `dir`. */
export function readEngineState(dir: string): EngineState {
  const state: EngineState = {
    workers: 0,
    startedAt: null,
    phases: {},
    counts: emptyCounts(),
    loopDelayMs: null,
    histograms: {},
    reconnectByNode: {},
    final: false,
    serverClock: null,
  };
  let files: string[] = [];
  try {
    files = fs.readdirSync(dir).filter((f) => f.startsWith('engine-') && f.endsWith('.ndjson'));
  } catch {
    return state;
  }
  let finals = 0;
  for (const file of files) {
    const events = parseLines(fs.readFileSync(path.join(dir, file), 'utf8'));
    let counts: EngineCounts | undefined;
    let loop: LoopDelay | undefined;
    let histograms: Partial<Record<MetricName, string>> | undefined;
    let byNode: Record<string, string> | undefined;
    let rooms: RoomCounts | undefined;
    let cohorts: Partial<Record<CohortName, CohortSnapshot>> | undefined;
    for (const e of events) {
      switch (e.event) {
        case 'started':
          state.workers += 1;
          state.startedAt = state.startedAt === null ? e.t : Math.min(state.startedAt, e.t);
          if (e.serverClock) state.serverClock = e.serverClock;
          if (e.native) state.client = { native: e.native, sioParser: e.sioParser ?? null };
          break;
        case 'phase': {
          const p = (state.phases[e.name] ??= {});
          if (e.state === 'started') p.startedAt = Math.min(p.startedAt ?? e.t, e.t);
          else p.completedAt = Math.max(p.completedAt ?? e.t, e.t);
          break;
        }
        case 'progress':
          counts = e.counts;
          loop = e.loopDelayMs;
          break;
        case 'snapshot':
        case 'final':
          counts = e.counts;
          loop = e.loopDelayMs;
          histograms = e.histograms;
          byNode = e.reconnectByNode;
          rooms = e.rooms ?? rooms;
          cohorts = e.cohorts ?? cohorts;
          if (e.event === 'final') finals += 1;
          break;
      }
    }
    if (counts) addCounts(state.counts, counts);
    if (loop) {
      const worst = state.loopDelayMs;
      state.loopDelayMs = worst === null || loop.p99 > worst.p99 ? loop : worst;
    }
    for (const [name, encoded] of Object.entries(histograms ?? {})) {
      (state.histograms[name as MetricName] ??= []).push(encoded);
    }
    for (const [node, encoded] of Object.entries(byNode ?? {})) (state.reconnectByNode![node] ??= []).push(encoded);
    if (rooms) addRoomCounts((state.rooms ??= { published: {}, received: {} }), rooms);
    for (const [name, c] of Object.entries(cohorts ?? {}) as [CohortName, CohortSnapshot][]) {
      const into = ((state.cohorts ??= {})[name] ??= { counts: emptyCounts(), histograms: {} });
      addCounts(into.counts, c.counts);
      for (const [metric, encoded] of Object.entries(c.histograms)) {
        (into.histograms[metric as MetricName] ??= []).push(encoded);
      }
    }
  }
  state.final = files.length > 0 && finals === files.length;
  return state;
}
