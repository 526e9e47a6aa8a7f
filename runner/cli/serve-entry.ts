// `bench serve` is the process being measured: its idle RSS is part of every result. So it
// parses its flags from the table without yargs, and loads neither ajv nor yaml.
import { UsageError } from '../errors';
import { camel, SERVE_FLAGS, type FlagTable } from './flags';
import { finish } from './finish';
import { serveWith } from './commands/serve';

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * `--flag value`, `--flag=value`, `--bool`, `--no-bool`, `--bool=false`, as yargs reads them for
 * this table (a repeated flag is its values joined by commas, camelCase names are accepted), so
 * that `bench serve` takes what it took before. Unknown arguments fail with yargs' words.
 */
export function parseFlags(argv: readonly string[], flags: FlagTable, command: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(flags)) if (f.default !== undefined) out[camel(name)] = f.default;
  const given = new Map<string, string[]>();
  const unknown: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!m) {
      unknown.push(arg);
      continue;
    }
    // yargs reads an unknown flag's value as its own, not as another unknown argument.
    const skipValue = () => {
      if (m[2] === undefined && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) i++;
    };
    if (!arg.startsWith('--')) {
      unknown.push(m[1]!);
      skipValue();
      continue;
    }
    let name = kebab(m[1]!);
    let inline = m[2];
    let flag = flags[name];
    if (!flag && name.startsWith('no-') && flags[name.slice(3)]?.type === 'boolean') {
      name = name.slice(3);
      flag = flags[name];
      inline = 'false';
    }
    if (!flag) {
      unknown.push(m[1]!);
      skipValue();
      continue;
    }
    if (flag.type === 'boolean') {
      out[camel(name)] = inline === undefined ? true : inline !== 'false';
      continue;
    }
    const next = argv[i + 1];
    // A string flag with no value keeps its default, or is '' without one, as yargs does.
    const value =
      inline ??
      (next !== undefined && !next.startsWith('--') ? argv[++i]! : flag.default === undefined ? '' : undefined);
    if (value !== undefined) given.set(name, [...(given.get(name) ?? []), value]);
  }
  if (unknown.length > 0) {
    const s = unknown.length === 1 ? '' : 's';
    throw new UsageError(`Unknown argument${s}: ${unknown.join(', ')}. Run "bench ${command} --help" for the options.`);
  }
  for (const [name, values] of given) out[camel(name)] = flags[name]!.array ? values : values.join(',');
  return out;
}

/** `bench serve ARGS`; help goes to the full parser, which is not what gets measured. */
export async function serveMain(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    const { main } = require('./main') as typeof import('./main');
    const { serve } = require('./commands/serve') as typeof import('./commands/serve');
    return main(['serve', ...argv], [serve]);
  }
  await finish(() => serveWith(parseFlags(argv, SERVE_FLAGS, 'serve')));
}
