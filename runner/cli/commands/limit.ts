import { RunError } from '../../errors';
import type { LimitOptions } from '../../config/limit-options';
import { LIMIT_FLAGS } from '../flags';
import { optionsOf, onStopSignals, SIGNAL_EXIT, type Command } from '../command';

export const limit: Command = {
  name: 'limit',
  usage: 'limit',
  describe: 'add clients in held steps until an SLO breaks or a resource runs out: how many one server holds',
  flags: LIMIT_FLAGS,
  async run(a) {
    const { resolveLimitOptions } =
      require('../../config/limit-options') as typeof import('../../config/limit-options');
    const { runLimit } = require('../../run/limit') as typeof import('../../run/limit');
    const { writeResult } = require('../../result/write') as typeof import('../../result/write');
    const { checkOutputFile } = require('../../result/output-check') as typeof import('../../result/output-check');
    const o = resolveLimitOptions(optionsOf(LIMIT_FLAGS, a) as LimitOptions);
    checkOutputFile('--out', o.out, 'results/limit.json');
    const controller = new AbortController();
    const stopListening = onStopSignals(controller);
    try {
      const result = await runLimit(o, {
        signal: controller.signal,
        onStep: (s) =>
          process.stderr.write(
            `limit: ${s.clients.toLocaleString('en-US')} clients held, probe connect p95 ${s.p95.probeConnect ?? '–'} ms, ` +
              `${o.scenario} p95 ${s.p95[o.scenario] ?? '–'} ms, server RSS ${Math.round((s.server.rssBytes ?? 0) / 2 ** 20)} MiB\n`,
          ),
      });
      const saved = writeResult(o.out, result);
      if (o.json || saved.file === null) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      process.stderr.write(`${result.answer}\nResult: ${saved.file ?? 'the JSON printed on stdout'}\n`);
      if (saved.error !== null) {
        throw new RunError(`${saved.error}. The result is in ${saved.file ?? 'the JSON printed on stdout'} instead.`);
      }
      if (controller.signal.aborted) return SIGNAL_EXIT[String(controller.signal.reason)] ?? 130;
      return result.stop.kind === 'errored' ? 1 : 0;
    } finally {
      stopListening();
    }
  },
};
