/**
 * The engine package as npm would publish it: packed, extracted apart from the repo, and loaded
 * with nothing but its declared dependencies on the module path.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { isBuiltin } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const ENGINE = path.join(ROOT, 'scenarios/engine');

interface PackageJson {
  name: string;
  main: string;
  dependencies?: Record<string, string>;
}

/** `lodash/fp` → `lodash`, `@scope/pkg/x` → `@scope/pkg`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function jsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return jsFiles(p);
    return e.name.endsWith('.js') ? [p] : [];
  });
}

describe('artillery-engine-bench, packed', () => {
  let tmp: string;
  let pkgDir: string;
  let pkg: PackageJson;
  let packedFiles: string[];

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-engine-pack-'));
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], {
      cwd: ENGINE,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    const [info] = JSON.parse(out) as {
      filename: string;
      files: { path: string }[];
    }[];
    packedFiles = info!.files.map((f) => f.path);
    execFileSync('tar', ['xzf', path.join(tmp, info!.filename), '-C', tmp]);
    pkgDir = path.join(tmp, 'package');
    pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as PackageJson;
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('ships the compiled entry point and its types, not the sources', () => {
    assert.ok(packedFiles.includes(pkg.main), `${pkg.main} is in the tarball`);
    assert.ok(packedFiles.includes('dist/index.d.ts'));
    assert.deepEqual(
      packedFiles.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
      [],
      'no TypeScript sources',
    );
  });

  it('requires only relative files, node builtins and declared dependencies', () => {
    const declared = new Set(Object.keys(pkg.dependencies ?? {}));
    const undeclared: string[] = [];
    for (const file of jsFiles(path.join(pkgDir, 'dist'))) {
      const source = fs.readFileSync(file, 'utf8');
      for (const m of source.matchAll(/\brequire\(\s*(['"])([^'"]+)\1\s*\)/g)) {
        const spec = m[2]!;
        if (spec.startsWith('.') || isBuiltin(spec) || declared.has(packageOf(spec))) continue;
        undeclared.push(`${path.relative(pkgDir, file)}: ${spec}`);
      }
    }
    assert.deepEqual(undeclared, []);
  });

  it('loads as an Artillery engine constructor with only its declared dependencies installed', () => {
    // A node_modules holding just the declared dependencies (linked from the repo; their own
    // dependencies resolve from there, as they would from an install).
    const modules = path.join(tmp, 'node_modules');
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      const link = path.join(modules, dep);
      fs.mkdirSync(path.dirname(link), { recursive: true });
      fs.symlinkSync(path.join(ROOT, 'node_modules', dep), link, 'dir');
    }
    const probe = `
      const Engine = require(${JSON.stringify(pkgDir)});
      const ee = { on() {} };
      const script = {
        config: { target: 'ws://127.0.0.1:1/', phases: [], engines: { bench: { lib: 'sockjs' } } },
        scenarios: [{ engine: 'bench', flow: [{ connect: {} }, { hold: {} }] }],
      };
      const engine = new Engine(script, ee, {});
      const vu = engine.createScenario(script.scenarios[0], { emit() {} });
      console.log(JSON.stringify({
        constructor: typeof Engine,
        createScenario: typeof Engine.prototype.createScenario,
        vu: typeof vu,
        libs: Engine.LIBS,
        named: typeof Engine.Engine,
      }));
    `;
    const out = execFileSync(process.execPath, ['-e', probe], {
      cwd: tmp,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
      timeout: 30_000,
    });
    assert.deepEqual(JSON.parse(out), {
      constructor: 'function',
      createScenario: 'function',
      vu: 'function',
      libs: ['ws', 'socketio', 'sockjs'],
      named: 'function',
    });
  });
});
