import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PreflightError } from '../../runner/errors';
import { checkProfile } from '../../runner/topology/isolation/index';
import { subnetFor } from '../../runner/topology/isolation/linux';
import { BENCH_VETH, linkNames } from '../../runner/topology/isolation/netns';
import {
  cannotIsolate,
  planIsolation,
  requestedParts,
  splitCpus,
  type HostFacts,
} from '../../runner/topology/isolation/plan';
import { isBenchmarkAddress } from '../../runner/config/run-options';
import { findTopology, loadProfiles } from '../../runner/config/profiles';
import { usageMessage } from '../helpers/usage';

const ROOT_LINUX: HostFacts = {
  platform: 'linux',
  uid: 0,
  cpus: 2,
  tools: { ip: true, tc: true, taskset: true },
  memoryCgroup: { version: 1, root: '/sys/fs/cgroup/memory' },
};
const plan = (name: string, host: HostFacts = ROOT_LINUX) => planIsolation(findTopology(name), loadProfiles(), host);

describe('splitCpus', () => {
  it('gives each side what the profile asks when the machine has enough', () => {
    assert.deepEqual(splitCpus(2, 4, 8), { server: [0, 1], loadgen: [2, 3, 4, 5] });
  });
  it('scales the profile’s proportion down to this machine, at least one CPU a side', () => {
    assert.deepEqual(splitCpus(4, 4, 2), { server: [0], loadgen: [1] });
    assert.deepEqual(splitCpus(4, 12, 4), { server: [0], loadgen: [1, 2, 3] });
    assert.deepEqual(splitCpus(1, 100, 2), { server: [0], loadgen: [1] });
  });
  it('gives an unset side the CPUs the other does not use', () => {
    assert.deepEqual(splitCpus(1, null, 4), { server: [0], loadgen: [1, 2, 3] });
    assert.deepEqual(splitCpus(null, 1, 4), { server: [0, 1, 2], loadgen: [3] });
  });
  it('pins nothing on one CPU or when no side asks', () => {
    assert.deepEqual(splitCpus(4, 4, 1), { server: null, loadgen: null });
    assert.deepEqual(splitCpus(null, null, 8), { server: null, loadgen: null });
  });
});

describe('planIsolation', () => {
  it('paper-2020 on a 2-CPU root Linux: one CPU a side, the study’s memory, a 1 Gbit link with latency', () => {
    const p = plan('paper-2020');
    assert.equal(p.constrained, true);
    assert.equal(p.canIsolate, true);
    assert.deepEqual(
      { cores: p.server.cores, cpus: p.server.cpus, memoryBytes: p.server.memoryBytes },
      { cores: 4, cpus: [0], memoryBytes: 8 * 2 ** 30 },
    );
    assert.deepEqual(
      { cores: p.loadgen.cores, cpus: p.loadgen.cpus, memoryBytes: p.loadgen.memoryBytes },
      { cores: 4, cpus: [1], memoryBytes: 12 * 2 ** 30 },
    );
    assert.deepEqual(p.link, { bandwidthMbit: 1000, latencyMs: 0.2 });
    assert.deepEqual(requestedParts(p), [
      'network namespaces',
      'CPU set (server)',
      'memory cap (server)',
      'CPU set (loadgen)',
      'memory cap (loadgen)',
      'link bandwidth',
      'link latency',
    ]);
  });
  it('ci-small: the server on one CPU with 1 GiB, the generator on the rest', () => {
    const p = plan('ci-small', { ...ROOT_LINUX, cpus: 4 });
    assert.deepEqual(p.server.cpus, [0]);
    assert.equal(p.server.memoryBytes, 2 ** 30);
    assert.deepEqual(p.loadgen.cpus, [1, 2, 3]);
    assert.equal(p.loadgen.memoryBytes, null);
  });
  it('local asks for nothing', () => {
    const p = plan('local');
    assert.equal(p.constrained, false);
    assert.deepEqual(requestedParts(p), []);
  });
  it('says why a machine cannot apply a profile', () => {
    assert.equal(
      cannotIsolate({ ...ROOT_LINUX, uid: 1000 }),
      'not root (uid 1000): network namespaces, CPU sets and cgroups need root; run bench as root',
    );
    assert.equal(
      cannotIsolate({ ...ROOT_LINUX, platform: 'darwin' }),
      'this is darwin, and profiles need Linux network namespaces',
    );
    assert.equal(
      cannotIsolate({ ...ROOT_LINUX, tools: { ip: false, tc: true, taskset: true } }),
      '`ip` (iproute2) is not installed: apt-get install iproute2',
    );
    assert.equal(cannotIsolate(ROOT_LINUX), null);
  });
});

describe('checkProfile', () => {
  it('--strict refuses a machine that cannot apply the profile, with the reason and the fix', () => {
    assert.throws(
      () => checkProfile('paper-2020', true, { ...ROOT_LINUX, uid: 1000 }),
      (err: unknown) =>
        err instanceof PreflightError &&
        err.message ===
          '--strict: profile paper-2020 cannot be applied here: not root (uid 1000): network namespaces, CPU sets and cgroups need root; run bench as root. Drop --strict to run unconstrained, with every part listed as skipped.',
    );
  });
  it('without --strict, or for local, it lets the run go on', () => {
    checkProfile('paper-2020', false, { ...ROOT_LINUX, uid: 1000 });
    checkProfile('local', true, { ...ROOT_LINUX, uid: 1000 });
  });
  it('an unknown profile and a machine profile are usage errors', () => {
    assert.equal(
      usageMessage(() => checkProfile('paper-2021', false, ROOT_LINUX)),
      'No profile named "paper-2021". Known: ci-small, i3-8300-server, i5-4690k-workstation, local, paper-2020. Run bench profile list.',
    );
    assert.equal(
      usageMessage(() => checkProfile('i3-8300-server', false, ROOT_LINUX)),
      '--profile i3-8300-server is a machine profile; --profile takes a topology: ci-small, local, paper-2020.',
    );
  });
});

describe('subnetFor', () => {
  it('puts both ends in one /30 of 198.18.0.0/15, never the network or broadcast address', () => {
    for (const pid of [1, 63, 64, 255, 16_383, 16_384, 4_194_303]) {
      const { server, loadgen } = subnetFor(pid);
      assert.ok(isBenchmarkAddress(server) && isBenchmarkAddress(loadgen), `${pid}: ${server} ${loadgen}`);
      const last = Number(server.split('.')[3]);
      assert.equal(last % 4, 1);
      assert.equal(Number(loadgen.split('.')[3]), last + 1);
      assert.equal(server.split('.').slice(0, 3).join('.'), loadgen.split('.').slice(0, 3).join('.'));
    }
  });
});

describe('linkNames', () => {
  it('reads interface names from `ip -o link show`, without the peer, so a stale veth end is found by name', () => {
    const out = [
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
      '7: bgn4242@bsv4242: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\\    link/ether 0a:1b:2c:3d:4e:5f brd ff:ff:ff:ff:ff:ff',
      '8: bsv4242@bgn4242: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\\    link/ether 0a:1b:2c:3d:4e:60 brd ff:ff:ff:ff:ff:ff',
      '9: bsv17@if3: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000',
      '',
    ].join('\n');
    assert.deepEqual(linkNames(out), ['lo', 'bgn4242', 'bsv4242', 'bsv17']);
    assert.deepEqual(
      linkNames(out).map((n) => BENCH_VETH.exec(n)?.[1] ?? null),
      [null, '4242', '4242', '17'],
    );
    assert.equal(BENCH_VETH.test('bsvx1'), false);
  });
});
