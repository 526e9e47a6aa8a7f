import { isUserFacing } from '../errors';
import { stopAllChildren } from '../topology/children';

/**
 * The one place that prints "Error:" and sets the exit code, for every command (the lean
 * `bench serve` entry too): a user-facing error is one line, anything else is a bug to report.
 */
export async function finish(work: () => Promise<number>): Promise<void> {
  let code: number;
  try {
    code = await work();
  } catch (err) {
    if (isUserFacing(err)) {
      process.stderr.write(`Error: ${err.message}\n`);
      code = err.exitCode;
    } else {
      process.stderr.write(`Error: internal failure, please report it: ${(err as Error)?.stack ?? String(err)}\n`);
      code = 1;
    }
    await stopAllChildren();
  }
  process.exitCode = code;
}
