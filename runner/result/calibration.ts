import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Bump when the workload changes: scores of different versions do not compare. */
export const CALIBRATION_VERSION = 1;

/** How fast this machine runs a fixed workload: what lets results from two machines sit side by side. */
export interface Calibration {
  version: typeof CALIBRATION_VERSION;
  /** the machine fingerprint it was measured on (env.fingerprint) */
  fingerprint: string;
  /** ISO 8601 */
  measuredAt: string;
  cpu: {
    /** what one round does */
    workload: string;
    rounds: number;
    /** median time of one round (ms) */
    medianRoundMs: number;
    /** fastest round (ms): the least disturbed by anything else the machine was doing */
    fastestRoundMs: number;
    /** rounds per second at the fastest round: higher is faster */
    roundsPerSecond: number;
  };
  connections: {
    /** ws connections opened to a `bench serve --lib ws` on loopback */
    attempted: number;
    opened: number;
    /** at most this many in flight at once */
    concurrency: number;
    /** opened / elapsed: higher is faster */
    perSecond: number;
  };
}

/** Where calibrations are kept, one file per fingerprint, for runs to pick up. */
export function calibrationDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'bench', 'calibration');
}

export function calibrationFile(fingerprint: string): string {
  return path.join(calibrationDir(), `${fingerprint}.json`);
}

/** The calibration measured on a machine with this fingerprint, or null. */
export function loadCalibration(fingerprint: string): Calibration | null {
  try {
    const c = JSON.parse(fs.readFileSync(calibrationFile(fingerprint), 'utf8')) as Calibration;
    return c.version === CALIBRATION_VERSION && c.fingerprint === fingerprint ? c : null;
  } catch {
    return null;
  }
}
