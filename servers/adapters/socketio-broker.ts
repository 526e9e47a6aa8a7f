/**
 * Socket.IO adapters of our own for brokers without an official one (RabbitMQ, NATS), on
 * socket.io-adapter's ClusterAdapterWithHeartbeat, the base of the official postgres and
 * redis-streams adapters: it does broadcasts, rooms, acks, fetchSockets, serverSideEmit and
 * counts the nodes by heartbeat; a subclass only carries its messages (`doPublish`,
 * `doPublishResponse`) and hands what arrives to `onMessage`.
 *
 * Why not a community adapter (tried with socket.io 4.8.1, 2-node broadcast, on this project's
 * RabbitMQ and NATS): `@mickl/socket.io-nats-adapter` 2.0.1 and `ms-socket.io-adapter-amqp`
 * 9.0.1 both carry broadcasts, but both extend the in-memory `Adapter` and override
 * `broadcast` alone, so `serverCount()` answers 1 whatever the nodes (bench waits until every
 * node counts all of them), and fetchSockets and acks stay local. The first also needs the
 * older `nats` 2.x client; the second pulls in @microfleet/transport-amqp 17 (bluebird, a
 * native ref-napi) and logs JSON lines on stdout, where `bench serve` writes its own.
 */
import { decode, encode } from '@msgpack/msgpack';
import type { Namespace } from 'socket.io';
import { ClusterAdapterWithHeartbeat, type ClusterMessage, type ClusterResponse } from 'socket.io-adapter';

/** How a broker carries one node's messages. */
export interface Bus {
  /** to every node (this one included: the adapter ignores its own), or those `message` concerns when the bus routes */
  publish(payload: Uint8Array, message: ClusterMessage): void;
  /** to the node whose adapter is `requesterUid` */
  publishResponse(requesterUid: string, payload: Uint8Array): void;
  /**
   * A bus that routes by room: a socket joined `room` on this node (the join resolves once the
   * returned promise does), and `room` has no socket left here. A socket's own room is no room.
   */
  rooms?: { joined(room: string): Promise<void> | undefined; emptied(room: string): void };
}

/** Heartbeats as the official adapters' defaults: a node silent for 10 s is counted out. */
const HEARTBEAT = { heartbeatInterval: 5_000, heartbeatTimeout: 10_000 };

class BrokerAdapter extends ClusterAdapterWithHeartbeat {
  constructor(
    nsp: Namespace,
    private readonly bus: Bus,
  ) {
    super(nsp, HEARTBEAT);
    const rooms = bus.rooms;
    // Emitted by the in-memory adapter as a room loses its last socket (a socket's own room too: ignored there).
    if (rooms) this.on('delete-room', (room: string) => rooms.emptied(room));
  }

  override addAll(id: string, rooms: Set<string>): Promise<void> | void {
    super.addAll(id, rooms);
    if (!this.bus.rooms) return;
    const binds: Promise<void>[] = [];
    for (const room of rooms) {
      if (room === id) continue;
      const bound = this.bus.rooms.joined(room);
      if (bound) binds.push(bound);
    }
    if (binds.length > 0) return Promise.all(binds).then(() => {});
  }

  get id(): string {
    return this.uid;
  }

  protected override doPublish(message: ClusterMessage): Promise<string> {
    this.bus.publish(encode(message), message);
    // no offsets: connection state recovery is not supported, as with the postgres adapter
    return Promise.resolve('');
  }

  protected override doPublishResponse(requesterUid: string, response: ClusterResponse): Promise<void> {
    this.bus.publishResponse(requesterUid, encode(response));
    return Promise.resolve();
  }
}

/**
 * The function `io.adapter()` takes, and `dispatch` for what the broker delivers (messages and
 * responses alike: `onMessage` tells them apart). `opened` is told each namespace's adapter id,
 * before its first heartbeat, so a bus can subscribe to its responses.
 */
export function brokerAdapter(
  bus: Bus,
  opened: (uid: string) => void = () => {},
): { create: (nsp: Namespace) => BrokerAdapter; dispatch: (payload: Uint8Array) => void } {
  const adapters = new Map<string, BrokerAdapter>();
  return {
    // Socket.IO calls it with `new`, which an arrow function refuses; a function returning an
    // object gives that object, as the official adapters' factories do.
    create: function (nsp: Namespace) {
      const adapter = new BrokerAdapter(nsp, bus);
      opened(adapter.id);
      adapters.set(nsp.name, adapter);
      const close = adapter.close.bind(adapter);
      adapter.close = () => {
        adapters.delete(nsp.name);
        close();
      };
      return adapter;
    },
    dispatch: (payload) => {
      let message: ClusterMessage;
      try {
        message = decode(payload) as ClusterMessage;
      } catch {
        return; // not ours
      }
      adapters.get(message.nsp)?.onMessage(message);
    },
  };
}
