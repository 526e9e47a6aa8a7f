/**
 * What a node holds for clients that read slower than it writes (bench run --slow-clients), in
 * the three places bytes wait on their way out, read the same way under every library:
 *
 * - the library's own queue above the socket: Engine.IO's `Socket.writeBuffer` (packets wait
 *   there while the transport is not `writable`, i.e. until ws called back for the last send),
 *   SockJS's `Session.send_buffer`, ws's `Sender` queue (only while deflating);
 * - Node's socket write buffer (`net.Socket.writableLength`): what `socket.write()` accepted and
 *   the kernel did not take yet. ws's `WebSocket.bufferedAmount` is this plus its Sender queue;
 * - the kernel's send queue of the TCP connection (`tx_queue` in /proc/self/net/tcp: written,
 *   not yet acknowledged by the peer). Kernel memory, not in the process's RSS; on Linux it grows
 *   up to net.ipv4.tcp_wmem's maximum (4 MiB by default) before the socket's own buffer does.
 */
import * as fs from 'node:fs';
import type { Socket } from 'node:net';

/** A connection with this many bytes waiting (socket buffer + kernel queue) has fallen behind. */
export const BEHIND_BYTES = 64 * 1024;

/** `NodeStats.buffered`: bytes waiting for this node's WebSocket connections, now. */
export interface BufferedStats {
  /** upgraded (WebSocket) TCP connections looked at */
  connections: number;
  /** in the library's own queues (user space), summed over its clients, and the most for one */
  libraryBytes: number;
  libraryMax: number;
  /** in Node's socket write buffers (user space), summed, and the most on one connection */
  socketBytes: number;
  socketMax: number;
  /** in the kernel's send queues, summed, and the most on one connection; null: /proc unreadable */
  kernelBytes: number | null;
  kernelMax: number | null;
  /** connections with more than BEHIND_BYTES waiting in their socket buffer and kernel queue together */
  behind: number;
  /**
   * clients of the library that closed in this process since it started (servers/http.ts
   * countClientClosed): read twice, the difference is what closed in between, by either side
   */
  closedSinceStart: number;
}

/**
 * `tx_queue` of every TCP connection in /proc/net/tcp and tcp6 text, by `local→remote` as
 * `ADDR:PORT` in the file's own hex (no conversion: both sides of the lookup use it).
 */
export function parseTxQueues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    // sl local rem st tx:rx …; the header's 5th field is `tx_queue`, not a number pair
    const q = f[4]?.split(':');
    if (f.length < 5 || q?.length !== 2 || !/^[0-9A-F]+$/i.test(q[0]!)) continue;
    out.set(`${f[1]}→${f[2]}`.toUpperCase(), Number.parseInt(q[0]!, 16));
  }
  return out;
}

/** `ADDR:PORT` as /proc/net/tcp writes it: IPv4 as one little-endian word, IPv6 as four. */
export function procAddress(ip: string, port: number): string {
  const p = port.toString(16).toUpperCase().padStart(4, '0');
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/i.exec(ip);
  if (v4 && !ip.includes('::ffff:')) {
    const bytes = v4.slice(1, 5).map(Number);
    return `${bytes
      .reverse()
      .map((b) => b.toString(16).padStart(2, '0'))
      .join('')}:${p}`.toUpperCase();
  }
  // IPv6 (an IPv4-mapped one too, as a dual-stack socket's peer): 16 bytes, each 32-bit word little-endian.
  const bytes = ipv6Bytes(ip);
  if (bytes === null) return `?:${p}`;
  let hex = '';
  for (let w = 0; w < 4; w++) for (let b = 3; b >= 0; b--) hex += bytes[w * 4 + b]!.toString(16).padStart(2, '0');
  return `${hex}:${p}`.toUpperCase();
}

function ipv6Bytes(ip: string): number[] | null {
  let s = ip;
  const tail: number[] = [];
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    tail.push(...v4.slice(1, 5).map(Number));
    s = s.slice(0, v4.index) + '0:0';
  }
  const [head, rest] = s.split('::') as [string, string | undefined];
  const words = (x: string | undefined) => (x ? x.split(':').filter((w) => w !== '') : []);
  const h = words(head);
  const r = words(rest);
  const fill = rest === undefined ? 0 : 8 - h.length - r.length;
  const all = [...h, ...Array<string>(fill).fill('0'), ...r].map((w) => Number.parseInt(w, 16));
  if (all.length !== 8 || all.some((n) => !Number.isFinite(n))) return null;
  const bytes = all.flatMap((n) => [n >> 8, n & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

function readTxQueues(): Map<string, number> | null {
  try {
    const v4 = fs.readFileSync('/proc/self/net/tcp', 'utf8');
    let v6 = '';
    try {
      v6 = fs.readFileSync('/proc/self/net/tcp6', 'utf8');
    } catch {
      // IPv6 off: only IPv4 connections.
    }
    return parseTxQueues(v4 + '\n' + v6);
  } catch {
    return null;
  }
}

/**
 * Reads every place bytes wait for `sockets` (the node's upgraded TCP sockets) and for the
 * library's clients (`libraryQueues`: each client's queued bytes).
 */
export function measureBuffered(
  sockets: Iterable<Socket>,
  libraryQueues: Iterable<number>,
  closedSinceStart: number,
): BufferedStats {
  const out: BufferedStats = {
    connections: 0,
    libraryBytes: 0,
    libraryMax: 0,
    socketBytes: 0,
    socketMax: 0,
    kernelBytes: null,
    kernelMax: null,
    behind: 0,
    closedSinceStart,
  };
  for (const n of libraryQueues) {
    out.libraryBytes += n;
    out.libraryMax = Math.max(out.libraryMax, n);
  }
  const queues = readTxQueues();
  if (queues !== null) out.kernelBytes = out.kernelMax = 0;
  for (const s of sockets) {
    if (s.destroyed) continue;
    out.connections++;
    const own = s.writableLength;
    out.socketBytes += own;
    out.socketMax = Math.max(out.socketMax, own);
    let kernel = 0;
    if (queues !== null && s.localAddress && s.localPort && s.remoteAddress && s.remotePort) {
      const key = `${procAddress(s.localAddress, s.localPort)}→${procAddress(s.remoteAddress, s.remotePort)}`;
      kernel = queues.get(key) ?? 0;
      out.kernelBytes! += kernel;
      out.kernelMax = Math.max(out.kernelMax!, kernel);
    }
    if (own + kernel > BEHIND_BYTES) out.behind++;
  }
  return out;
}

/** Bytes of one Engine.IO packet's data as it will go out (a string's UTF-8, a buffer's length), + its type byte. */
export function packetBytes(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data) + 1;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength + 1;
  return 1;
}
