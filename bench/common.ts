/** What every benchmark script shares: the real bin, its flags, and the machine line it prints. */
import * as os from 'node:os';
import * as path from 'node:path';

/** The `bench` bin, run as a user runs it (compiled scripts live in dist/bench/). */
export const BIN = path.resolve(__dirname, '../../bin/bench.js');

/** `--name value` from this script's own argv, else `fallback`. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** "Machine: <cpu>, <n> cores, <m> GiB, Node <v>": the first words of every table's heading. */
export function machine(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}
