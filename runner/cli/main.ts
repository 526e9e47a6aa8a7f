import { UsageError } from '../errors';
import { listCommands, type Command } from './command';
import { finish } from './finish';
import { buildParser } from './parser';

/** parse → the command's options → run it; `finish` turns any error into one line and an exit code. */
export async function main(argv: readonly string[], commands: readonly Command[]): Promise<void> {
  await finish(async () => {
    const a = (await buildParser(argv, commands).parseAsync()) as Record<string, unknown> & {
      _: (string | number)[];
      help?: boolean;
    };
    if (a.help) return 0;
    const name = String(a._[0] ?? '');
    const command = commands.find((c) => c.name === name);
    if (!command)
      throw new UsageError(`Unknown command "${name}". Use ${listCommands(commands)}; bench --help lists them.`);
    return command.run(a);
  });
}
