import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BinOptions, BinResult } from './bin';

const CHECKOUT = path.resolve(__dirname, '../../..');
/** What `bench` reads at run time; sources and .git are not needed. */
const NEEDED = ['package.json', 'bin', 'dist', 'node_modules', 'hardware-profiles', 'scenarios'];

/** This checkout as another user can read it. */
export interface StagedCheckout {
  root: string;
  /** the staged `bin/bench.js` */
  bin: string;
  remove(): void;
}

/**
 * Stages this checkout where the user a prefix such as `setpriv --reuid=65534` switches to can
 * read it: a fresh clone in a folder only root may enter (under /root, or `mktemp -d`) is not.
 * Hard links (`cp -al`) in a 0755 folder under os.tmpdir(), so node_modules is not copied.
 * Returns why not when it cannot be done here.
 */
export function stageCheckout(asUser: string[]): StagedCheckout | { skip: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-staged-'));
  const remove = () => fs.rmSync(root, { recursive: true, force: true });
  try {
    fs.chmodSync(root, 0o755);
    for (const entry of NEEDED) {
      execFileSync('cp', ['-al', path.join(CHECKOUT, entry), root], { stdio: ['ignore', 'ignore', 'pipe'] });
    }
  } catch (err) {
    remove();
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim();
    return {
      skip: `cannot hard-link ${CHECKOUT} into ${os.tmpdir()} (another filesystem?): ${stderr || (err as Error).message}`,
    };
  }
  const bin = path.join(root, 'bin', 'bench.js');
  const probe = [bin, path.join(root, 'node_modules', 'artillery', 'package.json')];
  try {
    execFileSync(asUser[0]!, [...asUser.slice(1), 'sh', '-c', 'test -r "$0" && test -r "$1"', ...probe], {
      stdio: 'ignore',
    });
  } catch {
    remove();
    return {
      skip: `${asUser.join(' ')} cannot read ${root} either: ${os.tmpdir()} or the checkout's files are closed to other users`,
    };
  }
  return { root, bin, remove };
}

/** Runs a staged `bench <args>` to completion, like runBin, killing it after `timeoutMs`. */
export function runStagedBin(staged: StagedCheckout, args: string[], opts: BinOptions = {}): Promise<BinResult> {
  const argv = [...(opts.prefix ?? []), process.execPath, staged.bin, ...args];
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
