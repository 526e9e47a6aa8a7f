/**
 * The package's one public API.
 *
 * Artillery requires `artillery-engine-<name>` and calls `new` on what it gets back
 * (`new Engine(script, ee, helpers)`), so the module itself must be the constructor. TypeScript consumers import named exports
 * (`import { Engine, LIBS, type Lib } from 'artillery-engine-bench'`); those stay reachable
 * because every named export is also copied onto the constructor below.
 */
import { Engine } from './engine';

export * from './protocol';
export { Engine, HOLD_PHASE, PROBE_PHASE, HOLD_CAP_MARGIN_MS } from './engine';
export {
  EngineConfigError,
  backoffMs,
  compileFlow,
  resolveEngineConfig,
  resolveReconnect,
  resolveRooms,
  type ResolvedEngineConfig,
  type Step,
} from './config';
export { ConnectionError, type Endpoint } from './session';
export { Recorder } from './metrics';
export { RoomMember, padded, smallestPublishBytes, type Arrival } from './rooms';
export { SlowClients, resolveSlowClients, slowHosts, slowRecorder, type HostChooser } from './slow';
export { ThrottleProxy, TokenBucket, type ThrottleStats } from './throttle-proxy';

module.exports = Object.assign(Engine, exports);
