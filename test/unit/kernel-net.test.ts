import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kernelNetDelta, parseNetstat, parseSoftnetDrops, readKernelNet } from '../../runner/sampling/kernel-net';

describe("the kernel's network counters", () => {
  it('sums the dropped column (hex) of every CPU in softnet_stat', () => {
    const text = '008a81c7 00002ce0 00000001 00000000\n0087614a 00008ebe 00000006 00000000\n';
    assert.equal(parseSoftnetDrops(text), 0x2ce0 + 0x8ebe);
    assert.equal(parseSoftnetDrops(''), 0);
  });

  it('reads one TcpExt counter from the paired lines of /proc/net/netstat', () => {
    const text =
      'TcpExt: SyncookiesSent TCPAbortOnTimeout TCPKeepAlive\nTcpExt: 0 1221 2044437\n' +
      'IpExt: InNoRoutes InOctets\nIpExt: 0 99\n';
    assert.equal(parseNetstat(text, 'TcpExt', 'TCPAbortOnTimeout'), 1221);
    assert.equal(parseNetstat(text, 'IpExt', 'InOctets'), 99);
    assert.equal(parseNetstat(text, 'TcpExt', 'NoSuchCounter'), null);
  });

  it('gives what was lost between two readings, and null without one of them', () => {
    const before = { backlogDrops: 100, tcpAbortOnTimeout: 5, netdevMaxBacklog: 1000 };
    const after = { backlogDrops: 160, tcpAbortOnTimeout: 7, netdevMaxBacklog: 1000 };
    assert.deepEqual(kernelNetDelta(before, after), { backlogDrops: 60, tcpAbortOnTimeout: 2, netdevMaxBacklog: 1000 });
    assert.equal(kernelNetDelta(null, after), null);
  });

  it('reads this machine', () => {
    const now = readKernelNet();
    assert.ok(now !== null, '/proc/net/softnet_stat and /proc/net/netstat are readable here');
    assert.ok(Number.isInteger(now.backlogDrops) && now.backlogDrops >= 0);
    assert.ok(now.netdevMaxBacklog === null || now.netdevMaxBacklog > 0);
  });
});
