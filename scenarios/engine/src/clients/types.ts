import type { SioParser, Transport } from '../protocol';

/** What a library's client reports back; the session behind it does all timing. */
export interface ClientHandlers {
  /** the library's own "connected" event */
  onOpen(): void;
  /** one decoded message from the server */
  onMessage(message: unknown): void;
  /** the connection is gone (after `close()` too) */
  onClose(code: string): void;
  /** something failed; `code` is short (`ECONNREFUSED`, `sockjs.close_1002`) */
  onError(code: string): void;
}

/** Options every adapter takes; an adapter ignores what its library cannot do. */
export interface ClientOptions {
  transport: Transport;
  deflate: boolean;
  /** Socket.IO only: the packet encoding */
  sioParser: SioParser;
  /** the session gives up after this long (ms); libraries with their own timeouts get it too */
  connectTimeoutMs: number;
  /** the source address to connect from; undefined: the kernel's choice */
  localAddress?: string;
  /**
   * Socket.IO only: sockets multiplexed on the one connection, `/` and `/n2` … `/nN` (rooms
   * scenario: a join goes to each, publishes take turns); default 1
   */
  namespaces?: number;
  /** stay on HTTP long-polling (Socket.IO `polling` without upgrade, SockJS `xhr-polling`); default false */
  pollingOnly?: boolean;
  /** what a lost connection's `resumeToken()` gave: the new connection asks the server to restore that session */
  resume?: unknown;
}

/** One open (or opening) connection. */
export interface BenchClient {
  send(message: object): void;
  /** idempotent; never throws */
  close(): void;
  /**
   * Ends the connection abruptly, as a client that vanishes: the TCP socket is reset (RST), no
   * closing handshake. Absent where the library gives no socket to reset: `close()` then.
   */
  abort?(): void;
  /**
   * What a later connection needs to ask the server to restore this one's session and replay
   * what it missed (Socket.IO's connection state recovery: its session id and the offset of the
   * last broadcast received); undefined when the library or the server offers none.
   */
  resumeToken?(): unknown;
  /** whether the server restored the session this connection asked for (read once connected) */
  recovered?(): boolean;
}

/** One per library. `connect` creates the library's client object synchronously. */
export interface ClientAdapter {
  connect(url: string, options: ClientOptions, handlers: ClientHandlers): BenchClient;
  /** what this adapter does with `deflate: true`: `on`, or `unsupported` when it cannot ask for it */
  deflateSupport: 'on' | 'unsupported';
}

/** A short, stable code for an error from any library (`ECONNREFUSED`, `ETIMEDOUT`, ...). */
export function errorCode(err: unknown, fallback: string): string {
  let e: unknown = err;
  // Socket.IO and SockJS wrap the socket's error; look a few levels down for a Node code.
  for (let depth = 0; depth < 4 && e !== null && typeof e === 'object'; depth++) {
    const o = e as {
      code?: unknown;
      errors?: unknown[];
      description?: unknown;
      error?: unknown;
      cause?: unknown;
    };
    if (typeof o.code === 'string' && o.code !== '') return o.code;
    if (Array.isArray(o.errors) && o.errors.length > 0) e = o.errors[0];
    else e = o.description ?? o.error ?? o.cause;
  }
  return fallback;
}

/** Resets a `ws` WebSocket's TCP socket (RST, no close frame); false when it has none open. */
export function resetWebSocket(ws: unknown): boolean {
  const raw = (ws as { _socket?: { destroyed?: boolean; resetAndDestroy?: () => void } } | null | undefined)?._socket;
  if (!raw || raw.destroyed || typeof raw.resetAndDestroy !== 'function') return false;
  raw.resetAndDestroy();
  return true;
}

/** Parses one text frame; a frame that is not JSON is reported as an error, never thrown into the library. */
export function parseJson(text: string, h: ClientHandlers): void {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    h.onError('bench.bad_json');
    return;
  }
  h.onMessage(message);
}
