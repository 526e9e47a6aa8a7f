import type { FlagTable, Positional } from './flags';
import { camel } from './flags';

/** `bench run, serve, …, profile or calibrate`, for the messages that list the commands. */
export function listCommands(commands: readonly Command[]): string {
  const names = commands.map((c) => c.name);
  return `bench ${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/** Parsed arguments: each flag's value under its camelCase name. */
export type Args = Record<string, unknown>;

/** One `bench` command: what the parser shows and checks, and what runs it. */
export interface Command {
  name: string;
  /** the usage after `bench`, e.g. `report <inputs..>` */
  usage: string;
  describe: string;
  positionals?: Positional[];
  flags: FlagTable;
  /** resolves with the exit code; loads what it needs only when it runs */
  run(a: Args): Promise<number> | number;
}

/**
 * The options a command's table gives, as raw options: strings stay strings, booleans only when
 * given or defaulted, repeatable flags as arrays.
 */
export function optionsOf(flags: FlagTable, a: Args): Record<string, string | boolean | string[] | undefined> {
  const out: Record<string, string | boolean | string[] | undefined> = {};
  for (const [name, f] of Object.entries(flags)) {
    const key = camel(name);
    const v = a[key];
    if (f.array) out[key] = Array.isArray(v) ? v.map(String) : v === undefined ? undefined : [String(v)];
    else if (f.type === 'boolean') out[key] = typeof v === 'boolean' ? v : undefined;
    else out[key] = v === undefined ? undefined : String(v);
  }
  return out;
}

/** Checks each output file given (flag, value, example) before anything is read or written. */
export function checkOutputs(files: Array<[string, unknown, string]>): void {
  const { checkOutputFile } = require('../result/output-check') as typeof import('../result/output-check');
  for (const [flag, file, example] of files) if (typeof file === 'string') checkOutputFile(flag, file, example);
}

/** Exit codes of a run or sweep stopped by a signal. */
export const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** Calls `onSignal` on SIGINT and SIGTERM until the returned function is called. */
export function onStopSignals(controller: AbortController): () => void {
  const onSignal = (sig: NodeJS.Signals) => controller.abort(sig);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
