import { SIO_PARSERS, type Lib, type SioParser } from 'artillery-engine-bench/protocol';
import { SIO_DEFAULTS, type AdapterKind, type SioTuning } from '../../servers/types';
import { wsEngineClass } from '../../servers/ws-engine';
import { UsageError } from '../errors';

/** The Socket.IO tuning flags as typed, shared by `bench run` and `bench serve`. */
export interface SioFlags {
  sioParser?: string;
  sioDiscardRequest?: boolean;
  sioWsEngine?: string;
  /** connection state recovery: `--sio-recovery` alone (''), or with the ms a session is kept */
  sioRecovery?: string | number;
}

/** Socket.IO's own default maxDisconnectionDuration: two minutes. */
export const DEFAULT_SIO_RECOVERY_MS = 120_000;

/**
 * Adapters that cannot restore a session, and why (Socket.IO's compatibility table for connection
 * state recovery, checked against the installed code: only the in-memory adapter and
 * @socket.io/redis-streams-adapter implement `restoreSession`).
 */
const NO_RECOVERY: Partial<Record<AdapterKind, string>> = {
  redis: 'the Redis adapter relays broadcasts over Redis pub/sub and keeps none to replay',
  postgres: '@socket.io/postgres-adapter keeps no session or packets to restore (no restoreSession)',
  amqp: 'our RabbitMQ adapter relays broadcasts through a fanout exchange and keeps none to replay (no restoreSession)',
  nats: 'our NATS adapter relays broadcasts over core NATS and keeps none to replay (no restoreSession)',
  cluster: '@socket.io/cluster-adapter keeps no session or packets to restore (no restoreSession)',
};

function resolveRecovery(raw: SioFlags, lib: Lib, adapter: AdapterKind): number | null {
  if (raw.sioRecovery === undefined) return null;
  if (lib !== 'socketio') {
    throw new UsageError(
      `--sio-recovery is Socket.IO's connection state recovery: it needs --lib socketio (got --lib ${lib}). Remove --sio-recovery.`,
    );
  }
  const why = NO_RECOVERY[adapter];
  if (why !== undefined) {
    throw new UsageError(
      `--sio-recovery cannot work with --adapter ${adapter}: ${why}. Use --adapter redis-streams (several nodes) or none (one node).`,
    );
  }
  const text = String(raw.sioRecovery).trim();
  if (text === '') return DEFAULT_SIO_RECOVERY_MS;
  const ms = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(ms >= 1_000 && ms <= 3_600_000)) {
    throw new UsageError(
      `--sio-recovery takes how long a lost session is kept, a whole number of ms from 1000 to 3600000 (got "${text}"). Example: --sio-recovery 120000`,
    );
  }
  return ms;
}

export function resolveSioTuning(raw: SioFlags, lib: Lib, adapter: AdapterKind = 'none'): SioTuning {
  const given = raw.sioParser !== undefined || raw.sioDiscardRequest === true || raw.sioWsEngine !== undefined;
  if (given && lib !== 'socketio') {
    throw new UsageError(
      `--sio-parser, --sio-discard-request and --sio-ws-engine apply to --lib socketio only (got --lib ${lib}). Remove them.`,
    );
  }
  const parser = raw.sioParser ?? SIO_DEFAULTS.parser;
  if (!(SIO_PARSERS as readonly string[]).includes(parser)) {
    throw new UsageError(
      `--sio-parser must be one of ${SIO_PARSERS.join(', ')} (got "${parser}"). Example: --sio-parser msgpack`,
    );
  }
  return {
    parser: parser as SioParser,
    discardRequest: raw.sioDiscardRequest === true,
    wsEngine: raw.sioWsEngine === undefined ? null : wsEngine(raw.sioWsEngine),
    recoveryMs: resolveRecovery(raw, lib, adapter),
  };
}

/** An installed module, named as `require` takes it; checked here so the server never starts with a missing one. */
function wsEngine(name: string): string {
  if (!/^(@[a-z0-9._-]+\/)?[a-z0-9._-]+$/i.test(name)) {
    throw new UsageError(`--sio-ws-engine must be an npm package name such as ws or eiows (got "${name}").`);
  }
  try {
    require.resolve(name);
  } catch {
    throw new UsageError(
      `--sio-ws-engine ${name} is not installed: npm install --save-exact ${name}@VERSION (eiows 11 needs Node 22, this is ${process.version}), or use --sio-ws-engine ws.`,
    );
  }
  if (wsEngineClass(name) === null) {
    throw new UsageError(
      `--sio-ws-engine ${name} exports no WebSocket server class (Server) for engine.io. Give one such as ws or eiows.`,
    );
  }
  return name;
}

/** What `--ws-native off` sets for the server and Artillery: every copy of ws then loads neither add-on. */
export function wsNativeEnv(wsNative: 'on' | 'off'): NodeJS.ProcessEnv {
  return wsNative === 'off' ? { WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' } : {};
}

/** A sweep's run options for one library's cells: the Socket.IO flags reach Socket.IO cells only. */
export function sioFlagsFor<T extends SioFlags>(run: T, lib: Lib): T {
  if (lib === 'socketio') return run;
  const rest = { ...run };
  delete rest.sioParser;
  delete rest.sioDiscardRequest;
  delete rest.sioWsEngine;
  delete rest.sioRecovery;
  return rest;
}
