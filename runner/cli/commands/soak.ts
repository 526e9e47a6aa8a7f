import { RunError } from '../../errors';
import { kibNumber as kib } from '../../metrics/units';
import type { SoakOptions } from '../../config/soak-options';
import type { SoakResult } from '../../result/soak-schema';
import { SOAK_FLAGS } from '../flags';
import { optionsOf, onStopSignals, SIGNAL_EXIT, type Command } from '../command';

const VERDICT_WORD = { leak: 'LEAK', 'no-growth': 'NO GROWTH', unfit: 'NO SLOPE' } as const;

/** The verdict first, as `bench run` puts VALID or INVALID first; then how it was found. */
export function formatSoak(r: SoakResult, file: string | null): string {
  const lines = [`${VERDICT_WORD[r.verdict.kind]} ${r.lib}: ${r.verdict.text}`];
  if (r.error !== null) lines.push(`Error: ${r.error}`);
  const c = r.config;
  lines.push(
    `${r.cyclesCompleted.toLocaleString('en-US')} connection cycles (${r.cyclesAbrupt.toLocaleString('en-US')} abrupt), ` +
      `${c.clients.toLocaleString('en-US')} clients, ${c.churnPerSecond}/s churn, ${c.warmupSeconds} s warm-up + ${c.durationSeconds} s; ` +
      `${r.failed} failed, ${r.dropped} dropped`,
  );
  if (r.fit) {
    lines.push(
      `heap + external after full GC: ${kib(r.fit.slopePer1000)} KiB per 1,000 (95 % CI ${kib(r.fit.ci95[0])}–${kib(r.fit.ci95[1])}), ` +
        `${r.fit.n} samples from ${c.fitFromSeconds} s`,
    );
  }
  if (r.rssFit) {
    lines.push(
      `RSS: ${kib(r.rssFit.slopePer1000)} KiB per 1,000 (95 % CI ${kib(r.rssFit.ci95[0])}–${kib(r.rssFit.ci95[1])})`,
    );
  }
  const h = r.heapGrowth;
  if (h) {
    lines.push(
      `grew most between the heap snapshots (cycles ${h.cycles[0].toLocaleString('en-US')} → ${h.cycles[1].toLocaleString('en-US')}, clients ${h.open[0]} → ${h.open[1]}):`,
    );
    for (const g of h.grew.slice(0, 3)) {
      const held = g.retainers.map((x) => `${x.via} ${x.count.toLocaleString('en-US')}`).join(', ');
      lines.push(
        `  ${g.name}: ${g.countAfter - g.countBefore >= 0 ? '+' : ''}${(g.countAfter - g.countBefore).toLocaleString('en-US')} objects, +${kib(g.bytesAfter - g.bytesBefore)} KiB; new ones held by ${held || '–'}`,
      );
    }
    lines.push(`  snapshots: ${h.files.join(', ')}`);
  }
  lines.push(`Result: ${file ?? 'the JSON printed on stdout'}`);
  return lines.join('\n');
}

export const soak: Command = {
  name: 'soak',
  usage: 'soak',
  describe: 'hold N clients while C a second close and are replaced; fit server memory after GC per 1,000 connections',
  flags: SOAK_FLAGS,
  async run(a) {
    const { resolveSoakOptions } = require('../../config/soak-options') as typeof import('../../config/soak-options');
    const { runSoak } = require('../../run/soak') as typeof import('../../run/soak');
    const { writeResult } = require('../../result/write') as typeof import('../../result/write');
    const { checkOutputFile } = require('../../result/output-check') as typeof import('../../result/output-check');
    const o = resolveSoakOptions(optionsOf(SOAK_FLAGS, a) as SoakOptions);
    checkOutputFile('--out', o.out, 'results/soak.json');
    const controller = new AbortController();
    const stopListening = onStopSignals(controller);
    try {
      const result = await runSoak(o, { signal: controller.signal });
      const saved = writeResult(o.out, result);
      if (o.json || saved.file === null) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      process.stderr.write(formatSoak(result, saved.file) + '\n');
      if (saved.error !== null) {
        throw new RunError(`${saved.error}. The result is in ${saved.file ?? 'the JSON printed on stdout'} instead.`);
      }
      if (result.status === 'aborted') return SIGNAL_EXIT[String(controller.signal.reason)] ?? 130;
      return result.status === 'completed' && result.verdict.kind !== 'unfit' ? 0 : 1;
    } finally {
      stopListening();
    }
  },
};
