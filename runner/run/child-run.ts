/** A `bench` command run as a child (a sweep's cells, `bench compare`'s runs of two builds). */
import { OutputTail, spawnNode } from '../topology/children';

/**
 * Runs `node <bin> <args>` with parent-watch; resolves with its exit code and last stderr lines.
 * An abort sends the child SIGINT, so it records what it measured as aborted.
 */
export function runBenchChild(
  bin: string,
  args: readonly string[],
  signal?: AbortSignal,
): Promise<{ code: number | null; tail: string }> {
  const child = spawnNode([bin, ...args]);
  const tail = new OutputTail(2_000);
  child.stderr?.on('data', (d: Buffer) => tail.push(d));
  child.stdout?.resume();
  const onAbort = () => child.kill('SIGINT');
  signal?.addEventListener('abort', onAbort, { once: true });
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      signal?.removeEventListener('abort', onAbort);
      resolve({ code, tail: tail.lastLines(3) });
    });
  });
}

/** The first line of a child's stderr that says what went wrong. */
export function errorLine(tail: string): string {
  const lines = tail.split('\n').map((l) => l.trim());
  return (
    lines
      .find((l) => l.startsWith('Error:'))
      ?.slice('Error:'.length)
      .trim() ??
    lines.find((l) => /errored|aborted/.test(l)) ??
    (lines.at(-1) || 'no output')
  );
}
