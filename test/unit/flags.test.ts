import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_DEFAULTS } from '../../runner/config/defaults';
import { RUN_FLAGS, SERVE_FLAGS, SWEEP_FLAGS, SWEEP_PASS_THROUGH } from '../../runner/cli/flags';
import { COMMANDS, commandList } from '../../bin/commands';
import { cellRunOptions } from '../../runner/cli/commands/sweep';
import { CLI_REFERENCE, renderFlagReference } from '../../bin/reference';
import { parseFlags } from '../../runner/cli/serve-entry';
import { buildParser } from '../../runner/cli/parser';
import { usageMessage } from '../helpers/usage';

const SERVE_ENTRY = path.resolve(__dirname, '../../runner/cli/serve-entry.js');

describe('the flag table', () => {
  it('docs/cli.md is the reference generated from it (npm run docs:cli)', () => {
    assert.equal(fs.readFileSync(CLI_REFERENCE, 'utf8'), renderFlagReference());
  });

  it('names every command once, in the order the messages list them', () => {
    assert.deepEqual(
      COMMANDS.map((c) => c.name),
      ['run', 'serve', 'sweep', 'limit', 'soak', 'report', 'gate', 'compare', 'capacity', 'profile', 'calibrate'],
    );
    assert.equal(
      commandList(),
      'bench run, serve, sweep, limit, soak, report, gate, compare, capacity, profile or calibrate',
    );
    for (const c of COMMANDS) assert.match(renderFlagReference(), new RegExp(`^## \`bench ${c.name}\\b`, 'm'));
  });

  it('takes defaults from runner/config, not typed into help', () => {
    assert.equal(RUN_FLAGS['arrival-rate'].default, String(RUN_DEFAULTS.arrivalRate));
    assert.equal(RUN_FLAGS['max-lag'].default, String(RUN_DEFAULTS.maxLagMs));
    assert.equal(SERVE_FLAGS['ping-interval'], RUN_FLAGS['ping-interval'], 'one entry, spread into both');
  });

  it('gives bench sweep every sweepable run flag, without a default, so only given ones pass', () => {
    const sweepable = Object.keys(RUN_FLAGS).filter((k) => RUN_FLAGS[k as keyof typeof RUN_FLAGS].sweep);
    assert.ok(sweepable.length >= 18, `sweepable: ${sweepable.join(', ')}`);
    for (const name of sweepable) {
      assert.equal(SWEEP_FLAGS[name]?.describe, SWEEP_PASS_THROUGH, name);
      assert.equal(SWEEP_FLAGS[name]?.default, undefined, name);
    }
  });

  it('bench sweep passes exactly the given run flags on, typed', async () => {
    const a = await buildParser(['sweep', '--hold', '1', '--max-failed', '1%', '--deflate'], COMMANDS).parseAsync();
    assert.deepEqual(cellRunOptions(a), { hold: '1', maxFailed: '1%', deflate: true });
  });
});

describe('bench serve flags without yargs', () => {
  const parse = (argv: string[]) => parseFlags(argv, SERVE_FLAGS, 'serve');
  it('reads them as yargs did: defaults, =, --no-, repeats, camelCase', () => {
    const a = parse(['--lib', 'ws', '--port=8080', '--no-deflate', '--nodeId', 'n2', '--host', 'a', '--host', 'b']);
    assert.equal(a.lib, 'ws');
    assert.equal(a.port, '8080');
    assert.equal(a.deflate, false);
    assert.equal(a.nodeId, 'n2');
    assert.equal(a.host, 'a,b', 'a repeated flag is its values joined, as yargs gives String(array)');
    assert.equal(a.pingInterval, String(RUN_DEFAULTS.pingIntervalMs));
    assert.equal(a.logDeliveries, false);
    assert.equal(parse(['--log-deliveries']).logDeliveries, true);
    assert.equal(parse(['--port']).port, '0', 'no value: the default');
    assert.equal(parse(['--sio-recovery']).sioRecovery, '', "no value and no default: '', as yargs gives");
  });
  it('refuses unknown arguments with yargs’ words', () => {
    assert.equal(
      usageMessage(() => parse(['--lib', 'ws', '--bogus', '1'])),
      'Unknown argument: bogus. Run "bench serve --help" for the options.',
    );
    assert.equal(
      usageMessage(() => parse(['x', '-p', '3', '--deflate', 'yes'])),
      'Unknown arguments: x, p, yes. Run "bench serve --help" for the options.',
    );
  });
});

/** Starts the lean entry as bin/bench.js does and lists, once it is ready, what it loaded of yargs, ajv, yaml. */
function heavyModulesOfServe(lib: string): Promise<string[]> {
  const script = `
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (line) => {
      const heavy = Object.keys(require.cache).filter((k) => /node_modules[\\\\/](yargs|ajv|yaml)[\\\\/]/.test(k));
      write(JSON.stringify({ heavy, ready: String(line).includes('"ready"') }) + '\\n');
      process.kill(process.pid, 'SIGTERM');
      return true;
    };
    require(${JSON.stringify(SERVE_ENTRY)}).serveMain(['--lib', ${JSON.stringify(lib)}, '--port', '0']);`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', () => {
      clearTimeout(timer);
      const first = out.split('\n')[0] ?? '';
      try {
        const r = JSON.parse(first) as { heavy: string[]; ready: boolean };
        if (!r.ready) reject(new Error(`no ready line: ${first} ${err}`));
        else resolve(r.heavy);
      } catch {
        reject(new Error(`bench serve --lib ${lib} did not start: ${out} ${err}`));
      }
    });
  });
}

describe('bench serve starts lean', () => {
  for (const lib of ['ws', 'socketio', 'sockjs']) {
    it(`--lib ${lib} is listening with no yargs, ajv or yaml loaded`, async () => {
      assert.deepEqual(await heavyModulesOfServe(lib), []);
    });
  }
});
