import { CALIBRATE_FLAGS } from '../flags';
import type { Command } from '../command';

export const calibrate: Command = {
  name: 'calibrate',
  usage: 'calibrate',
  describe:
    'score this machine (a fixed CPU workload and a loopback connection rate) so results from two machines compare',
  flags: CALIBRATE_FLAGS,
  async run(a) {
    const { calibrate, formatCalibration } = require('../../run/calibrate') as typeof import('../../run/calibrate');
    process.stderr.write('calibrating: CPU workload, then 2,000 ws connections on loopback…\n');
    const { calibration, file } = await calibrate();
    if (a.json === true) process.stdout.write(JSON.stringify(calibration, null, 2) + '\n');
    process.stderr.write(formatCalibration(calibration, file) + '\n');
    return 0;
  },
};
