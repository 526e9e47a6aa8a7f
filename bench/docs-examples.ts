/**
 * Makes every figure, page and sample output in docs/ from runs it makes itself, through the
 * real bin, in a fresh temporary folder, so that none of them can drift from the code:
 *
 *   npm run docs:examples
 *
 * - docs/report.html, report.png, sweep-summary.md: a sweep of the three libraries at a few levels;
 * - docs/capacity.html, capacity.png and the capacity text in gate-and-capacity.md: `bench capacity` of it;
 * - docs/scale-out.html, scale-out.png: broadcast sweeps over 2 and 3 nodes behind HAProxy, Redis;
 * - the sample output in run.md: the stderr of one `bench run`;
 * - docs/examples.json: the commands that made each file, the runs' schemaVersion, the date, the
 *   commit and the machine. test/unit/docs-examples.test.ts checks it against the code.
 *
 * Sizes are small, so that it all takes about 10 minutes on 2 cores. Needs HAProxy, Redis on
 * 127.0.0.1:6379 and Debian's chromium. docs/ is written only once every step has succeeded,
 * each file whole or not at all.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { packageRoot } from '../runner/paths';
import { SCHEMA_VERSION } from '../runner/result/schema';
import { writeFileAtomic } from '../runner/result/write';
import type { SweepManifest } from '../runner/result/manifest';
import type { RunResult } from '../runner/result/schema';
import {
  CAPACITY_TEXT,
  EXAMPLES_RECORD,
  replaceBlock,
  RUN_SUMMARY,
  schemaVersionLine,
  type Block,
  type ExampleEntry,
  type ExamplesRecord,
} from './docs-blocks';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium';
import { BIN } from './common';

const HAPROXY = '/usr/sbin/haproxy';
const VIEWPORT = { width: 1400, height: 900 };

const LIBS = ['--libs', 'ws,socketio,sockjs'];
/** The echo sweep behind the report, its summary and the capacity page. */
const SWEEP = ['sweep', ...LIBS, '--clients', '250,500,1000,2000', '--hold', '5', '--out', 'sweeps/default'];
/** docs/gate-and-capacity.md's command, on that sweep. */
const CAPACITY = ['capacity', 'sweeps/default', '--memory', '8GiB', '--slo', 'connect.p99<500ms', '--users', '200000'];
/** docs/scale-out.md's two broadcast sweeps. */
const SCALE_OUT = (nodes: number) => [
  'sweep',
  ...LIBS,
  ...['--clients', '300,900', '--scenario', 'broadcast', '--nodes', String(nodes), '--adapter', 'redis'],
  ...['--hold', '5', '--broadcast-every', '500', '--out', `sweeps/nodes-${nodes}`],
];
/** The run whose stderr is run.md's sample; --quiet leaves out the progress lines. */
const RUN = [
  'run',
  ...['--lib', 'socketio', '--clients', '1000', '--quiet'],
  ...['--ensure', 'connect.p99<500ms', '--ensure', 'rss.steady<300MB', '--ensure', 'failed==0'],
];

const shellWord = (w: string) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);
const commandLine = (args: readonly string[]) => ['bench', ...args].map(shellWord).join(' ');

/** One `bench` command, run in `cwd` as a user runs it; stderr passed through, and kept when asked. */
function bench(
  cwd: string,
  args: readonly string[],
  okCodes: readonly number[],
  keepStderr = false,
): { command: string; stderr: string; seconds: number } {
  const command = commandLine(args);
  process.stderr.write(`\n$ ${command}\n`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    stdio: ['ignore', 'inherit', keepStderr ? 'pipe' : 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const stderr = keepStderr ? r.stderr : '';
  if (keepStderr) process.stderr.write(stderr);
  if (r.status === null || !okCodes.includes(r.status)) {
    throw new Error(`${command} exited with ${r.status ?? r.signal}; its files are in ${cwd}`);
  }
  if (r.status !== 0) process.stderr.write(`(exit ${r.status}: kept; the output says why)\n`);
  return { command, stderr, seconds: Math.round((Date.now() - started) / 1000) };
}

/** The schemaVersion of every result file under `dir` (sweep cells and loose results). */
function resultVersions(dir: string): number[] {
  const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'));
  const versions = new Set<number>();
  for (const f of files) {
    const value = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { kind?: string; schemaVersion?: number };
    if (value.kind !== 'bench-sweep' && typeof value.schemaVersion === 'number') versions.add(value.schemaVersion);
  }
  return [...versions];
}

/** The one schemaVersion of the runs in these folders; anything else is a bug worth stopping for. */
function versionOf(cwd: string, dirs: readonly string[]): number {
  const versions = [...new Set(dirs.flatMap((d) => resultVersions(path.join(cwd, d))))];
  if (versions.length !== 1 || versions[0] !== SCHEMA_VERSION) {
    throw new Error(
      `runs in ${dirs.join(', ')} have schemaVersion ${versions.join(', ') || 'none'}, not ${SCHEMA_VERSION}`,
    );
  }
  return SCHEMA_VERSION;
}

function sweepRun(cwd: string, dir: string, command: string, seconds: number): ExamplesRecord['runs'][string] {
  const manifest = JSON.parse(fs.readFileSync(path.join(cwd, dir, 'manifest.json'), 'utf8')) as SweepManifest;
  return {
    command,
    seconds,
    cells: manifest.cells.length,
    valid: manifest.cells.filter((c) => c.status === 'completed' && c.valid === true).length,
    notCompleted: manifest.cells.filter((c) => c.status !== 'completed').length,
  };
}

function singleRun(cwd: string, command: string, seconds: number): ExamplesRecord['runs'][string] {
  const dir = path.join(cwd, 'results');
  const results = fs.readdirSync(dir).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as RunResult);
  return {
    command,
    seconds,
    cells: results.length,
    valid: results.filter((r) => r.status === 'completed' && r.valid).length,
    notCompleted: results.filter((r) => r.status !== 'completed').length,
  };
}

/** Full-page screenshots of the pages, after their scripts drew every chart. */
async function screenshots(pages: readonly string[]): Promise<Buffer[]> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const shots: Buffer[] = [];
    for (const file of pages) {
      const page = await browser.newPage({ viewport: VIEWPORT });
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(String(err)));
      await page.goto(pathToFileURL(file).href);
      await page.waitForFunction('window.__benchReportReady === true');
      // A canvas with no pixel drawn is a chart that failed; its picture is not worth committing.
      const blank = await page.evaluate<string[]>(`[...document.querySelectorAll('canvas')]
        .filter((c) => !c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some((v, i) => i % 4 === 3 && v > 0))
        .map((c) => c.id)`);
      if (errors.length || blank.length) {
        throw new Error(`${file}: ${[...errors, ...blank.map((id) => `chart ${id} drew nothing`)].join('; ')}`);
      }
      shots.push(await page.screenshot({ fullPage: true }));
      await page.close();
    }
    return shots;
  } finally {
    await browser.close();
  }
}

function git(args: string[]): string {
  return spawnSync('git', args, { cwd: packageRoot, encoding: 'utf8' }).stdout.trim();
}

const fenced = (text: string) => ['```text', text.trimEnd(), '```'].join('\n');

async function main(): Promise<void> {
  for (const [file, pkg] of [
    [CHROMIUM, 'chromium'],
    [HAPROXY, 'haproxy'],
  ] as const) {
    if (!fs.existsSync(file)) throw new Error(`${file} is missing. Install it: apt-get install -y ${pkg}`);
  }
  const started = Date.now();
  const loadStart = os.loadavg();
  const date = new Date(started).toISOString();
  const commit = git(['rev-parse', 'HEAD']);
  // The code's state; docs/ and README.md change with the examples and do not make them differ.
  const dirty = git(['status', '--porcelain', '--untracked-files=no', '--', '.', ':!docs', ':!README.md']) !== '';
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-docs-examples-'));
  fs.mkdirSync(path.join(cwd, 'docs'));
  process.stderr.write(`Runs in ${cwd}; docs/ is written at the end.\n`);

  const sweep = bench(cwd, SWEEP, [0, 1]);
  const report = bench(
    cwd,
    ['report', 'sweeps/default', '--html', 'docs/report.html', '--markdown', 'docs/sweep-summary.md'],
    [0],
  );
  const capacity = bench(cwd, [...CAPACITY, '--html', 'docs/capacity.html'], [0], true);
  const nodes = [2, 3].map((n) => bench(cwd, SCALE_OUT(n), [0, 1]));
  const scaleOut = bench(cwd, ['report', 'sweeps/nodes-2', 'sweeps/nodes-3', '--html', 'docs/scale-out.html'], [0]);
  const run = bench(cwd, RUN, [0, 1], true);

  const version = versionOf(cwd, ['sweeps', 'results']);
  const pages = ['report', 'capacity', 'scale-out'];
  const pngs = await screenshots(pages.map((p) => path.join(cwd, 'docs', `${p}.html`)));

  const out = new Map<string, string | Uint8Array>();
  const files: Record<string, ExampleEntry> = {};
  const made = (file: string, commands: string[], extra: Partial<ExampleEntry> = {}) => {
    files[file] = { commands, ...extra, schemaVersion: version };
  };
  const copy = (file: string) => out.set(file, fs.readFileSync(path.join(cwd, file)));
  const shot = (page: string) => `screenshot of docs/${page}.html in Chromium (${VIEWPORT.width} px wide, full page)`;

  const reportCommands = [sweep.command, report.command];
  copy('docs/report.html');
  made('docs/report.html', reportCommands);
  const summary = fs.readFileSync(path.join(cwd, 'docs/sweep-summary.md'), 'utf8');
  out.set(
    'docs/sweep-summary.md',
    `Made by \`npm run docs:examples\`: \`${sweep.command}\`, then \`${report.command}\`, in a fresh folder; one trial each, at small sizes ([results.md](results.md#the-report-npm-run-docsexamples)).\n\n${summary}`,
  );
  made('docs/sweep-summary.md', reportCommands);

  const capacityCommands = [sweep.command, capacity.command];
  copy('docs/capacity.html');
  made('docs/capacity.html', capacityCommands);
  const scaleOutCommands = [...nodes.map((n) => n.command), scaleOut.command];
  copy('docs/scale-out.html');
  made('docs/scale-out.html', scaleOutCommands);
  const commandsOf: Record<string, string[]> = {
    report: reportCommands,
    capacity: capacityCommands,
    'scale-out': scaleOutCommands,
  };
  pages.forEach((p, i) => {
    out.set(`docs/${p}.png`, pngs[i]!);
    made(`docs/${p}.png`, [...commandsOf[p]!, shot(p)], { screenshotOf: `docs/${p}.html` });
  });

  const rewrite = (block: Block, commands: string[], text: string) => {
    const page = out.get(block.file) ?? fs.readFileSync(path.join(packageRoot, block.file), 'utf8');
    const body = [schemaVersionLine(version), fenced(text)].join('\n');
    out.set(block.file, replaceBlock(String(page), block, body));
    made(block.file, commands, { blocks: [block.name] });
  };
  rewrite(RUN_SUMMARY, [run.command], run.stderr);
  rewrite(CAPACITY_TEXT, capacityCommands, capacity.stderr);

  for (const [file, content] of out) writeFileAtomic(path.join(packageRoot, file), content);
  const record: ExamplesRecord = {
    madeBy: 'npm run docs:examples',
    date,
    commit,
    dirty,
    schemaVersion: version,
    machine: {
      cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
      cores: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      loadAverage: { start: loadStart.map((l) => +l.toFixed(2)), end: os.loadavg().map((l) => +l.toFixed(2)) },
    },
    seconds: Math.round((Date.now() - started) / 1000),
    runs: {
      'sweeps/default': sweepRun(cwd, 'sweeps/default', sweep.command, sweep.seconds),
      ...Object.fromEntries(
        nodes.map((n, i) => [`sweeps/nodes-${i + 2}`, sweepRun(cwd, `sweeps/nodes-${i + 2}`, n.command, n.seconds)]),
      ),
      results: singleRun(cwd, run.command, run.seconds),
    },
    files,
  };
  writeFileAtomic(path.join(packageRoot, EXAMPLES_RECORD), JSON.stringify(record, null, 2) + '\n');
  fs.rmSync(cwd, { recursive: true, force: true });
  process.stderr.write(
    `\nWrote ${[...out.keys(), EXAMPLES_RECORD].join(', ')} in ${record.seconds} s (load average ${record.machine.loadAverage.end.join(' ')}).\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`docs:examples: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
