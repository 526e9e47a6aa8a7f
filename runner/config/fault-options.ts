// The faults a run injects during the hold (a Redis outage or crash, a killed node) and how
// clients whose connection is lost reconnect.
import { DEFAULT_RECONNECT } from 'artillery-engine-bench/protocol';
import { UsageError } from '../errors';
import { fraction, wholeNumber } from './flag-values';
import type { FlapSettings, ReconnectSettings, ResolvedRunOptions, RunOptions } from './run-option-types';

/** FROM..TO seconds after the hold starts, within the hold. */
function holdWindow(flag: string, raw: string, example: string) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*\.\.\s*(\d+(?:\.\d+)?)\s*$/.exec(raw);
  const from = m ? Number(m[1]) : NaN;
  const to = m ? Number(m[2]) : NaN;
  if (!(from < to)) {
    throw new UsageError(
      `--${flag} must be FROM..TO in seconds after the hold starts, FROM below TO (got "${raw}"). Example: --${flag} ${example}`,
    );
  }
  return { from, to };
}

export function resolveOutage(raw: string | undefined, o: ResolvedRunOptions): ResolvedRunOptions['adapterOutage'] {
  if (raw === undefined) return null;
  const { from, to } = holdWindow('adapter-outage', raw, '2..5');
  if (o.adapter !== 'redis') {
    throw new UsageError(
      `--adapter-outage pauses Redis, so it needs --adapter redis (got --adapter ${o.adapter}). Example: --nodes 3 --adapter redis --adapter-outage 2..5`,
    );
  }
  if (to > o.holdSeconds) {
    throw new UsageError(
      `--adapter-outage ${raw} ends after the hold (${o.holdSeconds} s): broadcasts run only during the hold. Give --hold ${Math.ceil(to) + 2} or more.`,
    );
  }
  return { fromSeconds: from, toSeconds: to };
}

export function resolveCrash(raw: RunOptions, o: ResolvedRunOptions): ResolvedRunOptions['adapterCrash'] {
  if (raw.adapterCrash === undefined) return null;
  const { from, to } = holdWindow('adapter-crash', raw.adapterCrash, '3..6');
  if (o.adapter !== 'redis' && o.adapter !== 'redis-streams') {
    throw new UsageError(
      `--adapter-crash kills Redis, so it needs --adapter redis or redis-streams (got --adapter ${o.adapter}). Example: --nodes 3 --adapter redis --adapter-crash 3..6`,
    );
  }
  if (raw.redisUrl !== undefined) {
    throw new UsageError(
      "--adapter-crash kills bench's own redis-server, never the one at --redis-url. Remove --redis-url.",
    );
  }
  if (raw.adapterOutage !== undefined) {
    throw new UsageError(
      '--adapter-crash and --adapter-outage both take Redis away during the hold. Give one of them.',
    );
  }
  if (to > o.holdSeconds) {
    throw new UsageError(
      `--adapter-crash ${raw.adapterCrash} ends after the hold (${o.holdSeconds} s): broadcasts run only during the hold. Give --hold ${Math.ceil(to) + 2} or more.`,
    );
  }
  return { fromSeconds: from, toSeconds: to };
}

export function resolveKillNode(raw: RunOptions, o: ResolvedRunOptions): number | null {
  if (raw.killNodeAt === undefined) return null;
  const at = Number(raw.killNodeAt);
  if (String(raw.killNodeAt).trim() === '' || !Number.isFinite(at) || at < 0) {
    throw new UsageError(
      `--kill-node-at must be seconds after the hold starts, a number >= 0 (got "${String(raw.killNodeAt)}"). Example: --kill-node-at 3`,
    );
  }
  if (o.nodes < 2) {
    throw new UsageError(
      `--kill-node-at needs --nodes 2 or more, so that its clients have a node to reconnect to (got --nodes ${o.nodes}).`,
    );
  }
  if (at >= o.holdSeconds) {
    throw new UsageError(
      `--kill-node-at ${at} is not within the hold (${o.holdSeconds} s). Give --hold ${Math.ceil(at) + 5} or more.`,
    );
  }
  return at;
}

/** The flaps of --flap SHARE@EVERY, checked before any load; reconnecting must be on (see resolveFlapTiming). */
export function resolveFlap(raw: RunOptions, o: ResolvedRunOptions): FlapSettings | null {
  if (raw.flap === undefined) return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*@\s*(\d+(?:\.\d+)?)\s*s?\s*$/.exec(String(raw.flap));
  if (!m) {
    throw new UsageError(
      `--flap must be SHARE@EVERY: a percent of the connections and the seconds between flaps (got "${String(raw.flap)}"). Example: --flap 10%@5`,
    );
  }
  const sharePct = Number(m[1]);
  const everySeconds = Number(m[2]);
  if (!(sharePct > 0 && sharePct <= 100)) {
    throw new UsageError(
      `--flap ${String(raw.flap)}: the share must be above 0 % and at most 100 % of the connections (got ${sharePct} %). Example: --flap 10%@5`,
    );
  }
  if (!(everySeconds > 0)) {
    throw new UsageError(`--flap ${String(raw.flap)}: the interval must be above 0 seconds. Example: --flap 10%@5`);
  }
  if (raw.reconnect === false) {
    throw new UsageError(
      '--flap cuts connections for the clients to reconnect, and --no-reconnect keeps them from it. Remove one of them.',
    );
  }
  if (o.adapter === 'cluster') {
    throw new UsageError(
      "--flap cannot cut a cluster's connections: its primary hands each socket to a worker that bench cannot reach. Use --nodes N --adapter redis-streams (or redis) instead.",
    );
  }
  if (o.holdSeconds < 2 * everySeconds) {
    throw new UsageError(
      `--flap ${String(raw.flap)} needs a hold of at least ${2 * everySeconds} s: a flap every ${everySeconds} s, and as long again to come back after the last. Give --hold ${Math.ceil(2 * everySeconds)} or more.`,
    );
  }
  return { sharePct, everySeconds };
}

/** A flap interval shorter than the back-off's first delay would cut clients again before they could come back. */
export function checkFlapTiming(flap: FlapSettings | null, reconnect: ReconnectSettings | null): void {
  if (flap === null || reconnect === null || flap.everySeconds * 1000 >= reconnect.delayMs) return;
  throw new UsageError(
    `--flap ${flap.sharePct}%@${flap.everySeconds}: flaps ${flap.everySeconds} s apart come before the back-off's first delay (${reconnect.delayMs} ms, --reconnect-delay) lets a cut client back. Give an interval of ${Math.ceil(reconnect.delayMs / 1000)} s or more, or a smaller --reconnect-delay.`,
  );
}

/** Seconds the first restart of --rolling-restart comes after the hold starts, by default. */
export const ROLLING_RESTART_AT_SECONDS = 2;
/** What the hold must leave for each node's restart (stop, start, /healthz, HAProxy's check), in seconds. */
export const RESTART_BUDGET_SECONDS = 3;
/** What the hold must leave after the last restart for its clients to come back (the back-off's ceiling), in seconds. */
export const RESTART_SETTLE_SECONDS = 5;

/**
 * --rolling-restart [S]: every node bench starts, stopped gracefully and started again one at a
 * time, from S seconds after the hold starts. Refused, before any load, where it cannot be done
 * faithfully.
 */
export function resolveRollingRestart(raw: RunOptions, o: ResolvedRunOptions): ResolvedRunOptions['rollingRestart'] {
  if (raw.rollingRestart === undefined) return null;
  const text = String(raw.rollingRestart).trim();
  const at = text === '' ? ROLLING_RESTART_AT_SECONDS : Number(text);
  if (!Number.isFinite(at) || at < 0) {
    throw new UsageError(
      `--rolling-restart takes the seconds after the hold starts of the first restart, a number >= 0 (got "${text}"). Example: --rolling-restart 2`,
    );
  }
  if (o.target !== null) {
    throw new UsageError(
      '--rolling-restart restarts the nodes bench starts; it cannot restart a --target server. Remove --target or --rolling-restart.',
    );
  }
  if (o.nodes < 2) {
    throw new UsageError(
      `--rolling-restart needs --nodes 2 or more, so that clients have a node to go to while theirs restarts (got --nodes ${o.nodes}).`,
    );
  }
  if (o.adapter === 'cluster') {
    throw new UsageError(
      '--rolling-restart cannot restart one worker of --adapter cluster: the primary owns the port and hands each connection to a worker, so a worker cannot stop and come back on its own as a deployed node does. Use --adapter redis.',
    );
  }
  if (raw.killNodeAt !== undefined) {
    throw new UsageError(
      '--rolling-restart and --kill-node-at both take nodes away during the hold, and a killed node cannot be restarted. Give one of them.',
    );
  }
  const need = Math.ceil(at + o.nodes * RESTART_BUDGET_SECONDS + RESTART_SETTLE_SECONDS);
  if (need > o.holdSeconds) {
    throw new UsageError(
      `--rolling-restart restarts ${o.nodes} nodes one at a time from ${at} s into the hold, about ${RESTART_BUDGET_SECONDS} s each, and their clients need ${RESTART_SETTLE_SECONDS} s more to come back: give --hold ${need} or more (got --hold ${o.holdSeconds}).`,
    );
  }
  return { atSeconds: at };
}

/** Reconnecting: on when asked, when a --reconnect-* flag tunes it, or when a fault (`faultNeedsIt`) takes nodes away. */
export function resolveReconnect(raw: RunOptions, faultNeedsIt: boolean): ReconnectSettings | null {
  const tuned =
    raw.reconnectAttempts !== undefined ||
    raw.reconnectDelay !== undefined ||
    raw.reconnectDelayMax !== undefined ||
    raw.reconnectJitter !== undefined;
  const on = raw.reconnect ?? (faultNeedsIt || tuned);
  if (!on) {
    if (tuned) {
      throw new UsageError(
        '--reconnect-* flags tune reconnecting, which --no-reconnect turns off. Remove one of them.',
      );
    }
    return null;
  }
  const d = DEFAULT_RECONNECT;
  const num = (flag: string, value: unknown, fallback: number, min: number, max: number, example: string) =>
    value === undefined ? fallback : wholeNumber(flag, value, min, max, example);
  const r: ReconnectSettings = {
    attempts: num('reconnect-attempts', raw.reconnectAttempts, d.attempts, 1, 1_000, String(d.attempts)),
    delayMs: num('reconnect-delay', raw.reconnectDelay, d.delayMs, 0, 600_000, String(d.delayMs)),
    delayMaxMs: num('reconnect-delay-max', raw.reconnectDelayMax, d.delayMaxMs, 0, 600_000, String(d.delayMaxMs)),
    jitter: fraction('reconnect-jitter', raw.reconnectJitter, d.jitter),
  };
  if (r.delayMaxMs < r.delayMs) {
    throw new UsageError(`--reconnect-delay-max (${r.delayMaxMs}) must be at least --reconnect-delay (${r.delayMs}).`);
  }
  return r;
}
