import * as os from 'node:os';
import { packageVersion } from '../servers/versions';

/** The conditions of a run: enough to tell two machines apart. */
export interface RunEnv {
  node: string;
  /** package → version, for every library on either side of the wire */
  versions: Record<string, string>;
  cpu: string;
  cores: number;
  memoryBytes: number;
  os: string;
  kernel: string;
  arch: string;
  profile: string;
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

export function collectEnv(profile = 'local'): RunEnv {
  const versions: Record<string, string> = {};
  for (const name of VERSIONED_PACKAGES) {
    const v = packageVersion(name);
    if (v) versions[name] = v;
  }
  const cpus = os.cpus();
  return {
    node: process.version,
    versions,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()}`,
    kernel: os.release(),
    arch: os.arch(),
    profile,
  };
}
