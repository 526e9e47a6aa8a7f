import { after, describe, it } from 'node:test';
import { execFileSync, spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startBin } from '../helpers/bin';
import { benchObjects, deadPid } from '../helpers/kernel';
import { descendants, isAlive, waitFor } from '../helpers/procs';
import {
  ADDED_CONTROLLERS_FILE,
  enableController,
  enabledControllers,
  removeCgroup,
  restoreControllers,
} from '../../runner/topology/isolation/cgroup';
import { probeHost } from '../../runner/topology/isolation/host';
import { applyProfile } from '../../runner/topology/isolation/index';
import { applyOnLinux } from '../../runner/topology/isolation/linux';
import { cannotIsolate, planIsolation, type HostFacts } from '../../runner/topology/isolation/plan';
import { findTopology, loadProfiles } from '../../runner/config/profiles';
import type { RunResult } from '../../runner/result/build';

describe('bench run on a signal', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal}: stops every child, writes an aborted result, exits ${code}`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cleanup-'));
      const out = path.join(dir, 'r.json');
      const { child, stderr, exited } = startBin([
        'run',
        '--lib',
        'socketio',
        '--clients',
        '100',
        '--arrival-rate',
        '50',
        '--hold',
        '60',
        '--out',
        out,
        '--quiet',
      ]);
      try {
        // Wait until the server and Artillery are both running under bench.
        const both = await waitFor(() => descendants(child.pid!).length >= 2, 60_000, 200);
        assert.ok(both, `bench never started its children; stderr: ${stderr()}`);
        await waitFor(() => false, 3_000); // let some clients connect
        const kids = descendants(child.pid!);
        child.kill(signal);
        assert.equal(await exited, code, stderr());
        const gone = await waitFor(() => kids.every((p) => !isAlive(p)), 10_000);
        assert.ok(gone, `still alive: ${kids.filter(isAlive).join(', ')}`);
        const res = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
        assert.equal(res.status, 'aborted');
        assert.equal(res.status === 'aborted' && res.error, `interrupted by ${signal}`);
        assert.ok(res.server.samples.length > 0, 'kept the server samples');
        assert.deepEqual(fs.readdirSync(dir), ['r.json'], 'no partial files left');
      } finally {
        child.kill('SIGKILL');
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('a server that dies mid-run ends the run errored, exit 1, keeping what was measured', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-servdie-'));
    const out = path.join(dir, 'r.json');
    const { child, stderr, exited } = startBin([
      'run',
      '--lib',
      'ws',
      '--clients',
      '50',
      '--arrival-rate',
      '50',
      '--hold',
      '60',
      '--out',
      out,
      '--quiet',
    ]);
    try {
      const both = await waitFor(() => descendants(child.pid!).length >= 2, 60_000, 200);
      assert.ok(both, stderr());
      await waitFor(() => false, 3_000);
      // The server is the `serve` child.
      const serverPid = descendants(child.pid!).find((p) =>
        fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('serve'),
      );
      assert.ok(serverPid, 'found the server process');
      process.kill(serverPid, 'SIGKILL');
      assert.equal(await exited, 1, stderr());
      const res = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
      assert.equal(res.status, 'errored');
      assert.match(res.status === 'errored' ? res.error : '', /^the ws server exited during the run \(SIGKILL\)/);
      assert.ok(res.server.samples.length > 0);
      assert.match(stderr(), /errored/);
    } finally {
      child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a child whose parent dies before the child reaches node', () => {
  it('still exits: it knows its parent from the environment, not from its ppid at start', async () => {
    // The parent starts a child through a prefix that takes a second before exec'ing node (as a
    // profile's cgroup, taskset and `ip netns exec` do, only slower), prints its pid, and is
    // SIGKILLed at once: the child reaches node already orphaned.
    const children = path.resolve(__dirname, '../../runner/topology/children.js');
    const script = `
      const { spawnNode } = require(${JSON.stringify(children)});
      const c = spawnNode(['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }, undefined,
        ['sh', '-c', 'sleep 1; exec "$@"', 'sh']);
      console.log(c.pid);
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(d))));
    parent.kill('SIGKILL');
    assert.ok(isAlive(pid), 'the child is still on its way to node');
    assert.ok(await waitFor(() => !isAlive(pid), 10_000), `child ${pid} outlived its parent`);
  });
});

const host = probeHost();
const why = cannotIsolate(host);
const rootSkip = why ? `profiles cannot be applied here: ${why}` : false;
const V1_MEMORY = '/sys/fs/cgroup/memory';
const V2_ROOT = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find((r) =>
  fs.existsSync(path.join(r, 'cgroup.controllers')),
);
const FREEZER = '/sys/fs/cgroup/freezer';
const me = process.pid;
const planFor = (name: string, h: HostFacts = host) => planIsolation(findTopology(name), loadProfiles(), h);
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'ignore' });

/** A cgroup v2 controller this kernel offers that is off under the root: one the tests may turn on and off. */
function spareController(): string | null {
  if (!V2_ROOT) return null;
  const offered = fs.readFileSync(path.join(V2_ROOT, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
  return offered.find((c) => c !== '' && !enabledControllers(V2_ROOT).includes(c)) ?? null;
}

function marks(): string {
  return fs.existsSync(ADDED_CONTROLLERS_FILE) ? fs.readFileSync(ADDED_CONTROLLERS_FILE, 'utf8') : '';
}

/** Puts a `sleep` in the given cgroups (cgroup.procs files); returns its pid. */
function sleeperIn(...procsFiles: string[]): number {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  for (const f of procsFiles) fs.writeFileSync(f, String(child.pid));
  return child.pid!;
}

describe('profile cleanup on this kernel (root on Linux)', { skip: rootSkip }, () => {
  after(() => {
    // A failed assertion must not leave this process's kernel objects on the machine.
    if (fs.existsSync(path.join(FREEZER, `bench-${me}-frozen`))) {
      fs.writeFileSync(path.join(FREEZER, `bench-${me}-frozen`, 'freezer.state'), 'THAWED');
    }
    for (const o of benchObjects(me)) {
      const [kind, name] = o.split(' ') as [string, string];
      try {
        if (kind === 'netns') ip('netns', 'del', name);
        else if (kind === 'veth') ip('link', 'del', name);
        else removeCgroup(name);
      } catch {
        // reported by the test that left it
      }
    }
    if (fs.existsSync(path.join(FREEZER, `bench-${me}-frozen`))) fs.rmdirSync(path.join(FREEZER, `bench-${me}-frozen`));
  });

  it('a failure at any step undoes what that part made at once, and cleanup removes the rest', () => {
    const plan = planFor('paper-2020');
    const steps: string[] = [];
    const full = applyOnLinux(plan, host, me, { afterStep: (s) => steps.push(s) });
    assert.deepEqual(full.cleanup(), []);
    assert.deepEqual(benchObjects(me), []);
    assert.ok(steps.includes(`veth bsv${me}`), `the veth pair is a step: ${steps.join(', ')}`);
    assert.ok(steps.length >= 20, steps.join(', '));
    for (const failAt of steps) {
      const injected = `injected after ${failAt}`;
      const iso = applyOnLinux(plan, host, me, {
        afterStep: (s) => {
          if (s === failAt) throw new Error(injected);
        },
      });
      const failed = iso.record.skipped.filter((s) => s.reason.endsWith(injected));
      assert.equal(failed.length, 1, `${failAt}: ${JSON.stringify(iso.record.skipped)}`);
      const left = benchObjects(me);
      if (failed[0]!.what === 'network namespaces') {
        // Nothing of the namespaces part is left, not even the veth `ip link add` made in the root namespace.
        assert.deepEqual(
          left.filter((o) => !o.startsWith('cgroup')),
          [],
          failAt,
        );
        assert.equal(iso.serverHost, '127.0.0.1');
        assert.ok(!iso.prefix('server').includes('netns'), failAt);
      }
      const role = /^memory cap \((\w+)\)$/.exec(failed[0]!.what)?.[1];
      if (role) {
        assert.ok(!left.some((o) => o.endsWith(`bench-${me}-${role}`)), `${failAt}: ${left.join(', ')}`);
        assert.ok(!iso.prefix(role as 'server').includes('sh'), `${failAt}: no cgroup in the ${role} prefix`);
      }
      if (failed[0]!.what === 'link bandwidth') {
        // Half a shaped link is not left: the end shaped before the failure is unshaped again.
        for (const [ns, dev] of [
          [`bench-${me}-srv`, `bsv${me}`],
          [`bench-${me}-gen`, `bgn${me}`],
        ]) {
          const qdiscs = execFileSync('tc', ['-n', ns!, 'qdisc', 'show', 'dev', dev!], { encoding: 'utf8' });
          assert.doesNotMatch(qdiscs, /tbf/, `${failAt}: ${qdiscs}`);
        }
      }
      assert.deepEqual(iso.cleanup(), [], failAt);
      assert.deepEqual(benchObjects(me), [], failAt);
    }
  });

  it('the next apply removes the namespace, veth and cgroups a killed run left, and names each', (t) => {
    const dead = deadPid();
    const spare = spareController();
    ip('netns', 'add', `bench-${dead}-gen`);
    // Killed between `ip link add` and moving the ends: both ends are still in the root namespace.
    ip('link', 'add', `bsv${dead}`, 'type', 'veth', 'peer', 'name', `bgn${dead}`);
    fs.mkdirSync(path.join(V1_MEMORY, `bench-${dead}-server`));
    const expected = [
      `cgroup bench-${dead}-server`,
      `namespace bench-${dead}-gen`,
      `veth bgn${dead}`,
      `veth bsv${dead}`,
    ];
    const before = V2_ROOT ? enabledControllers(V2_ROOT) : [];
    if (V2_ROOT && spare) {
      // What a killed cgroup v2 run leaves: a controller it turned on, and its cgroup.
      assert.equal(enableController(V2_ROOT, spare), true);
      fs.mkdirSync(path.join(V2_ROOT, `bench-${dead}-loadgen`));
      expected.push(`cgroup bench-${dead}-loadgen`, `${spare} controller in ${V2_ROOT}/cgroup.subtree_control`);
    } else t.diagnostic('no spare cgroup v2 controller here: the subtree_control part is not exercised');
    assert.equal(benchObjects(dead).length, V2_ROOT && spare ? 5 : 4);

    let notice: string[] = [];
    const iso = applyProfile('ci-small', {
      onStaleRemoved: (w) => (notice = w),
      onCleanupFailed: (w) => assert.fail(w.join('; ')),
    });
    assert.deepEqual(iso.cleanup(), []);
    // Other runs on this machine may have left theirs too: only this dead pid's are ours to check.
    const ours = notice.filter((n) => n.includes(String(dead)) || (spare !== null && n.startsWith(`${spare} `)));
    assert.deepEqual(ours.sort(), expected.sort());
    assert.deepEqual(benchObjects(dead), []);
    if (V2_ROOT) assert.deepEqual(enabledControllers(V2_ROOT), before);
    assert.ok(!marks().includes(`${V2_ROOT} ${spare}`), marks());
  });

  it('subtree_control: bench turns a controller on only when it is off, and off again once no bench cgroup uses it', (t) => {
    const spare = spareController();
    if (!V2_ROOT || !spare) return t.skip('no cgroup v2 controller here that is off under the root');
    const before = enabledControllers(V2_ROOT);
    const dir = path.join(V2_ROOT, `bench-${me}-server`);
    assert.equal(enableController(V2_ROOT, spare), true);
    assert.deepEqual(enabledControllers(V2_ROOT), [...before, spare].sort());
    fs.mkdirSync(dir);
    assert.deepEqual(restoreControllers(V2_ROOT), [], 'a run still uses it');
    assert.ok(enabledControllers(V2_ROOT).includes(spare));
    removeCgroup(dir);
    assert.deepEqual(restoreControllers(V2_ROOT), [spare]);
    assert.deepEqual(enabledControllers(V2_ROOT), before);
    assert.ok(!marks().includes(`${V2_ROOT} ${spare}`), marks());

    // On before bench came: not bench's to turn off.
    fs.writeFileSync(path.join(V2_ROOT, 'cgroup.subtree_control'), `+${spare}`);
    try {
      assert.equal(enableController(V2_ROOT, spare), false);
      assert.deepEqual(restoreControllers(V2_ROOT), []);
      assert.ok(enabledControllers(V2_ROOT).includes(spare));
    } finally {
      fs.writeFileSync(path.join(V2_ROOT, 'cgroup.subtree_control'), `-${spare}`);
    }
  });

  it('a cgroup v2 memory cap that cannot be turned on is skipped, and subtree_control is left as it was', (t) => {
    if (!V2_ROOT) return t.skip('no cgroup2 mounted here');
    const offered = fs.readFileSync(path.join(V2_ROOT, 'cgroup.controllers'), 'utf8');
    if (offered.includes('memory')) return t.skip(`${V2_ROOT} offers memory: the cap would apply`);
    const before = fs.readFileSync(path.join(V2_ROOT, 'cgroup.subtree_control'), 'utf8');
    const v2host: HostFacts = { ...host, memoryCgroup: { version: 2, root: V2_ROOT } };
    const iso = applyOnLinux(planFor('ci-small', v2host), v2host, me);
    const dir = path.join(V2_ROOT, `bench-${me}-server`);
    const skipped = iso.record.skipped.find((s) => s.what === 'memory cap (server)');
    assert.match(
      skipped?.reason ?? '',
      new RegExp(`^${dir}: cannot turn on memory in ${V2_ROOT}/cgroup.subtree_control: `),
    );
    assert.equal(fs.readFileSync(path.join(V2_ROOT, 'cgroup.subtree_control'), 'utf8'), before);
    assert.ok(!fs.existsSync(dir));
    assert.ok(!marks().includes(`${V2_ROOT} memory`), marks());
    assert.deepEqual(iso.cleanup(), []);
    assert.deepEqual(benchObjects(me), []);
  });

  it('removeCgroup kills what is left in a cgroup, and reports what it cannot kill instead of giving up silently', async (t) => {
    const dir = path.join(V1_MEMORY, `bench-${me}-server`);
    fs.mkdirSync(dir);
    const live = sleeperIn(path.join(dir, 'cgroup.procs'));
    removeCgroup(dir);
    assert.ok(!fs.existsSync(dir));
    assert.ok(await waitFor(() => !isAlive(live), 5_000), `${live} outlived its cgroup`);

    // A frozen task survives SIGKILL until thawed: the one case a kill cannot empty a cgroup.
    if (!fs.existsSync(path.join(FREEZER, 'cgroup.procs'))) return t.skip('no cgroup v1 freezer here');
    const freezer = path.join(FREEZER, `bench-${me}-frozen`);
    fs.mkdirSync(freezer);
    const iso = applyOnLinux(planFor('ci-small'), host, me);
    assert.equal(iso.record.applied.find((a) => a.what === 'memory cap (server)')?.what, 'memory cap (server)');
    const frozen = sleeperIn(path.join(dir, 'cgroup.procs'), path.join(freezer, 'cgroup.procs'));
    try {
      fs.writeFileSync(path.join(freezer, 'freezer.state'), 'FROZEN');
      assert.ok(
        await waitFor(() => fs.readFileSync(path.join(freezer, 'freezer.state'), 'utf8').trim() === 'FROZEN', 5_000),
      );
      assert.throws(() => removeCgroup(dir, 300), {
        message: `cannot remove cgroup ${dir}: process ${frozen} still in it 0.3 s after SIGKILL`,
      });
      // Through a run's cleanup: the rest is still removed, and the cgroup is named, not dropped.
      assert.deepEqual(iso.cleanup(), [`cannot remove cgroup ${dir}: process ${frozen} still in it 2 s after SIGKILL`]);
      assert.deepEqual(benchObjects(me), [`cgroup ${dir}`]);
    } finally {
      fs.writeFileSync(path.join(freezer, 'freezer.state'), 'THAWED');
    }
    removeCgroup(dir);
    assert.ok(await waitFor(() => !isAlive(frozen), 5_000), `${frozen} outlived its cgroup`);
    fs.rmdirSync(freezer);
    assert.deepEqual(benchObjects(me), []);
  });
});
