import { describe, it } from 'node:test';
import * as fs from 'node:fs';
import assert from 'node:assert/strict';
import { checkLimits, parseLimits, FD_OVERHEAD } from '../../runner/run/preflight';
import { PreflightError } from '../../runner/errors';
import { preflight } from '../../runner/run/start-checks';
import { resolveRunOptions } from '../../runner/config/run-options';

const LIMITS_TEXT = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 20000                files
`;

describe('parseLimits', () => {
  it('reads the open-file limits and the port range', () => {
    assert.deepEqual(parseLimits(LIMITS_TEXT, '32768\t60999\n'), {
      openFilesSoft: 1024,
      openFilesHard: 20000,
      ephemeralPorts: { low: 32768, high: 60999 },
    });
    assert.deepEqual(parseLimits(null, null), { openFilesSoft: null, openFilesHard: null, ephemeralPorts: null });
  });
});

describe('checkLimits', () => {
  const limits = parseLimits(LIMITS_TEXT, '32768 60999');
  it('passes what fits', () => {
    checkLimits({ connections: 1024 - FD_OVERHEAD, transientSockets: 0 }, limits);
  });
  it('names the soft limit and the command that raises it', () => {
    assert.throws(
      () => checkLimits({ connections: 10_010, transientSockets: 0 }, limits),
      (err: unknown) =>
        err instanceof PreflightError &&
        err.message ===
          'ulimit -n is 1,024, but 10,010 connections need at least 10,138 open files per process. Raise it in this shell with: ulimit -n 20000',
    );
  });
  it('names the hard limit when the soft one cannot be raised enough', () => {
    assert.throws(
      () => checkLimits({ connections: 30_000, transientSockets: 0 }, limits),
      /^PreflightError: The hard limit on open files is 20,000, but 30,000 connections need at least 30,128\. Raise "nofile"/,
    );
  });
  it('counts ephemeral ports, with the sockets of upgrades in flight', () => {
    const roomy = parseLimits(
      LIMITS_TEXT.replace('1024                 20000', '100000               100000'),
      '32768 60999',
    );
    checkLimits({ connections: 28_000, transientSockets: 0 }, roomy);
    assert.throws(
      () => checkLimits({ connections: 28_000, transientSockets: 500 }, roomy),
      (err: unknown) =>
        err instanceof PreflightError &&
        err.message ===
          'The ephemeral port range 32768-60999 gives 28,232 ports, but 28,000 connections need 28,500. Add --source-addresses auto, or widen it with: sudo sysctl -w net.ipv4.ip_local_port_range="1024 65535"',
    );
  });
});

describe('preflight: open files are per process', () => {
  const full = parseLimits(LIMITS_TEXT.replace('1024 ', '20000'), '32768 60999');
  const opts = (extra: Record<string, string>) =>
    resolveRunOptions({ lib: 'ws', clients: '50000', out: '/tmp/x.json', ...extra });

  it('lets 50,000 clients spread over 3 nodes and 3 generators pass, as no process holds more than its share', () => {
    preflight(opts({ nodes: '3', spread: 'client' }), full);
  });
  it('refuses them on one node, which would hold all 50,010', () => {
    assert.throws(
      () => preflight(opts({}), full),
      (err: unknown) =>
        err instanceof PreflightError &&
        err.message.startsWith('The hard limit on open files is 20,000, but 50,010 connections need at least'),
    );
  });
  // The balancer check looks for HAProxy first.
  const noHaproxy = !fs.existsSync('/usr/sbin/haproxy') && 'HAProxy is not installed';
  it('counts both ends of every client in HAProxy, one process', { skip: noHaproxy }, () => {
    preflight(opts({ clients: '9000', nodes: '3' }), full);
    assert.throws(
      () => preflight(opts({ clients: '10000', nodes: '3' }), full),
      (err: unknown) => err instanceof PreflightError && err.message.includes('but 20,020 connections need'),
    );
  });
});
