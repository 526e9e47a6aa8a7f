import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, getEventListeners } from 'node:events';
import { raceExits, type Entrants } from '../../runner/run/exit-race';

/** A child process as the race sees it: exit sets its codes, then emits `exit`, as node does. */
class FakeChild extends EventEmitter {
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    this.exitCode = code;
    this.signalCode = signal;
    this.emit('exit', code, signal);
  }
}

const tail = (text: string) => ({ lastLines: (n: number) => text.split('\n').slice(-n).join('\n') });

function fakeRun(
  opts: { servers?: number; generators?: number; balancer?: boolean; deadlineMs?: number; signal?: AbortSignal } = {},
) {
  const loadgens = Array.from({ length: opts.generators ?? 1 }, () => new FakeChild());
  const loadgen = loadgens[0]!;
  const servers = Array.from({ length: opts.servers ?? 1 }, (_, i) => ({
    child: new FakeChild(),
    exitExpected: false,
    stderr: tail(`node-${i + 1} line 1\nnode-${i + 1} line 2`),
  }));
  const balancer = opts.balancer ? { child: new FakeChild() } : null;
  const entrants: Entrants = {
    loadgens: loadgens.map((child) => ({ child, output: tail('artillery says\nsomething broke') })),
    servers,
    balancer,
    // Long enough never to win unless a test means it to: a timer left behind keeps this file open 60 s.
    deadlineMs: opts.deadlineMs ?? 60_000,
    signal: opts.signal,
    lib: 'ws',
  };
  const children = [...loadgens, ...servers.map((s) => s.child), ...(balancer ? [balancer.child] : [])];
  return { entrants, loadgen, loadgens, servers, balancer, children };
}

const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

/** Nothing of the race is left: no exit listener on any child, no abort listener, no timer. */
function assertCleanedUp(children: FakeChild[], before: number, signal?: AbortSignal) {
  for (const c of children) assert.equal(c.listenerCount('exit'), 0);
  if (signal) assert.equal(getEventListeners(signal, 'abort').length, 0);
  assert.equal(timeouts(), before, 'the deadline timer is cleared');
}

describe('raceExits', () => {
  it('completes when Artillery exits with code 0', async () => {
    const before = timeouts();
    const ac = new AbortController();
    const run = fakeRun({ servers: 2, balancer: true, signal: ac.signal });
    const outcome = raceExits(run.entrants);
    run.loadgen.exit(0);
    assert.deepEqual(await outcome, { status: 'completed' });
    assertCleanedUp(run.children, before, ac.signal);
  });

  it('errors with Artillery’s code or signal and its last lines when it fails', async () => {
    const before = timeouts();
    const run = fakeRun();
    const outcome = raceExits(run.entrants);
    run.loadgen.exit(3);
    assert.deepEqual(await outcome, {
      status: 'errored',
      error: 'Artillery exited with code 3: artillery says\nsomething broke',
    });
    assertCleanedUp(run.children, before);

    const killed = fakeRun();
    const byKill = raceExits(killed.entrants);
    killed.loadgen.exit(null, 'SIGKILL');
    assert.equal(
      ((await byKill) as { error: string }).error,
      'Artillery exited with SIGKILL: artillery says\nsomething broke',
    );
  });

  it('with several generators, completes only once every one has exited with code 0', async () => {
    const before = timeouts();
    const run = fakeRun({ generators: 3 });
    let settled = false;
    const outcome = raceExits(run.entrants).then((o) => ((settled = true), o));
    run.loadgens[0]!.exit(0);
    run.loadgens[2]!.exit(0);
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, 'generator 1 still runs');
    run.loadgens[1]!.exit(0);
    assert.deepEqual(await outcome, { status: 'completed' });
    assertCleanedUp(run.children, before);
  });

  it('errors when any one generator fails, naming it, even after the others completed', async () => {
    const before = timeouts();
    const run = fakeRun({ generators: 2 });
    const outcome = raceExits(run.entrants);
    run.loadgens[0]!.exit(0);
    run.loadgens[1]!.exit(null, 'SIGKILL');
    assert.deepEqual(await outcome, {
      status: 'errored',
      error: 'Artillery (generator 1 of 2) exited with SIGKILL: artillery says\nsomething broke',
    });
    assertCleanedUp(run.children, before);
  });

  it('errors when a server dies, naming it by its stderr', async () => {
    const before = timeouts();
    const run = fakeRun({ servers: 3 });
    const outcome = raceExits(run.entrants);
    run.servers[1]!.child.exit(null, 'SIGSEGV');
    assert.deepEqual(await outcome, {
      status: 'errored',
      error: 'the ws server exited during the run (SIGSEGV): node-2 line 1\nnode-2 line 2',
    });
    assertCleanedUp(run.children, before);
  });

  it('goes on when the server that dies was meant to (--kill-node-at)', async () => {
    const before = timeouts();
    const run = fakeRun({ servers: 2 });
    run.servers[1]!.exitExpected = true;
    const outcome = raceExits(run.entrants);
    run.servers[1]!.child.exit(null, 'SIGKILL');
    run.loadgen.exit(0);
    assert.deepEqual(await outcome, { status: 'completed' });
    assertCleanedUp(run.children, before);
  });

  it('errors when the balancer exits', async () => {
    const before = timeouts();
    const run = fakeRun({ servers: 2, balancer: true });
    const outcome = raceExits(run.entrants);
    run.balancer!.child.exit(1);
    assert.deepEqual(await outcome, {
      status: 'errored',
      error: "HAProxy, the nodes' load balancer, exited during the run (code 1)",
    });
    assertCleanedUp(run.children, before);
  });

  it('errors when the deadline passes first', async () => {
    const before = timeouts();
    const run = fakeRun({ deadlineMs: 600 });
    assert.deepEqual(await raceExits(run.entrants), {
      status: 'errored',
      error: 'the run did not finish within 1 s',
    });
    assertCleanedUp(run.children, before);
  });

  it('is aborted by the signal, with its reason', async () => {
    const before = timeouts();
    const ac = new AbortController();
    const run = fakeRun({ signal: ac.signal });
    const outcome = raceExits(run.entrants);
    ac.abort('SIGINT');
    assert.deepEqual(await outcome, { status: 'aborted', error: 'interrupted by SIGINT' });
    assertCleanedUp(run.children, before, ac.signal);
  });

  it('is aborted at once, listening to nothing, when the signal already was', async () => {
    const before = timeouts();
    const ac = new AbortController();
    ac.abort('SIGTERM');
    const run = fakeRun({ signal: ac.signal });
    assert.deepEqual(await raceExits(run.entrants), { status: 'aborted', error: 'interrupted by SIGTERM' });
    assertCleanedUp(run.children, before, ac.signal);
  });

  it('keeps the first exit: later ones in the same tick change nothing', async () => {
    const before = timeouts();
    const ac = new AbortController();
    const run = fakeRun({ servers: 2, balancer: true, signal: ac.signal });
    const outcome = raceExits(run.entrants);
    run.servers[0]!.child.exit(1);
    run.balancer!.child.exit(1);
    run.loadgen.exit(0);
    ac.abort('SIGINT');
    assert.deepEqual(await outcome, {
      status: 'errored',
      error: 'the ws server exited during the run (code 1): node-1 line 1\nnode-1 line 2',
    });
    assertCleanedUp(run.children, before, ac.signal);
  });
});
