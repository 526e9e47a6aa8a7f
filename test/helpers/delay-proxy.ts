import * as net from 'node:net';

/** A TCP proxy on loopback that holds every server-to-client chunk for `delayMs`. */
export interface DelayProxy {
  port: number;
  /** destroys every connection and stops listening */
  close(): Promise<void>;
}

/**
 * Client-to-server bytes pass at once; each server-to-client chunk is written `delayMs` after
 * it arrived, so every turn where the client waits for the server takes `delayMs` longer. One
 * timer per chunk with the same delay keeps the order (Node runs equal timeouts in order).
 */
export async function startDelayProxy(upstream: { host: string; port: number }, delayMs: number): Promise<DelayProxy> {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    // A reset on either side is ordinary here; the other side is torn down below.
    s.on('error', () => {});
  };
  const server = net.createServer({ noDelay: true }, (client) => {
    const remote = net.connect({ ...upstream, noDelay: true });
    track(client);
    track(remote);
    client.pipe(remote);
    remote.on('data', (chunk: Buffer) => {
      setTimeout(() => {
        if (!client.destroyed) client.write(chunk);
      }, delayMs);
    });
    // An end from the server is held like its data, so it cannot overtake the last chunk.
    remote.on('end', () => setTimeout(() => client.end(), delayMs));
    remote.on('close', () => setTimeout(() => client.destroy(), delayMs));
    client.on('close', () => remote.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
