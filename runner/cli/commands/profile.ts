import { UsageError } from '../../errors';
import { PROFILE_FLAGS } from '../flags';
import type { Command } from '../command';

export const profile: Command = {
  name: 'profile',
  usage: 'profile <action> [name]',
  describe: 'hardware profiles: bench profile list | bench profile show NAME',
  positionals: [
    { name: 'action', describe: 'list | show' },
    { name: 'name', describe: 'profile name (for show)' },
  ],
  flags: PROFILE_FLAGS,
  run(a) {
    const { loadProfiles, findProfile, formatProfileList } =
      require('../../config/profiles') as typeof import('../../config/profiles');
    if (a.action === 'list') {
      process.stdout.write(formatProfileList(loadProfiles()) + '\n');
      return 0;
    }
    if (a.action !== 'show') {
      throw new UsageError(
        `Unknown profile action "${String(a.action)}". Use bench profile list or bench profile show NAME.`,
      );
    }
    if (typeof a.name !== 'string')
      throw new UsageError('Name the profile to show, e.g. bench profile show paper-2020.');
    const YAML = require('yaml') as typeof import('yaml');
    process.stdout.write(YAML.stringify(findProfile(a.name)));
    return 0;
  },
};
