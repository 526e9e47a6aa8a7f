import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '../../..');
/** Folders whose files form the layered graph; bench/ and test/ sit on top and may import anything. */
const SCANNED = ['src', 'servers'];

type Layer =
  | 'base'
  | 'config'
  | 'servers'
  | 'result'
  | 'loadgen'
  | 'topology'
  | 'sampling'
  | 'run'
  | 'serve'
  | 'metrics'
  | 'analysis'
  | 'export'
  | 'cli';

/**
 * Which layers each layer may import, besides itself. A DAG, so no cycle can cross layers.
 * - servers/ are the servers under test and their contract (ready and delivery lines, control
 *   paths): below result, since a result records their versions and topology reads their lines.
 * - loadgen → topology: Artillery is a child like any other, spawned and watched by the helpers
 *   in topology/children.ts and parent-watch.ts; topology never imports loadgen.
 * - export may render what analysis computed (a gate or capacity report); analysis never renders.
 * - metrics/ (the metric registry, the one expression parser, units, histograms) sits at the
 *   bottom: options parse --ensure with it, and result, analysis and export all read it.
 */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  base: [],
  metrics: ['base'],
  config: ['metrics', 'servers', 'base'],
  servers: ['base'],
  result: ['metrics', 'config', 'servers', 'base'],
  sampling: ['result', 'metrics', 'config', 'base'],
  topology: ['result', 'metrics', 'config', 'servers', 'base'],
  loadgen: ['topology', 'result', 'metrics', 'config', 'base'],
  run: ['loadgen', 'topology', 'sampling', 'result', 'metrics', 'config', 'servers', 'base'],
  serve: ['sampling', 'result', 'metrics', 'config', 'servers', 'base'],
  analysis: ['result', 'metrics', 'config', 'base'],
  export: ['analysis', 'result', 'metrics', 'config', 'base'],
  cli: [
    'run',
    'serve',
    'loadgen',
    'topology',
    'sampling',
    'result',
    'metrics',
    'config',
    'servers',
    'analysis',
    'export',
    'base',
  ],
};

/**
 * Imports that break the rules today, each owned by the helper moving it. Remove an entry with
 * the fix: the test fails on an entry that no longer exists, so this list only shrinks.
 */
const KNOWN: Record<string, string> = {};

interface Edge {
  from: string;
  to: string;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return sourceFiles(rel);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** The file a relative specifier names, as tsc (Node16) resolves it; null when none exists. */
function resolveSpecifier(from: string, spec: string): string | null {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec)).replace(/\.js$/, '');
  for (const candidate of [`${base}.ts`, `${base}/index.ts`]) {
    if (fs.existsSync(path.join(ROOT, candidate))) return candidate;
  }
  return null;
}

/** Every relative specifier in a source text: `import`, `import type`, `export from`, `require()`, `import()`. */
function specifiersIn(text: string): string[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((s) => s.startsWith('.'));
}

const importsOf = (file: string) => specifiersIn(fs.readFileSync(path.join(ROOT, file), 'utf8'));

function layerOf(file: string): Layer | null {
  const parts = file.split('/');
  if (parts[0] === 'servers') return 'servers';
  if (parts[0] !== 'src') return null;
  if (parts.length === 2) return 'base';
  const layer = parts[1] as Layer;
  return layer in MAY_IMPORT ? layer : null;
}

const key = (e: Edge) => `${e.from} -> ${e.to}`;

function violations(edges: readonly Edge[], rules: Record<Layer, readonly Layer[]>): Edge[] {
  return edges.filter((e) => {
    const a = layerOf(e.from);
    const b = layerOf(e.to);
    return a !== null && b !== null && a !== b && !rules[a].includes(b);
  });
}

/** One cycle of the graph as its files in order (first = last), or null when it has none. */
function findCycle(edges: readonly Edge[]): string[] | null {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const to of next.get(node) ?? []) {
      const cycle = visit(to);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of [...next.keys()].sort()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

const files = SCANNED.flatMap(sourceFiles).sort();
const unresolved: string[] = [];
const edges: Edge[] = files.flatMap((from) =>
  importsOf(from).flatMap((spec) => {
    const to = resolveSpecifier(from, spec);
    if (to === null) unresolved.push(`${from}: '${spec}'`);
    return to === null ? [] : [{ from, to }];
  }),
);
const uniqueEdges = [...new Map(edges.map((e) => [key(e), e])).values()];

describe('the checks themselves', () => {
  it('find a cycle and name its files in order', () => {
    const cycle = findCycle([
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'c', to: 'b' },
    ]);
    assert.deepEqual(cycle, ['b', 'c', 'b']);
    assert.equal(
      findCycle([
        { from: 'a', to: 'b' },
        { from: 'a', to: 'c' },
        { from: 'b', to: 'c' },
      ]),
      null,
    );
  });

  it('flag an upward import and pass a downward one', () => {
    const up = { from: 'src/result/build.ts', to: 'src/loadgen/artillery.ts' };
    const down = { from: 'src/loadgen/artillery.ts', to: 'src/result/schema.ts' };
    assert.deepEqual(violations([up, down], MAY_IMPORT), [up]);
  });

  it('read every form of import, and no comment', () => {
    const text = [
      "import { a } from './a';",
      "import type { B } from '../b';",
      "import './c';",
      "export { d } from './d';",
      "import e = require('./e');",
      "const f = require('./f') as typeof import('./g');",
      "async function h() { await import('./h'); }",
      "import * as fs from 'node:fs';",
      "// import { x } from './commented-out';",
    ].join('\n');
    assert.deepEqual(specifiersIn(text), ['./a', '../b', './c', './d', './e', './f', './g', './h']);
  });

  it('find the imports of the real files', () => {
    const has = (from: string, to: string) => uniqueEdges.some((e) => e.from === from && e.to === to);
    assert.ok(has('src/run/run.ts', 'src/result/build.ts'));
    assert.ok(has('src/loadgen/artillery-preload.ts', 'src/topology/parent-watch.ts'));
  });
});

describe('source layout', () => {
  it('resolves every relative import to a file', () => {
    assert.deepEqual(unresolved, []);
  });

  it('places every source file in a layer of the table', () => {
    assert.deepEqual(
      files.filter((f) => layerOf(f) === null),
      [],
      'a new folder under src/ needs its row in MAY_IMPORT',
    );
  });

  it('has no import cycle', () => {
    // Known violations are left out: each one is an upward edge that will go.
    const cycle = findCycle(uniqueEdges.filter((e) => !(key(e) in KNOWN)));
    assert.equal(cycle, null, `import cycle: ${cycle?.join(' -> ')}`);
  });

  it('imports only downwards (see MAY_IMPORT)', () => {
    const bad = violations(uniqueEdges, MAY_IMPORT)
      .map(key)
      .filter((k) => !(k in KNOWN));
    assert.deepEqual(bad, []);
  });

  it('lists only known violations that still exist', () => {
    const present = new Set(violations(uniqueEdges, MAY_IMPORT).map(key));
    const stale = Object.keys(KNOWN).filter((k) => !present.has(k));
    assert.deepEqual(stale, [], 'fixed: remove these from KNOWN');
  });
});
