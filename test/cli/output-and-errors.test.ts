import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { PARENT_PID_ENV } from '../../servers/types';
import type { RunResult } from '../../runner/result/build';
import type { ReadyLine } from '../../runner/topology/server-process';
import { runBin, startBin, type StartedBin } from '../helpers/bin';
import { waitFor } from '../helpers/procs';
import { runStagedBin, stageCheckout } from '../helpers/stage';

/** Switches to an unprivileged user (nobody) for the checks only root's absence allows. */
const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

const FIXTURE = path.resolve(__dirname, '../../../test/fixtures/result-ws-1000.json');
const FIX = 'Give a path in a folder you can write, e.g.';
/** A bound on each command, so a hang fails the test instead of holding up CI; not an assertion on time. */
const BOUND_MS = 20_000;
const TINY = ['--hold', '0', '--probes', '0', '--warmup', '0', '--quiet'];

let root: string;
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-output-errors-'));
  fs.writeFileSync(path.join(root, 'afile'), 'x');
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Processes still alive that a `bench` with this pid started (its children carry its pid). */
function leftovers(benchPid: number): number[] {
  const mark = `${PARENT_PID_ENV}=${benchPid}\0`;
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/environ`, 'utf8').includes(mark)) found.push(Number(entry));
    } catch {
      // gone while we looked
    }
  }
  return found;
}

function assertOneLine(stderr: string, expected: string): void {
  assert.equal(stderr.trimEnd(), expected);
  assert.equal(stderr.trimEnd().split('\n').length, 1, 'one line');
  assert.doesNotMatch(stderr, /internal failure|\n\s+at /, 'no stack trace');
}

/** A `bench` started in the background, killed if it outlives the bound. */
async function runBounded(args: string[], cwd: string): Promise<{ code: number | null; pid: number; stderr: string }> {
  const b = startBin(args, { cwd });
  const timer = setTimeout(() => b.child.kill('SIGKILL'), BOUND_MS);
  const code = await b.exited;
  clearTimeout(timer);
  return { code, pid: b.child.pid!, stderr: b.stderr() };
}

describe('output paths are checked before any load', () => {
  it('bench run --out /proc/nope/result.json refuses at once: exit 2, one line, no file, no process left', async () => {
    const cwd = fs.mkdtempSync(path.join(root, 'run-proc-'));
    const r = await runBounded(['run', '--lib', 'ws', '--clients', '10', '--out', '/proc/nope/result.json'], cwd);
    assert.equal(r.code, 2, `exit code (null: it hung and was killed); stderr: ${r.stderr}`);
    assertOneLine(
      r.stderr,
      `Error: --out /proc/nope/result.json: cannot write there (/proc is not a place for files). ${FIX} --out results/run.json`,
    );
    assert.deepEqual(fs.readdirSync(cwd), [], 'no results folder, no fallback file');
    assert.equal(fs.existsSync('/proc/nope'), false);
    assert.deepEqual(leftovers(r.pid), []);
  });

  it('bench sweep --out under /proc refuses before its first cell', async () => {
    const cwd = fs.mkdtempSync(path.join(root, 'sweep-proc-'));
    const r = await runBounded(['sweep', '--libs', 'ws', '--clients', '10', '--out', '/proc/nope/sweep'], cwd);
    assert.equal(r.code, 2, r.stderr);
    assertOneLine(
      r.stderr,
      `Error: --out /proc/nope/sweep: cannot write there (/proc is not a place for files). ${FIX} --out results/sweep-1`,
    );
    assert.deepEqual(fs.readdirSync(cwd), []);
    assert.deepEqual(leftovers(r.pid), []);
  });

  const afile = () => path.join(root, 'afile');
  const CASES: Array<[string, () => string[], () => string]> = [
    [
      'bench sweep --out a file',
      () => ['sweep', '--libs', 'ws', '--clients', '10', '--out', afile()],
      () =>
        `Error: --out ${afile()}: cannot write there (${afile()} is a file, not a folder). ${FIX} --out results/sweep-1`,
    ],
    [
      'bench run --out in a folder that is a file',
      () => ['run', '--lib', 'ws', '--clients', '10', '--out', `${afile()}/r.json`],
      () =>
        `Error: --out ${afile()}/r.json: cannot write there (${afile()} is a file, not a folder). ${FIX} --out results/run.json`,
    ],
    [
      'bench report --html under /sys',
      () => ['report', FIXTURE, '--html', '/sys/nope/report.html'],
      () =>
        `Error: --html /sys/nope/report.html: cannot write there (/sys is not a place for files). ${FIX} --html report.html`,
    ],
    [
      'bench report --markdown in a folder that is a file',
      () => ['report', FIXTURE, '--markdown', `${afile()}/r.md`],
      () =>
        `Error: --markdown ${afile()}/r.md: cannot write there (${afile()} is a file, not a folder). ${FIX} --markdown report.md`,
    ],
    [
      'bench gate --junit under /proc',
      () => ['gate', '--baseline', FIXTURE, '--current', FIXTURE, '--junit', '/proc/nope/gate.xml'],
      () =>
        `Error: --junit /proc/nope/gate.xml: cannot write there (/proc is not a place for files). ${FIX} --junit gate.xml`,
    ],
    [
      'bench gate --markdown in a folder that is a file',
      () => ['gate', '--baseline', FIXTURE, '--current', FIXTURE, '--markdown', `${afile()}/g.md`],
      () =>
        `Error: --markdown ${afile()}/g.md: cannot write there (${afile()} is a file, not a folder). ${FIX} --markdown gate.md`,
    ],
    [
      'bench capacity --html under /proc',
      () => ['capacity', FIXTURE, '--html', '/proc/nope/c.html'],
      () =>
        `Error: --html /proc/nope/c.html: cannot write there (/proc is not a place for files). ${FIX} --html capacity.html`,
    ],
    [
      'bench report with a file that does not exist',
      () => ['report', path.join(root, 'missing.json'), '--html', path.join(root, 'r.html')],
      () =>
        `Error: report: ${root}/missing.json does not exist. Give a sweep folder (with manifest.json) or result .json files.`,
    ],
  ];
  for (const [name, args, expected] of CASES) {
    it(`${name}: exit 2, one line`, async () => {
      const r = await runBin(args(), { timeoutMs: BOUND_MS, cwd: root });
      assert.equal(r.code, 2, r.stderr);
      assertOneLine(r.stderr, expected());
      assert.equal(r.stdout, '');
    });
  }

  it('a TMPDIR that cannot hold the working files is refused before any load', async () => {
    for (const tmp of ['/proc/nope', path.join(root, 'afile')]) {
      const out = path.join(root, 'tmpdir', 'r.json');
      const r = await runBin(['run', '--lib', 'ws', '--clients', '10', '--out', out], {
        timeoutMs: BOUND_MS,
        env: { ...process.env, TMPDIR: tmp },
      });
      assert.equal(r.code, 2, r.stderr);
      const code = tmp === '/proc/nope' ? 'ENOENT' : 'ENOTDIR';
      assertOneLine(
        r.stderr,
        `Error: cannot make a working folder in ${tmp} (${code}). Set TMPDIR to a folder you can write, e.g. TMPDIR=/tmp.`,
      );
      assert.equal(fs.existsSync(out), false);
    }
  });

  it('a folder the user cannot write is refused before any load (as an unprivileged user)', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to switch to an unprivileged user');
    const cwd = fs.mkdtempSync(path.join(root, 'ro-'));
    fs.chmodSync(root, 0o755);
    fs.chmodSync(cwd, 0o755);
    // nobody runs a staged copy: this checkout may be in a folder only root can enter.
    const staged = stageCheckout(AS_NOBODY);
    if ('skip' in staged) return t.skip(staged.skip);
    let r: Awaited<ReturnType<typeof runStagedBin>>;
    try {
      r = await runStagedBin(staged, ['run', '--lib', 'ws', '--clients', '10', '--out', 'sub/r.json'], {
        timeoutMs: BOUND_MS,
        cwd,
        prefix: AS_NOBODY,
      });
    } finally {
      staged.remove();
    }
    assert.equal(r.code, 2, r.stderr);
    assertOneLine(
      r.stderr,
      `Error: --out sub/r.json: cannot write there (cannot create ${cwd}/sub: no permission to write in ${cwd}). ${FIX} --out results/run.json`,
    );
  });
});

describe('a measured result is never lost to an output error', () => {
  it('when --out cannot be written at the end, the result goes to ./bench-result-<time>.json, named on stderr, exit 1', async () => {
    const cwd = fs.mkdtempSync(path.join(root, 'fallback-'));
    const sub = path.join(cwd, 'sub');
    const out = path.join(sub, 'result.json');
    const b = startBin(['run', '--lib', 'ws', '--clients', '5', '--hold', '4', '--probes', '0', '--out', out], {
      cwd,
    });
    const timer = setTimeout(() => b.child.kill('SIGKILL'), 90_000);
    // Once the run holds its clients, the folder checked at the start becomes a file.
    assert.ok(await waitFor(() => /\] hold:/.test(b.stderr()), 60_000), b.stderr());
    assert.ok(fs.statSync(sub).isDirectory(), 'the check made the folder');
    fs.rmSync(sub, { recursive: true });
    fs.writeFileSync(sub, 'in the way');
    const code = await b.exited;
    clearTimeout(timer);
    assert.equal(code, 1, b.stderr());
    const saved = fs.readdirSync(cwd).filter((f) => /^bench-result-.*\.json$/.test(f));
    assert.equal(saved.length, 1, fs.readdirSync(cwd).join(', '));
    const file = path.join(cwd, saved[0]!);
    const lines = b.stderr().trimEnd().split('\n');
    assert.equal(
      lines.at(-1),
      `Error: cannot write ${out}: ${sub} is a file, not a folder. The result is in ${file} instead.`,
    );
    assert.ok(lines.includes(`  result           ${file}`), 'the summary names the file');
    assert.doesNotMatch(b.stderr(), /internal failure|\n\s+at /);
    const result = JSON.parse(fs.readFileSync(file, 'utf8')) as RunResult;
    assert.equal(result.status, 'completed');
    assert.equal(result.clients.connected, 5);
    assert.deepEqual(leftovers(b.child.pid!), []);
  });
});

describe('bench serve: addresses and ports a user gives', () => {
  let busy: net.Server;
  let port: number;
  before(async () => {
    busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    port = (busy.address() as net.AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => busy.close(() => resolve())));

  for (const lib of ['ws', 'socketio', 'sockjs']) {
    it(`--lib ${lib} --port <in use>: says so and how to pick another, exit 2`, async () => {
      const r = await runBin(['serve', '--lib', lib, '--port', String(port)], { timeoutMs: BOUND_MS });
      assert.equal(r.code, 2, r.stderr);
      assertOneLine(
        r.stderr,
        `Error: port ${port} on 127.0.0.1 is in use. Pick another with --port, or --port 0 for a free one.`,
      );
      assert.equal(r.stdout, '', 'no ready line');
    });
  }

  it('--adapter cluster --port <in use>: the same line', async () => {
    const r = await runBin(
      ['serve', '--lib', 'socketio', '--adapter', 'cluster', '--workers', '1', '--port', String(port)],
      {
        timeoutMs: BOUND_MS,
      },
    );
    assert.equal(r.code, 2, r.stderr);
    assertOneLine(
      r.stderr,
      `Error: port ${port} on 127.0.0.1 is in use. Pick another with --port, or --port 0 for a free one.`,
    );
  });

  it('--host an address not on this machine: one line, exit 2', async () => {
    // Binding fails locally (EADDRNOTAVAIL); nothing is sent.
    const r = await runBin(['serve', '--lib', 'ws', '--host', '198.18.255.254'], { timeoutMs: BOUND_MS });
    assert.equal(r.code, 2, r.stderr);
    assertOneLine(
      r.stderr,
      'Error: address 198.18.255.254 is not on this machine. Use 127.0.0.1 or an address that `ip addr` lists.',
    );
  });

  it('--port below 1024 without root: one line, exit 2', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to switch to an unprivileged user');
    const staged = stageCheckout(AS_NOBODY);
    if ('skip' in staged) return t.skip(staged.skip);
    let r: Awaited<ReturnType<typeof runStagedBin>>;
    try {
      r = await runStagedBin(staged, ['serve', '--lib', 'ws', '--port', '80'], {
        timeoutMs: BOUND_MS,
        prefix: AS_NOBODY,
      });
    } finally {
      staged.remove();
    }
    assert.equal(r.code, 2, r.stderr);
    assertOneLine(
      r.stderr,
      'Error: port 80 on 127.0.0.1: ports below 1024 need root (or CAP_NET_BIND_SERVICE). Use --port 1024 or above, or --port 0 for a free one.',
    );
  });
});

/** A metrics endpoint that answers 200 with HTML, after `jsonFirst` good answers. */
async function fakeMetrics(
  jsonFirst: number,
): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let n = 0;
  const server = http.createServer((_req, res) => {
    n += 1;
    if (n <= jsonFirst) {
      const now = Date.now();
      const body = JSON.stringify({
        pid: 4242,
        now,
        intervalMs: 250,
        samples: [{ t: now - 1, rssBytes: 5e7, cpuPercent: 1 }],
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>sign in</body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/metrics/samples`,
    requests: () => n,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('--server-metrics that answers 200 but not with JSON', () => {
  let serve: StartedBin;
  let ready: ReadyLine;
  before(async () => {
    serve = startBin(['serve', '--lib', 'ws']);
    const lines = readline.createInterface({ input: serve.child.stdout! });
    ready = await new Promise<ReadyLine>((resolve) => lines.once('line', (l) => resolve(JSON.parse(l) as ReadyLine)));
  });
  after(async () => {
    serve.child.kill('SIGTERM');
    await serve.exited;
  });
  const run = (metrics: string, out: string, more: string[]) =>
    runBin(
      [
        'run',
        '--lib',
        'ws',
        '--clients',
        '3',
        '--target',
        ready.url,
        '--server-metrics',
        metrics,
        '--out',
        out,
        ...more,
      ],
      { timeoutMs: 90_000, env: { ...process.env, BENCH_METRICS_TOKEN: 'test-token-0123' } },
    );

  it('from the start: stops before any load with one line, exit 2', async () => {
    const fake = await fakeMetrics(0);
    try {
      const out = path.join(root, 'html.json');
      const r = await run(fake.url, out, TINY);
      assert.equal(r.code, 2, r.stderr);
      assertOneLine(
        r.stderr,
        `Error: --server-metrics ${fake.url} answered 200 but not with JSON (starts with "<html><body>"). Give the "metrics" URL from the ready line of bench serve.`,
      );
      assert.equal(fs.existsSync(out), false);
    } finally {
      await fake.close();
    }
  });

  it('mid-run: the run completes, and the failed reads are in the result and the summary', async () => {
    const fake = await fakeMetrics(1);
    try {
      const out = path.join(root, 'html-later.json');
      const r = await run(fake.url, out, ['--hold', '2', '--probes', '0', '--warmup', '0', '--sample-interval', '500']);
      assert.equal(r.code, 0, r.stderr);
      const result = JSON.parse(fs.readFileSync(out, 'utf8')) as RunResult;
      assert.equal(result.clients.connected, 3);
      const errors = result.server.remoteErrors;
      assert.ok(errors, 'server.remoteErrors is set');
      // Every read after the first answered HTML: the check, then at least the final read.
      assert.equal(errors.count, fake.requests() - 1);
      assert.ok(errors.count >= 1);
      assert.equal(errors.last, 'answered 200 but not with JSON (starts with "<html><body>")');
      assert.equal(result.server.pid, 4242, 'the good answer still counts');
      const summary = r.stderr.split('\n').filter((l) => l.startsWith('  remote metrics'));
      assert.deepEqual(summary, [
        `  remote metrics   ${errors.count} failed read${errors.count === 1 ? '' : 's'} of --server-metrics, last: ${errors.last}`,
      ]);
    } finally {
      await fake.close();
    }
  });
});
