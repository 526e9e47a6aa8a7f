import { describe, it, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunError } from '../../runner/errors';
import { writeFileAtomic, writeResult } from '../../runner/result/write';
import { checkOutputDir, checkOutputFile, ensureDir, OutputPathError } from '../../runner/result/output-check';
import { usageMessage } from '../helpers/usage';

// The module object itself: `import * as` gives a copy whose methods cannot be replaced.
const nodeFs = require('node:fs') as typeof fs;
const FIX = 'Give a path in a folder you can write, e.g.';

describe('checkOutputFile / checkOutputDir', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'output-check-'));
    fs.writeFileSync(path.join(dir, 'afile'), 'x');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('makes the missing folders and leaves nothing else behind', () => {
    const file = path.join(dir, 'a', 'b', 'c', 'result.json');
    assert.equal(checkOutputFile('--out', file, 'results/run.json'), file);
    assert.ok(fs.statSync(path.dirname(file)).isDirectory());
    assert.deepEqual(fs.readdirSync(path.dirname(file)), [], 'no probe file left');
    assert.equal(fs.existsSync(file), false);
  });

  it('resolves a relative path against the working folder', () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      assert.equal(checkOutputFile('--html', 'rel/report.html', 'report.html'), path.join(dir, 'rel', 'report.html'));
    } finally {
      process.chdir(cwd);
    }
  });

  it('refuses a path under /proc without making any folder', () => {
    const mkdir = mock.method(nodeFs, 'mkdirSync');
    try {
      assert.equal(
        usageMessage(() => checkOutputFile('--out', '/proc/nope/result.json', 'results/run.json')),
        `--out /proc/nope/result.json: cannot write there (/proc is not a place for files). ${FIX} --out results/run.json`,
      );
      assert.equal(
        usageMessage(() => checkOutputDir('--out', '/proc/nope', 'results/sweep-1')),
        `--out /proc/nope: cannot write there (/proc is not a place for files). ${FIX} --out results/sweep-1`,
      );
      assert.throws(() => ensureDir('/proc/nope/deeper'), OutputPathError);
      assert.equal(mkdir.mock.callCount(), 0);
    } finally {
      mkdir.mock.restore();
    }
    assert.equal(fs.existsSync('/proc/nope'), false);
  });

  it('refuses /sys, and a symbolic link that leads into /proc, before any mkdir', () => {
    const link = path.join(dir, 'to-proc');
    fs.symlinkSync('/proc/self', link);
    const mkdir = mock.method(nodeFs, 'mkdirSync');
    try {
      assert.equal(
        usageMessage(() => checkOutputFile('--html', '/sys/x/report.html', 'report.html')),
        `--html /sys/x/report.html: cannot write there (/sys is not a place for files). ${FIX} --html report.html`,
      );
      assert.equal(
        usageMessage(() => checkOutputFile('--junit', `${link}/x/gate.xml`, 'gate.xml')),
        `--junit ${link}/x/gate.xml: cannot write there (/proc is not a place for files). ${FIX} --junit gate.xml`,
      );
      assert.equal(mkdir.mock.callCount(), 0);
    } finally {
      mkdir.mock.restore();
    }
  });

  it('refuses a path whose parent is a file', () => {
    const file = path.join(dir, 'afile', 'x', 'result.json');
    assert.equal(
      usageMessage(() => checkOutputFile('--out', file, 'results/run.json')),
      `--out ${file}: cannot write there (${dir}/afile is a file, not a folder). ${FIX} --out results/run.json`,
    );
    assert.equal(
      usageMessage(() => checkOutputDir('--out', path.join(dir, 'afile'), 'results/sweep-1')),
      `--out ${dir}/afile: cannot write there (${dir}/afile is a file, not a folder). ${FIX} --out results/sweep-1`,
    );
  });

  it('refuses a folder where a file is wanted, and a device', () => {
    assert.equal(
      usageMessage(() => checkOutputFile('--markdown', dir, 'report.md')),
      `--markdown ${dir} is a folder. Give a file name, e.g. --markdown ${dir}/report.md`,
    );
    assert.equal(
      usageMessage(() => checkOutputFile('--out', '/dev/null', 'results/run.json')),
      `--out /dev/null: cannot write there (/dev holds devices, not files). ${FIX} --out results/run.json`,
    );
  });

  it('accepts an existing file (it will be replaced) and an existing folder', () => {
    const file = path.join(dir, 'afile');
    assert.equal(checkOutputFile('--out', file, 'results/run.json'), file);
    assert.equal(fs.readFileSync(file, 'utf8'), 'x', 'the check does not touch it');
    assert.equal(checkOutputDir('--out', dir, 'results/sweep-1'), dir);
  });
});

describe('writeFileAtomic and writeResult', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'output-write-'));
    fs.writeFileSync(path.join(dir, 'afile'), 'x');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('makes missing folders and writes the file whole', () => {
    const file = path.join(dir, 'n', 'm', 'r.json');
    writeFileAtomic(file, 'hello\n');
    assert.equal(fs.readFileSync(file, 'utf8'), 'hello\n');
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['r.json']);
  });

  it('fails with one line naming the file, never a recursive mkdir under /proc', () => {
    const mkdir = mock.method(nodeFs, 'mkdirSync');
    try {
      assert.throws(
        () => writeFileAtomic('/proc/nope/r.json', '{}'),
        (err: unknown) =>
          err instanceof RunError && err.message === 'cannot write /proc/nope/r.json: /proc is not a place for files',
      );
      assert.equal(mkdir.mock.callCount(), 0);
    } finally {
      mkdir.mock.restore();
    }
    assert.throws(
      () => writeFileAtomic(path.join(dir, 'afile', 'r.json'), '{}'),
      (err: unknown) =>
        err instanceof RunError &&
        err.message === `cannot write ${dir}/afile/r.json: ${dir}/afile is a file, not a folder`,
    );
  });

  it('writeResult keeps a result it cannot write where asked in the working folder, and says why', () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const value = { lib: 'ws', clients: { connected: 10 } };
      const saved = writeResult(path.join(dir, 'afile', 'r.json'), value, new Date('2024-05-01T10:20:30.456Z'));
      assert.equal(saved.file, path.join(dir, 'bench-result-2024-05-01T10-20-30-456Z.json'));
      assert.equal(saved.error, `cannot write ${dir}/afile/r.json: ${dir}/afile is a file, not a folder`);
      assert.deepEqual(JSON.parse(fs.readFileSync(saved.file!, 'utf8')), value);
    } finally {
      process.chdir(cwd);
    }
  });

  it('writeResult writes where asked when it can', () => {
    const file = path.join(dir, 'ok', 'r.json');
    assert.deepEqual(writeResult(file, { a: 1 }), { file, error: null });
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), { a: 1 });
  });
});
