// What a run measures besides the load, and where it sends it: a remote server's RSS and CPU
// (--server-metrics), a Prometheus Pushgateway (--push-metrics), the heap after a forced GC
// (--forced-gc-heap).
import { UsageError } from '../errors';
import { METRICS_PATH, METRICS_TOKEN_ENV } from './defaults';
import type { ResolvedRunOptions, RunOptions, ScenarioRef } from './run-option-types';
import { isBenchmarkAddress } from './target-options';

export function resolveServerMetrics(raw: RunOptions, target: string | null): ResolvedRunOptions['serverMetrics'] {
  if (raw.serverMetrics === undefined) {
    if (raw.metricsToken !== undefined) {
      throw new UsageError(
        '--metrics-token needs --server-metrics URL, the "metrics" URL from the ready line of bench serve.',
      );
    }
    return null;
  }
  if (target === null) {
    throw new UsageError(
      '--server-metrics reads a remote bench serve and needs --target; without --target bench samples its own server.',
    );
  }
  let url: URL;
  try {
    url = new URL(raw.serverMetrics);
  } catch {
    url = new URL('invalid://');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(
      `--server-metrics must be an http:// or https:// URL (got "${raw.serverMetrics}"). Use the "metrics" URL from the ready line of bench serve.`,
    );
  }
  if (url.pathname === '/') url.pathname = METRICS_PATH;
  if (raw.allowRemoteTarget !== true && !isBenchmarkAddress(url.hostname)) {
    throw new UsageError(
      `--server-metrics ${url.hostname} is not a loopback or 198.18.0.0/15 address. For a server on another machine you own, add --allow-remote-target.`,
    );
  }
  const token = raw.metricsToken ?? process.env[METRICS_TOKEN_ENV];
  if (token === undefined || token === '') {
    throw new UsageError(
      `--server-metrics needs --metrics-token (or ${METRICS_TOKEN_ENV}): the token bench serve was started with.`,
    );
  }
  return { url: url.toString(), token };
}

export function resolvePushMetrics(raw: string | undefined, scenario: ScenarioRef): string | null {
  if (raw === undefined) return null;
  if (scenario.kind === 'custom') {
    throw new UsageError(
      `--push-metrics fills in the built-in scenarios only; ${scenario.file} runs as written: add config.plugins.publish-metrics to it (docs/prometheus.md).`,
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    url = new URL('invalid://');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(
      `--push-metrics must be the http:// URL of a Prometheus Pushgateway (got "${raw}"). Example: --push-metrics http://127.0.0.1:9091`,
    );
  }
  // Metrics name the run's servers and results: they stay on this machine's own addresses.
  if (!isBenchmarkAddress(url.hostname)) {
    throw new UsageError(
      `--push-metrics ${url.hostname} is not a loopback or 198.18.0.0/15 address. Run a Pushgateway on this machine, e.g. --push-metrics http://127.0.0.1:9091`,
    );
  }
  return url.origin;
}

export function resolveForcedGc(raw: RunOptions, o: ResolvedRunOptions): boolean {
  if (raw.forcedGcHeap !== true) return false;
  if (o.target !== null) {
    throw new UsageError(
      '--forced-gc-heap needs the server bench starts; it cannot apply to --target. Remove one of them.',
    );
  }
  if (o.adapter === 'cluster') {
    throw new UsageError(
      '--forced-gc-heap reads each server process from inside; a cluster primary cannot read its workers. Use --adapter redis or postgres.',
    );
  }
  if (o.holdSeconds < 2) {
    throw new UsageError(
      `--forced-gc-heap runs the GC near the end of the hold, which is ${o.holdSeconds} s. Give --hold 2 or more.`,
    );
  }
  return true;
}
