import { listCommands, type Command } from '../runner/cli/command';
import { calibrate } from '../runner/cli/commands/calibrate';
import { capacity } from '../reports/commands/capacity';
import { compare } from '../reports/commands/compare';
import { gate } from '../reports/commands/gate';
import { limit } from '../runner/cli/commands/limit';
import { profile } from '../runner/cli/commands/profile';
import { report } from '../reports/commands/report';
import { run } from '../runner/cli/commands/run';
import { serve } from '../runner/cli/commands/serve';
import { soak } from '../runner/cli/commands/soak';
import { sweep } from '../runner/cli/commands/sweep';

/**
 * Every `bench` command, once, in the order help and error messages list them: runner/ makes
 * results (run, serve, sweep, limit, soak, profile, calibrate), reports/ reads them (report, gate,
 * compare, capacity). Only bin/ sees both halves.
 */
export const COMMANDS: readonly Command[] = [
  run,
  serve,
  sweep,
  limit,
  soak,
  report,
  gate,
  compare,
  capacity,
  profile,
  calibrate,
];

/** `bench run, serve, …, profile or calibrate`, for the messages that list the commands. */
export const commandList = (): string => listCommands(COMMANDS);
