import { RunError } from '../../errors';
import type { RunOptions } from '../../config/run-options';
import type { RunResult } from '../../result/build';
import { RUN_FLAGS } from '../flags';
import { optionsOf, onStopSignals, SIGNAL_EXIT, type Command } from '../command';

/** 0 only for a completed run that measured what was asked and met its --ensure checks. */
export function runExitCode(r: RunResult, allowInvalid: boolean): number {
  if (r.status !== 'completed') return 1;
  if (!r.valid && !allowInvalid) return 1;
  return (r.ensure ?? []).every((e) => e.ok) ? 0 : 1;
}

export const run: Command = {
  name: 'run',
  usage: 'run',
  describe: 'start a server, drive it with Artillery, write one result file',
  flags: RUN_FLAGS,
  async run(a) {
    // Loaded here, not at the top: `bench serve` must not carry the runner.
    const { resolveRunOptions } = require('../../config/run-options') as typeof import('../../config/run-options');
    const { runBench } = require('../../run/run') as typeof import('../../run/run');
    const { writeResult } = require('../../result/write') as typeof import('../../result/write');
    const { checkOutputFile } = require('../../result/output-check') as typeof import('../../result/output-check');
    const { formatSummary } = require('../../summary/text') as typeof import('../../summary/text');
    const { evaluateEnsure } = require('../../result/ensure') as typeof import('../../result/ensure');
    const { formatEnsure } = require('../../summary/ensure-text') as typeof import('../../summary/ensure-text');
    const { progressReporter } = require('../progress') as typeof import('../progress');
    const o = resolveRunOptions(optionsOf(RUN_FLAGS, a) as RunOptions);
    checkOutputFile('--out', typeof a.out === 'string' ? a.out : o.out, 'results/run.json');
    const controller = new AbortController();
    const stopListening = onStopSignals(controller);
    const progress = progressReporter(o);
    try {
      const result = await runBench(o, {
        signal: controller.signal,
        onProgress: (p) => progress.update(p),
        onNotice: (line) => process.stderr.write(line + '\n'),
      });
      progress.stop();
      if (o.ensure.length > 0) result.ensure = evaluateEnsure(o.ensure, result);
      const saved = writeResult(o.out, result);
      // With no file written at all, stdout is the last place the result can go.
      if (o.json || saved.file === null) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      process.stderr.write(formatSummary(result, saved.file ?? undefined) + '\n');
      if (result.ensure) process.stderr.write(formatEnsure(result.ensure) + '\n');
      if (saved.error !== null) {
        throw new RunError(`${saved.error}. The result is in ${saved.file ?? 'the JSON printed on stdout'} instead.`);
      }
      if (result.status === 'aborted') return SIGNAL_EXIT[String(controller.signal.reason)] ?? 130;
      return runExitCode(result, o.allowInvalid);
    } finally {
      progress.stop();
      stopListening();
    }
  },
};
