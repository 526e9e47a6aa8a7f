/** Small helpers of engine.ts. */
import type { PhaseSpec } from './config';
import { packageDir, type Lib } from './protocol';

/** Holds the thread for `ms` (the BENCH_TEST_STALL test hook). */
export function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

export function phaseName(spec: PhaseSpec): string {
  return spec.name ?? `phase-${spec.index ?? '?'}`;
}

/** Where the client library's own ws resolves from: socket.io-client through engine.io-client; SockJS uses none. */
export function clientWsFrom(lib: Lib): string | null {
  if (lib === 'sockjs') return null;
  if (lib === 'ws') return __dirname;
  return packageDir('engine.io-client', packageDir('socket.io-client', __dirname));
}
