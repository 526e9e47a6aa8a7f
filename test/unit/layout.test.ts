import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '../../..');
/** Folders whose files form the layered graph; bench/ and test/ sit on top and may import anything. */
const SCANNED = ['bin', 'runner', 'reports', 'servers'];

/**
 * The top level, as specified: what makes a result, what reads results, and the servers under
 * test. A DAG over folders, so a newcomer can tell from a file's top folder which half it is in.
 * - servers/ import nothing of ours: they are what is measured.
 * - runner/ produces a result (the CLI's run side, options, Artillery, topology, sampling,
 *   `bench serve`, the result contract and metrics); it never reads reports/.
 * - reports/ reads results (report, gate, capacity, their statistics and formats) and takes the
 *   result contract, the metric registry and the command plumbing from runner/.
 * - bin/ is the entry: it lists the commands of both halves.
 */
type Top = 'bin' | 'runner' | 'reports' | 'servers';
/** The most lines a source file may have: past it, a reader no longer holds it in their head. */
const MAX_LINES = 600;
const TOP_MAY_IMPORT: Record<Top, readonly Top[]> = {
  servers: [],
  runner: ['servers'],
  reports: ['runner', 'servers'],
  bin: ['runner', 'reports'],
};

type Layer =
  | 'servers'
  | 'bin'
  | 'runner'
  | 'runner/metrics'
  | 'runner/config'
  | 'runner/result'
  | 'runner/sampling'
  | 'runner/topology'
  | 'runner/loadgen'
  | 'runner/run'
  | 'runner/serve'
  | 'runner/summary'
  | 'runner/cli'
  | 'reports'
  | 'reports/read'
  | 'reports/browser'
  | 'reports/report'
  | 'reports/gate'
  | 'reports/capacity'
  | 'reports/compare'
  | 'reports/commands';

/**
 * Which layers each layer may import, besides itself. A DAG, so no cycle can cross layers.
 * `runner` and `reports` alone are the files at the top of each folder (errors and paths; the
 * shared statistics and table).
 * - servers/ are the servers under test and their contract (ready and delivery lines, control
 *   paths): below result, since a result records their versions and topology reads their lines.
 * - loadgen → topology: Artillery is a child like any other, spawned and watched by the helpers
 *   in topology/children.ts and parent-watch.ts; topology never imports loadgen.
 * - metrics/ (the metric registry, the one expression parser, units, histograms) sits at the
 *   bottom of runner/: options parse --ensure with it, and result, summaries and reports read it.
 * - reports/read parses result files (every schema version) into what the reports draw; the
 *   gate's Markdown borrows the report's escaping; capacity's page is a report page.
 */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  servers: [],
  runner: [],
  'runner/metrics': ['runner'],
  'runner/config': ['runner/metrics', 'servers', 'runner'],
  'runner/result': ['runner/metrics', 'runner/config', 'servers', 'runner'],
  'runner/sampling': ['runner/result', 'runner/metrics', 'runner/config', 'runner'],
  'runner/topology': ['runner/result', 'runner/metrics', 'runner/config', 'servers', 'runner'],
  'runner/loadgen': ['runner/topology', 'runner/result', 'runner/metrics', 'runner/config', 'runner'],
  'runner/run': [
    'runner/loadgen',
    'runner/topology',
    'runner/sampling',
    'runner/result',
    'runner/metrics',
    'runner/config',
    'servers',
    'runner',
  ],
  'runner/serve': ['runner/sampling', 'runner/result', 'runner/metrics', 'runner/config', 'servers', 'runner'],
  'runner/summary': ['runner/result', 'runner/metrics', 'runner/config', 'runner'],
  'runner/cli': [
    'runner/run',
    'runner/serve',
    'runner/summary',
    'runner/loadgen',
    'runner/topology',
    'runner/sampling',
    'runner/result',
    'runner/metrics',
    'runner/config',
    'servers',
    'runner',
  ],
  // stats.ts re-exports Student's t from runner/metrics, where bench soak's slope interval uses it
  reports: ['runner/metrics', 'runner'],
  'reports/read': ['runner/result', 'runner/metrics', 'runner/config', 'runner'],
  'reports/browser': [],
  'reports/report': [
    'reports/read',
    'reports/browser',
    'reports',
    'runner/result',
    'runner/metrics',
    'runner/config',
    'runner',
  ],
  'reports/gate': [
    'reports/report',
    'reports/read',
    'reports',
    'runner/result',
    'runner/metrics',
    'runner/config',
    'runner',
  ],
  'reports/capacity': [
    'reports/report',
    'reports/browser',
    'reports/read',
    'reports',
    'runner/result',
    'runner/metrics',
    'runner/config',
    'runner',
  ],
  // compare runs whole `bench run`s of two checkouts as children (runner/run/child-run.ts) and
  // decides with the gate's thresholds.
  'reports/compare': [
    'reports/gate',
    'reports/report',
    'reports',
    'runner/run',
    'runner/result',
    'runner/metrics',
    'runner/config',
    'runner',
  ],
  'reports/commands': [
    'reports/compare',
    'reports/capacity',
    'reports/gate',
    'reports/report',
    'reports/read',
    'reports',
    'runner/cli',
    'runner/result',
    'runner/metrics',
    'runner/config',
    'runner',
  ],
  bin: ['reports/commands', 'runner/cli', 'runner/result', 'runner'],
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
  if (parts[0] === 'servers' || parts[0] === 'bin') return parts[0];
  const layer = (parts.length === 2 ? parts[0] : `${parts[0]}/${parts[1]}`) as Layer;
  return layer in MAY_IMPORT ? layer : null;
}

const topOf = (file: string) => file.split('/')[0] as Top;

/** Imports that cross top-level folders against TOP_MAY_IMPORT. */
function topViolations(edges: readonly Edge[]): Edge[] {
  return edges.filter((e) => {
    const a = topOf(e.from);
    const b = topOf(e.to);
    return a !== b && !(TOP_MAY_IMPORT[a] ?? []).includes(b);
  });
}

/** The graph of top-level folders: one edge per pair of folders some import joins. */
function topEdges(edges: readonly Edge[]): Edge[] {
  const pairs = edges.map((e) => ({ from: topOf(e.from), to: topOf(e.to) })).filter((e) => e.from !== e.to);
  return [...new Map(pairs.map((e) => [key(e), e])).values()];
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
    const up = { from: 'runner/result/build.ts', to: 'runner/loadgen/artillery.ts' };
    const down = { from: 'runner/loadgen/artillery.ts', to: 'runner/result/schema.ts' };
    assert.deepEqual(violations([up, down], MAY_IMPORT), [up]);
  });

  it('flag an import from runner/ into reports/, and find the folder cycle it makes', () => {
    const read = { from: 'reports/read/read.ts', to: 'runner/result/schema.ts' };
    const back = { from: 'runner/run/run.ts', to: 'reports/gate/gate.ts' };
    assert.deepEqual(topViolations([read, back]), [back]);
    assert.deepEqual(findCycle(topEdges([read, back])), ['reports', 'runner', 'reports']);
    assert.equal(findCycle(topEdges([read])), null);
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
    assert.ok(has('runner/run/run.ts', 'runner/result/build.ts'));
    assert.ok(has('runner/loadgen/artillery-preload.ts', 'runner/topology/parent-watch.ts'));
    assert.ok(has('bin/commands.ts', 'reports/commands/gate.ts'));
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
      'a new folder under runner/ or reports/ needs its row in MAY_IMPORT',
    );
  });

  it('has the top-level folders as specified, and no other source folder', () => {
    const top = fs
      .readdirSync(ROOT, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    for (const name of ['servers', 'scenarios', 'runner', 'reports', 'hardware-profiles'])
      assert.ok(top.includes(name), name);
    assert.ok(!top.includes('src'), 'src/ is gone: what runs lives in runner/, what reads results in reports/');
  });

  it('keeps every source file outside test/ to 600 lines or fewer (split by responsibility)', () => {
    const long = [...SCANNED, 'bench', 'scenarios/engine/src']
      .flatMap(sourceFiles)
      .map((f) => ({ f, lines: fs.readFileSync(path.join(ROOT, f), 'utf8').split('\n').length - 1 }))
      .filter((x) => x.lines > MAX_LINES)
      .map((x) => `${x.f}: ${x.lines} lines`);
    assert.deepEqual(long, []);
  });

  it('imports across top-level folders only as TOP_MAY_IMPORT allows, with no folder cycle', () => {
    assert.deepEqual(topViolations(uniqueEdges).map(key), []);
    const cycle = findCycle(topEdges(uniqueEdges));
    assert.equal(cycle, null, `folder cycle: ${cycle?.join(' -> ')}`);
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
