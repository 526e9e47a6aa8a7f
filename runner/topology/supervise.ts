/**
 * Runs a program that cannot preload parent-watch (HAProxy), as `node supervise.js CMD ARGS…`
 * started with spawnNode: it passes SIGTERM and SIGINT on, exits with the program, and kills it
 * when it exits itself, which parent-watch makes it do when bench dies.
 */
import { spawn } from 'node:child_process';

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  process.stderr.write('supervise: name a program to run\n');
  process.exit(2);
}
const child = spawn(cmd, args, { stdio: 'inherit' });
child.on('error', (err) => {
  process.stderr.write(`supervise: ${cmd}: ${err.message}\n`);
  process.exit(127);
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => child.kill(sig));
process.on('exit', () => {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
