/**
 * The parts of docs/ that `npm run docs:examples` makes: which files, the marked blocks it
 * rewrites inside hand-written pages, the record it keeps (docs/examples.json), and where each
 * file states the result schemaVersion of the runs it shows. Shared by the script and by
 * test/unit/docs-examples.test.ts, which fails when a committed example is older than the code.
 */
import { SCHEMA_VERSION_TAG } from '../reports/report/page';

/** docs/examples.json, relative to the repository. */
export const EXAMPLES_RECORD = 'docs/examples.json';

/** A marked block in a hand-written Markdown page, which the script replaces as a whole. */
export interface Block {
  /** the page, relative to the repository */
  file: string;
  /** the name in its markers: `<!-- docs:examples NAME -->` … `<!-- /docs:examples -->` */
  name: string;
}

export const RUN_SUMMARY: Block = { file: 'docs/run.md', name: 'run-summary' };
export const CAPACITY_TEXT: Block = { file: 'docs/gate-and-capacity.md', name: 'capacity-text' };

/** Every file the script writes, besides the record itself, each with the blocks it rewrites there. */
export const EXAMPLE_FILES: readonly string[] = [
  'docs/report.html',
  'docs/report.png',
  'docs/sweep-summary.md',
  'docs/capacity.html',
  'docs/capacity.png',
  CAPACITY_TEXT.file,
  'docs/scale-out.html',
  'docs/scale-out.png',
  RUN_SUMMARY.file,
];

export const BLOCKS: readonly Block[] = [RUN_SUMMARY, CAPACITY_TEXT];

/** What docs/examples.json holds about one file. */
export interface ExampleEntry {
  /** the commands that made it, in order, as run in a fresh temporary folder */
  commands: string[];
  /** the blocks of a hand-written page that were rewritten; absent when the whole file was */
  blocks?: string[];
  /** for a PNG: the page it is a screenshot of */
  screenshotOf?: string;
  /** the result schemaVersion of the runs it shows */
  schemaVersion: number;
}

/** docs/examples.json. */
export interface ExamplesRecord {
  madeBy: string;
  /** when the script started (ISO 8601) */
  date: string;
  /** the commit the code was at, and whether the code (outside docs/ and README.md) had uncommitted changes */
  commit: string;
  dirty: boolean;
  /** the result schemaVersion the code writes, which every run had */
  schemaVersion: number;
  machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    node: string;
    /** 1, 5 and 15 minute load averages when the script started and when it ended */
    loadAverage: { start: number[]; end: number[] };
  };
  /** wall time of the whole script */
  seconds: number;
  /** each folder of runs (a sweep's, or `results` for the single run): its command, wall time and how its runs ended */
  runs: Record<string, { command: string; seconds: number; cells: number; valid: number; notCompleted: number }>;
  files: Record<string, ExampleEntry>;
}

const START = (name: string) => `<!-- docs:examples ${name} -->`;
const END = '<!-- /docs:examples -->';

function blockRange(text: string, block: Block): [number, number] {
  const start = text.indexOf(START(block.name));
  const end = start < 0 ? -1 : text.indexOf(END, start);
  if (start < 0 || end < 0) {
    throw new Error(
      `${block.file} has no block ${START(block.name)} … ${END}. Put both markers where the generated text goes.`,
    );
  }
  return [start, end + END.length];
}

/** The text between a block's markers, markers included. */
export function readBlock(text: string, block: Block): string {
  const [start, end] = blockRange(text, block);
  return text.slice(start, end);
}

/** `text` with the block's content replaced by `body`; everything outside the markers kept as it was. */
export function replaceBlock(text: string, block: Block, body: string): string {
  const [start, end] = blockRange(text, block);
  return `${text.slice(0, start)}${START(block.name)}\n${body.trimEnd()}\n${END}${text.slice(end)}`;
}

/** The names of every marked block in a page. */
export function blockNames(text: string): string[] {
  return [...text.matchAll(/<!-- docs:examples ([\w-]+) -->/g)].map((m) => m[1]!);
}

/** `<!-- bench-schema-version: 2 -->`, for a generated block. */
export function schemaVersionLine(version: number): string {
  return `<!-- ${SCHEMA_VERSION_TAG}: ${version} -->`;
}

/**
 * Every result schemaVersion a text records: the report pages' `<meta>` and the Markdown
 * summaries' and blocks' comments. A list such as `1,2` gives each of its versions.
 */
export function schemaVersionsIn(text: string): number[] {
  const found = [
    ...text.matchAll(new RegExp(`<meta name="${SCHEMA_VERSION_TAG}" content="([\\d,]+)">`, 'g')),
    ...text.matchAll(new RegExp(`<!-- ${SCHEMA_VERSION_TAG}: ([\\d,]+) -->`, 'g')),
  ];
  return found.flatMap((m) => m[1]!.split(',').map(Number));
}
