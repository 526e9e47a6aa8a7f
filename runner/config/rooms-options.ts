// --scenario rooms: the room shape flags, checked before any load starts.
import { UsageError } from '../errors';
import {
  MAX_MESSAGE_BYTES,
  MIN_MESSAGE_BYTES,
  MIN_PUBLISH_EVERY_MS,
  ROOMS_DEFAULTS,
  type ScenarioName,
} from './defaults';
import { wholeNumber } from './flag-values';
import type { RoomsSettings, RunOptions } from './run-option-types';

/** The flags that shape rooms, as typed; each applies to --scenario rooms only. */
const ROOM_FLAGS = [
  ['room-size', 'roomSize'],
  ['publish-every', 'publishEvery'],
  ['message-bytes', 'messageBytes'],
  ['except-sender', 'exceptSender'],
  ['namespaces', 'namespaces'],
] as const satisfies readonly (readonly [string, keyof RunOptions])[];

/**
 * The rooms of a run: null unless the scenario is `rooms`. Refuses a room larger than the
 * clients, a publish interval the hold cannot hold once, and room flags on another scenario.
 */
export function resolveRooms(
  raw: RunOptions,
  scenario: ScenarioName | null,
  clients: number | null,
  holdSeconds: number,
  lib: string,
): RoomsSettings | null {
  if (scenario !== 'rooms') {
    const given = ROOM_FLAGS.find(([, key]) => raw[key] !== undefined && raw[key] !== false);
    if (given) {
      throw new UsageError(
        `--${given[0]} applies to --scenario rooms only. Add --scenario rooms, or remove --${given[0]}.`,
      );
    }
    return null;
  }
  const n = clients ?? 0;
  const roomSize =
    raw.roomSize === undefined
      ? Math.min(ROOMS_DEFAULTS.roomSize, n)
      : wholeNumber('room-size', raw.roomSize, 1, 100_000, String(ROOMS_DEFAULTS.roomSize));
  if (roomSize > n) {
    throw new UsageError(
      `--room-size ${roomSize} is larger than --clients ${n}: a room cannot have more members than there are clients. Lower --room-size or raise --clients.`,
    );
  }
  const publishEveryMs =
    raw.publishEvery === undefined
      ? ROOMS_DEFAULTS.publishEveryMs
      : wholeNumber('publish-every', raw.publishEvery, MIN_PUBLISH_EVERY_MS, 3_600_000, '5000');
  if (publishEveryMs > holdSeconds * 1000) {
    throw new UsageError(
      `--publish-every ${publishEveryMs} ms is longer than the ${holdSeconds} s hold: members publish only during the hold, so some would publish nothing. Lower --publish-every or raise --hold to at least ${Math.ceil(publishEveryMs / 1000)}.`,
    );
  }
  const messageBytes =
    raw.messageBytes === undefined
      ? ROOMS_DEFAULTS.messageBytes
      : wholeNumber('message-bytes', raw.messageBytes, MIN_MESSAGE_BYTES, MAX_MESSAGE_BYTES, '200');
  const namespaces = raw.namespaces === undefined ? 1 : wholeNumber('namespaces', raw.namespaces, 1, 16, '2');
  if (namespaces > 1 && lib !== 'socketio') {
    throw new UsageError(
      `--namespaces multiplexes Socket.IO namespaces on one connection; ${lib} has none. Remove --namespaces, or use --lib socketio.`,
    );
  }
  return {
    namespaces,
    rooms: Math.ceil(n / roomSize),
    roomSize,
    publishEveryMs,
    messageBytes,
    exceptSender: raw.exceptSender === true,
  };
}
