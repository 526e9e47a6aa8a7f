import { REPORT_FLAGS } from '../../runner/cli/flags';
import { checkOutputs, type Command } from '../../runner/cli/command';

export const report: Command = {
  name: 'report',
  usage: 'report <inputs..>',
  describe: 'render result files or a sweep folder as HTML and/or Markdown',
  positionals: [{ name: 'inputs', array: true, describe: 'a sweep folder, or result .json files' }],
  flags: REPORT_FLAGS,
  run(a) {
    const { resolveReportOptions, writeReport } = require('../report/index') as typeof import('../report/index');
    const o = resolveReportOptions({ inputs: a.inputs, html: a.html, markdown: a.markdown });
    checkOutputs([
      ['--html', o.html, 'report.html'],
      ['--markdown', o.markdown, 'report.md'],
    ]);
    const written = writeReport(o);
    const files = [written.html, written.markdown].filter(Boolean).join(', ');
    const results = (n: number | undefined, what: string) =>
      n ? `, ${n} bench ${what} result${n === 1 ? '' : 's'}` : '';
    const others = results(written.limits, 'limit') + results(written.soaks, 'soak');
    process.stderr.write(`report: ${written.cells} cells${others} → ${files}\n`);
    return 0;
  },
};
