/**
 * The regressions a test can inject into the servers: `bench serve` takes them for its one server,
 * `bench run` for every node it starts. They exist to prove that a measurement moves by what was
 * injected (a gate catching 2 ms, a soak finding 64 KiB a connection), never to tune anything.
 */
import { UsageError } from '../errors';

/** --welcome-delay's and --echo-delay's bound: longer than any timeout a test would use (ms). */
export const MAX_TEST_DELAY_MS = 60_000;
/** --retain-per-connection's bound: 16 MiB a connection is already far past any real server. */
const MAX_RETAIN_BYTES = 16 * 1024 * 1024;

/** The injected regressions `bench serve` and `bench run` take for tests (0: off). */
export interface ServerTestSwitches {
  echoDelayMs: number;
  retainPerConnectionBytes: number;
}

function wholeUpTo(flag: string, raw: string | number | undefined, max: number, unit: string, example: string): number {
  const text = String(raw ?? 0);
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n <= max)) {
    throw new UsageError(
      `--${flag} must be a whole number of ${unit} from 0 to ${max} (got "${text}"). Example: --${flag} ${example}`,
    );
  }
  return n;
}

/** `--echo-delay` and `--retain-per-connection`, checked. */
export function resolveTestSwitches(raw: {
  echoDelay?: string | number;
  retainPerConnection?: string | number;
}): ServerTestSwitches {
  return {
    echoDelayMs: wholeUpTo('echo-delay', raw.echoDelay, MAX_TEST_DELAY_MS, 'ms', '2'),
    retainPerConnectionBytes: wholeUpTo(
      'retain-per-connection',
      raw.retainPerConnection,
      MAX_RETAIN_BYTES,
      'bytes',
      '65536',
    ),
  };
}
