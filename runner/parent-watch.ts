/**
 * Preloaded (`node --require`) into every child that bench starts: when bench dies, even by
 * SIGKILL, the child sees its parent change and exits, so no process outlives bench.
 */
const parentAtStart = process.ppid;
const timer = setInterval(() => {
  if (process.ppid !== parentAtStart) process.exit(1);
}, 500);
timer.unref();
