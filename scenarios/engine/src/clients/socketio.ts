import { io, type Socket } from 'socket.io-client';
import * as msgpackParser from 'socket.io-msgpack-parser';
import { SOCKETIO_EVENT } from '../protocol';
import { errorCode, type BenchClient, type ClientAdapter, type ClientHandlers, type ClientOptions } from './types';

/**
 * Socket.IO through `socket.io-client`: connected event is `connect` (Engine.IO handshake plus
 * the namespace CONNECT); every message travels on one event name and arrives already decoded.
 */
class SocketIoClient implements BenchClient {
  private readonly socket: Socket;

  constructor(url: string, options: ClientOptions, h: ClientHandlers) {
    this.socket = io(url, {
      transports: options.transport === 'websocket' ? ['websocket'] : ['polling', 'websocket'],
      reconnection: false,
      forceNew: true,
      // Keeps cookies in Node (engine.io-client's own jar): a balancer's sticky cookie then pins
      // every long-polling request of a session to the node that holds it.
      withCredentials: true,
      timeout: options.connectTimeoutMs,
      // engine.io-client offers deflate by default ({ threshold: 1024 }); `false` stops the offer.
      perMessageDeflate: options.deflate ? { threshold: 1024 } : false,
      // engine.io-client hands `localAddress` to ws for its WebSocket transport only; polling
      // goes through its own XMLHttpRequest, which cannot bind (run-options refuses the pair).
      ...(options.localAddress !== undefined && { localAddress: options.localAddress }),
      // The same module encodes for the server: a client with the other parser gets no packet it can read.
      ...(options.sioParser === 'msgpack' && { parser: msgpackParser }),
    } as Parameters<typeof io>[1]);
    this.socket.on('connect', () => h.onOpen());
    this.socket.on(SOCKETIO_EVENT, (message: unknown) => h.onMessage(message));
    this.socket.on('connect_error', (err) => h.onError(errorCode(err, 'socketio.connect_error')));
    this.socket.on('disconnect', (reason) => h.onClose(`socketio.${reason.replace(/ /g, '_')}`));
  }

  send(message: object): void {
    this.socket.emit(SOCKETIO_EVENT, message);
  }

  close(): void {
    this.socket.disconnect();
  }
}

export const socketioAdapter: ClientAdapter = {
  deflateSupport: 'on',
  connect: (url, options, handlers) => new SocketIoClient(url, options, handlers),
};
