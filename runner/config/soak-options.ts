/**
 * `bench soak` options: N clients held for D seconds while C of them a second end their life and
 * are replaced, the server's memory after a full GC sampled every interval. Everything that
 * would make the slope meaningless is refused here, before any load.
 */
import { LIBS, type Lib, type Transport } from 'artillery-engine-bench/protocol';
import { UsageError } from '../errors';
import { MAX_CLIENTS } from './defaults';
import { resolveTransport, wholeNumber } from './flag-values';
import { resolveTestSwitches } from './test-switches';

export interface SoakOptions {
  lib?: string;
  transport?: string;
  deflate?: boolean;
  clients?: string | number;
  churn?: string | number;
  duration?: string | number;
  warmup?: string | number;
  abrupt?: string | number;
  echoEvery?: string | number;
  sampleInterval?: string | number;
  target?: string;
  serverMetrics?: string;
  out?: string;
  json?: boolean;
  retainPerConnection?: string | number;
  heapSnapshots?: boolean;
}

export const SOAK_DEFAULTS = {
  clients: 1_000,
  churn: 50,
  durationSeconds: 300,
  /**
   * Seconds of churn before the fit: a fresh server's heap grows for its first thousand or so
   * connections whatever leaks (V8 compiling and optimising its code paths), at 100 to 400 bytes
   * a connection with ws; the fit must not take that for a leak.
   */
  warmupSeconds: 30,
  /** half the lives end with a reset socket, half with a clean close */
  abruptShare: 0.5,
  echoEveryMs: 1_000,
  sampleIntervalMs: 1_000,
  out: 'results/soak.json',
};

/** A client lives at least this long on average: time to connect, be welcomed and echo (ms). */
export const MIN_MEAN_LIFE_MS = 1_000;
/** Lives are drawn from 0.5× to 1.5× the mean: the population is whole 1.5 mean lives in. */
export const FILL_LIVES = 1.5;
/** Samples after the fill a slope is fitted on, at the fewest. */
export const MIN_FIT_SAMPLES = 8;

export interface ResolvedSoakOptions {
  lib: Lib;
  /** Socket.IO: websocket only, or the long-polling fallback on (clients start on polling, then upgrade) */
  transport: Transport;
  /** per-message deflate asked of the server and clients */
  deflate: boolean;
  clients: number;
  /** connection cycles a second: clients that end their life, and as many new arrivals */
  churn: number;
  durationSeconds: number;
  /** seconds of churn before `durationSeconds`, not fitted */
  warmupSeconds: number;
  abruptShare: number;
  /** clients ÷ churn: what keeps the population at `clients` (Little's law) */
  meanLifeMs: number;
  /** seconds after the first arrival when the fit starts: after the warm-up, with the population whole */
  fitFromSeconds: number;
  echoEveryMs: number;
  sampleIntervalMs: number;
  out: string;
  json: boolean;
  retainPerConnectionBytes: number;
  /** two heap snapshots of the server (fit start, end) in `heapSnapshotDir`, and what grew between them */
  heapSnapshots: boolean;
  /** beside `out`: `results/soak.json` → `results/soak.heap/` */
  heapSnapshotDir: string;
}

/** `0.3` or `30%`: a share from 0 to 1. */
export function parseShare(flag: string, raw: string | number): number {
  const text = String(raw).trim();
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text);
  const n = m ? Number(m[1]) / (m[2] === '%' ? 100 : 1) : NaN;
  if (!(n >= 0 && n <= 1)) {
    throw new UsageError(
      `--${flag} must be a share from 0 to 1, or 0% to 100% (got "${text}"). Example: --${flag} 50%`,
    );
  }
  return n;
}

/** Where `--heap-snapshots` go: beside the result file, named after it. */
export const heapSnapshotDirOf = (out: string): string => out.replace(/\.json$/i, '') + '.heap';

const secs = (ms: number) => `${Math.round(ms / 10) / 100} s`;

export function resolveSoakOptions(raw: SoakOptions): ResolvedSoakOptions {
  if (raw.lib === undefined) {
    throw new UsageError(`Missing --lib. Choose one of ${LIBS.join(', ')}, e.g. --lib ws.`);
  }
  if (!(LIBS as readonly string[]).includes(raw.lib)) {
    throw new UsageError(`--lib must be one of ${LIBS.join(', ')} (got "${raw.lib}"). Example: --lib ws`);
  }
  const transport = resolveTransport(raw.transport, raw.lib as Lib);
  if (raw.target !== undefined && raw.serverMetrics === undefined) {
    throw new UsageError(
      `--target needs --server-metrics: bench soak fits the server's memory, which only its metrics endpoint (bench serve --metrics-token) gives for a server bench did not start.`,
    );
  }
  if (raw.target !== undefined) {
    throw new UsageError(
      'bench soak against --target is not supported yet: it needs a forced GC the metrics endpoint does not offer. Leave out --target and --server-metrics to soak a server bench starts.',
    );
  }
  if (raw.serverMetrics !== undefined) {
    throw new UsageError('--server-metrics goes with --target. Remove --server-metrics.');
  }
  const num = (flag: string, v: unknown, d: number, min: number, max: number, ex: string) =>
    v === undefined ? d : wholeNumber(flag, v, min, max, ex);
  const clients = num('clients', raw.clients, SOAK_DEFAULTS.clients, 1, MAX_CLIENTS, '1000');
  const churn = num('churn', raw.churn, SOAK_DEFAULTS.churn, 1, 10_000, '50');
  const durationSeconds = num('duration', raw.duration, SOAK_DEFAULTS.durationSeconds, 1, 7 * 86_400, '300');
  const echoEveryMs = num('echo-every', raw.echoEvery, SOAK_DEFAULTS.echoEveryMs, 10, 60_000, '1000');
  const sampleIntervalMs = num(
    'sample-interval',
    raw.sampleInterval,
    SOAK_DEFAULTS.sampleIntervalMs,
    100,
    600_000,
    '1000',
  );
  const abruptShare = raw.abrupt === undefined ? SOAK_DEFAULTS.abruptShare : parseShare('abrupt', raw.abrupt);
  const meanLifeMs = (clients / churn) * 1000;
  const minLifeMs = Math.max(MIN_MEAN_LIFE_MS, echoEveryMs);
  if (meanLifeMs < minLifeMs) {
    throw new UsageError(
      `--churn ${churn} cannot be sustained by --clients ${clients}: each client would live ${secs(meanLifeMs)} on average (clients ÷ churn), under the ${secs(minLifeMs)} a connection needs to connect and echo (churn × ${secs(minLifeMs)} must not exceed clients). Lower --churn to ${Math.floor((clients * 1000) / minLifeMs)} or raise --clients to ${Math.ceil((churn * minLifeMs) / 1000)}.`,
    );
  }
  const warmupSeconds = num('warmup', raw.warmup, SOAK_DEFAULTS.warmupSeconds, 0, 86_400, '30');
  const fillSeconds = (FILL_LIVES * meanLifeMs) / 1000;
  const fitFromSeconds = Math.max(warmupSeconds, fillSeconds);
  const fitSamples = Math.floor(((warmupSeconds + durationSeconds - fitFromSeconds) * 1000) / sampleIntervalMs);
  if (fitSamples < MIN_FIT_SAMPLES) {
    const need = Math.ceil(fitFromSeconds - warmupSeconds + (MIN_FIT_SAMPLES * sampleIntervalMs) / 1000);
    throw new UsageError(
      `--duration ${durationSeconds} is too short to fit a slope: a slope needs ${MIN_FIT_SAMPLES} samples, one every ${secs(sampleIntervalMs)}, after the warm-up and after the population has filled (${secs(fillSeconds * 1000)}, 1.5 mean lives). Give --duration ${need} or more, or a shorter --sample-interval.`,
    );
  }
  const serverTest = resolveTestSwitches({ retainPerConnection: raw.retainPerConnection });
  return {
    lib: raw.lib as Lib,
    transport,
    deflate: raw.deflate === true,
    clients,
    churn,
    durationSeconds,
    warmupSeconds,
    abruptShare,
    meanLifeMs,
    fitFromSeconds,
    echoEveryMs,
    sampleIntervalMs,
    out: raw.out ?? SOAK_DEFAULTS.out,
    json: raw.json === true,
    retainPerConnectionBytes: serverTest.retainPerConnectionBytes,
    heapSnapshots: raw.heapSnapshots === true,
    heapSnapshotDir: heapSnapshotDirOf(raw.out ?? SOAK_DEFAULTS.out),
  };
}
