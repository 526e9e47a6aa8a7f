import { UsageError } from '../errors';
import { COMMANDS, commandList } from './commands/index';
import { finish } from './finish';
import { buildParser } from './parser';

/** parse → the command's options → run it; `finish` turns any error into one line and an exit code. */
export async function main(argv: readonly string[]): Promise<void> {
  await finish(async () => {
    const a = (await buildParser(argv).parseAsync()) as Record<string, unknown> & {
      _: (string | number)[];
      help?: boolean;
    };
    if (a.help) return 0;
    const name = String(a._[0] ?? '');
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw new UsageError(`Unknown command "${name}". Use ${commandList()}; bench --help lists them.`);
    return command.run(a);
  });
}
