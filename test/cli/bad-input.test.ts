import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runBin } from '../helpers/bin';

/** Each case: args → the exact one-line error. Exit 2, no stack trace. */
const CASES: Array<[string[], string]> = [
  [
    ['run', '--lib', 'ws', '--clients', '5', '--scenario', 'rooms', '--namespaces', '2'],
    'Error: --namespaces multiplexes Socket.IO namespaces on one connection; ws has none. Remove --namespaces, or use --lib socketio.',
  ],
  [
    ['run', '--lib', 'socketio', '--clients', '5', '--namespaces', '2'],
    'Error: --namespaces applies to --scenario rooms only. Add --scenario rooms, or remove --namespaces.',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--amqp-topology', 'routing'],
    'Error: --amqp-topology applies to --adapter amqp only (got --adapter none). Remove --amqp-topology, or add --adapter amqp.',
  ],
  [
    [
      'run',
      '--lib',
      'socketio',
      '--clients',
      '5',
      '--nodes',
      '2',
      '--adapter',
      'redis',
      '--amqp-topology',
      'prefix:16',
    ],
    'Error: --amqp-topology applies to --adapter amqp only (got --adapter redis). Remove --amqp-topology, or add --adapter amqp.',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--nodes', '2', '--adapter', 'amqp', '--amqp-topology', 'prefix:0'],
    'Error: --amqp-topology must be fanout, routing or prefix:N with N from 1 to 65536 (got "prefix:0"). Example: --amqp-topology prefix:256',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--nodes', '2', '--adapter', 'amqp', '--amqp-topology', 'prefix:65537'],
    'Error: --amqp-topology must be fanout, routing or prefix:N with N from 1 to 65536 (got "prefix:65537"). Example: --amqp-topology prefix:256',
  ],
  [
    ['serve', '--lib', 'sockjs', '--adapter', 'amqp', '--amqp-topology', 'topic'],
    'Error: --amqp-topology must be fanout, routing or prefix:N with N from 1 to 65536 (got "topic"). Example: --amqp-topology prefix:256',
  ],
  [
    ['serve', '--lib', 'ws', '--adapter', 'nats', '--amqp-topology', 'routing'],
    'Error: --amqp-topology applies to --adapter amqp only (got --adapter nats). Remove --amqp-topology, or add --adapter amqp.',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--nodes', '2', '--adapter', 'amqp', '--amqp-extra-bindings', '100'],
    'Error: --amqp-extra-bindings binds routing keys, which a fanout exchange ignores. Add --amqp-topology routing or prefix:N.',
  ],
  [
    [
      'run',
      '--lib',
      'ws',
      '--clients',
      '5',
      '--nodes',
      '2',
      '--adapter',
      'amqp',
      '--amqp-topology',
      'routing',
      '--amqp-extra-bindings',
      'many',
    ],
    'Error: --amqp-extra-bindings must be a whole number from 0 to 1000000 (got "many"). Example: --amqp-extra-bindings 40000',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--polling-share', '10%'],
    'Error: --polling-share needs a library with a long-polling transport: --lib socketio or sockjs (ws has WebSocket only). Remove --polling-share.',
  ],
  [
    ['run', '--lib', 'socketio', '--clients', '5', '--polling-share', '100%'],
    'Error: --polling-share must be a percentage above 0 and below 100 (got "100%"). Example: --polling-share 5%',
  ],
  [
    ['run', '--lib', 'socketio', '--clients', '5', '--polling-share', '5%', '--transport', 'polling'],
    'Error: --polling-share keeps that share on long-polling and the rest on websocket; --transport polling starts every client on polling. Remove --transport.',
  ],
  [
    ['run', '--lib', 'sockjs', '--clients', '5', '--polling-share', '5%', '--source-addresses', '2'],
    'Error: --source-addresses binds WebSocket connections; long-polling goes through the client library’s own HTTP requests, which cannot bind an address. Remove one of them.',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '40', '--slow-clients', '10'],
    'Error: --slow-clients must be SHARE%:BYTES_PER_S (got "10"). Example: --slow-clients 10%:2000 (10 % of the clients read at most 2,000 bytes/s)',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '40', '--slow-clients', '100%:2000'],
    'Error: --slow-clients share must be above 0 % and below 100 % (got 100%): some clients must stay fast to compare with. Example: --slow-clients 10%:2000 (10 % of the clients read at most 2,000 bytes/s)',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '40', '--slow-clients', '10%:0'],
    'Error: --slow-clients rate must be from 1 to 1000000000 bytes/s (got 0). Example: --slow-clients 10%:2000 (10 % of the clients read at most 2,000 bytes/s)',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '40', '--scenario', 'connect', '--slow-clients', '10%:2000'],
    'Error: --slow-clients needs messages flowing to the clients; --scenario connect sends none after the welcome. Use --scenario broadcast, echo or rooms.',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--slow-clients', '10%:2000'],
    'Error: --slow-clients 10% of --clients 5 is no client at all. Raise the share or --clients (at least 10 clients for 10%).',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '40', '--slow-clients', '10%:2000', '--target', 'wss://127.0.0.1:9/'],
    'Error: --slow-clients connects slow clients through a local proxy, which cannot carry TLS for 127.0.0.1:9. Use a ws:// or http:// --target.',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--scenario', 'rooms', '--room-size', '6'],
    'Error: --room-size 6 is larger than --clients 5: a room cannot have more members than there are clients. Lower --room-size or raise --clients.',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--scenario', 'rooms', '--publish-every', '20000'],
    'Error: --publish-every 20000 ms is longer than the 10 s hold: members publish only during the hold, so some would publish nothing. Lower --publish-every or raise --hold to at least 20.',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--scenario', 'rooms', '--publish-every', '5'],
    'Error: --publish-every must be a whole number from 10 to 3600000 (got "5"). Example: --publish-every 5000',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--scenario', 'rooms', '--message-bytes', '100'],
    'Error: --message-bytes must be a whole number from 160 to 1048576 (got "100"). Example: --message-bytes 200',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--room-size', '5'],
    'Error: --room-size applies to --scenario rooms only. Add --scenario rooms, or remove --room-size.',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--except-sender'],
    'Error: --except-sender applies to --scenario rooms only. Add --scenario rooms, or remove --except-sender.',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--scenario', 'rooms', '--hold', '20', '--flap', '10%@5'],
    'Error: --scenario rooms counts deliveries against a room membership that stays put; --flap makes clients leave and join again. Run --flap with --scenario broadcast.',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--flap', '0%@5'],
    'Error: --flap 0%@5: the share must be above 0 % and at most 100 % of the connections (got 0 %). Example: --flap 10%@5',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--flap', '150%@5'],
    'Error: --flap 150%@5: the share must be above 0 % and at most 100 % of the connections (got 150 %). Example: --flap 10%@5',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--flap', '10%@0.5'],
    "Error: --flap 10%@0.5: flaps 0.5 s apart come before the back-off's first delay (1000 ms, --reconnect-delay) lets a cut client back. Give an interval of 1 s or more, or a smaller --reconnect-delay.",
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--flap', '10%@5', '--no-reconnect'],
    'Error: --flap cuts connections for the clients to reconnect, and --no-reconnect keeps them from it. Remove one of them.',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--flap', '10%@8'],
    'Error: --flap 10%@8 needs a hold of at least 16 s: a flap every 8 s, and as long again to come back after the last. Give --hold 16 or more.',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--sio-recovery'],
    "Error: --sio-recovery is Socket.IO's connection state recovery: it needs --lib socketio (got --lib ws). Remove --sio-recovery.",
  ],
  [
    ['run', '--lib', 'socketio', '--clients', '5', '--nodes', '2', '--sio-recovery'],
    'Error: --sio-recovery cannot work with --adapter redis: the Redis adapter relays broadcasts over Redis pub/sub and keeps none to replay. Use --adapter redis-streams (several nodes) or none (one node).',
  ],
  [
    ['serve', '--lib', 'socketio', '--adapter', 'postgres', '--sio-recovery'],
    'Error: --sio-recovery cannot work with --adapter postgres: @socket.io/postgres-adapter keeps no session or packets to restore (no restoreSession). Use --adapter redis-streams (several nodes) or none (one node).',
  ],
  [
    ['soak', '--lib', 'ws', '--clients', '200', '--churn', '300'],
    'Error: --churn 300 cannot be sustained by --clients 200: each client would live 0.67 s on average (clients ÷ churn), under the 1 s a connection needs to connect and echo (churn × 1 s must not exceed clients). Lower --churn to 200 or raise --clients to 300.',
  ],
  [
    ['soak', '--lib', 'ws', '--clients', '200', '--churn', '50', '--warmup', '0', '--duration', '5'],
    'Error: --duration 5 is too short to fit a slope: a slope needs 8 samples, one every 1 s, after the warm-up and after the population has filled (6 s, 1.5 mean lives). Give --duration 14 or more, or a shorter --sample-interval.',
  ],
  [
    ['soak', '--lib', 'ws', '--target', 'ws://127.0.0.1:9/'],
    "Error: --target needs --server-metrics: bench soak fits the server's memory, which only its metrics endpoint (bench serve --metrics-token) gives for a server bench did not start.",
  ],
  [
    ['soak', '--lib', 'ws', '--transport', 'polling'],
    'Error: --transport applies to --lib socketio only; ws clients always use websocket. Remove --transport.',
  ],
  [
    ['soak', '--lib', 'socketio', '--transport', 'xhr'],
    'Error: --transport must be one of websocket, polling (got "xhr"). Example: --transport websocket',
  ],
  [
    ['soak', '--lib', 'ws', '--abrupt', '2'],
    'Error: --abrupt must be a share from 0 to 1, or 0% to 100% (got "2"). Example: --abrupt 50%',
  ],
  [
    ['limit', '--lib', 'ws', '--step', '500', '--max', '100'],
    'Error: --max 100 is below --step 500: give a --max of at least one step.',
  ],
  [
    ['limit', '--lib', 'ws', '--slo', 'echo.p95<5xs'],
    'Error: --slo "echo.p95<5xs": a latency takes ms or s (got "xs").',
  ],
  [
    ['run', '--lib', 'mqtt', '--clients', '10'],
    'Error: --lib must be one of ws, socketio, sockjs (got "mqtt"). Example: --lib ws',
  ],
  [
    ['run', '--lib', 'ws', '--clients', 'lots'],
    'Error: --clients must be a whole number from 1 to 100000 (got "lots"). Example: --clients 1000',
  ],
  [['run', '--lib', 'ws'], 'Error: Missing --clients. Say how many clients to connect, e.g. --clients 1000.'],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--hold', '1.5'],
    'Error: --hold must be a whole number from 0 to 86400 (got "1.5"). Example: --hold 10',
  ],
  [
    ['run', '--lib', 'sockjs', '--clients', '5', '--transport', 'polling'],
    'Error: --transport applies to --lib socketio only; sockjs clients always use websocket. Remove --transport.',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--target', 'ws://203.0.113.9:80/'],
    'Error: --target 203.0.113.9 is not a loopback or 198.18.0.0/15 address. To load a server on another machine you own, add --allow-remote-target.',
  ],
  [
    ['run', '--lib', 'socketio', '--clients', '5', '--nodes', '3', '--spread', 'client', '--transport', 'polling'],
    'Error: --spread client needs the websocket transport: long-polling needs the sticky balancer. Remove --transport polling or --spread client.',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--source-addresses', '10.0.0.2'],
    'Error: --source-addresses 10.0.0.2 is not a 127.x.x.x loopback address: clients connect only from loopback. Give auto, a count, or e.g. 127.0.0.2,127.0.0.3',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--bogus'],
    'Error: Unknown argument: bogus. Run "bench run --help" for the options.',
  ],
  [
    ['serve', '--lib', 'ws', '--port', '70000'],
    'Error: --port must be a whole number from 0 to 65535 (got "70000"). Use 0 for a free port.',
  ],
  [['serve'], 'Error: Missing --lib. Choose one of ws, socketio, sockjs, e.g. --lib ws.'],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--forced-gc-heap', '--target', 'ws://127.0.0.1:9/'],
    'Error: --forced-gc-heap needs the server bench starts; it cannot apply to --target. Remove one of them.',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--forced-gc-heap', '--hold', '1'],
    'Error: --forced-gc-heap runs the GC near the end of the hold, which is 1 s. Give --hold 2 or more.',
  ],
  [
    ['run', '--lib', 'socketio', '--clients', '5', '--forced-gc-heap', '--nodes', '2', '--adapter', 'cluster'],
    'Error: --forced-gc-heap reads each server process from inside; a cluster primary cannot read its workers. Use --adapter redis or postgres.',
  ],
  [
    ['serve', '--lib', 'ws', '--inner-sample-interval', 'often'],
    'Error: --inner-sample-interval must be 0 (off) or a whole number of ms from 10 to 60000 (got "often"). Example: --inner-sample-interval 250',
  ],
  [
    [],
    'Error: Name a command: bench run, serve, sweep, limit, soak, report, gate, compare, capacity, profile or calibrate. Run bench --help for the list.',
  ],
  [
    ['sweep', '--libs', 'ws,mqtt'],
    'Error: --libs takes ws, socketio, sockjs separated by commas (got "mqtt"). Example: --libs ws,socketio',
  ],
  [
    ['sweep', '--preset', 'paper-2019'],
    'Error: --preset must be one of modern, paper-2020 (got "paper-2019"). Example: --preset paper-2020',
  ],
  [['report', 'docs'], 'Error: Say what to write: --html FILE and/or --markdown FILE.'],
  [
    ['profile', 'show', 'i9'],
    'Error: No profile named "i9". Known: ci-small, i3-8300-server, i5-4690k-workstation, local, paper-2020. Run bench profile list.',
  ],
  [['profile', 'frob'], 'Error: Unknown profile action "frob". Use bench profile list or bench profile show NAME.'],
  [
    ['gate', '--current', 'results/pr'],
    'Error: Missing --baseline. Give a sweep folder or result files on each side, e.g. bench gate --baseline results/main --current results/pr.',
  ],
  [
    ['gate', '--baseline', '/nonexistent', '--current', 'b'],
    'Error: --baseline: /nonexistent does not exist. Give a sweep folder (with manifest.json) or result .json files.',
  ],
  [
    ['gate', '--baseline', 'a', '--current', 'b', '--threshold', 'p99=5'],
    'Error: --threshold "p99=5": unknown metric "p99". Known: connect.p50, connect.p99, echo.p50, echo.p99, timeToFirstMessage.p50, timeToFirstMessage.p99, room.p50, room.p99, rss.steady, bytesPerClient, connected, failed.',
  ],
  [
    ['capacity', 'results/sweep', '--memory', '8'],
    'Error: --memory "8" needs a unit: B, KB, MB, GB, TB, KiB, MiB, GiB or TiB. Example: --memory 8GiB',
  ],
  [
    ['capacity', 'results/sweep', '--slo', 'connect<5'],
    'Error: --slo "connect<5": unknown metric "connect". Known: connect.p50, connect.p90, connect.p99, timeToFirstMessage.p50, timeToFirstMessage.p90, timeToFirstMessage.p99, room.p50, room.p90, room.p99.',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--ensure', 'p99<5'],
    'Error: --ensure "p99<5": unknown metric "p99". Known: connect, firstMessage, echo, broadcast, probe.connect, probe.firstMessage, reconnect, connectService, arrivalLag, timeToFirstMessage, welcomeDelivery, room, roomService, join, polling.connect, polling.echo, polling.broadcast, polling.room, websocket.echo, websocket.broadcast, echoService, probe.connectService, probe.timeToFirstMessage, slow.broadcast, slow.echo, slow.room (each .p50 .p90 .p99 .max .mean), rss.idle, rss.steady, rss.peak, bytesPerClient, loadgen.bytesPerClient, connected, failed, probe.failed, cpu, broadcast.lost, broadcast.outOfOrder, broadcast.duplicates, room.delivered, room.missed, room.duplicates, room.outOfOrder, room.joinFailed, room.deliveredPerSecond, polling.outOfOrder, polling.delivered, slow.buffered, slow.bufferedPerClient, slow.closed, slow.dropped, slow.fastDelivered, reconnect.failed, flap.delivered, flap.missed, flap.neverBack, flap.reconnect.p95, flap.reconnect.max, recovery.restored, restart.reconnect.p95, restart.reconnect.max, restart.down.max, restart.disconnected, restart.neverBack, restart.connectFailures, restart.skew, restart.survivorLoopDelay.max, heap.idle, heap.steady, heap.peak, heap.afterGc, elu.steady, serverLoopDelay.steady, gc.steadyPerSecond, broker.cpu, broker.rss.steady, broker.rss.peak.',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--rolling-restart'],
    'Error: --rolling-restart needs --nodes 2 or more, so that clients have a node to go to while theirs restarts (got --nodes 1).',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--rolling-restart', '--target', 'ws://127.0.0.1:9/'],
    'Error: --rolling-restart restarts the nodes bench starts; it cannot restart a --target server. Remove --target or --rolling-restart.',
  ],
  [
    [
      'run',
      '--lib',
      'socketio',
      '--clients',
      '5',
      '--nodes',
      '2',
      '--adapter',
      'cluster',
      '--rolling-restart',
      '--hold',
      '30',
    ],
    'Error: --rolling-restart cannot restart one worker of --adapter cluster: the primary owns the port and hands each connection to a worker, so a worker cannot stop and come back on its own as a deployed node does. Use --adapter redis.',
  ],
  [
    [
      'run',
      '--lib',
      'ws',
      '--clients',
      '5',
      '--nodes',
      '3',
      '--rolling-restart',
      '--kill-node-at',
      '3',
      '--hold',
      '30',
    ],
    'Error: --rolling-restart and --kill-node-at both take nodes away during the hold, and a killed node cannot be restarted. Give one of them.',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--nodes', '3', '--rolling-restart', '--hold', '10'],
    'Error: --rolling-restart restarts 3 nodes one at a time from 2 s into the hold, about 3 s each, and their clients need 5 s more to come back: give --hold 16 or more (got --hold 10).',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--nodes', '3', '--rolling-restart', 'soon', '--hold', '30'],
    'Error: --rolling-restart takes the seconds after the hold starts of the first restart, a number >= 0 (got "soon"). Example: --rolling-restart 2',
  ],
  [
    ['serve', '--lib', 'ws', '--metrics-token', 'short'],
    'Error: --metrics-token must have at least 8 characters (got 5). Example: --metrics-token "$(openssl rand -hex 16)"',
  ],
  [
    ['run', '--lib', 'ws', '--clients', '5', '--profile', 'i5-4690k-workstation'],
    'Error: --profile i5-4690k-workstation is a machine profile; --profile takes a topology: ci-small, local, paper-2020.',
  ],
  [
    ['sweep', '--profile', 'lan'],
    'Error: No profile named "lan". Known: ci-small, i3-8300-server, i5-4690k-workstation, local, paper-2020. Run bench profile list.',
  ],
];

describe('bench (real bin) on bad input', () => {
  for (const [args, expected] of CASES) {
    it(`bench ${args.join(' ') || '(nothing)'}`, async () => {
      const r = await runBin(args, { timeoutMs: 30_000 });
      assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
      assert.equal(r.stderr.trimEnd(), expected);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, 'one line');
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(r.stdout, '');
    });
  }

  it('refuses more clients than ulimit -n allows, naming the limit and the fix', async () => {
    const r = await runBin(['run', '--lib', 'ws', '--clients', '99000'], { timeoutMs: 30_000 });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr.trimEnd(),
      /^Error: (ulimit -n is [\d,]+|The hard limit on open files is [\d,]+), but 99,010 connections need at least 99,138\b/,
    );
  });

  it('bench profile list prints every profile and exits 0', async () => {
    const r = await runBin(['profile', 'list'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    for (const name of ['paper-2020', 'local', 'ci-small', 'i3-8300-server', 'i5-4690k-workstation']) {
      assert.match(r.stdout, new RegExp(`\\b${name}\\b`));
    }
  });

  it('prints help and exits 0', async () => {
    const r = await runBin(['run', '--help'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--clients/);
    assert.match(r.stdout, /--arrival-rate/);
  });
});
