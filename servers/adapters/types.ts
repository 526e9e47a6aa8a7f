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
  /**
   * Sends room message `text` to the other nodes, which write it to their members of `room`
   * (this node wrote it to its own already). Fire and forget: no reports.
   */
  publishRoom(room: string, text: string): void;
  /**
   * A member joined `room` on this node: a fan-out that routes by room binds it, and the join is
   * answered once the promise resolves. Absent, or undefined: every node gets every room message.
   */
  roomJoined?(room: string): Promise<void> | undefined;
  /** `room` has no member left on this node: unbind it. */
  roomLeft?(room: string): void;
  /** Nodes synced through it, this one included. */
  servers(): Promise<number>;
  close(): Promise<void>;
}

/** Writes `text` (broadcast `seq`) to this node's open clients; returns how many. */
export type Deliver = (seq: number, text: string) => number;

/** Writes room message `text`, from another node, to this node's members of `room`. */
export type DeliverRoom = (room: string, text: string) => void;

/** What a node does with what the fan-out brings it. */
export interface Receivers {
  broadcast: Deliver;
  room: DeliverRoom;
}

/** What syncs a Socket.IO server with the others. */
export interface SocketIoSync {
  /** package → version of what it loads */
  readonly versions: Record<string, string>;
  /** Closes its own connections (Socket.IO closes the adapter itself). */
  close(): Promise<void>;
}
