import type { Server } from 'socket.io';
import type { AdapterOptions } from '../types';
import { versionsOf } from '../versions';
import type { SocketIoSync } from './types';
import { closeNats, connectNats } from './nats-client';
import { brokerAdapter } from './socketio-broker';

/**
 * Our Socket.IO adapter on NATS core pub/sub (socketio-broker.ts says why not a community one).
 * Subjects: `bench.<key>.sio`, every node's messages; `bench.<key>.sio.response.<adapter id>`,
 * the answers to one node's requests. One connection, so one node's messages stay in order;
 * core NATS stores nothing, so a run leaves nothing on the server.
 */
export async function attach(
  io: Server,
  o: Extract<AdapterOptions, { kind: 'nats' }>,
  nodeId: string,
): Promise<SocketIoSync> {
  const prefix = `bench.${o.key}.sio`;
  const nc = await connectNats(o.url, `${prefix}.${nodeId}`);
  const onPayload = (err: Error | null, payload: Uint8Array) => void (err ?? adapter.dispatch(payload));
  const adapter = brokerAdapter(
    {
      publish: (payload) => nc.publish(prefix, payload),
      publishResponse: (uid, payload) => nc.publish(`${prefix}.response.${uid}`, payload),
    },
    // Subscribed before the adapter's first heartbeat is published, on the same connection.
    (uid) => void nc.subscribe(`${prefix}.response.${uid}`, { callback: (err, m) => onPayload(err, m.data) }),
  );
  try {
    nc.subscribe(prefix, { callback: (err, m) => onPayload(err, m.data) });
    await nc.flush();
    io.adapter(adapter.create as unknown as Parameters<Server['adapter']>[0]);
    // Socket.IO 4.8 does not init an adapter set on an existing namespace: announce this node now.
    void io.of('/').adapter.init();
  } catch (err) {
    await closeNats(nc);
    throw err;
  }
  return {
    versions: versionsOf([
      ['socket.io-adapter'],
      ['@nats-io/transport-node'],
      ['@nats-io/transport-node', '@nats-io/nats-core'],
    ]),
    close: () => closeNats(nc),
  };
}
