import WebSocket from 'ws';
import {
  errorCode,
  parseJson,
  resetWebSocket,
  type BenchClient,
  type ClientAdapter,
  type ClientHandlers,
  type ClientOptions,
} from './types';

/** Raw WebSocket through `ws`: connected event is `open`; messages are JSON text. */
class WsClient implements BenchClient {
  private readonly socket: WebSocket;

  constructor(url: string, options: ClientOptions, h: ClientHandlers) {
    this.socket = new WebSocket(url, {
      perMessageDeflate: options.deflate,
      // ws hands its options to http.request, which binds the socket to it.
      ...(options.localAddress !== undefined && { localAddress: options.localAddress }),
    });
    this.socket.on('open', () => h.onOpen());
    this.socket.on('message', (data) => parseJson(String(data), h));
    this.socket.on('error', (err) => h.onError(errorCode(err, 'ws.error')));
    this.socket.on('close', (code) => h.onClose(`ws.close_${code}`));
  }

  send(message: object): void {
    this.socket.send(JSON.stringify(message));
  }

  close(): void {
    try {
      this.socket.close();
    } catch {
      // `close()` before the handshake finished throws in ws; terminate instead.
      this.socket.terminate();
    }
  }

  abort(): void {
    if (!resetWebSocket(this.socket)) this.close();
  }
}

export const wsAdapter: ClientAdapter = {
  deflateSupport: 'on',
  connect: (url, options, handlers) => new WsClient(url, options, handlers),
};
