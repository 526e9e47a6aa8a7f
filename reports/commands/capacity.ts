import { CAPACITY_FLAGS } from '../../runner/cli/flags';
import { checkOutputs, type Command } from '../../runner/cli/command';

export const capacity: Command = {
  name: 'capacity',
  usage: 'capacity <inputs..>',
  describe: 'fit a sweep and predict clients per server and servers needed',
  positionals: [{ name: 'inputs', array: true, describe: 'a sweep folder, or result files' }],
  flags: CAPACITY_FLAGS,
  run(a) {
    const capacity = require('../capacity/capacity') as typeof import('../capacity/capacity');
    const { formatCapacityText } = require('../capacity/text') as typeof import('../capacity/text');
    const { writeFileAtomic } = require('../../runner/result/write') as typeof import('../../runner/result/write');
    checkOutputs([['--html', a.html, 'capacity.html']]);
    const report = capacity.runCapacity(
      capacity.resolveCapacityOptions({
        inputs: a.inputs,
        memory: a.memory,
        cpuHeadroom: a.cpuHeadroom,
        slo: a.slo,
        users: a.users,
      }),
    );
    if (typeof a.html === 'string') {
      const { renderCapacityHtml } = require('../capacity/html') as typeof import('../capacity/html');
      writeFileAtomic(a.html, renderCapacityHtml(report));
    }
    if (a.json === true) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    process.stderr.write(formatCapacityText(report));
    return 0;
  },
};
