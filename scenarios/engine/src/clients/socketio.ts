import { io, type Socket } from 'socket.io-client';
import * as msgpackParser from 'socket.io-msgpack-parser';
import { SOCKETIO_EVENT } from '../protocol';
import {
  errorCode,
  resetWebSocket,
  type BenchClient,
  type ClientAdapter,
  type ClientHandlers,
  type ClientOptions,
} from './types';

/**
 * Socket.IO through `socket.io-client`: connected event is `connect` (Engine.IO handshake plus
 * the namespace CONNECT); every message travels on one event name and arrives already decoded.
 */
/** socket.io-client's own fields for connection state recovery (set once the server enables it). */
interface RecoveryFields {
  _pid?: string;
  _lastOffset?: string;
}

/** A session to restore: the server's session id and the offset of the last broadcast received. */
interface SioResume {
  pid: string;
  offset: string;
}

class SocketIoClient implements BenchClient {
  private readonly socket: Socket;
  /** the extra namespaces' sockets on the same connection (--namespaces), `/n2` … */
  private readonly extra: Socket[] = [];
  /** joined answers still to come before the session hears one: one per namespace */
  private joinsPending = 0;
  /** the namespace the next publish goes out on (0: `/`) */
  private nextPublish = 0;

  constructor(url: string, options: ClientOptions, h: ClientHandlers) {
    this.socket = io(url, {
      transports: options.pollingOnly
        ? ['polling']
        : options.transport === 'websocket'
          ? ['websocket']
          : ['polling', 'websocket'],
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
    // socket.io-client restores a session itself only when the same Socket reconnects; bench makes
    // a new client per attempt (one back-off for every library), so it carries the session id and
    // offset over, and the CONNECT packet asks for the same restore the library's own would.
    const resume = options.resume as SioResume | undefined;
    if (resume !== undefined)
      Object.assign(this.socket as unknown as RecoveryFields, { _pid: resume.pid, _lastOffset: resume.offset });
    this.socket.on('connect', () => h.onOpen());
    const onMessage = (message: unknown, main: boolean) => {
      const type = (message as { type?: unknown } | null)?.type;
      // Each namespace welcomes its socket; the session hears the main one's.
      if (!main && type === 'welcome') return;
      // A join is done once every namespace answered.
      if (type === 'joined' && this.extra.length > 0 && --this.joinsPending > 0) return;
      h.onMessage(message);
    };
    this.socket.on(SOCKETIO_EVENT, (message: unknown) => onMessage(message, true));
    for (let n = 2; n <= (options.namespaces ?? 1); n++) {
      const nsp = this.socket.io.socket(`/n${n}`);
      nsp.on(SOCKETIO_EVENT, (message: unknown) => onMessage(message, false));
      this.extra.push(nsp);
    }
    this.socket.on('connect_error', (err) => h.onError(errorCode(err, 'socketio.connect_error')));
    this.socket.on('disconnect', (reason) => h.onClose(`socketio.${reason.replace(/ /g, '_')}`));
  }

  send(message: object): void {
    const type = (message as { type?: unknown }).type;
    if (this.extra.length > 0 && type === 'join') {
      this.joinsPending = this.extra.length + 1;
      for (const s of [this.socket, ...this.extra]) s.emit(SOCKETIO_EVENT, message);
    } else if (this.extra.length > 0 && type === 'publish') {
      const n = this.nextPublish++ % (this.extra.length + 1);
      (n === 0 ? this.socket : this.extra[n - 1]!).emit(SOCKETIO_EVENT, message);
    } else this.socket.emit(SOCKETIO_EVENT, message);
  }

  close(): void {
    for (const s of this.extra) s.disconnect();
    this.socket.disconnect();
  }

  /** The websocket transport's socket is reset; on long-polling (no socket of its own) a clean close. */
  abort(): void {
    const transport = (this.socket.io.engine as unknown as { transport?: { ws?: unknown } } | undefined)?.transport;
    if (!resetWebSocket(transport?.ws)) this.close();
  }

  resumeToken(): SioResume | undefined {
    const { _pid, _lastOffset } = this.socket as unknown as RecoveryFields;
    return typeof _pid === 'string' && typeof _lastOffset === 'string' ? { pid: _pid, offset: _lastOffset } : undefined;
  }

  recovered(): boolean {
    return this.socket.recovered === true;
  }
}

export const socketioAdapter: ClientAdapter = {
  deflateSupport: 'on',
  connect: (url, options, handlers) => new SocketIoClient(url, options, handlers),
};
