import yargs, { type Argv } from 'yargs';
import { UsageError } from '../errors';
import { listCommands, type Command } from './command';

const EPILOG =
  'Docs: README.md and docs/. Results follow docs/result.md (schemaVersion 2; JSON Schema: docs/result.schema.json).';

/** A command's positionals and flags, from its table, as yargs options. */
function declare(y: Argv, c: Command): Argv {
  let b = y;
  for (const p of c.positionals ?? []) {
    b = b.positional(p.name, { type: 'string', describe: p.describe, ...(p.array && { array: true }) });
  }
  for (const [name, f] of Object.entries(c.flags)) {
    b = b.option(name, {
      type: f.type,
      describe: f.describe,
      ...(f.array && { array: true }),
      ...(f.default !== undefined && { default: f.default }),
    });
  }
  return b;
}

/** The yargs parser for `commands` (bin/commands.ts lists them: runner's and reports'). */
export function buildParser(argv: readonly string[], commands: readonly Command[]) {
  let parser = yargs([...argv])
    .scriptName('bench')
    .usage('$0 <command> [options]');
  for (const c of commands) parser = parser.command(c.usage, c.describe, (y) => declare(y, c));
  const names = commands.map((c) => c.name);
  return parser
    .demandCommand(1, `Name a command: ${listCommands(commands)}. Run bench --help for the list.`)
    .strict()
    .help()
    .version(false)
    .epilog(EPILOG)
    .wrap(Math.min(110, process.stderr.columns ?? 110))
    .exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      if (msg.includes('--help')) throw new UsageError(msg);
      const command = names.includes(argv[0] ?? '') ? `${argv[0]} ` : '';
      throw new UsageError(`${msg.replace(/\.?$/, '.')} Run "bench ${command}--help" for the options.`);
    });
}
