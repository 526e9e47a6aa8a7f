import {
  epochMs,
  type BroadcastMessage,
  type EchoMessage,
  type JoinedMessage,
  type JoinMessage,
  type PublishMessage,
  type WelcomeMessage,
} from 'artillery-engine-bench/protocol';

/** The first message to a client, naming the node that serves it. */
export function welcomeMessage(node: string): WelcomeMessage {
  return { type: 'welcome', t: epochMs(), node };
}

export function broadcastMessage(seq: number): BroadcastMessage {
  return { type: 'broadcast', seq, t: epochMs() };
}

export function joinedMessage(room: string): JoinedMessage {
  return { type: 'joined', room };
}

/** A client message a server acts on; anything else is ignored. */
export type ClientMessage = EchoMessage | JoinMessage | PublishMessage;

/** What a client sent, when it is an echo, a join or a publish (those two must name a room); else null. */
export function clientMessage(message: unknown): ClientMessage | null {
  if (typeof message !== 'object' || message === null) return null;
  const m = message as { type?: unknown; room?: unknown };
  if (m.type === 'echo') return m as EchoMessage;
  if ((m.type === 'join' || m.type === 'publish') && typeof m.room === 'string')
    return m as JoinMessage | PublishMessage;
  return null;
}

/**
 * A text frame's client message, or null. Every library decodes each client message once
 * (Socket.IO cannot avoid it), so ws and SockJS parse too, and then send back (an echo) or on (a
 * room message) the text they received.
 */
export function parseClientText(text: string): ClientMessage | null {
  try {
    return clientMessage(JSON.parse(text));
  } catch {
    return null;
  }
}

/** Runs `send` now, or `delayMs` later: the servers' one echo path for `--echo-delay`. */
export function sendAfter(delayMs: number | undefined, send: () => void): void {
  if (delayMs && delayMs > 0) setTimeout(send, delayMs);
  else send();
}
