import type { RunOutcome } from '../result/schema';

type ExitListener = (code: number | null, signal: NodeJS.Signals | null) => void;

/** What the race needs of a child process (a ChildProcess, or a fake in tests). */
export interface ExitingChild {
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  once(event: 'exit', listener: ExitListener): unknown;
  off(event: 'exit', listener: ExitListener): unknown;
}

interface Tail {
  lastLines(n: number): string;
}

/** Everything whose end ends the run. */
export interface Entrants {
  /**
   * The Artillery processes: the run completes once every one has exited with code 0; any one
   * exiting otherwise errors it
   */
  loadgens: readonly { child: ExitingChild; output: Tail }[];
  /** the `bench serve` processes: one dying errors the run, unless it was meant to (--kill-node-at) */
  servers: readonly { child: ExitingChild; readonly exitExpected: boolean; stderr: Tail }[];
  balancer: { child: ExitingChild } | null;
  /** the run errors once this long has passed (ms) */
  deadlineMs: number;
  /** aborted with the signal's name as reason: the run is aborted */
  signal?: AbortSignal;
  /** named in the message when a server dies */
  lib: string;
}

const hasExited = (c: ExitingChild) => c.exitCode !== null || c.signalCode !== null;

/**
 * Resolves with how the run ended, on the first of: every Artillery process has exited (or one
 * failed), a server dies unexpectedly,
 * the balancer exits, the deadline passes, the signal aborts. Every listener and the timer are
 * removed once it has, so nothing a later exit does reaches the run.
 */
export function raceExits(e: Entrants): Promise<RunOutcome> {
  return new Promise((resolve) => {
    const { signal } = e;
    const deadline = setTimeout(
      () => done({ status: 'errored', error: `the run did not finish within ${Math.round(e.deadlineMs / 1000)} s` }),
      e.deadlineMs,
    );
    const done = (r: RunOutcome) => {
      clearTimeout(deadline);
      signal?.removeEventListener('abort', onAbort);
      for (const g of e.loadgens) g.child.off('exit', onLoadgenExit);
      for (const s of e.servers) s.child.off('exit', onServerExit);
      e.balancer?.child.off('exit', onBalancerExit);
      resolve(r);
    };
    const onAbort = () => done({ status: 'aborted', error: `interrupted by ${String(signal?.reason ?? 'a signal')}` });
    const onLoadgenExit: ExitListener = () => {
      const i = e.loadgens.findIndex((g) => hasExited(g.child) && g.child.exitCode !== 0);
      if (i >= 0) {
        const g = e.loadgens[i]!;
        const which = e.loadgens.length > 1 ? ` (generator ${i} of ${e.loadgens.length})` : '';
        const tail = g.output.lastLines(5);
        const how = g.child.signalCode ?? `code ${g.child.exitCode}`;
        return done({ status: 'errored', error: `Artillery${which} exited with ${how}${tail ? `: ${tail}` : ''}` });
      }
      if (e.loadgens.every((g) => hasExited(g.child))) done({ status: 'completed' });
    };
    const onServerExit: ExitListener = (code, sig) => {
      // The node --kill-node-at killed is meant to die; the run goes on without it.
      const dead = e.servers.find((s) => hasExited(s.child) && !s.exitExpected);
      if (!dead) return;
      const tail = dead.stderr.lastLines(3);
      done({
        status: 'errored',
        error: `the ${e.lib} server exited during the run (${sig ?? `code ${code}`})${tail ? `: ${tail}` : ''}`,
      });
    };
    const onBalancerExit: ExitListener = (code, sig) =>
      done({
        status: 'errored',
        error: `HAProxy, the nodes' load balancer, exited during the run (${sig ?? `code ${code}`})`,
      });

    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    for (const s of e.servers) s.child.once('exit', onServerExit);
    e.balancer?.child.once('exit', onBalancerExit);
    for (const g of e.loadgens) g.child.once('exit', onLoadgenExit);
  });
}
