import * as path from 'node:path';

/** The repository / package root (compiled files live in dist/runner/, dist/reports/). */
export const packageRoot = path.resolve(__dirname, '..', '..');
/** The bench bin, for starting children of our own (`bench serve`). */
export const cliEntry = path.join(packageRoot, 'bin', 'bench.js');
/** Preloaded into children so they die with bench. */
export const parentWatch = path.join(packageRoot, 'dist', 'runner', 'topology', 'parent-watch.js');
/** Preloaded into Artillery: parent-watch, and no telemetry leaves the machine. */
export const artilleryPreload = path.join(packageRoot, 'dist', 'runner', 'loadgen', 'artillery-preload.js');
