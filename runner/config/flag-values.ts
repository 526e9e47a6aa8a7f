// Checks of one flag's raw value, shared by the `bench run` option resolvers. Each error names
// the flag, what it takes and an example.
import { TRANSPORTS, type Lib, type Transport } from 'artillery-engine-bench/protocol';
import { UsageError } from '../errors';
import { RUN_DEFAULTS } from './defaults';

export function wholeNumber(flag: string, raw: unknown, min: number, max: number, example: string): number {
  const text = String(raw).trim();
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(
      `--${flag} must be a whole number from ${min} to ${max} (got "${text}"). Example: --${flag} ${example}`,
    );
  }
  return n;
}

export function oneOf<T extends string>(flag: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new UsageError(
      `--${flag} must be one of ${allowed.join(', ')} (got "${raw}"). Example: --${flag} ${allowed[0]}`,
    );
  }
  return raw as T;
}

export function fraction(flag: string, raw: string | number | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (String(raw).trim() === '' || !(n >= 0 && n <= 1)) {
    throw new UsageError(`--${flag} must be a number from 0 to 1 (got "${String(raw)}"). Example: --${flag} 0.5`);
  }
  return n;
}

/** `--transport`: Socket.IO's only (websocket, or polling then upgrade); every other library uses websocket. */
export function resolveTransport(raw: string | undefined, lib: Lib): Transport {
  const transport = oneOf('transport', raw ?? RUN_DEFAULTS.transport, TRANSPORTS);
  if (raw !== undefined && lib !== 'socketio') {
    throw new UsageError(
      `--transport applies to --lib socketio only; ${lib} clients always use websocket. Remove --transport.`,
    );
  }
  return transport;
}
