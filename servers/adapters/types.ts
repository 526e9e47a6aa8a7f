/** The adapters' shared types: apart from index.ts, so that no adapter imports the file that requires it. */

/** Deliveries of one broadcast: clients reached on every node, and the nodes that reported. */
export interface Delivery {
  clients: number;
  /** absent on a lone node */
  nodes?: number;
}

/** Carries ws and SockJS broadcasts to the clients of every node. */
export interface Fanout {
  /** package → version of what it loads */
  readonly versions: Record<string, string>;
  /** Sends `text` (broadcast `seq`) to every client of every node, this one included. */
  publish(seq: number, text: string): Promise<Delivery>;
  /** Nodes synced through it, this one included. */
  servers(): Promise<number>;
  close(): Promise<void>;
}

/** Writes `text` (broadcast `seq`) to this node's open clients; returns how many. */
export type Deliver = (seq: number, text: string) => number;

/** What syncs a Socket.IO server with the others. */
export interface SocketIoSync {
  /** package → version of what it loads */
  readonly versions: Record<string, string>;
  /** Closes its own connections (Socket.IO closes the adapter itself). */
  close(): Promise<void>;
}
