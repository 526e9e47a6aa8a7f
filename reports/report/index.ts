/**
 * `bench report`: reads result files (or a sweep folder) and writes an HTML and/or Markdown
 * report. Reports never run anything and never start servers.
 */
import { UsageError } from '../../runner/errors';
import { writeFileAtomic } from '../../runner/result/write';
import { renderHtml } from './html';
import { loadInputs, type LoadedReport } from '../read/read';
import { renderMarkdown } from './markdown';

export { loadInputs, type LoadedReport, type ReportCell, type ReportConditions } from '../read/read';
export { renderHtml } from './html';
export { renderMarkdown } from './markdown';
export { STUDY_2020_CITATION, STUDY_2020_POINTS, type StudyPoint } from './study-2020';

export interface ReportOptions {
  /** sweep folders, folders of result files, or result .json files */
  inputs: string[];
  /** HTML file to write */
  html?: string;
  /** Markdown file to write */
  markdown?: string;
}

function stringList(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  const items = Array.isArray(raw) ? raw : [raw];
  return items.map((x) => String(x).trim()).filter((x) => x.length > 0);
}

function fileFlag(flag: string, raw: unknown): string | undefined {
  if (raw === undefined || raw === null || raw === false) return undefined;
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new UsageError(`--${flag} needs a file name, e.g. --${flag} report.${flag === 'html' ? 'html' : 'md'}.`);
  }
  return raw;
}

/** Validates `bench report` options as the CLI parsed them. */
export function resolveReportOptions(raw: { inputs?: unknown; html?: unknown; markdown?: unknown }): ReportOptions {
  const inputs = stringList(raw.inputs);
  if (inputs.length === 0) {
    throw new UsageError(
      'Missing input. Give a sweep folder or result files, e.g. bench report results/sweep-1 --html report.html.',
    );
  }
  const html = fileFlag('html', raw.html);
  const markdown = fileFlag('markdown', raw.markdown);
  if (html === undefined && markdown === undefined) {
    throw new UsageError('Say what to write: --html FILE and/or --markdown FILE.');
  }
  return { inputs, ...(html !== undefined && { html }), ...(markdown !== undefined && { markdown }) };
}

/** A report format: the loaded results in, the file's whole text out. */
export type ReportFormat = (report: LoadedReport) => string;

/** Each format `bench report` writes, by its flag, in the order written. */
const FORMATS: Record<'html' | 'markdown', ReportFormat> = { html: renderHtml, markdown: renderMarkdown };

/** What `writeReport` read and wrote: counts of results (limits and soaks when any), the files. */
export interface WrittenReport {
  cells: number;
  limits?: number;
  soaks?: number;
  html?: string;
  markdown?: string;
}

/** Loads the inputs, renders what was asked for and writes each file whole or not at all. */
export function writeReport(o: ReportOptions): WrittenReport {
  const report = loadInputs(o.inputs);
  const written: WrittenReport = {
    cells: report.cells.length,
    ...(report.limits.length > 0 && { limits: report.limits.length }),
    ...(report.soaks.length > 0 && { soaks: report.soaks.length }),
  };
  for (const [flag, render] of Object.entries(FORMATS) as [keyof typeof FORMATS, ReportFormat][]) {
    const file = o[flag];
    if (file === undefined) continue;
    writeFileAtomic(file, render(report));
    written[flag] = file;
  }
  return written;
}
