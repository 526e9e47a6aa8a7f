import type { Command } from '../command';
import { calibrate } from './calibrate';
import { capacity } from './capacity';
import { gate } from './gate';
import { limit } from './limit';
import { profile } from './profile';
import { report } from './report';
import { run } from './run';
import { serve } from './serve';
import { sweep } from './sweep';

/** Every `bench` command, once, in the order help and error messages list them. */
export const COMMANDS: readonly Command[] = [run, serve, sweep, limit, report, gate, capacity, profile, calibrate];

/** `bench run, serve, …, profile or calibrate`, for the messages that list the commands. */
export function commandList(): string {
  const names = COMMANDS.map((c) => c.name);
  return `bench ${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}
