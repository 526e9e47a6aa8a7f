import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunOptions } from '../../config/run-options';
import { camel, SWEEP_FLAGS } from '../flags';
import { onStopSignals, SIGNAL_EXIT, type Args, type Command } from '../command';

/** The `bench run` options a sweep passes to every cell: its pass-through flags that were given. */
export function cellRunOptions(a: Args): RunOptions {
  const run: Record<string, string | boolean> = {};
  for (const [name, f] of Object.entries(SWEEP_FLAGS)) {
    const value = a[camel(name)];
    if (!f.sweep || value === undefined) continue;
    // A switch passes as one (true, or false for --no-…); a value as typed, '' for a flag given alone.
    run[camel(name)] = f.type === 'boolean' ? value === true : String(value);
  }
  if (a.deflate === true) run.deflate = true;
  if (a.strict === true) run.strict = true;
  return run as RunOptions;
}

export const sweep: Command = {
  name: 'sweep',
  usage: 'sweep',
  describe: 'run libraries × client levels × trials, one fresh server per cell, into one folder',
  flags: SWEEP_FLAGS,
  async run(a) {
    const { runSweep, sweepExitCode } = require('../../run/sweep') as typeof import('../../run/sweep');
    const { resolveSweepOptions } =
      require('../../config/sweep-options') as typeof import('../../config/sweep-options');
    if (a.profile !== undefined) {
      // A bad profile, or --strict where it cannot apply, should stop the sweep before its first cell.
      const isolation = require('../../topology/isolation/index') as typeof import('../../topology/isolation/index');
      isolation.checkProfile(String(a.profile), a.strict === true);
    }
    const o = resolveSweepOptions({
      libs: a.libs as string | undefined,
      clients: a.clients as string | undefined,
      trials: a.trials as string | undefined,
      scenario: a.scenario as string | undefined,
      out: a.out as string | undefined,
      resume: a.resume === true,
      preset: a.preset as string | undefined,
      arrivalRates: a.arrivalRates as string | undefined,
      run: cellRunOptions(a),
      quiet: a.quiet === true,
    });
    const { checkOutputDir } = require('../../result/output-check') as typeof import('../../result/output-check');
    checkOutputDir('--out', typeof a.out === 'string' ? a.out : o.out, 'results/sweep-1');
    const { sweepProgress } = require('../progress') as typeof import('../progress');
    const controller = new AbortController();
    const stopListening = onStopSignals(controller);
    const progress = sweepProgress(o.quiet);
    try {
      const manifest = await runSweep(o, {
        signal: controller.signal,
        onCellStart: (e) => progress.start(e),
        onCellEnd: (e) => progress.end(e),
      });
      progress.stop();
      const { formatSweepSummary } = require('../../summary/text') as typeof import('../../summary/text');
      type CellResult = import('../../summary/text').CellResult;
      const resultOf = (file: string) => {
        try {
          return JSON.parse(fs.readFileSync(path.join(o.out, file), 'utf8')) as CellResult;
        } catch {
          return null;
        }
      };
      process.stderr.write(formatSweepSummary(manifest, o.out, resultOf) + '\n');
      if (controller.signal.aborted) return SIGNAL_EXIT[String(controller.signal.reason)] ?? 130;
      return sweepExitCode(manifest.cells, a.allowInvalid === true);
    } finally {
      progress.stop();
      stopListening();
    }
  },
};
