/**
 * One real connection to --target before any load, through the same client library the run
 * will use: a URL where nothing answers (or something other than our server) should be refused
 * in one line, not turned into thousands of failed connections and an exit 0.
 */
import { ADAPTERS, type BenchClient } from 'artillery-engine-bench/clients';
import type { Lib, SioParser, Transport } from 'artillery-engine-bench/protocol';
import { UsageError } from '../errors';

/** The check gives up after this long, or the run's connect timeout when shorter (ms). */
export const TARGET_CHECK_TIMEOUT_MS = 10_000;

const HOW = {
  ws: 'a WebSocket connection (ws)',
  socketio: 'a Socket.IO connection (socket.io-client)',
  sockjs: 'a SockJS connection (sockjs-client)',
} as const;

/**
 * Connects once and waits for the server's `welcome`. Throws UsageError naming the URL, what
 * was tried and what came back.
 */
export async function checkTarget(
  url: string,
  o: { lib: Lib; transport: Transport; deflate: boolean; sio: { parser: SioParser }; connectTimeoutMs: number },
): Promise<void> {
  const timeoutMs = Math.min(TARGET_CHECK_TIMEOUT_MS, o.connectTimeoutMs);
  const outcome = await new Promise<string | null>((resolve) => {
    let client: BenchClient | null = null;
    let ended = false;
    const end = (why: string | null) => {
      // socket.io-client emits `disconnect` inside close(), which would overwrite the outcome.
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      client?.close();
      resolve(why);
    };
    const timer = setTimeout(() => end(`no welcome within ${timeoutMs} ms`), timeoutMs);
    try {
      client = ADAPTERS[o.lib].connect(
        url,
        { transport: o.transport, deflate: o.deflate, sioParser: o.sio.parser, connectTimeoutMs: timeoutMs },
        {
          onOpen() {},
          onMessage(m) {
            const type = (m as { type?: unknown } | null)?.type;
            end(type === 'welcome' ? null : `it answered, but its first message was not a bench welcome`);
          },
          onError: (code) => end(code),
          onClose: (code) => end(`closed (${code})`),
        },
      );
    } catch (err) {
      end((err as Error).message);
    }
  });
  if (outcome !== null) {
    throw new UsageError(
      `--target ${url} did not answer ${HOW[o.lib]}: ${outcome}. Start one there (bench serve --lib ${o.lib}) or fix the URL: use the "url" from bench serve's ready line.`,
    );
  }
}
