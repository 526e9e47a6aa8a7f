/**
 * Latency figures checked against a delay the test injects, not against how fast this machine
 * is: each case runs once plain and once with the delay, and the p50s must differ by it.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Lib } from 'artillery-engine-bench/protocol';
import type { RunResult } from '../../runner/result/build';
import type { ReadyLine } from '../../runner/topology/server-process';
import { runBin, startBin, type StartedBin } from '../helpers/bin';
import { startDelayProxy, type DelayProxy } from '../helpers/delay-proxy';

/** The injected delay (ms): far above timer resolution, small enough to keep runs short. */
const D = 40;
/**
 * Allowed error of a p50 difference (ms): each delayed turn adds ~1–2 ms of timer slack on top
 * of D, and the plain and delayed runs see different scheduling noise on a shared 2-core host.
 */
const TOLERANCE_MS = 12;
/** Server-to-client turns before each library's connected event, each held D by the proxy. */
const TURNS: Record<Lib, number> = {
  // the 101 answer to the upgrade
  ws: 1,
  // The 101 answer (engine.io's OPEN packet comes in the same turn: the server writes it on
  // open, and socket.io-client 4.8.1 waits for it before it sends the namespace CONNECT), then
  // the answer to that CONNECT, on which `connect` fires.
  socketio: 2,
  // sockjs-client's GET /info, then the 101 answer (the `o` open frame comes with it)
  sockjs: 2,
};
/** A generator stall: at the STALL_AFTER-th main arrival the engine busy-waits STALL_MS. */
const STALL_AFTER = 10;
const STALL_MS = 300;
const RUN_ARGS = ['--clients', '60', '--warmup', '20', '--hold', '2', '--probes', '0', '--echo-every', '500'];

const servers: StartedBin[] = [];
const proxies: DelayProxy[] = [];
let dir: string;
before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'timing-'))));
after(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  for (const s of servers) s.child.kill('SIGTERM');
  await Promise.all(servers.map((s) => s.exited));
  fs.rmSync(dir, { recursive: true, force: true });
});

async function serve(lib: Lib, extra: string[] = []): Promise<ReadyLine> {
  const transport = lib === 'socketio' ? ['--transport', 'websocket'] : [];
  const s = startBin(['serve', '--lib', lib, ...transport, ...extra]);
  servers.push(s);
  const lines = readline.createInterface({ input: s.child.stdout! });
  return new Promise<ReadyLine>((resolve, reject) => {
    lines.once('line', (l) => resolve(JSON.parse(l) as ReadyLine));
    void s.exited.then((code) => reject(new Error(`bench serve exited ${code}: ${s.stderr()}`)));
  });
}

/** The same server's URL, through a proxy that holds what the server sends for D ms. */
async function delayed(ready: ReadyLine): Promise<string> {
  const proxy = await startDelayProxy({ host: '127.0.0.1', port: ready.port }, D);
  proxies.push(proxy);
  const url = new URL(ready.url);
  url.port = String(proxy.port);
  return url.toString();
}

interface Run {
  code: number | null;
  stderr: string;
  result: RunResult;
}

async function run(lib: Lib, name: string, url: string, extra: string[] = [], env?: NodeJS.ProcessEnv): Promise<Run> {
  const out = path.join(dir, `${name}.json`);
  const transport = lib === 'socketio' ? ['--transport', 'websocket'] : [];
  const r = await runBin(
    ['run', '--lib', lib, ...transport, ...RUN_ARGS, ...extra, '--quiet', '--target', url, '--out', out],
    {
      env,
    },
  );
  assert.ok(fs.existsSync(out), `no result (exit ${r.code}): ${r.stderr}`);
  return { code: r.code, stderr: r.stderr, result: JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult };
}

type Figure =
  'connectMs' | 'connectServiceMs' | 'timeToFirstMessageMs' | 'firstMessageMs' | 'echoMs' | 'welcomeDeliveryMs';

function p50(r: Run, figure: Figure): number {
  const s = r.result[figure];
  assert.ok(s !== null && s.count > 0, `${figure}: no samples`);
  return s.p50;
}

/** `figure`'s p50 in `moved` exceeds the one in `plain` by `by` ms, within TOLERANCE_MS. */
function assertGrows(plain: Run, moved: Run, figure: Figure, by: number): void {
  const diff = p50(moved, figure) - p50(plain, figure);
  assert.ok(
    Math.abs(diff - by) <= TOLERANCE_MS,
    `${figure} p50 moved by ${diff.toFixed(2)} ms (${p50(plain, figure)} → ${p50(moved, figure)}), expected ${by} ± ${TOLERANCE_MS}`,
  );
}

for (const lib of ['ws', 'socketio', 'sockjs'] as const) {
  describe(`${lib}: a delay injected ${D} ms moves the figures by it`, () => {
    let plain: Run;
    let proxied: Run;
    let welcomeLate: Run;

    before(async () => {
      const [ready, lateReady] = await Promise.all([serve(lib), serve(lib, ['--welcome-delay', String(D)])]);
      // Side by side: all three share whatever else loads the machine, so noise cancels.
      const args = ['--arrival-rate', '60'];
      [plain, proxied, welcomeLate] = await Promise.all([
        run(lib, `${lib}-plain`, ready.url, args),
        run(lib, `${lib}-proxied`, await delayed(ready), args),
        run(lib, `${lib}-welcome`, lateReady.url, args),
      ]);
      for (const r of [plain, proxied, welcomeLate]) {
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.result.clients.connected, 60);
      }
    });

    it(`through a proxy holding each server chunk ${D} ms: connect grows by ${TURNS[lib]} × ${D}`, () => {
      assertGrows(plain, proxied, 'connectMs', TURNS[lib] * D);
      assertGrows(plain, proxied, 'connectServiceMs', TURNS[lib] * D);
      assertGrows(plain, proxied, 'timeToFirstMessageMs', TURNS[lib] * D);
    });

    it(`through the proxy: echo and the welcome's delivery grow by ${D}, the connected → welcome gap not`, () => {
      assertGrows(plain, proxied, 'echoMs', D);
      assertGrows(plain, proxied, 'welcomeDeliveryMs', D);
      assertGrows(plain, proxied, 'firstMessageMs', 0);
    });

    it(`--welcome-delay ${D}: firstMessageMs reads ${D}, time to first message grows by it, connect not`, () => {
      const first = p50(welcomeLate, 'firstMessageMs');
      assert.ok(Math.abs(first - D) <= TOLERANCE_MS, `firstMessageMs p50 ${first}, expected ${D} ± ${TOLERANCE_MS}`);
      assertGrows(plain, welcomeLate, 'timeToFirstMessageMs', D);
      assertGrows(plain, welcomeLate, 'connectMs', 0);
      // the welcome is stamped when it is sent, after the delay
      assertGrows(plain, welcomeLate, 'welcomeDeliveryMs', 0);
    });
  });
}

describe(`a generator stalled ${STALL_MS} ms during the ramp`, () => {
  let strict: Run;
  let allowed: Run;

  before(async () => {
    const ready = await serve('ws');
    const env = { ...process.env, BENCH_TEST_STALL: `${STALL_AFTER}:${STALL_MS}` };
    const args = ['--arrival-rate', '100'];
    [strict, allowed] = await Promise.all([
      run('ws', 'stall', ready.url, args, env),
      run('ws', 'stall-allowed', ready.url, [...args, '--allow-invalid'], env),
    ]);
  });

  it('arrival lag and connectMs include the stall; connectServiceMs does not', () => {
    for (const { result: r } of [strict, allowed]) {
      assert.equal(r.clients.connected, 60);
      assert.ok(r.arrivalLagMs!.max >= STALL_MS - TOLERANCE_MS, `arrivalLagMs ${JSON.stringify(r.arrivalLagMs)}`);
      assert.ok(r.connectMs!.max >= STALL_MS - TOLERANCE_MS, `connectMs ${JSON.stringify(r.connectMs)}`);
      // What is left once the wait is taken out: far below the stall. Not the tail: a connection
      // in flight when the stall hit has its answer read only after it (the engine's thread was
      // busy), so its service time includes the stall too; those are a few of the 60 at most.
      assert.ok(r.connectServiceMs!.p90 < STALL_MS / 3, `connectServiceMs ${JSON.stringify(r.connectServiceMs)}`);
      // arrivals due during the stall are timed from when they were due, not from when they ran
      assert.ok(
        r.connectMs!.p90 >= r.connectServiceMs!.p90 + STALL_MS / 2,
        `connectMs ${JSON.stringify(r.connectMs)}, connectServiceMs ${JSON.stringify(r.connectServiceMs)}`,
      );
    }
  });

  it('the run is invalid (arrivals started late), exit 1; exit 0 with --allow-invalid', () => {
    for (const r of [strict, allowed]) {
      assert.equal(r.result.valid, false);
      assert.ok(
        r.result.invalidReasons.some((why) => why.startsWith('arrivals started late')),
        JSON.stringify(r.result.invalidReasons),
      );
    }
    assert.equal(strict.code, 1, strict.stderr);
    assert.equal(allowed.code, 0, allowed.stderr);
  });
});

describe('bench serve --welcome-delay', () => {
  for (const given of ['-5', '1.5', '60001']) {
    it(`refuses ${given} in one line, exit 2`, async () => {
      const r = await runBin(['serve', '--lib', 'ws', '--welcome-delay', given], { timeoutMs: 20_000 });
      assert.equal(r.code, 2);
      assert.equal(
        r.stderr,
        `Error: --welcome-delay must be a whole number of ms from 0 to 60000 (got "${given}"). Example: --welcome-delay 40\n`,
      );
    });
  }
});
