import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveRunOptions } from '../../runner/config/run-options';
import { checkLimits } from '../../runner/run/preflight';
import { preflight, sourcePlan } from '../../runner/run/start-checks';
import { clientsPerAddress, planSourceAddresses } from '../../runner/topology/source-addresses';
import { PreflightError } from '../../runner/errors';
import { usageMessage } from '../helpers/usage';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatSummary, topologyText } from '../../runner/summary/text';
import { loopbackAddresses } from '../../runner/config/spread-options';
import type { RunResult } from '../../runner/result/build';

const SMALL_RANGE = { low: 40000, high: 40999 };
const limits = (range = SMALL_RANGE) => ({ openFilesSoft: 20_000, openFilesHard: 20_000, ephemeralPorts: range });

describe('--spread', () => {
  it('defaults to the balancer and takes client with several redis nodes', () => {
    assert.equal(resolveRunOptions({ lib: 'ws', clients: 10 }).spread, 'balancer');
    assert.equal(resolveRunOptions({ lib: 'ws', clients: 10, nodes: 3, spread: 'client' }).spread, 'client');
  });

  it('refuses what it cannot do, in one line', () => {
    assert.equal(
      usageMessage(() =>
        resolveRunOptions({ lib: 'socketio', clients: 10, nodes: 3, spread: 'client', transport: 'polling' }),
      ),
      '--spread client needs the websocket transport: long-polling needs the sticky balancer. Remove --transport polling or --spread client.',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ lib: 'ws', clients: 10, spread: 'client' })),
      '--spread client spreads clients over server nodes of their own: give --nodes 2 or more with --adapter redis or postgres (got --nodes 1).',
    );
    assert.equal(
      usageMessage(() =>
        resolveRunOptions({ lib: 'socketio', clients: 10, nodes: 2, adapter: 'cluster', spread: 'client' }),
      ),
      '--spread client spreads clients over server nodes of their own: give --nodes 2 or more with --adapter redis or postgres (got --nodes 2 --adapter cluster).',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ lib: 'ws', clients: 10, spread: 'dns' })),
      '--spread must be one of balancer, client (got "dns").',
    );
  });
});

describe('--source-addresses', () => {
  it('reads auto, a count and a list', () => {
    assert.deepEqual(resolveRunOptions({ lib: 'ws', clients: 10 }).sourceAddresses, null);
    assert.deepEqual(resolveRunOptions({ lib: 'ws', clients: 10, sourceAddresses: 'auto' }).sourceAddresses, {
      kind: 'auto',
    });
    assert.deepEqual(resolveRunOptions({ lib: 'ws', clients: 10, sourceAddresses: '3' }).sourceAddresses, {
      kind: 'list',
      addresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4'],
    });
    assert.deepEqual(
      resolveRunOptions({ lib: 'ws', clients: 10, sourceAddresses: '127.0.0.9, 127.1.0.1' }).sourceAddresses,
      {
        kind: 'list',
        addresses: ['127.0.0.9', '127.1.0.1'],
      },
    );
  });

  it('refuses non-loopback, repeated and out-of-range values', () => {
    assert.equal(
      usageMessage(() => resolveRunOptions({ lib: 'ws', clients: 10, sourceAddresses: '127.0.0.2,10.0.0.1' })),
      '--source-addresses 10.0.0.1 is not a 127.x.x.x loopback address: clients connect only from loopback. Give auto, a count, or e.g. 127.0.0.2,127.0.0.3',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ lib: 'ws', clients: 10, sourceAddresses: '127.0.0.2,127.0.0.2' })),
      '--source-addresses lists an address twice (got "127.0.0.2,127.0.0.2"). Give each address once.',
    );
    assert.equal(
      usageMessage(() => resolveRunOptions({ lib: 'ws', clients: 10, sourceAddresses: '0' })),
      '--source-addresses must be auto, a count from 1 to 254 or a list of 127.x.x.x addresses (got "0"). Example: --source-addresses 4',
    );
    assert.equal(
      usageMessage(() =>
        resolveRunOptions({ lib: 'ws', clients: 10, sourceAddresses: 'auto', target: 'ws://198.18.0.2:8080/' }),
      ),
      '--source-addresses binds 127.x.x.x addresses, which reach only a loopback --target (got 198.18.0.2). Use a 127.x.x.x target or remove --source-addresses.',
    );
  });
});

describe('the source address plan', () => {
  it('auto takes none while the kernel holds the sockets, then as many as the range calls for', () => {
    const auto = { kind: 'auto' } as const;
    assert.equal(planSourceAddresses(auto, { sockets: 900, destinations: 1 }, SMALL_RANGE), null);
    // Toward 3 nodes the kernel reuses a port per destination.
    assert.equal(planSourceAddresses(auto, { sockets: 2_500, destinations: 3 }, SMALL_RANGE), null);
    // 900 usable ports per address (90% of 1,000): 3,000 sockets need 4.
    assert.deepEqual(planSourceAddresses(auto, { sockets: 3_000, destinations: 1 }, SMALL_RANGE), [
      '127.0.0.2',
      '127.0.0.3',
      '127.0.0.4',
      '127.0.0.5',
    ]);
    assert.equal(planSourceAddresses(auto, { sockets: 3_000, destinations: 1 }, null), null);
    assert.deepEqual(
      planSourceAddresses({ kind: 'list', addresses: ['127.0.0.7'] }, { sockets: 1, destinations: 1 }, null),
      ['127.0.0.7'],
    );
  });

  it('gives each address its round-robin share', () => {
    assert.deepEqual(clientsPerAddress(['a', 'b', 'c'], 3_010), [
      { address: 'a', clients: 1_004 },
      { address: 'b', clients: 1_003 },
      { address: 'c', clients: 1_003 },
    ]);
  });

  it('counts warm-up clients, which hold ports in TIME_WAIT', () => {
    const o = resolveRunOptions({ lib: 'ws', clients: 850, probes: 0, warmup: 100, sourceAddresses: 'auto' });
    assert.equal(sourcePlan(o, limits())?.length, 2);
  });
});

describe('the port check per (source address, destination)', () => {
  const demand = { connections: 3_000, transientSockets: 0 };
  const refusal = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof PreflightError);
      return err.message;
    }
    return 'accepted';
  };

  it('moves the limit with several addresses or nodes', () => {
    assert.equal(
      refusal(() => checkLimits(demand, limits())),
      'The ephemeral port range 40000-40999 gives 1,000 ports, but 3,000 connections need 3,000. Add --source-addresses auto, or widen it with: sudo sysctl -w net.ipv4.ip_local_port_range="1024 65535"',
    );
    assert.equal(
      refusal(() => checkLimits({ ...demand, destinations: 3 }, limits())),
      'accepted',
    );
    assert.equal(
      refusal(() => checkLimits({ ...demand, sourceAddresses: ['127.0.0.2', '127.0.0.3'] }, limits())),
      'The ephemeral port range 40000-40999 gives 2,000 ports (1,000 on each of 2 source addresses), but 3,000 connections need 3,000. Add --source-addresses auto, or widen it with: sudo sysctl -w net.ipv4.ip_local_port_range="1024 65535"',
    );
  });

  it('lets a run with --source-addresses auto or spread over nodes past one range', () => {
    const base = { lib: 'ws', clients: 3_000, probes: 0, warmup: 0 };
    assert.throws(() => preflight(resolveRunOptions(base), limits()), PreflightError);
    preflight(resolveRunOptions({ ...base, sourceAddresses: 'auto' }), limits());
    preflight(resolveRunOptions({ ...base, nodes: 4, spread: 'client' }), limits());
  });
});

describe('the summary line', () => {
  const fixture = JSON.parse(
    fs.readFileSync(path.resolve(__dirname, '../../../test/fixtures/result-ws-1000.json'), 'utf8'),
  ) as RunResult;
  const addresses = loopbackAddresses(4).map((address) => ({ address, clients: 250 }));

  it('says how clients reached the nodes and from where', () => {
    assert.equal(topologyText(fixture), null);
    assert.equal(
      topologyText({
        ...fixture,
        topology: { spread: 'client', targets: ['a', 'b', 'c'], sourceAddresses: addresses },
      }),
      '3 nodes, each client picks the next (no balancer) · from 4 source addresses 127.0.0.2..127.0.0.5',
    );
    assert.equal(
      topologyText({
        ...fixture,
        topology: { spread: 'single', targets: ['a'], sourceAddresses: addresses.slice(0, 2) },
      }),
      'from 2 source addresses 127.0.0.2, 127.0.0.3',
    );
    assert.match(
      formatSummary({ ...fixture, topology: { spread: 'client', targets: ['a', 'b'], sourceAddresses: null } }),
      /\n {2}topology {9}2 nodes, each client picks the next \(no balancer\)\n/,
    );
  });
});
