import { COMPARE_FLAGS, COMPARE_PASS_THROUGH, camel } from '../../runner/cli/flags';
import { checkOutputs, onStopSignals, SIGNAL_EXIT, type Args, type Command } from '../../runner/cli/command';

/** The `bench run` flags given to compare, as argv for both sides, in the table's order. */
export function passedRunArgs(a: Args): string[] {
  const out: string[] = [];
  for (const [name, f] of Object.entries(COMPARE_FLAGS)) {
    if (f.describe !== COMPARE_PASS_THROUGH) continue;
    const v = a[camel(name)];
    if (v === undefined) continue;
    if (f.type === 'boolean') out.push(v === true ? `--${name}` : `--no-${name}`);
    else for (const x of Array.isArray(v) ? v : [v]) out.push(`--${name}`, String(x));
  }
  return out;
}

export const compare: Command = {
  name: 'compare',
  usage: 'compare',
  describe:
    'run two builds alternately until each gated metric is decided: regressed, improved, same within X %, or unsure (for CI)',
  flags: COMPARE_FLAGS,
  async run(a) {
    const { resolveCompareOptions } = require('../compare/options') as typeof import('../compare/options');
    const { runCompare, compareExitCode } = require('../compare/compare') as typeof import('../compare/compare');
    const { formatCompareMarkdown, formatCompareText } =
      require('../compare/format') as typeof import('../compare/format');
    const { writeFileAtomic } = require('../../runner/result/write') as typeof import('../../runner/result/write');
    const { checkOutputDir } =
      require('../../runner/result/output-check') as typeof import('../../runner/result/output-check');
    const o = resolveCompareOptions({
      baseline: a.baseline as string | undefined,
      current: a.current as string | undefined,
      baselineArgs: a.baselineArgs as string | undefined,
      currentArgs: a.currentArgs as string | undefined,
      minRuns: a.minRuns as string | undefined,
      maxRuns: a.maxRuns as string | undefined,
      confidence: a.confidence as string | undefined,
      threshold: (a.threshold as string[] | undefined)?.map(String),
      out: a.out as string | undefined,
      run: passedRunArgs(a),
      quiet: a.quiet === true,
    });
    checkOutputDir('--out', o.out, 'results/compare-1');
    checkOutputs([['--markdown', a.markdown, 'compare.md']]);
    const controller = new AbortController();
    const stopListening = onStopSignals(controller);
    try {
      const report = await runCompare(o, {
        signal: controller.signal,
        onRunEnd: (run, r) => {
          if (o.quiet) return;
          const state = run.valid
            ? 'valid'
            : `${run.status}${run.invalidReasons.length ? `: ${run.invalidReasons.join('; ')}` : ''}`;
          process.stderr.write(
            `compare: run ${r.runs.length} of at most ${o.maxRuns}, pair ${run.pair}, ${run.side}: ${state} (${run.wallSeconds} s)\n`,
          );
        },
      });
      if (typeof a.markdown === 'string') writeFileAtomic(a.markdown, formatCompareMarkdown(report));
      if (a.json === true) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      process.stderr.write(formatCompareText(report));
      if (controller.signal.aborted) return SIGNAL_EXIT[String(controller.signal.reason)] ?? 130;
      return compareExitCode(report, a.failOnUnsure === true);
    } finally {
      stopListening();
    }
  },
};
