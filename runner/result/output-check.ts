import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../errors';

/**
 * Checks where a command will write before it starts any load, so a measured run is never
 * lost to a bad path. Folders are made one level at a time: on this Node,
 * `fs.mkdirSync(p, { recursive: true })` never returns for a path under /proc.
 */

/** A path we cannot write to, and why in a few words. */
export class OutputPathError extends Error {
  override readonly name = 'OutputPathError';
}

/** Trees that hold the kernel's views or devices, never files of ours (/dev/shm is plain tmpfs). */
const PSEUDO_ROOTS: Array<[string, string]> = [
  ['/proc', '/proc is not a place for files'],
  ['/sys', '/sys is not a place for files'],
  ['/dev/shm', ''],
  ['/dev', '/dev holds devices, not files'],
];

/** statfs magic numbers of kernel filesystems that hold no files (linux/magic.h). */
const PSEUDO_FS: Record<number, string> = {
  0x9fa0: 'proc',
  0x62656572: 'sysfs',
  0x27e0eb: 'cgroup',
  0x63677270: 'cgroup2',
  0x64626720: 'debugfs',
  0x74726163: 'tracefs',
  0x73636673: 'securityfs',
  0xcafe4a11: 'bpf',
  0x6165676c: 'pstore',
  0xde5e81e4: 'efivarfs',
  0x62656570: 'configfs',
  0x1cd1: 'devpts',
};

/** At most this many missing folders are made for one path: a bound on the walk. */
const MAX_DEPTH = 64;

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : '';
}

function words(err: unknown, where: string): string {
  switch (codeOf(err)) {
    case 'EACCES':
    case 'EPERM':
      return `no permission to write in ${where}`;
    case 'EROFS':
      return `${where} is on a read-only filesystem`;
    case 'ENOSPC':
      return `no space left in ${where}`;
    case 'EDQUOT':
      return `the disk quota is used up in ${where}`;
    case 'ENOTDIR':
      return `a part of ${where} is a file, not a folder`;
    case 'ELOOP':
      return `${where} has too many symbolic links`;
    case 'ENAMETOOLONG':
      return `${where} is too long a name`;
    default:
      return `${where}: ${String((err as Error)?.message ?? err).split('\n')[0]}`;
  }
}

function pseudoRoot(abs: string): string | null {
  for (const [root, reason] of PSEUDO_ROOTS) {
    if (abs === root || abs.startsWith(root + '/')) return reason === '' ? null : reason;
  }
  return null;
}

/** Why `dir` (an existing folder) holds no files, or null when it is a normal filesystem. */
function pseudoReason(dir: string): string | null {
  let real: string;
  let type: number;
  try {
    real = fs.realpathSync(dir);
    type = fs.statfsSync(real).type;
  } catch (err) {
    return words(err, dir);
  }
  const byPath = pseudoRoot(real);
  if (byPath !== null) return byPath;
  const name = PSEUDO_FS[type];
  return name === undefined ? null : `${real} is on ${name}, which holds no files`;
}

/** The nearest folder of `dir` that exists, and the missing ones below it, top first. */
function nearestExisting(dir: string): { existing: string; stat: fs.Stats; missing: string[] } {
  const missing: string[] = [];
  let cur = dir;
  for (let i = 0; i <= MAX_DEPTH; i++) {
    try {
      return { existing: cur, stat: fs.statSync(cur), missing };
    } catch (err) {
      const code = codeOf(err);
      if (code === 'EACCES') throw new OutputPathError(`no permission to reach ${cur}`);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new OutputPathError(words(err, cur));
      const parent = path.dirname(cur);
      if (parent === cur) break;
      missing.unshift(cur);
      cur = parent;
    }
  }
  throw new OutputPathError(`${dir} is more than ${MAX_DEPTH} missing folders deep`);
}

/**
 * Makes folder `dir` (absolute) and any missing parents, one level at a time, after checking
 * that the nearest existing one is a folder on a normal filesystem. Throws OutputPathError.
 */
export function ensureDir(dir: string): void {
  const abs = path.resolve(dir);
  const lexical = pseudoRoot(abs);
  if (lexical !== null) throw new OutputPathError(lexical);
  const { existing, stat, missing } = nearestExisting(abs);
  if (!stat.isDirectory()) throw new OutputPathError(`${existing} is a file, not a folder`);
  const pseudo = pseudoReason(existing);
  if (pseudo !== null) throw new OutputPathError(pseudo);
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (err) {
      // Another process may have made it meanwhile: fine if it is a folder now.
      if (codeOf(err) === 'EEXIST' && fs.statSync(d).isDirectory()) continue;
      throw new OutputPathError(`cannot create ${d}: ${words(err, path.dirname(d))}`);
    }
  }
}

/** Writes and removes a probe file in `dir`: permissions, read-only mounts and full disks show here. */
function probe(dir: string): void {
  const file = path.join(dir, `.bench-probe-${process.pid}-${Date.now()}`);
  try {
    fs.writeFileSync(file, 'probe\n', { flag: 'wx' });
  } catch (err) {
    throw new OutputPathError(words(err, dir));
  }
  fs.rmSync(file, { force: true });
}

function refuse(flag: string, given: string, reason: string, example: string): UsageError {
  return new UsageError(
    `${flag} ${given}: cannot write there (${reason}). Give a path in a folder you can write, e.g. ${flag} ${example}`,
  );
}

/**
 * Checks that `file` can be written, making its folder: call it before any load. Returns the
 * absolute path. Throws UsageError naming the flag, the path, the reason and the fix.
 */
export function checkOutputFile(flag: string, file: string, example: string): string {
  const abs = path.resolve(file);
  const lexical = pseudoRoot(abs);
  if (lexical !== null) throw refuse(flag, file, lexical, example);
  let existing: fs.Stats | null = null;
  try {
    existing = fs.statSync(abs);
  } catch {
    // missing, or a parent is missing or not a folder: ensureDir says which
  }
  if (existing?.isDirectory()) {
    throw new UsageError(
      `${flag} ${file} is a folder. Give a file name, e.g. ${flag} ${path.join(file, path.basename(example))}`,
    );
  }
  // Writing renames over the file: never over a device, a pipe or a socket.
  if (existing !== null && !existing.isFile()) throw refuse(flag, file, `${abs} is not a regular file`, example);
  try {
    ensureDir(path.dirname(abs));
    probe(path.dirname(abs));
  } catch (err) {
    if (err instanceof OutputPathError) throw refuse(flag, file, err.message, example);
    throw err;
  }
  return abs;
}

/** As checkOutputFile, for a folder that will hold the files (a sweep's --out). */
export function checkOutputDir(flag: string, dir: string, example: string): string {
  const abs = path.resolve(dir);
  try {
    ensureDir(abs);
    probe(abs);
  } catch (err) {
    if (err instanceof OutputPathError) throw refuse(flag, dir, err.message, example);
    throw err;
  }
  return abs;
}
