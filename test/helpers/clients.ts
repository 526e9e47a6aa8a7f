import WebSocket from 'ws';
import { io, type Socket } from 'socket.io-client';
import SockJS from 'sockjs-client';
import { SOCKETIO_EVENT, type Lib } from 'artillery-engine-bench/protocol';

/** One real client: the broadcast seqs it got, in arrival order. */
export interface TestClient {
  seqs: number[];
  /** every other message it got but its welcome (joined, room messages), in arrival order */
  others: { type?: string }[];
  /** sends one message, as the library's client sends JSON */
  send(message: object): void;
  close(): void;
}

export type ClientTransport = 'websocket' | 'polling';

function onMessage(client: TestClient, message: unknown, welcomed: () => void): void {
  const m = message as { type?: string; seq?: number };
  if (m.type === 'welcome') welcomed();
  else if (m.type === 'broadcast') client.seqs.push(m.seq!);
  else client.others.push(m);
}

/**
 * Connects with the library's own client (`transport` matters to Socket.IO only); resolves once
 * the server's welcome arrived, rejects after `timeoutMs` (a bound, not an expectation).
 */
export function connect(lib: Lib, url: string, transport: ClientTransport, timeoutMs = 15_000): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const client: TestClient = { seqs: [], others: [], send: () => {}, close: () => {} };
    const timer = setTimeout(() => {
      client.close();
      reject(new Error(`${lib} client (${transport}) got no welcome from ${url} within ${timeoutMs} ms`));
    }, timeoutMs);
    const welcomed = () => {
      clearTimeout(timer);
      resolve(client);
    };
    if (lib === 'ws') {
      const ws = new WebSocket(url);
      client.close = () => ws.terminate();
      client.send = (m) => ws.send(JSON.stringify(m));
      ws.on('message', (data) => onMessage(client, JSON.parse(data.toString()), welcomed));
      ws.once('error', reject);
    } else if (lib === 'sockjs') {
      const sock = new SockJS(url, undefined, { transports: ['websocket'] });
      client.close = () => sock.close();
      client.send = (m) => sock.send(JSON.stringify(m));
      sock.onmessage = (e: { data: string }) => onMessage(client, JSON.parse(e.data), welcomed);
      sock.onclose = (e: { code: number; reason: string }) => reject(new Error(`sockjs closed: ${e.code} ${e.reason}`));
    } else {
      const socket: Socket = io(url, { transports: [transport], forceNew: true, reconnection: false });
      client.close = () => socket.disconnect();
      client.send = (m) => socket.emit(SOCKETIO_EVENT, m);
      socket.on(SOCKETIO_EVENT, (message: unknown) => onMessage(client, message, welcomed));
      socket.once('connect_error', reject);
    }
  });
}
