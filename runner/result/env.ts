import { createHash } from 'node:crypto';
import * as os from 'node:os';
import { packageVersion } from '../../servers/versions';
import { loadCalibration } from './calibration';
import type { ProfileRecord, RunEnv } from './schema';

export type { RunEnv } from './schema';

/** The profile's name, whichever form the result stores it in. */
export function profileName(env: Pick<RunEnv, 'profile'>): string {
  return typeof env.profile === 'string' ? env.profile : env.profile.name;
}

/** What goes into a fingerprint; the same on one machine with one install. */
export function fingerprintOf(
  e: Pick<RunEnv, 'cpu' | 'cores' | 'memoryBytes' | 'kernel' | 'node' | 'versions'>,
): string {
  const facts = [
    e.cpu,
    e.cores,
    e.memoryBytes,
    e.kernel,
    e.node,
    JSON.stringify(e.versions, Object.keys(e.versions).sort()),
  ];
  return createHash('sha256').update(facts.join('\n')).digest('hex').slice(0, 16);
}

export const VERSIONED_PACKAGES = [
  'ws',
  'socket.io',
  'engine.io',
  'sockjs',
  'faye-websocket',
  'socket.io-client',
  'engine.io-client',
  'sockjs-client',
  'artillery',
  'artillery-engine-bench',
  'artillery-engine-socketio-v3',
  'hdr-histogram-js',
] as const;

export function collectEnv(profile: ProfileRecord = { name: 'local', applied: [], skipped: [] }): RunEnv {
  const versions: Record<string, string> = {};
  for (const name of VERSIONED_PACKAGES) {
    const v = packageVersion(name);
    if (v) versions[name] = v;
  }
  const cpus = os.cpus();
  const machine = {
    node: process.version,
    versions,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()}`,
    kernel: os.release(),
    arch: os.arch(),
  };
  const fingerprint = fingerprintOf(machine);
  return { ...machine, profile, fingerprint, calibration: loadCalibration(fingerprint) };
}
