import * as fs from 'node:fs';
import * as path from 'node:path';

/** Folder of an installed package, resolved as `fromDir` would resolve it; null when not installed. */
function packageDir(name: string, fromDir?: string): string | null {
  const paths = fromDir === undefined ? undefined : { paths: [fromDir] };
  try {
    return path.dirname(require.resolve(`${name}/package.json`, paths));
  } catch {
    // no main entry to resolve, or package.json hidden behind "exports": walk up from the entry
  }
  let entry: string;
  try {
    entry = require.resolve(name, fromDir === undefined ? undefined : { paths: [fromDir] });
  } catch {
    return null;
  }
  // Walk up from the entry file: many packages (socket.io among them) hide package.json
  // behind "exports", so `require('<name>/package.json')` throws.
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!fs.existsSync(file)) continue;
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string };
    if (pkg.name === name) return dir;
  }
  return null;
}

function readVersion(dir: string): string | null {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? null;
}

/**
 * Installed version of a package, or null when it is not installed.
 *
 * `loadedBy` names the packages that load it, outermost first (e.g. `["socket.io",
 * "engine.io"]` for the `ws` Socket.IO runs on): a dependency can be installed nested under
 * its parent in another version than the top-level copy, and the nested one is what runs.
 */
export function packageVersion(name: string, loadedBy: readonly string[] = []): string | null {
  let from: string | undefined;
  for (const parent of loadedBy) {
    const dir = packageDir(parent, from);
    if (dir === null) return null;
    from = dir;
  }
  const dir = packageDir(name, from);
  return dir === null ? null : readVersion(dir);
}

/**
 * `package → version` for a server's libraries. Each entry is the chain of packages that loads
 * it, the package itself last (`["socket.io", "engine.io", "ws"]` records the `ws` engine.io
 * loads).
 */
export function versionsOf(chains: readonly (readonly string[])[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const chain of chains) {
    const name = chain[chain.length - 1];
    if (name === undefined) continue;
    const v = packageVersion(name, chain.slice(0, -1));
    if (v !== null) out[name] = v;
  }
  return out;
}
