import { CAPACITY_FLAGS } from '../flags';
import { checkOutputs, type Command } from '../command';

export const capacity: Command = {
  name: 'capacity',
  usage: 'capacity <inputs..>',
  describe: 'fit a sweep and predict clients per server and servers needed',
  positionals: [{ name: 'inputs', array: true, describe: 'a sweep folder, or result files' }],
  flags: CAPACITY_FLAGS,
  run(a) {
    const capacity = require('../../analysis/capacity') as typeof import('../../analysis/capacity');
    const { formatCapacityText } = require('../../export/capacity-text') as typeof import('../../export/capacity-text');
    const { writeFileAtomic } = require('../../result/write') as typeof import('../../result/write');
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
      const { renderCapacityHtml } =
        require('../../export/html-capacity') as typeof import('../../export/html-capacity');
      writeFileAtomic(a.html, renderCapacityHtml(report));
    }
    if (a.json === true) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    process.stderr.write(formatCapacityText(report));
    return 0;
  },
};
