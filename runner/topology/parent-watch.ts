/**
 * Preloaded (`node --require`) into every child that bench starts: when bench dies, even by
 * SIGKILL, the child sees its parent change and exits, so no process outlives bench.
 *
 * The parent's pid comes from the environment, not from `process.ppid` at start: a child
 * started through a prefix (a profile's cgroup, taskset, `ip netns exec`) reaches node only
 * after a few execs, and bench may already be gone by then.
 */
import { PARENT_PID_ENV } from '../../servers/types';

const expected = Number(process.env[PARENT_PID_ENV]) || process.ppid;
const check = () => {
  if (process.ppid !== expected) process.exit(1);
};
check();
const timer = setInterval(check, 500);
timer.unref();
