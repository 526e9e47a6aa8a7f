import { readEngineState, type EngineState } from '../loadgen/engine-events';

/** What the CLI shows while a run goes on. */
export interface Progress {
  phase: string;
  connected: number;
  failed: number;
  /** main clients open right now */
  open: number;
  elapsedMs: number;
}

function currentPhase(engine: EngineState): string {
  let name = 'starting';
  let latest = -Infinity;
  for (const [phase, t] of Object.entries(engine.phases)) {
    if (t.startedAt !== undefined && t.startedAt > latest && t.completedAt === undefined) {
      latest = t.startedAt;
      name = phase;
    }
  }
  if (name === 'starting' && Object.keys(engine.phases).length > 0) name = 'teardown';
  return name;
}

/** Tells `onProgress` what the engine reported, once a second, until `stop()`. */
export function reportProgress(
  runDir: string,
  startedAt: number,
  onProgress: ((p: Progress) => void) | undefined,
): { stop(): void } {
  if (!onProgress) return { stop() {} };
  const timer = setInterval(() => {
    const e = readEngineState(runDir);
    onProgress({
      phase: currentPhase(e),
      connected: e.counts.connected,
      failed: e.counts.failed,
      open: e.counts.open,
      elapsedMs: Date.now() - startedAt,
    });
  }, 1_000);
  return { stop: () => clearInterval(timer) };
}
