/**
 * Benchmark (not a test): what the in-server sampler (heap, event loop, GC) costs. Two idle
 * `bench serve` processes side by side, one sampling every 250 ms as `bench run` asks, one not;
 * their CPU time from /proc/<pid>/stat over the same window. Then `sample()` itself, timed over
 * many calls in this process.
 *
 *   node dist/bench/sampler-cost.js [--lib socketio] [--seconds 60] [--calls 20000]
 *
 * `npm run bench:sampler` is this with the defaults. The budget is 1% of a core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { InnerSampler } from '../runner/sampling/inner';
import { readCpuSeconds } from '../runner/sampling/proc-stats';
import { arg, BIN, machine } from './common';

const lib = arg('lib', 'socketio');
const seconds = Number(arg('seconds', '60'));
const calls = Number(arg('calls', '20000'));

function serve(extra: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--lib', lib, '--port', '0', ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('"event":"ready"')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`bench serve exited ${code} before it was ready`)));
  });
}

async function main(): Promise<void> {
  const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  const sampling = await serve(['--inner-sample-interval', '250']);
  const plain = await serve([]);
  try {
    await sleep(5_000); // start-up work settles
    const before = [readCpuSeconds(sampling.pid!), readCpuSeconds(plain.pid!)];
    await sleep(seconds * 1000);
    const after = [readCpuSeconds(sampling.pid!), readCpuSeconds(plain.pid!)];
    const pct = (i: number) => ((after[i]! - before[i]!) / seconds) * 100;
    const s = new InnerSampler(250, () => {}).start();
    const began = performance.now();
    for (let i = 0; i < calls; i++) s.sample();
    const perCall = ((performance.now() - began) / calls) * 1000;
    process.stdout.write(
      [
        `${machine()}. Idle bench serve --lib ${lib}, ${seconds} s, load average ${load} at the start.`,
        '',
        '| process | CPU (% of one core) |',
        '|---|--:|',
        `| sampling every 250 ms | ${pct(0).toFixed(2)} |`,
        `| not sampling | ${pct(1).toFixed(2)} |`,
        `| the sampler's cost | ${(pct(0) - pct(1)).toFixed(2)} |`,
        '',
        `sample() alone: ${perCall.toFixed(1)} µs a call over ${calls} calls, ${((perCall * 4) / 1e4).toFixed(4)} % of a core at 4 samples/s.`,
        '',
      ].join('\n'),
    );
  } finally {
    sampling.kill('SIGTERM');
    plain.kill('SIGTERM');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
