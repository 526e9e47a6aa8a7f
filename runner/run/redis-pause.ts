import * as net from 'node:net';

/**
 * Makes Redis unavailable to every client for `ms` (CLIENT PAUSE … ALL, Redis 6.2 or later):
 * commands, publishes included, wait until the pause ends. Speaks RESP directly; resolves once
 * Redis has accepted the pause.
 */
export function pauseRedis(url: string, ms: number, timeoutMs = 3_000): Promise<void> {
  const u = new URL(url);
  const args = ['CLIENT', 'PAUSE', String(Math.round(ms)), 'ALL'];
  const command = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 6379) });
    let reply = '';
    const fail = (why: string) => {
      socket.destroy();
      reject(new Error(`Redis at ${url} did not pause: ${why}`));
    };
    socket.setTimeout(timeoutMs, () => fail(`no answer within ${timeoutMs / 1000} s`));
    socket.once('error', (err) => fail(err.message));
    socket.once('connect', () => {
      const password = decodeURIComponent(u.password);
      if (password) socket.write(`*2\r\n$4\r\nAUTH\r\n$${Buffer.byteLength(password)}\r\n${password}\r\n`);
      socket.write(command);
    });
    socket.on('data', (d: Buffer) => {
      reply += d.toString();
      const lines = reply.split('\r\n').filter(Boolean);
      const last = lines[lines.length - 1];
      if (last?.startsWith('-')) return fail(last.slice(1));
      if (lines.length >= (u.password ? 2 : 1) && last === '+OK') {
        socket.end();
        resolve();
      }
    });
  });
}
