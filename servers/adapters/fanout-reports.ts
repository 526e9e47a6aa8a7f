/**
 * What every ws and SockJS fan-out shares, whatever carries it (Redis, RabbitMQ, NATS): the
 * messages, and the publisher's wait for the nodes' delivery reports.
 */
import type { Deliver, DeliverRoom, Delivery, Receivers } from './types';

/** How long a publisher waits for every node to report its deliveries (ms), as Socket.IO's adapters do. */
export const ACK_TIMEOUT_MS = 5_000;

/** A broadcast on its way through the broker. */
export interface Envelope {
  seq: number;
  /** the bytes every client gets, stamped once by the publisher */
  text: string;
  /** where the publisher gets the nodes' reports (a channel, a queue or a subject) */
  replyTo: string;
}

/** One node's report: how many clients it sent broadcast `seq` to. */
export interface Report {
  seq: number;
  clients: number;
}

/** Writes an envelope's text to this node's clients; returns the report to send back. */
export function deliverEnvelope(message: string, deliver: Deliver): { envelope: Envelope; report: string } {
  const envelope = JSON.parse(message) as Envelope;
  const report: Report = { seq: envelope.seq, clients: deliver(envelope.seq, envelope.text) };
  return { envelope, report: JSON.stringify(report) };
}

/**
 * A room message on its way to the other nodes, on the broadcast channel too. Fire and forget:
 * no reports. Its origin wrote it to its own members at once (leaving the sender out when it
 * asked), so the others write it to all of theirs and the origin skips it when it comes back.
 * `origin` comes first, so a node tells room messages, and its own, from the prefix alone.
 */
export interface RoomEnvelope {
  /** the random id of the fan-out that sent it */
  origin: string;
  room: string;
  /** the message as its publisher sent it */
  text: string;
}

/** Wraps this node's room messages, and writes the other nodes' to this node's members. */
export class RoomEnvelopes {
  private static readonly PREFIX = '{"origin":';
  private readonly own: string;

  constructor(
    private readonly self: string,
    private readonly deliver: DeliverRoom,
  ) {
    this.own = `${RoomEnvelopes.PREFIX}${JSON.stringify(self)},`;
  }

  /** The JSON of this node's envelope for room message `text`. */
  wrap(room: string, text: string): string {
    const envelope: RoomEnvelope = { origin: this.self, room, text };
    return JSON.stringify(envelope);
  }

  /** Reads a message of the broadcast channel; true when it was a room message (handled). */
  onMessage(message: string): boolean {
    if (!message.startsWith(RoomEnvelopes.PREFIX)) return false;
    if (message.startsWith(this.own)) return true;
    const { room, text } = JSON.parse(message) as RoomEnvelope;
    this.deliver(room, text);
    return true;
  }
}

interface Pending {
  /** nodes that received the broadcast, once known */
  expected: number | null;
  reports: number;
  clients: number;
  resolve: (d: Delivery) => void;
  timer: NodeJS.Timeout;
}

/**
 * A publisher's broadcasts waiting for their reports. Each answers once every node it reached
 * reported (their sum is exactly how many clients the broadcast was sent to), or with the
 * reports in by `ACK_TIMEOUT_MS`.
 */
export class PendingReports {
  private readonly pending = new Map<number, Pending>();

  /**
   * Waits for broadcast `seq`'s reports, `expected` nodes of them when known now, else once
   * `expect` is told. Open it before publishing: our own report can come before the broker answers.
   */
  open(seq: number, expected: number | null = null): { delivery: Promise<Delivery>; expect(n: number): void } {
    let entry!: Pending;
    const delivery = new Promise<Delivery>((resolve) => {
      entry = {
        expected,
        reports: 0,
        clients: 0,
        resolve,
        timer: setTimeout(() => this.settle(seq), ACK_TIMEOUT_MS),
      };
    });
    this.pending.set(seq, entry);
    return {
      delivery,
      expect: (n) => {
        entry.expected = n;
        if (entry.reports >= n) this.settle(seq);
      },
    };
  }

  /** Forgets broadcast `seq`: it could not be published. */
  drop(seq: number): void {
    const entry = this.pending.get(seq);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.pending.delete(seq);
  }

  /** Counts one node's report (a JSON `Report`); one for a broadcast already answered is ignored. */
  onReport(message: string): void {
    const report = JSON.parse(message) as Report;
    const entry = this.pending.get(report.seq);
    if (entry === undefined) return;
    entry.reports += 1;
    entry.clients += report.clients;
    if (entry.expected !== null && entry.reports >= entry.expected) this.settle(report.seq);
  }

  /** Answers every broadcast still waiting with the reports so far (on close). */
  settleAll(): void {
    for (const seq of [...this.pending.keys()]) this.settle(seq);
  }

  /** Answers with the reports so far: all of them, or those in by the timeout. */
  private settle(seq: number): void {
    const entry = this.pending.get(seq);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.pending.delete(seq);
    entry.resolve({ clients: entry.clients, nodes: entry.reports });
  }
}

/** How often a node of a broker without subscriber counts says it is there (ms). */
export const HELLO_INTERVAL_MS = 1_000;
/** A node not heard from for this long is counted out (ms). */
export const HELLO_TIMEOUT_MS = 5_000;

/** A presence message on the broadcast channel, told from the others by its leading `hello` field. */
export interface Hello {
  /** the sender's random id */
  hello: string;
  /** the sender has just started: every node answers at once, so all know each other within a round trip */
  first?: boolean;
  /** the sender is closing: count it out now */
  bye?: boolean;
}

/**
 * The nodes on a broadcast channel, for brokers that cannot count a channel's subscribers
 * (RabbitMQ, NATS): each node says hello every `HELLO_INTERVAL_MS`, as Socket.IO's
 * ClusterAdapterWithHeartbeat does, and one silent for `HELLO_TIMEOUT_MS` is counted out.
 */
export class Presence {
  private readonly seen = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly self: string,
    private readonly send: (hello: Hello) => void,
  ) {}

  start(): void {
    this.say({ hello: this.self, first: true });
    this.timer = setInterval(() => this.say({ hello: this.self }), HELLO_INTERVAL_MS);
    this.timer.unref();
  }

  /** Reads a message of the broadcast channel; true when it was a hello (handled). */
  onMessage(message: string): boolean {
    if (!message.startsWith('{"hello"')) return false;
    const hello = JSON.parse(message) as Hello;
    if (hello.hello === this.self) return true;
    if (hello.bye) this.seen.delete(hello.hello);
    else this.seen.set(hello.hello, Date.now());
    if (hello.first) this.say({ hello: this.self });
    return true;
  }

  /** Nodes on the channel, this one included. */
  count(): number {
    const since = Date.now() - HELLO_TIMEOUT_MS;
    for (const [id, at] of this.seen) if (at < since) this.seen.delete(id);
    return 1 + this.seen.size;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.say({ hello: this.self, bye: true });
  }

  /** A hello that cannot be sent (the connection is lost) is not said: the others count us out. */
  private say(hello: Hello): void {
    try {
      this.send(hello);
    } catch {
      // nothing to do
    }
  }
}

/**
 * A fan-out over a broker that cannot say how many nodes a message reached (RabbitMQ, NATS):
 * the nodes say hello (`Presence`), the publisher waits for as many reports as nodes it knows.
 * A subclass opens the broker and says how to send on the broadcast channel, how to answer a
 * publisher, and how to close.
 */
export abstract class PresenceFanout {
  protected readonly pending = new PendingReports();
  protected readonly presence: Presence;
  private readonly rooms: RoomEnvelopes;

  protected constructor(
    self: string,
    /** this node's address for reports on what it publishes */
    protected readonly replyTo: string,
    private readonly receivers: Receivers,
  ) {
    this.presence = new Presence(self, (hello) => this.send(JSON.stringify(hello)));
    this.rooms = new RoomEnvelopes(self, receivers.room);
  }

  /** Publishes JSON text on the broadcast channel; throws when the connection is closed. */
  protected abstract send(message: string): void;
  /** Sends a report to a publisher's `replyTo`; throws when the connection is closed. */
  protected abstract reply(to: string, report: string): void;
  protected abstract closeConnection(): Promise<void>;

  /** Publishes room `room`'s message on the broadcast channel (a broker that routes by room overrides it). */
  protected sendRoom(_room: string, message: string): void {
    this.send(message);
  }

  publish(seq: number, text: string): Promise<Delivery> {
    const { delivery } = this.pending.open(seq, this.presence.count());
    const envelope: Envelope = { seq, text, replyTo: this.replyTo };
    try {
      this.send(JSON.stringify(envelope));
    } catch (err) {
      this.pending.drop(seq);
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return delivery;
  }

  publishRoom(room: string, text: string): void {
    try {
      this.sendRoom(room, this.rooms.wrap(room, text));
    } catch {
      // the connection is lost: the other nodes' members miss it, as with a broadcast
    }
  }

  async servers(): Promise<number> {
    return this.presence.count();
  }

  async close(): Promise<void> {
    this.pending.settleAll();
    this.presence.stop();
    await this.closeConnection();
  }

  protected onBroadcast(message: string): void {
    if (this.presence.onMessage(message) || this.rooms.onMessage(message)) return;
    const { envelope, report } = deliverEnvelope(message, this.receivers.broadcast);
    try {
      this.reply(envelope.replyTo, report);
    } catch {
      // A lost report shows as a node missing from the publisher's answer; nothing to do here.
    }
  }
}
