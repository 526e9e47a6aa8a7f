import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { probeHost } from '../../runner/topology/isolation/host';
import { cannotIsolate } from '../../runner/topology/isolation/plan';
import { isBenchmarkAddress } from '../../runner/config/run-options';
import type { RunResult } from '../../runner/result/build';
import { runBin, startBin } from '../helpers/bin';
import { benchObjects } from '../helpers/kernel';
import { isAlive, waitFor } from '../helpers/procs';
import { runStagedBin, stageCheckout, type StagedCheckout } from '../helpers/stage';

const host = probeHost();
const why = cannotIsolate(host);
const rootSkip = why ? `profiles cannot be applied here: ${why}` : false;
const MEMORY_ROOT = host.memoryCgroup?.root ?? '/sys/fs/cgroup/memory';
/** What paper-2020 asks for, in the order it is applied. */
const PAPER_PARTS = [
  'network namespaces',
  'CPU set (server)',
  'memory cap (server)',
  'CPU set (loadgen)',
  'memory cap (loadgen)',
  'link bandwidth',
  'link latency',
];
const SMALL = ['--clients', '100', '--warmup', '20', '--probes', '2', '--quiet', '--hold', '1'];

function netnsPids(name: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-run-'));
  fs.chmodSync(dir, 0o777);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('bench run --profile paper-2020 (root on Linux)', { skip: rootSkip }, () => {
  it('puts each side in its own namespace, records what it applied and skipped, and leaves nothing behind', async () => {
    const out = path.join(dir, 'paper.json');
    const bench = startBin(['run', '--lib', 'ws', ...SMALL, '--profile', 'paper-2020', '--out', out]);
    const pid = bench.child.pid!;
    const srv = `bench-${pid}-srv`;
    const gen = `bench-${pid}-gen`;
    // While it runs: every process seen in each namespace.
    const seen = { srv: new Set<number>(), gen: new Set<number>() };
    let done = false;
    const code = await Promise.race([
      bench.exited.then((c) => ((done = true), c)),
      (async () => {
        while (!done) {
          netnsPids(srv).forEach((p) => seen.srv.add(p));
          netnsPids(gen).forEach((p) => seen.gen.add(p));
          await new Promise((r) => setTimeout(r, 100));
        }
        return null;
      })(),
    ]);
    assert.equal(code, 0, bench.stderr());
    const r = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
    assert.equal(r.status, 'completed');
    assert.equal(r.clients.connected, 100);
    assert.ok(seen.srv.has(r.server.pid!), `server ${r.server.pid} ran in ${srv} (${[...seen.srv]})`);
    assert.ok(seen.gen.has(r.loadgen.pid!), `Artillery ${r.loadgen.pid} ran in ${gen} (${[...seen.gen]})`);
    assert.ok(!seen.srv.has(r.loadgen.pid!) && !seen.gen.has(r.server.pid!), 'each side only in its own namespace');
    assert.ok(isBenchmarkAddress(new URL(r.server.url!).hostname));
    assert.notEqual(new URL(r.server.url!).hostname, '127.0.0.1');

    assert.ok(typeof r.env.profile === 'object');
    const profile = r.env.profile;
    assert.equal(profile.name, 'paper-2020');
    const netemMissing = profile.skipped.some((s) => s.what === 'link latency');
    assert.deepEqual(
      profile.applied.map((a) => a.what),
      netemMissing ? PAPER_PARTS.filter((p) => p !== 'link latency') : PAPER_PARTS,
    );
    if (netemMissing) {
      assert.deepEqual(profile.skipped, [
        {
          what: 'link latency',
          reason: 'netem (latency emulation) is not available on this kernel (tc: Specified qdisc kind is unknown)',
        },
      ]);
    }
    assert.match(profile.applied[0]!.detail, new RegExp(`server in ${srv} \\(198\\.18\\.`));
    assert.match(profile.applied[2]!.detail, /server capped at 8 GiB by cgroup v[12]/);
    assert.equal(r.server.memoryCap?.capBytes, 8 * 2 ** 30);
    assert.equal(r.server.memoryCap?.capHits, 0);
    assert.ok(r.server.rssBytes.steady! > 0, 'server memory is sampled inside its namespace');
    assert.deepEqual(benchObjects(pid), []);
  });

  it('after a kill -9 the children die, and the next run removes what was left behind', async () => {
    const killed = startBin(['run', '--lib', 'ws', ...SMALL.slice(0, -2), '--hold', '60', '--profile', 'ci-small']);
    const dead = killed.child.pid!;
    assert.ok(await waitFor(() => netnsPids(`bench-${dead}-gen`).length > 0, 30_000), killed.stderr());
    const inside = [...netnsPids(`bench-${dead}-srv`), ...netnsPids(`bench-${dead}-gen`)];
    killed.child.kill('SIGKILL');
    await killed.exited;
    // Its children watch their parent and exit; what they ran in stays until someone removes it.
    assert.ok(await waitFor(() => inside.every((p) => !isAlive(p)), 10_000), 'children outlived bench');
    // Its veth ends went into its namespaces: none is left in the root namespace.
    assert.deepEqual(benchObjects(dead), [
      `cgroup ${path.join(MEMORY_ROOT, `bench-${dead}-server`)}`,
      `netns bench-${dead}-gen`,
      `netns bench-${dead}-srv`,
    ]);
    const r = await runBin([
      'run',
      '--lib',
      'ws',
      ...SMALL,
      '--profile',
      'ci-small',
      '--out',
      path.join(dir, 'stale.json'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`profile: removed leftovers of a killed run: .*namespace bench-${dead}-srv`));
    assert.match(r.stderr, new RegExp(`cgroup bench-${dead}-server`));
    assert.deepEqual(benchObjects(dead), []);
  });

  it('cleans up on Ctrl-C', async () => {
    const out = path.join(dir, 'sigint.json');
    const bench = startBin([
      'run',
      '--lib',
      'socketio',
      ...SMALL.slice(0, -2),
      '--hold',
      '60',
      '--profile',
      'ci-small',
      '--out',
      out,
    ]);
    const pid = bench.child.pid!;
    assert.ok(await waitFor(() => netnsPids(`bench-${pid}-gen`).length > 0, 30_000), bench.stderr());
    bench.child.kill('SIGINT');
    assert.equal(await bench.exited, 130, bench.stderr());
    const r = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
    assert.equal(r.status, 'aborted');
    assert.equal(typeof r.env.profile === 'object' && r.env.profile.name, 'ci-small');
    assert.deepEqual(benchObjects(pid), []);
  });
});

describe('bench run --profile as a user who is not root', { skip: rootSkip }, () => {
  // setpriv drops to nobody: the same machine, without the rights a profile needs.
  const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
  const env = { ...process.env, HOME: dir, XDG_CACHE_HOME: dir };
  const reason = 'not root (uid 65534): network namespaces, CPU sets and cgroups need root; run bench as root';
  // nobody runs a staged copy: this checkout may be in a folder only root can enter.
  let staged: StagedCheckout | { skip: string };
  before(() => {
    staged = stageCheckout(asNobody);
    if ('skip' in staged) process.stderr.write(`# skipped: ${staged.skip}\n`);
  });
  after(() => {
    if (!('skip' in staged)) staged.remove();
  });

  it('runs unconstrained and lists every part as skipped', async (t) => {
    if ('skip' in staged) return t.skip(staged.skip);
    const out = path.join(dir, 'nobody.json');
    const r = await runStagedBin(staged, ['run', '--lib', 'ws', ...SMALL, '--profile', 'paper-2020', '--out', out], {
      prefix: asNobody,
      env,
      cwd: dir,
    });
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
    assert.equal(result.clients.connected, 100);
    assert.deepEqual(result.env.profile, {
      name: 'paper-2020',
      applied: [],
      skipped: PAPER_PARTS.map((what) => ({ what, reason })),
    });
    assert.equal(new URL(result.server.url!).hostname, '127.0.0.1');
  });

  it('--strict refuses, exit 2, one line', async (t) => {
    if ('skip' in staged) return t.skip(staged.skip);
    const r = await runStagedBin(staged, ['run', '--lib', 'ws', ...SMALL, '--profile', 'paper-2020', '--strict'], {
      prefix: asNobody,
      env,
      cwd: dir,
    });
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `Error: --strict: profile paper-2020 cannot be applied here: ${reason}. Drop --strict to run unconstrained, with every part listed as skipped.\n`,
    );
  });
});
