import type { RequestListener } from 'node:http';
import type { Lib, Transport } from 'artillery-engine-bench/protocol';

/** Options every server takes. Resolved: no field is optional. */
export interface ServerOptions {
  /** TCP port; 0 picks a free one */
  port: number;
  /** address to bind, 127.0.0.1 unless told otherwise */
  host: string;
  /** Socket.IO only: `websocket` only, or `polling` then upgrade; ignored by ws and SockJS */
  transport: Transport;
  /** per-message deflate, where the library supports it */
  deflate: boolean;
  /** heartbeat interval (ms) */
  pingIntervalMs: number;
}

/** What per-message deflate ended up as on this server. */
export type DeflateState = 'on' | 'off' | 'unsupported';

/** Recorded in every result, so a run states the conditions it measured. */
export interface ServerDescription {
  lib: Lib;
  /** the URL that library's client connects to */
  url: string;
  port: number;
  host: string;
  transports: Transport[] | ['websocket'];
  deflate: DeflateState;
  pingIntervalMs: number;
  /** package name → installed version of every library this server loads */
  versions: Record<string, string>;
}

/** One library's server. Every implementation behaves the same (DESIGN.md, "The server contract"). */
export interface BenchServer {
  readonly lib: Lib;
  /** Starts listening; resolves once the port is bound. */
  listen(): Promise<ServerDescription>;
  /** Sends one broadcast to every connected client; returns its seq and how many it went to. */
  broadcast(): { seq: number; clients: number };
  /** Clients connected right now. */
  clientCount(): number;
  /** Serves one more HTTP path on the same port (exact match), ahead of the library's own. */
  route(path: string, handler: RequestListener): void;
  /** Closes every client and the listener. */
  close(): Promise<void>;
}

export type ServerFactory = (options: ServerOptions) => BenchServer;
