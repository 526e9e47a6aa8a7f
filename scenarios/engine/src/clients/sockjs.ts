import SockJS from 'sockjs-client';
import { parseJson, type BenchClient, type ClientAdapter, type ClientHandlers, type ClientOptions } from './types';

/** The slice of the SockJS client object we use (its bundled types assume a browser `WebSocket`). */
interface SockJsSocket {
  onopen: (() => void) | null;
  onmessage: ((e: { data: string }) => void) | null;
  onclose: ((e: { code: number }) => void) | null;
  send(data: string): void;
  close(): void;
}

/**
 * SockJS through `sockjs-client` (in Node: `/info` over http, then faye-websocket): connected
 * event is `open`; messages are JSON text.
 *
 * - `transport: websocket` allows only the `websocket` transport; otherwise the library picks
 *   (it tries websocket first and silently falls back to xhr-streaming and polling).
 * - The library's own transport timeout is only ~2 × the `/info` round trip (often < 1 s), after
 *   which it quietly falls back to another transport; it is raised to the connect timeout so a
 *   slow handshake under load shows as a slow connect, not as a different transport.
 * - Per-message deflate cannot be asked for: faye-websocket needs the separate
 *   `permessage-deflate` extension package, which sockjs-client does not pass in.
 */
/**
 * faye-websocket's client options that bind its socket: it hands `net` to net.connect, but its own
 * option check (websocket-driver's, over enumerable keys) rejects `net` as unknown, so the key is
 * not enumerable. sockjs-client's `/info` request before it has no such option and leaves from
 * the kernel's choice of address.
 */
function bindTo(localAddress: string): object {
  return Object.defineProperty({}, 'net', { value: { localAddress }, enumerable: false });
}

class SockJsClient implements BenchClient {
  private readonly socket: SockJsSocket;

  constructor(url: string, options: ClientOptions, h: ClientHandlers) {
    const sockjsOptions = {
      timeout: options.connectTimeoutMs,
      ...(options.pollingOnly
        ? { transports: ['xhr-polling'] }
        : options.transport === 'websocket'
          ? { transports: ['websocket'] }
          : {}),
      ...(options.localAddress !== undefined && {
        transportOptions: { websocket: bindTo(options.localAddress) },
      }),
    };
    this.socket = new SockJS(url, undefined, sockjsOptions) as unknown as SockJsSocket;
    this.socket.onopen = () => h.onOpen();
    this.socket.onmessage = (e) => parseJson(e.data, h);
    // SockJS reports every failure (refused, timed out, all transports failed) as a close code.
    this.socket.onclose = (e) => h.onClose(`sockjs.close_${e.code}`);
  }

  send(message: object): void {
    this.socket.send(JSON.stringify(message));
  }

  close(): void {
    this.socket.close();
  }
}

export const sockjsAdapter: ClientAdapter = {
  deflateSupport: 'unsupported',
  connect: (url, options, handlers) => new SockJsClient(url, options, handlers),
};
