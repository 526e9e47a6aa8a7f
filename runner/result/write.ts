import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunError } from '../errors';
import { ensureDir, OutputPathError } from './output-check';

/**
 * Writes a file whole or not at all: a temp file in the same folder, then rename. Its folder is
 * made only after the checks of output-check.ts. A failure is a one-line RunError.
 */
export function writeFileAtomic(file: string, text: string | Uint8Array): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    ensureDir(dir);
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (err) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // no folder to remove it from
    }
    const reason = err instanceof OutputPathError ? err.message : String((err as Error)?.message ?? err);
    throw new RunError(`cannot write ${file}: ${reason.split('\n')[0]}`);
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Writes a measured result to `file`, or when that fails to a fallback file in the working
 * folder (then the temp folder), so the measurement is never lost. `file` is null when no file
 * could be written at all; `error` says why the first write failed.
 */
export function writeResult(
  file: string,
  value: unknown,
  now = new Date(),
): { file: string | null; error: string | null } {
  try {
    writeJsonAtomic(file, value);
    return { file, error: null };
  } catch (err) {
    const error = (err as Error).message;
    const name = `bench-result-${now.toISOString().replace(/[:.]/g, '-')}.json`;
    for (const dir of [process.cwd(), os.tmpdir()]) {
      try {
        writeJsonAtomic(path.join(dir, name), value);
        return { file: path.join(dir, name), error };
      } catch {
        // try the next place
      }
    }
    return { file: null, error };
  }
}
