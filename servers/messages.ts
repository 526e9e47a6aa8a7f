import { epochMs, type BroadcastMessage, type EchoMessage, type WelcomeMessage } from 'artillery-engine-bench/protocol';

/** The first message to a client, naming the node that serves it. */
export function welcomeMessage(node: string): WelcomeMessage {
  return { type: 'welcome', t: epochMs(), node };
}

export function broadcastMessage(seq: number): BroadcastMessage {
  return { type: 'broadcast', seq, t: epochMs() };
}

export function isEcho(message: unknown): message is EchoMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'echo';
}

/**
 * Whether a text frame is an echo. Every library decodes each client message once (Socket.IO
 * cannot avoid it), so ws and SockJS parse too, and then send back the text they received.
 */
export function isEchoText(text: string): boolean {
  try {
    return isEcho(JSON.parse(text));
  } catch {
    return false;
  }
}

/** Runs `send` now, or `delayMs` later: the servers' one echo path for `--echo-delay`. */
export function sendAfter(delayMs: number | undefined, send: () => void): void {
  if (delayMs && delayMs > 0) setTimeout(send, delayMs);
  else send();
}
