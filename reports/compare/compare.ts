/**
 * `bench compare`: two builds measured the way tachometer and Bun's benchmarks do. Runs alternate
 * in pairs, the order flipping every pair (A B, B A, A B, …), so that neither side always runs
 * first or on a warmer machine; after each pair every gated metric's paired change is checked
 * against its limit, and the loop stops as soon as all are decided (or one has regressed) or the
 * run budget is spent.
 * Each run is a whole `bench run` of that side's own checkout, so the two builds never share code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../../runner/errors';
import { signedPct } from '../../runner/metrics/units';
import { ensureDir, OutputPathError } from '../../runner/result/output-check';
import { writeJsonAtomic } from '../../runner/result/write';
import { isGeneratorReason, type RunResult } from '../../runner/result/build';
import { errorLine, runBenchChild } from '../../runner/run/child-run';
import {
  COMPARE_METRICS,
  decideMetric,
  overallOutcome,
  type CompareOutcome,
  type MetricDecision,
  type Pair,
} from './decide';
import type { CompareSide, ResolvedCompareOptions } from './options';

export type SideName = 'baseline' | 'current';

/** One `bench run` of one side. */
export interface CompareRun {
  side: SideName;
  /** 1-based */
  pair: number;
  /** relative to the compare folder */
  file: string;
  exitCode: number | null;
  status: RunResult['status'] | 'no result';
  valid: boolean;
  invalidReasons: string[];
  wallSeconds: number;
}

export interface CompareReport {
  kind: 'bench-compare';
  verdict: CompareOutcome;
  /** one line: the verdict and why */
  summary: string;
  baseline: { given: string; bin: string; args: string[] };
  current: { given: string; bin: string; args: string[] };
  /** the `bench run` flags both sides got */
  run: string[];
  confidence: number;
  minRuns: number;
  maxRuns: number;
  /** complete pairs: both runs completed and valid */
  pairs: number;
  runs: CompareRun[];
  decisions: MetricDecision[];
  /** what fails the comparison besides a regressed metric */
  failures: string[];
  notes: string[];
  /** set when a signal stopped it */
  aborted: boolean;
}

export interface CompareHooks {
  signal?: AbortSignal;
  onRunEnd?(run: CompareRun, report: CompareReport): void;
}

export const REPORT_FILE = 'compare.json';

/** How many more invalid or failed runs the current side may have than the baseline before it fails. */
export const INVALID_MARGIN = 2;

/** A run left out only because the load generator fell behind or went silent: the machine's doing, not the build's. */
export const generatorOnly = (r: CompareRun): boolean =>
  !r.valid && r.status === 'completed' && r.invalidReasons.length > 0 && r.invalidReasons.every(isGeneratorReason);

/**
 * A failure when the current side had INVALID_MARGIN or more invalid or failed runs than the
 * baseline. One odd invalid run is the machine's as likely as the build's (both sides meet its
 * hiccups); two more than the baseline's is a build that loses connections. Runs the load
 * generator alone spoiled (a busy machine: see isGeneratorReason) are left out of the count:
 * A/A runs on a loaded machine spoil either side at random, and blaming the current build for
 * it is crying wolf.
 */
export function invalidFailures(runs: readonly CompareRun[]): string[] {
  const invalid = (s: SideName) => runs.filter((r) => r.side === s && !r.valid && !generatorOnly(r));
  const [b, c] = [invalid('baseline'), invalid('current')];
  if (c.length < b.length + INVALID_MARGIN) return [];
  const why = [...new Set(c.flatMap((r) => r.invalidReasons))].join('; ');
  return [
    `current had ${c.length} invalid or failed run${c.length === 1 ? '' : 's'} to the baseline's ${b.length} (${why})`,
  ];
}

/** The verdict line, from the decisions and failures. */
export function summarize(r: Omit<CompareReport, 'summary' | 'verdict'>): { verdict: CompareOutcome; summary: string } {
  const gated = r.decisions.filter((d) => d.gated);
  const runs = `${r.runs.length} run${r.runs.length === 1 ? '' : 's'}, ${r.pairs} complete pair${r.pairs === 1 ? '' : 's'}`;
  if (!r.failures.length && gated.length === 0) {
    // Nothing compared (no pair of valid runs measured a gated metric): nothing to call the same.
    const busy = r.runs.filter(generatorOnly).length;
    const why = busy ? `; ${busy} runs left out because the load generator fell behind (a busy machine?)` : '';
    return { verdict: 'unsure', summary: `unsure: no pair of valid runs to compare${why} (${runs})` };
  }
  const verdict: CompareOutcome = r.failures.length ? 'regressed' : overallOutcome(r.decisions);
  const what = (d: MetricDecision) =>
    d.change
      ? `${d.metric} ${signedPct(d.change.estimate)} (${Math.round(r.confidence * 100)} % CI ${signedPct(d.change.low)} … ${signedPct(d.change.high)}, limit ±${d.limitPct.toFixed(0)} %)`
      : `${d.metric} (measured by the baseline, not by the current build)`;
  const with_ = (o: CompareOutcome) => gated.filter((d) => d.outcome === o);
  switch (verdict) {
    case 'regressed':
      return {
        verdict,
        summary: `regressed: ${[...r.failures, ...with_('regressed').map(what)].join('; ')} (${runs})`,
      };
    case 'unsure': {
      const unsure = with_('unsure');
      const more = unsure.map((d) => d.morePairs).filter((n): n is number => n !== null);
      const need =
        more.length === unsure.length && more.length ? `needs about ${Math.max(...more) * 2} more runs` : 'cannot tell';
      return { verdict, summary: `unsure: ${need}; ${unsure.map(what).join('; ')} (${runs})` };
    }
    case 'improved':
      return { verdict, summary: `improved: ${with_('improved').map(what).join('; ')} (${runs})` };
    default: {
      const widest = Math.max(...gated.map((d) => d.limitPct));
      return {
        verdict,
        summary: `same within ${widest.toFixed(0)} %: every gated metric's ${Math.round(r.confidence * 100)} % interval lies inside its limit (${runs})`,
      };
    }
  }
}

function readResult(file: string): RunResult | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as RunResult;
  } catch {
    return null;
  }
}

async function runSide(
  o: ResolvedCompareOptions,
  name: SideName,
  s: CompareSide,
  pair: number,
  signal?: AbortSignal,
): Promise<{ run: CompareRun; result: RunResult | null }> {
  const file = path.join('runs', `pair-${String(pair).padStart(3, '0')}-${name}.json`);
  const abs = path.join(o.out, file);
  const t0 = Date.now();
  const { code, tail } = await runBenchChild(s.bin, ['run', ...o.run, ...s.args, '--out', abs, '--quiet'], signal);
  if (code === 2) {
    throw new UsageError(`--${name} ${s.given}: its bench run refused the options: ${errorLine(tail)}`);
  }
  const result = readResult(abs);
  const run: CompareRun = {
    side: name,
    pair,
    file,
    exitCode: code,
    status: result?.status ?? 'no result',
    valid: result?.status === 'completed' && result.valid !== false,
    invalidReasons: result ? (result.invalidReasons ?? []) : [errorLine(tail)],
    wallSeconds: Math.round((Date.now() - t0) / 100) / 10,
  };
  return { run, result: run.valid ? result : null };
}

/** The order of pair `n` (1-based): A B, then B A, and so on. */
export const orderOf = (n: number): [SideName, SideName] =>
  n % 2 === 1 ? ['baseline', 'current'] : ['current', 'baseline'];

/** Runs pairs until every gated metric is decided (after --min-runs) or --max-runs is spent. */
export async function runCompare(o: ResolvedCompareOptions, hooks: CompareHooks = {}): Promise<CompareReport> {
  try {
    ensureDir(path.join(o.out, 'runs'));
  } catch (err) {
    if (!(err instanceof OutputPathError)) throw err;
    throw new UsageError(`--out ${o.out}: cannot write there (${err.message}). Give another --out folder.`);
  }
  const pairs: Pair[] = [];
  const report: CompareReport = {
    kind: 'bench-compare',
    verdict: 'unsure',
    summary: 'unsure: nothing measured yet',
    baseline: { given: o.baseline.given, bin: o.baseline.bin, args: o.baseline.args },
    current: { given: o.current.given, bin: o.current.bin, args: o.current.args },
    run: o.run,
    confidence: o.confidence,
    minRuns: o.minRuns,
    maxRuns: o.maxRuns,
    pairs: 0,
    runs: [],
    decisions: [],
    failures: [],
    notes: [],
    aborted: false,
  };
  const update = () => {
    report.pairs = pairs.length;
    report.decisions = COMPARE_METRICS.map((m) => decideMetric(m, pairs, o));
    report.failures = invalidFailures(report.runs);
    const left = report.runs.filter((r) => !r.valid).length;
    report.notes = left ? [`${left} runs left out (invalid or failed): their pairs are not compared`] : [];
    Object.assign(report, summarize(report));
    writeJsonAtomic(path.join(o.out, REPORT_FILE), report);
  };
  for (let n = 1; report.runs.length + 2 <= o.maxRuns; n++) {
    const results: Partial<Record<SideName, RunResult | null>> = {};
    for (const name of orderOf(n)) {
      if (hooks.signal?.aborted) break;
      const { run, result } = await runSide(o, name, o[name], n, hooks.signal);
      report.runs.push(run);
      results[name] = result;
      update();
      hooks.onRunEnd?.(run, report);
    }
    if (hooks.signal?.aborted) {
      report.aborted = true;
      break;
    }
    if (results.baseline && results.current) pairs.push([results.baseline, results.current]);
    update();
    // A regression decided is the verdict whatever the other metrics do: stop there too.
    const gated = report.decisions.filter((d) => d.gated);
    const decided =
      (gated.length > 0 && gated.every((d) => d.outcome !== 'unsure')) || gated.some((d) => d.outcome === 'regressed');
    if (report.runs.length >= o.minRuns && (decided || report.failures.length)) break;
  }
  update();
  return report;
}

/** 1 when regressed (or the current side failed more runs); unsure passes unless asked. */
export function compareExitCode(r: CompareReport, failOnUnsure = false): 0 | 1 {
  if (r.verdict === 'regressed') return 1;
  return r.verdict === 'unsure' && failOnUnsure ? 1 : 0;
}
