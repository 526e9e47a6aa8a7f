import { GATE_FLAGS } from '../../runner/cli/flags';
import { checkOutputs, type Command } from '../../runner/cli/command';

export const gate: Command = {
  name: 'gate',
  usage: 'gate',
  describe:
    'compare current runs (and soaks, on their leak slope) with a baseline; exit 1 on a regression, "unsure" when the trials cannot tell (for CI)',
  flags: GATE_FLAGS,
  run(a) {
    const gate = require('../gate/gate') as typeof import('../gate/gate');
    const { GATE_FORMATS } = require('../gate/formats') as typeof import('../gate/formats');
    const { writeFileAtomic } = require('../../runner/result/write') as typeof import('../../runner/result/write');
    checkOutputs([
      ['--markdown', a.markdown, 'gate.md'],
      ['--junit', a.junit, 'gate.xml'],
    ]);
    const report = gate.runGate(
      gate.resolveGateOptions({
        baseline: a.baseline,
        current: a.current,
        threshold: a.threshold,
        ignoreOption: a.ignoreOption,
        soakThreshold: a.soakThreshold,
      }),
    );
    if (typeof a.markdown === 'string') writeFileAtomic(a.markdown, GATE_FORMATS.markdown(report));
    if (typeof a.junit === 'string') writeFileAtomic(a.junit, GATE_FORMATS.junit(report));
    if (a.json === true) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    process.stderr.write(GATE_FORMATS.text(report));
    return gate.gateExitCode(report, a.failOnUnsure === true);
  },
};
