import { main as runCli } from '../runner/cli/main';
import { COMMANDS } from './commands';

/** The `bench` CLI: every command of both halves (bin/bench.js calls this; `bench serve` has its own lean entry). */
export const main = (argv: readonly string[]): Promise<void> => runCli(argv, COMMANDS);
