import yargs, { type Argv } from 'yargs';
import { LIBS, TRANSPORTS } from 'artillery-engine-bench/protocol';
import { isUserFacing, RunError, UsageError } from '../errors';
import { resolveRunOptions, RUN_DEFAULTS, SCENARIOS, type RunOptions, type ResolvedRunOptions } from '../config/run-options';
import type { Progress } from '../run/run';
import type { RunResult } from '../result/build';
import type { ServeOptions } from '../serve/serve';
import { stopAllChildren } from '../topology/children';

const COMMANDS = ['run', 'serve', 'sweep', 'report', 'profile', 'calibrate', 'gate', 'capacity'];
const EPILOG = 'Docs: README.md. Results follow DESIGN.md "The result file" (schemaVersion 1).';

function runFlags(y: Argv) {
  return y
    .option('lib', { type: 'string', choices: undefined, describe: `library under test: ${LIBS.join(' | ')}` })
    .option('clients', { type: 'string', describe: 'clients to connect and hold (1 to 100000)' })
    .option('scenario', {
      type: 'string',
      describe: `${SCENARIOS.join(' | ')} or the path of your own Artillery script`,
      default: RUN_DEFAULTS.scenario,
    })
    .option('arrival-rate', {
      type: 'string',
      describe: 'new clients per second during the ramp, or burst (every client due at once)',
      default: String(RUN_DEFAULTS.arrivalRate),
    })
    .option('warmup', {
      type: 'string',
      describe: 'clients that connect and leave before the ramp, unmeasured, so it does not start cold',
      default: String(RUN_DEFAULTS.warmup),
    })
    .option('hold', {
      type: 'string',
      describe: 'seconds to hold all clients after the ramp',
      default: String(RUN_DEFAULTS.holdSeconds),
    })
    .option('probes', {
      type: 'string',
      describe: 'clients that connect one at a time after the hold',
      default: String(RUN_DEFAULTS.probes),
    })
    .option('transport', {
      type: 'string',
      describe: `Socket.IO only: ${TRANSPORTS.join(' | ')} (polling then upgrade)`,
    })
    .option('deflate', {
      type: 'boolean',
      describe: 'per-message deflate, where the library supports it',
      default: false,
    })
    .option('ping-interval', {
      type: 'string',
      describe: 'server heartbeat interval (ms)',
      default: String(RUN_DEFAULTS.pingIntervalMs),
    })
    .option('target', {
      type: 'string',
      describe: 'URL of a server already running (bench serve); no local server is started',
    })
    .option('allow-remote-target', { type: 'boolean', describe: 'allow a --target outside loopback and 198.18.0.0/15' })
    .option('server-metrics', {
      type: 'string',
      describe: 'with --target: the metrics URL of a bench serve --metrics-token, read for server RSS and CPU',
    })
    .option('metrics-token', { type: 'string', describe: 'the token of --server-metrics (or $BENCH_METRICS_TOKEN)' })
    .option('out', { type: 'string', describe: 'result file (default results/<time>-<lib>-<scenario>-<clients>.json)' })
    .option('json', { type: 'boolean', describe: 'also print the result JSON on stdout' })
    .option('sample-interval', {
      type: 'string',
      describe: 'RSS/CPU sampling interval (ms)',
      default: String(RUN_DEFAULTS.sampleIntervalMs),
    })
    .option('echo-every', {
      type: 'string',
      describe:
        'echo interval per client during the hold (ms); default 1000, or clients ms when that is longer (1,000 echoes/s in all at most)',
    })
    .option('broadcast-every', {
      type: 'string',
      describe: 'broadcast interval in the broadcast scenario (ms)',
      default: String(RUN_DEFAULTS.broadcastEveryMs),
    })
    .option('connect-timeout', {
      type: 'string',
      describe: 'a connection attempt fails after this long (ms)',
      default: String(RUN_DEFAULTS.connectTimeoutMs),
    })
    .option('max-loop-delay', {
      type: 'string',
      describe: 'generator event-loop delay p99 (ms) above which the run is invalid',
      default: String(RUN_DEFAULTS.maxLoopDelayMs),
    })
    .option('max-failed', {
      type: 'string',
      describe: 'failed connections (a count, or a percentage such as 1%) above which the run is invalid',
      default: '0',
    })
    .option('max-lag', {
      type: 'string',
      describe: 'arrival lag p99 (ms): arrivals this far behind their schedule make the run invalid',
      default: String(RUN_DEFAULTS.maxLagMs),
    })
    .option('allow-invalid', { type: 'boolean', describe: 'exit 0 even when the run is invalid (it still says so)' })
    .option('quiet', { type: 'boolean', describe: 'no progress on stderr' })
    .option('profile', {
      type: 'string',
      describe: 'topology from hardware-profiles/ (bench profile list): namespaces, CPU sets, memory cap, link',
      default: 'local',
    })
    .option('strict', { type: 'boolean', describe: 'refuse to run when any part of --profile cannot be applied' })
    .option('nodes', {
      type: 'string',
      describe: 'server nodes behind HAProxy (sticky for long-polling), synced by --adapter (default 1)',
    })
    .option('adapter', {
      type: 'string',
      describe: 'what carries broadcasts between nodes: redis | postgres | cluster (Socket.IO), redis (ws, SockJS)',
    })
    .option('adapter-outage', {
      type: 'string',
      describe: 'FROM..TO: pause Redis (CLIENT PAUSE) that many seconds after the hold starts, e.g. 2..5',
    })
    .option('kill-node-at', {
      type: 'string',
      describe: 'S: kill one node (SIGKILL, never the publisher) S seconds after the hold starts; turns --reconnect on',
    })
    .option('reconnect', {
      type: 'boolean',
      describe: 'clients that lose their connection during the hold reconnect with back-off (--no-reconnect: never)',
    })
    .option('reconnect-attempts', { type: 'string', describe: 'attempts per lost connection (default 10)' })
    .option('reconnect-delay', {
      type: 'string',
      describe: 'first back-off delay in ms, doubled per attempt (default 1000)',
    })
    .option('reconnect-delay-max', { type: 'string', describe: 'largest back-off delay in ms (default 5000)' })
    .option('reconnect-jitter', {
      type: 'string',
      describe: 'each delay spread by ± this fraction, 0..1 (default 0.5)',
    })
    .option('redis-url', { type: 'string', describe: 'Redis for --adapter redis (default redis://127.0.0.1:6379)' })
    .option('pg-url', {
      type: 'string',
      describe: 'PostgreSQL for --adapter postgres (default postgres://postgres@127.0.0.1:5432/test)',
    })
    .option('ensure', {
      type: 'string',
      array: true,
      describe:
        'SLO to check, repeatable: e.g. "connect.p99<500ms" "rss.steady<300MB" "failed==0"; exit 1 if one fails',
    });
}

function serveFlags(y: Argv) {
  return y
    .option('lib', { type: 'string', describe: `library: ${LIBS.join(' | ')}` })
    .option('port', { type: 'string', describe: 'TCP port; 0 picks a free one', default: '0' })
    .option('host', {
      type: 'string',
      describe: 'address to bind; anything but loopback must be asked for',
      default: '127.0.0.1',
    })
    .option('transport', { type: 'string', describe: `Socket.IO only: ${TRANSPORTS.join(' | ')}` })
    .option('deflate', {
      type: 'boolean',
      describe: 'per-message deflate, where the library supports it',
      default: false,
    })
    .option('ping-interval', {
      type: 'string',
      describe: 'heartbeat interval (ms)',
      default: String(RUN_DEFAULTS.pingIntervalMs),
    })
    .option('metrics-token', {
      type: 'string',
      describe: 'serve own RSS/CPU samples at /metrics/samples to holders of this token (or $BENCH_METRICS_TOKEN)',
    })
    .option('adapter', {
      type: 'string',
      describe: 'what syncs broadcasts with other nodes: none | redis | postgres | cluster (the last two: Socket.IO)',
      default: 'none',
    })
    .option('redis-url', { type: 'string', describe: 'Redis for --adapter redis (default redis://127.0.0.1:6379)' })
    .option('pg-url', {
      type: 'string',
      describe: 'PostgreSQL for --adapter postgres (default postgres://postgres@127.0.0.1:5432/test)',
    })
    .option('node-id', { type: 'string', describe: "this node's label in stats and the ready line", default: 'node-1' })
    .option('workers', { type: 'string', describe: '--adapter cluster: worker processes (default: one per CPU)' })
    .option('cluster-key', {
      type: 'string',
      describe: 'nodes with the same key share broadcasts; give each run its own',
      default: 'default',
    })
    .option('log-deliveries', {
      type: 'boolean',
      describe: 'print one JSON line per broadcast delivered by this node (used by bench run)',
      default: false,
    })
    .option('welcome-delay', {
      type: 'string',
      describe: 'for tests: send the welcome MS ms after the connection',
      default: '0',
    });
}

/** `bench run` flags a sweep passes through to every cell, when given. */
const PASS_THROUGH = [
  'arrival-rate',
  'warmup',
  'hold',
  'probes',
  'transport',
  'ping-interval',
  'echo-every',
  'broadcast-every',
  'connect-timeout',
  'sample-interval',
  'max-loop-delay',
  'max-failed',
  'max-lag',
  'profile',
  'nodes',
  'adapter',
  'redis-url',
  'pg-url',
] as const;

function sweepFlags(y: Argv) {
  let b = y
    .option('libs', { type: 'string', describe: `libraries, comma-separated (default ${LIBS.join(',')})` })
    .option('clients', {
      type: 'string',
      describe: 'client levels, comma-separated (default 100,500,1000,2000,5000,7000,10000)',
    })
    .option('trials', { type: 'string', describe: 'runs per library and level', default: '1' })
    .option('scenario', { type: 'string', describe: 'echo | connect | broadcast', default: 'echo' })
    .option('out', {
      type: 'string',
      describe: 'folder for the manifest and one result file per cell (default results/sweep-<time>)',
    })
    .option('resume', { type: 'boolean', describe: 'run only the cells of --out that have not completed' })
    .option('arrival-rates', {
      type: 'string',
      describe: 'arrival rates as a dimension, comma-separated: clients/s or burst (all at once), e.g. 250,500,burst',
    })
    .option('allow-invalid', {
      type: 'boolean',
      describe: 'exit 0 when every cell completed, even if some are invalid (they still say so)',
    })
    .option('preset', {
      type: 'string',
      describe: 'paper-2020 (Socket.IO as its 2.x defaults: deflate, polling) | modern (today’s defaults)',
    })
    .option('deflate', { type: 'boolean', describe: 'per-message deflate in every cell' })
    .option('strict', {
      type: 'boolean',
      describe: 'every cell refuses to run when a part of --profile cannot be applied',
    })
    .option('quiet', { type: 'boolean', describe: 'no progress on stderr' });
  for (const flag of PASS_THROUGH)
    b = b.option(flag, { type: 'string', describe: `passed to every bench run (see bench run --help)` });
  return b;
}

function reportFlags(y: Argv) {
  return y
    .positional('inputs', { type: 'string', array: true, describe: 'a sweep folder, or result .json files' })
    .option('html', { type: 'string', describe: 'write a self-contained HTML report here' })
    .option('markdown', { type: 'string', describe: 'write a Markdown summary here' });
}

export function buildParser(argv: readonly string[]) {
  return yargs([...argv])
    .scriptName('bench')
    .usage('$0 <command> [options]')
    .command('run', 'start a server, drive it with Artillery, write one result file', runFlags)
    .command('serve', 'serve one library until SIGINT/SIGTERM (prints one JSON ready line)', serveFlags)
    .command('sweep', 'run libraries × client levels × trials, one fresh server per cell, into one folder', sweepFlags)
    .command('report <inputs..>', 'render result files or a sweep folder as HTML and/or Markdown', reportFlags)
    .command('profile <action> [name]', 'hardware profiles: bench profile list | bench profile show NAME', (y) =>
      y
        .positional('action', { type: 'string', describe: 'list | show' })
        .positional('name', { type: 'string', describe: 'profile name (for show)' }),
    )
    .command(
      'calibrate',
      'score this machine (a fixed CPU workload and a loopback connection rate) so results from two machines compare',
      (y) => y.option('json', { type: 'boolean', describe: 'print the calibration JSON on stdout' }),
    )
    .command('gate', 'compare current runs with a baseline; exit 1 on a regression (for CI)', (y) =>
      y
        .option('baseline', { type: 'string', array: true, describe: 'sweep folder or result files of the baseline' })
        .option('current', { type: 'string', array: true, describe: 'sweep folder or result files to check' })
        .option('threshold', {
          type: 'string',
          array: true,
          describe: 'METRIC=PERCENT, repeatable, e.g. connect.p99=20 (defaults in the README)',
        })
        .option('ignore-option', {
          type: 'string',
          array: true,
          describe: 'pair cells across this run option, to compare two configurations (e.g. deflate)',
        })
        .option('markdown', { type: 'string', describe: 'write a Markdown summary (for a PR comment) here' })
        .option('junit', {
          type: 'string',
          describe: 'write a JUnit XML report (one test case per cell and metric) here',
        })
        .option('json', { type: 'boolean', describe: 'print the gate report JSON on stdout' }),
    )
    .command('capacity <inputs..>', 'fit a sweep and predict clients per server and servers needed', (y) =>
      y
        .positional('inputs', { type: 'string', array: true, describe: 'a sweep folder, or result files' })
        .option('memory', {
          type: 'string',
          describe: 'server memory to plan for, e.g. 8GiB (default: the sweep machine’s)',
        })
        .option('cpu-headroom', {
          type: 'string',
          describe: 'fraction of each server to fill, leaving the rest for bursts and CPU (default 0.7)',
        })
        .option('slo', { type: 'string', array: true, describe: 'latency SLO, repeatable, e.g. "connect.p99<500ms"' })
        .option('users', { type: 'string', describe: 'users to plan for: prints the servers needed' })
        .option('html', { type: 'string', describe: 'write a self-contained HTML capacity page here' })
        .option('json', { type: 'boolean', describe: 'print the capacity report JSON on stdout' }),
    )
    .demandCommand(
      1,
      'Name a command: bench run, serve, sweep, report, gate, capacity, profile or calibrate. Run bench --help for the list.',
    )
    .strict()
    .help()
    .version(false)
    .epilog(EPILOG)
    .wrap(Math.min(110, process.stderr.columns ?? 110))
    .exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      if (msg.includes('--help')) throw new UsageError(msg);
      const command = COMMANDS.includes(argv[0] ?? '') ? `${argv[0]} ` : '';
      throw new UsageError(`${msg.replace(/\.?$/, '.')} Run "bench ${command}--help" for the options.`);
    });
}

/** Turns the yargs object into our raw options; numbers stay strings until resolved. */
function pickRunOptions(a: Record<string, unknown>): RunOptions {
  const s = (k: string) => (a[k] === undefined ? undefined : String(a[k]));
  return {
    lib: s('lib'),
    clients: s('clients'),
    scenario: s('scenario'),
    arrivalRate: s('arrivalRate'),
    warmup: s('warmup'),
    hold: s('hold'),
    probes: s('probes'),
    transport: s('transport'),
    deflate: a.deflate === true,
    pingInterval: s('pingInterval'),
    target: s('target'),
    allowRemoteTarget: a.allowRemoteTarget === true,
    out: s('out'),
    json: a.json === true,
    sampleInterval: s('sampleInterval'),
    echoEvery: s('echoEvery'),
    broadcastEvery: s('broadcastEvery'),
    connectTimeout: s('connectTimeout'),
    maxLoopDelay: s('maxLoopDelay'),
    maxFailed: s('maxFailed'),
    maxLag: s('maxLag'),
    allowInvalid: a.allowInvalid === true,
    quiet: a.quiet === true,
    profile: s('profile'),
    strict: a.strict === true,
    serverMetrics: s('serverMetrics'),
    metricsToken: s('metricsToken'),
    ensure: Array.isArray(a.ensure) ? a.ensure.map(String) : undefined,
    nodes: s('nodes'),
    adapter: s('adapter'),
    redisUrl: s('redisUrl'),
    pgUrl: s('pgUrl'),
    adapterOutage: s('adapterOutage'),
    killNodeAt: s('killNodeAt'),
    reconnect: typeof a.reconnect === 'boolean' ? a.reconnect : undefined,
    reconnectAttempts: s('reconnectAttempts'),
    reconnectDelay: s('reconnectDelay'),
    reconnectDelayMax: s('reconnectDelayMax'),
    reconnectJitter: s('reconnectJitter'),
  };
}

function progressReporter(o: ResolvedRunOptions): { update(p: Progress): void; stop(): void } {
  if (o.quiet) return { update() {}, stop() {} };
  const total = o.clients ?? 0;
  if (process.stderr.isTTY && total > 0) {
    const cliProgress = require('cli-progress') as typeof import('cli-progress');
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: '{phase} |{bar}| {value}/{total} connected · {failed} failed · {open} open · {elapsed}s',
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { phase: 'starting', failed: 0, open: 0, elapsed: 0 });
    return {
      update: (p) =>
        bar.update(p.connected, {
          phase: p.phase.padEnd(8),
          failed: p.failed,
          open: p.open,
          elapsed: Math.round(p.elapsedMs / 1000),
        }),
      stop: () => bar.stop(),
    };
  }
  let lastPhase = '';
  return {
    update(p) {
      if (p.phase === lastPhase) return;
      lastPhase = p.phase;
      process.stderr.write(
        `[${Math.round(p.elapsedMs / 1000)}s] ${p.phase}: ${p.connected} connected, ${p.failed} failed\n`,
      );
    },
    stop() {},
  };
}

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

// Commands load their modules on demand: `bench serve` is the process whose memory is
// measured, so it must not carry the runner, Artillery helpers or progress bars.
async function commandRun(a: Record<string, unknown>): Promise<number> {
  const { runBench } = require('../run/run') as typeof import('../run/run');
  const { writeResult } = require('../result/write') as typeof import('../result/write');
  const { checkOutputFile } = require('../result/output-check') as typeof import('../result/output-check');
  const { formatSummary } = require('../export/text') as typeof import('../export/text');
  const { evaluateEnsure } = require('../result/ensure') as typeof import('../result/ensure');
  const { formatEnsure } = require('../export/ensure-text') as typeof import('../export/ensure-text');
  const o = resolveRunOptions(pickRunOptions(a));
  checkOutputFile('--out', typeof a.out === 'string' ? a.out : o.out, 'results/run.json');
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => controller.abort(sig);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = progressReporter(o);
  try {
    const result = await runBench(o, {
      signal: controller.signal,
      onProgress: (p) => progress.update(p),
      onNotice: (line) => process.stderr.write(line + '\n'),
    });
    progress.stop();
    if (o.ensure.length > 0) result.ensure = evaluateEnsure(o.ensure, result);
    const saved = writeResult(o.out, result);
    // With no file written at all, stdout is the last place the result can go.
    if (o.json || saved.file === null) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    process.stderr.write(formatSummary(result, saved.file ?? undefined) + '\n');
    if (result.ensure) process.stderr.write(formatEnsure(result.ensure) + '\n');
    if (saved.error !== null) {
      throw new RunError(`${saved.error}. The result is in ${saved.file ?? 'the JSON printed on stdout'} instead.`);
    }
    if (result.status === 'aborted') return SIGNAL_EXIT[String(controller.signal.reason)] ?? 130;
    return runExitCode(result, o.allowInvalid);
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** 0 only for a completed run that measured what was asked and met its --ensure checks. */
export function runExitCode(r: RunResult, allowInvalid: boolean): number {
  if (r.status !== 'completed') return 1;
  if (!r.valid && !allowInvalid) return 1;
  return (r.ensure ?? []).every((e) => e.ok) ? 0 : 1;
}

async function commandServe(a: Record<string, unknown>): Promise<number> {
  const { resolveServeOptions, serve } = require('../serve/serve') as typeof import('../serve/serve');
  const raw: ServeOptions = {
    lib: a.lib as string | undefined,
    port: a.port as string | undefined,
    host: a.host as string | undefined,
    transport: a.transport as string | undefined,
    deflate: a.deflate === true,
    pingInterval: a.pingInterval as string | undefined,
    metricsToken: a.metricsToken as string | undefined,
    adapter: a.adapter as string | undefined,
    redisUrl: a.redisUrl as string | undefined,
    pgUrl: a.pgUrl as string | undefined,
    nodeId: a.nodeId as string | undefined,
    workers: a.workers as string | undefined,
    clusterKey: a.clusterKey as string | undefined,
    logDeliveries: a.logDeliveries === true,
    welcomeDelay: a.welcomeDelay as string | undefined,
  };
  return serve(resolveServeOptions(raw), (line) => process.stdout.write(line));
}

async function commandSweep(a: Record<string, unknown>): Promise<number> {
  const { resolveSweepOptions, runSweep, sweepExitCode } = require('../run/sweep') as typeof import('../run/sweep');
  const runArgs: string[] = [];
  for (const flag of PASS_THROUGH) {
    const camel = flag.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase());
    if (a[camel] !== undefined) runArgs.push(`--${flag}`, String(a[camel]));
  }
  if (a.deflate === true) runArgs.push('--deflate');
  if (a.strict === true) runArgs.push('--strict');
  if (a.profile !== undefined) {
    // A bad profile, or --strict where it cannot apply, should stop the sweep before its first cell.
    const { checkProfile } = require('../topology/isolation/index') as typeof import('../topology/isolation/index');
    checkProfile(String(a.profile), a.strict === true);
  }
  const o = resolveSweepOptions({
    libs: a.libs as string | undefined,
    clients: a.clients as string | undefined,
    trials: a.trials as string | undefined,
    scenario: a.scenario as string | undefined,
    out: a.out as string | undefined,
    resume: a.resume === true,
    preset: a.preset as string | undefined,
    arrivalRates: a.arrivalRates as string | undefined,
    runArgs,
    quiet: a.quiet === true,
  });
  const { checkOutputDir } = require('../result/output-check') as typeof import('../result/output-check');
  checkOutputDir('--out', typeof a.out === 'string' ? a.out : o.out, 'results/sweep-1');
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => controller.abort(sig);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = sweepProgress(o.quiet);
  try {
    const manifest = await runSweep(o, {
      signal: controller.signal,
      onCellStart: (e) => progress.start(e),
      onCellEnd: (e) => progress.end(e),
    });
    progress.stop();
    const { formatSweepSummary } = require('../export/text') as typeof import('../export/text');
    process.stderr.write(formatSweepSummary(manifest, o.out) + '\n');
    if (controller.signal.aborted) return SIGNAL_EXIT[String(controller.signal.reason)] ?? 130;
    return sweepExitCode(manifest.cells, a.allowInvalid === true);
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

type CellEvent = import('../run/sweep').CellEvent;

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** Cell i of n, library, level, elapsed and ETA: a bar on a terminal, a line per cell elsewhere. */
function sweepProgress(quiet: boolean): { start(e: CellEvent): void; end(e: CellEvent): void; stop(): void } {
  if (quiet) return { start() {}, end() {}, stop() {} };
  const { cellLabel } = require('../run/sweep') as typeof import('../run/sweep');
  const eta = (e: CellEvent, done: number) => (done === 0 ? '–' : clock((e.elapsedSeconds / done) * (e.total - done)));
  if (process.stderr.isTTY) {
    const cliProgress = require('cli-progress') as typeof import('cli-progress');
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: 'cell {value}/{total} |{bar}| {label} · {elapsed} elapsed · ETA {etaText}',
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      start(e) {
        const payload = {
          label: cellLabel(e.cell),
          elapsed: clock(e.elapsedSeconds),
          etaText: eta(e, e.position - 1),
        };
        if (!started) bar.start(e.total, e.position - 1, payload);
        else bar.update(e.position - 1, payload);
        started = true;
      },
      end(e) {
        bar.update(e.position, { elapsed: clock(e.elapsedSeconds), etaText: eta(e, e.position) });
      },
      stop() {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  return {
    start(e) {
      process.stderr.write(
        `[${e.position}/${e.total}] ${cellLabel(e.cell)} · trial ${e.cell.trial} · ${clock(e.elapsedSeconds)} elapsed · ETA ${eta(e, e.position - 1)}\n`,
      );
    },
    end(e) {
      if (e.cell.status !== 'completed') process.stderr.write(`  ${e.cell.status}: ${e.cell.error ?? ''}\n`);
      else if (e.cell.valid === false)
        process.stderr.write(`  invalid: ${(e.cell.invalidReasons ?? []).join('; ') || 'see its result'}\n`);
    },
    stop() {},
  };
}

/** Checks each output file given (flag, value, example) before anything is read or written. */
function checkOutputs(files: Array<[string, unknown, string]>): void {
  const { checkOutputFile } = require('../result/output-check') as typeof import('../result/output-check');
  for (const [flag, file, example] of files) if (typeof file === 'string') checkOutputFile(flag, file, example);
}

function commandReport(a: Record<string, unknown>): number {
  const { resolveReportOptions, writeReport } = require('../export/report/index') as typeof import('../export/report/index');
  const o = resolveReportOptions({ inputs: a.inputs, html: a.html, markdown: a.markdown });
  checkOutputs([
    ['--html', o.html, 'report.html'],
    ['--markdown', o.markdown, 'report.md'],
  ]);
  const written = writeReport(o);
  const files = [written.html, written.markdown].filter(Boolean).join(', ');
  process.stderr.write(`report: ${written.cells} cells → ${files}\n`);
  return 0;
}

function commandProfile(a: Record<string, unknown>): number {
  const { loadProfiles, findProfile, formatProfileList } = require('../config/profiles') as typeof import('../config/profiles');
  if (a.action === 'list') {
    process.stdout.write(formatProfileList(loadProfiles()) + '\n');
    return 0;
  }
  if (a.action !== 'show') {
    throw new UsageError(
      `Unknown profile action "${String(a.action)}". Use bench profile list or bench profile show NAME.`,
    );
  }
  if (typeof a.name !== 'string') throw new UsageError('Name the profile to show, e.g. bench profile show paper-2020.');
  const YAML = require('yaml') as typeof import('yaml');
  process.stdout.write(YAML.stringify(findProfile(a.name)));
  return 0;
}

async function commandCalibrate(a: Record<string, unknown>): Promise<number> {
  const { calibrate, formatCalibration } = require('../run/calibrate') as typeof import('../run/calibrate');
  process.stderr.write('calibrating: CPU workload, then 2,000 ws connections on loopback…\n');
  const { calibration, file } = await calibrate();
  if (a.json === true) process.stdout.write(JSON.stringify(calibration, null, 2) + '\n');
  process.stderr.write(formatCalibration(calibration, file) + '\n');
  return 0;
}

function commandGate(a: Record<string, unknown>): number {
  const gate = require('../analysis/gate') as typeof import('../analysis/gate');
  const { GATE_FORMATS } = require('../export/gate-formats') as typeof import('../export/gate-formats');
  const { writeFileAtomic } = require('../result/write') as typeof import('../result/write');
  checkOutputs([
    ['--markdown', a.markdown, 'gate.md'],
    ['--junit', a.junit, 'gate.xml'],
  ]);
  const report = gate.runGate(
    gate.resolveGateOptions({
      baseline: a.baseline,
      current: a.current,
      threshold: a.threshold,
      ignoreOption: a.ignoreOption,
    }),
  );
  if (typeof a.markdown === 'string') writeFileAtomic(a.markdown, GATE_FORMATS.markdown(report));
  if (typeof a.junit === 'string') writeFileAtomic(a.junit, GATE_FORMATS.junit(report));
  if (a.json === true) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  process.stderr.write(GATE_FORMATS.text(report));
  return gate.gateExitCode(report);
}

function commandCapacity(a: Record<string, unknown>): number {
  const capacity = require('../analysis/capacity') as typeof import('../analysis/capacity');
  const { formatCapacityText } = require('../export/capacity-text') as typeof import('../export/capacity-text');
  const { writeFileAtomic } = require('../result/write') as typeof import('../result/write');
  checkOutputs([['--html', a.html, 'capacity.html']]);
  const report = capacity.runCapacity(
    capacity.resolveCapacityOptions({
      inputs: a.inputs,
      memory: a.memory,
      cpuHeadroom: a.cpuHeadroom,
      slo: a.slo,
      users: a.users,
    }),
  );
  if (typeof a.html === 'string') {
    const { renderCapacityHtml } = require('../export/html-capacity') as typeof import('../export/html-capacity');
    writeFileAtomic(a.html, renderCapacityHtml(report));
  }
  if (a.json === true) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  process.stderr.write(formatCapacityText(report));
  return 0;
}

/** The one place that prints "Error:" and sets the exit code. */
export async function main(argv: readonly string[]): Promise<void> {
  let code: number;
  try {
    const parser = buildParser(argv);
    const a = (await parser.parseAsync()) as Record<string, unknown> & { _: (string | number)[]; help?: boolean };
    const command = String(a._[0] ?? '');
    if (a.help) code = 0;
    else if (command === 'run') code = await commandRun(a);
    else if (command === 'serve') code = await commandServe(a);
    else if (command === 'sweep') code = await commandSweep(a);
    else if (command === 'report') code = commandReport(a);
    else if (command === 'profile') code = commandProfile(a);
    else if (command === 'calibrate') code = await commandCalibrate(a);
    else if (command === 'gate') code = commandGate(a);
    else if (command === 'capacity') code = commandCapacity(a);
    else
      throw new UsageError(
        `Unknown command "${command}". Use bench run, serve, sweep, report, gate, capacity, profile or calibrate; bench --help lists them.`,
      );
  } catch (err) {
    if (isUserFacing(err)) {
      process.stderr.write(`Error: ${err.message}\n`);
      code = err.exitCode;
    } else {
      process.stderr.write(`Error: internal failure, please report it: ${(err as Error)?.stack ?? String(err)}\n`);
      code = 1;
    }
    await stopAllChildren();
  }
  process.exitCode = code;
}
