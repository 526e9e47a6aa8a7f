import { describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startBin } from '../helpers/bin';
import { descendants, isAlive, waitFor } from '../helpers/procs';
import type { RunResult } from '../../runner/result';

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
    const children = path.resolve(__dirname, '../../runner/children.js');
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
