/**
 * Every server against its library's real client: welcome, echo, broadcast, client counts and
 * close, the same checks for each library.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { io, type Socket } from 'socket.io-client';
import SockJS from 'sockjs-client';
import { CONTROL_BROADCAST_PATH, LIBS, SOCKETIO_EVENT, type Lib, type Transport } from 'artillery-engine-bench';
import { clientsClosedCount } from '../../servers/http';
import { createServer } from '../../servers/index';
import type { BenchServer, DeflateState, ServerDescription, ServerOptions } from '../../servers/types';

/** Bounds on waiting, not expectations: a healthy run finishes far below them. */
const WAIT_MS = 10_000;
const TEST_TIMEOUT_MS = 30_000;

/** Messages in arrival order; `next()` waits for the next one. */
class Inbox {
  private readonly items: unknown[] = [];
  private readonly waiters: ((message: unknown) => void)[] = [];

  push(message: unknown): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(message);
    else this.items.push(message);
  }

  next(): Promise<unknown> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift());
    return withTimeout(new Promise((resolve) => this.waiters.push(resolve)), 'no message arrived');
  }
}

interface TestClient {
  readonly inbox: Inbox;
  send(message: object): void;
  /** The websocket extensions the server agreed to (`permessage-deflate; ...`), "" for none. */
  extensions(): string;
  /** Resolves once the connection has closed, from either side. */
  readonly closed: Promise<void>;
  close(): void;
}

interface ConnectOptions {
  transport: Transport;
}

interface LibCase {
  /** Opens a connection with the library's own client; resolves on its "connected" event. */
  connect(url: string, options: ConnectOptions): Promise<TestClient>;
  url: RegExp;
  /** What the server reports for `deflate` when asked for it. */
  deflateWhenAsked: DeflateState;
  /** Packages the server must report versions for. */
  packages: string[];
  /** A request only the library answers, proving the control routes leave its own alone. */
  libraryRoute?: { path: string; options?: Partial<ServerOptions>; body: RegExp };
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${WAIT_MS} ms`)), WAIT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function waitFor(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function connectWs(url: string): Promise<TestClient> {
  const socket = new WebSocket(url);
  const inbox = new Inbox();
  socket.on('message', (data) => inbox.push(JSON.parse(data.toString())));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const client: TestClient = {
    inbox,
    closed,
    send: (message) => socket.send(JSON.stringify(message)),
    extensions: () => socket.extensions,
    close: () => socket.terminate(),
  };
  return withTimeout(
    new Promise<TestClient>((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
    }),
    'ws did not open',
  );
}

/** The socket.io-client socket behind a TestClient, for the Socket.IO-only tests. */
const ioSockets = new WeakMap<TestClient, Socket>();

function connectSocketIo(url: string, { transport }: ConnectOptions): Promise<TestClient> {
  const socket = io(url, {
    transports: transport === 'websocket' ? ['websocket'] : ['polling', 'websocket'],
    forceNew: true,
    reconnection: false,
  });
  const inbox = new Inbox();
  socket.on(SOCKETIO_EVENT, (message: unknown) => inbox.push(message));
  const closed = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
  const client: TestClient = {
    inbox,
    closed,
    send: (message) => socket.emit(SOCKETIO_EVENT, message),
    // engine.io-client's Node websocket transport is a `ws` WebSocket
    extensions: () => (socket.io.engine.transport as unknown as { ws?: WebSocket }).ws?.extensions ?? '',
    close: () => socket.disconnect(),
  };
  ioSockets.set(client, socket);
  return withTimeout(
    new Promise<TestClient>((resolve, reject) => {
      socket.once('connect', () => resolve(client));
      socket.once('connect_error', reject);
    }),
    'socket.io did not connect',
  );
}

/** `sockjs-client` in Node: `/info` over http, then faye-websocket; `xhr-streaming` uses node's http. */
function connectSockJs(url: string, sockjsTransport: 'websocket' | 'xhr-streaming' = 'websocket'): Promise<TestClient> {
  const socket = new SockJS(url, undefined, { transports: [sockjsTransport] });
  const inbox = new Inbox();
  socket.onmessage = (e: { data: string }) => inbox.push(JSON.parse(e.data));
  const closed = new Promise<void>((resolve) => socket.addEventListener('close', () => resolve()));
  const client: TestClient = {
    inbox,
    closed,
    send: (message) => socket.send(JSON.stringify(message)),
    // sockjs-client's faye-websocket is given no extensions, so it never offers deflate
    extensions: () => '',
    close: () => socket.close(),
  };
  return withTimeout(
    new Promise<TestClient>((resolve, reject) => {
      socket.onopen = () => resolve(client);
      socket.onclose = (e: { code: number; reason: string }) =>
        reject(new Error(`sockjs closed before open: ${e.code} ${e.reason}`));
    }),
    'sockjs did not open',
  ).finally(() => {
    socket.onclose = null;
  });
}

const CASES: Record<Lib, LibCase> = {
  ws: {
    connect: connectWs,
    url: /^ws:\/\/127\.0\.0\.1:\d+\/$/,
    deflateWhenAsked: 'on',
    packages: ['ws'],
  },
  socketio: {
    connect: connectSocketIo,
    url: /^http:\/\/127\.0\.0\.1:\d+$/,
    deflateWhenAsked: 'on',
    packages: ['socket.io', 'engine.io', 'ws'],
    libraryRoute: {
      path: '/socket.io/?EIO=4&transport=polling',
      options: { transport: 'polling' },
      body: /^0\{"sid":/,
    },
  },
  sockjs: {
    connect: (url) => connectSockJs(url),
    url: /^http:\/\/127\.0\.0\.1:\d+\/sockjs$/,
    deflateWhenAsked: 'unsupported',
    packages: ['sockjs', 'faye-websocket'],
    libraryRoute: { path: '/sockjs/info', body: /"websocket":true/ },
  },
};

const DEFAULTS: ServerOptions = {
  port: 0,
  host: '127.0.0.1',
  transport: 'websocket',
  deflate: false,
  pingIntervalMs: 25_000,
};

/** Starts a server closed when the test ends. */
async function start(
  t: TestContext,
  lib: Lib,
  options: Partial<ServerOptions> = {},
): Promise<{ server: BenchServer; description: ServerDescription }> {
  const server = createServer(lib, { ...DEFAULTS, ...options });
  t.after(() => server.close());
  return { server, description: await server.listen() };
}

/** Connects a client closed when the test ends, and checks its welcome. */
async function connect(
  t: TestContext,
  lib: Lib,
  url: string,
  options: ConnectOptions = { transport: 'websocket' },
): Promise<TestClient> {
  const client = await CASES[lib].connect(url, options);
  t.after(() => client.close());
  await expectWelcome(client);
  return client;
}

async function expectWelcome(client: TestClient): Promise<void> {
  const welcome = (await client.inbox.next()) as { type: string; t: unknown; node: unknown };
  assert.equal(welcome.type, 'welcome');
  assert.equal(typeof welcome.t, 'number');
  // The node serving the client, so the clients' counts can be held against each node's log.
  assert.equal(welcome.node, 'node-1');
  assert.deepEqual(Object.keys(welcome).sort(), ['node', 't', 'type']);
}

async function expectEcho(client: TestClient, id: number): Promise<void> {
  const echo = { type: 'echo', id, t: 1234.5 + id };
  client.send(echo);
  assert.deepEqual(await client.inbox.next(), echo);
}

async function postBroadcast(url: string): Promise<unknown> {
  const res = await fetch(url, { method: 'POST' });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  return res.json();
}

for (const lib of LIBS) {
  const c = CASES[lib];

  describe(`${lib} server`, { timeout: TEST_TIMEOUT_MS }, () => {
    it('describes itself', async (t) => {
      const { description } = await start(t, lib);
      assert.equal(description.lib, lib);
      assert.match(description.url, c.url);
      assert.equal(description.host, '127.0.0.1');
      assert.ok(description.port > 0);
      assert.equal(description.deflate, 'off');
      assert.equal(description.pingIntervalMs, 25_000);
      for (const name of c.packages) {
        assert.match(description.versions[name] ?? '', /^\d+\.\d+\.\d+/, name);
      }
    });

    it(`reports deflate "${c.deflateWhenAsked}" when asked for it, and still echoes`, async (t) => {
      const { description } = await start(t, lib, { deflate: true });
      assert.equal(description.deflate, c.deflateWhenAsked);
      const client = await connect(t, lib, description.url);
      assert.equal(client.extensions().includes('permessage-deflate'), c.deflateWhenAsked === 'on');
      await expectEcho(client, 1);
    });

    it('welcomes, then echoes messages back unchanged', async (t) => {
      const { server, description } = await start(t, lib);
      const client = await connect(t, lib, description.url);
      assert.equal(server.clientCount(), 1);
      assert.equal(client.extensions(), '', 'deflate off: nothing negotiated');
      await expectEcho(client, 1);
      await expectEcho(client, 2);
    });

    it('broadcasts to every client on POST /control/broadcast, seq from 1', async (t) => {
      const { server, description } = await start(t, lib);
      const clients = [];
      for (let i = 0; i < 3; i++) clients.push(await connect(t, lib, description.url));
      assert.equal(server.clientCount(), 3);
      const control = `http://127.0.0.1:${description.port}${CONTROL_BROADCAST_PATH}`;
      for (const seq of [1, 2]) {
        assert.deepEqual(await postBroadcast(control), { seq, clients: 3 });
        for (const client of clients) {
          const message = (await client.inbox.next()) as Record<string, unknown>;
          assert.equal(message.type, 'broadcast');
          assert.equal(message.seq, seq);
          assert.equal(typeof message.t, 'number');
        }
      }
      assert.deepEqual(server.broadcast(), { seq: 3, clients: 3 });
    });

    it('counts clients down to 0 as they close, and each close once (a soak’s cycles)', async (t) => {
      const { server, description } = await start(t, lib);
      const closedBefore = clientsClosedCount();
      const clients = [];
      for (let i = 0; i < 3; i++) clients.push(await connect(t, lib, description.url));
      assert.equal(server.clientCount(), 3);
      for (const client of clients) client.close();
      await waitFor('clientCount() back to 0', () => server.clientCount() === 0);
      assert.equal(clientsClosedCount() - closedBefore, 3);
      assert.deepEqual(server.broadcast(), { seq: 1, clients: 0 });
    });

    it("answers /healthz, 404s unknown paths, and leaves the library's routes to it", async (t) => {
      const { description } = await start(t, lib, c.libraryRoute?.options);
      const base = `http://127.0.0.1:${description.port}`;
      const health = await fetch(`${base}/healthz`);
      assert.equal(health.status, 200);
      assert.equal(await health.text(), 'ok');
      assert.equal((await fetch(`${base}/nope`)).status, 404);
      assert.equal((await fetch(`${base}${CONTROL_BROADCAST_PATH}`)).status, 404, 'GET is not a broadcast');
      if (c.libraryRoute) {
        const res = await fetch(`${base}${c.libraryRoute.path}`);
        assert.equal(res.status, 200);
        assert.match(await res.text(), c.libraryRoute.body);
      }
    });

    it('close() resolves with clients still connected, and closes them', async (t) => {
      const { server, description } = await start(t, lib);
      const clients = [];
      for (let i = 0; i < 2; i++) clients.push(await connect(t, lib, description.url));
      await server.close();
      await withTimeout(Promise.all(clients.map((client) => client.closed)), 'clients did not see the close');
      await server.close(); // a second close is harmless
    });
  });
}

describe('socketio server, Socket.IO only', { timeout: TEST_TIMEOUT_MS }, () => {
  it('with transport polling: welcomes and echoes over polling, then after the upgrade', async (t) => {
    const { description } = await start(t, 'socketio', { transport: 'polling' });
    assert.deepEqual(description.transports, ['polling', 'websocket']);
    const client = await connect(t, 'socketio', description.url, { transport: 'polling' });
    const engine = ioSockets.get(client)!.io.engine;
    await expectEcho(client, 1);
    if (engine.transport.name !== 'websocket') {
      await withTimeout(new Promise((resolve) => engine.once('upgrade', resolve)), 'no upgrade to websocket');
    }
    assert.equal(engine.transport.name, 'websocket');
    await expectEcho(client, 2);
    // One life, however many HTTP requests its polling took.
    const closedBefore = clientsClosedCount();
    client.close();
    await waitFor('the client closed', () => clientsClosedCount() > closedBefore);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(clientsClosedCount() - closedBefore, 1);
  });

  it('with transport websocket: refuses a polling client', async (t) => {
    const { description } = await start(t, 'socketio');
    assert.deepEqual(description.transports, ['websocket']);
    await assert.rejects(connectSocketIo(description.url, { transport: 'polling' }));
  });

  it('answers an echo sent with an ack through the ack, not as a message', async (t) => {
    const { description } = await start(t, 'socketio');
    const client = await connect(t, 'socketio', description.url);
    const socket = ioSockets.get(client)!;
    const echo = { type: 'echo', id: 1, t: 1.5 };
    assert.deepEqual(await socket.timeout(WAIT_MS).emitWithAck(SOCKETIO_EVENT, echo), echo);
    // the next message must be this plain echo, not a copy of the acknowledged one
    await expectEcho(client, 2);
  });
});

describe('sockjs server, SockJS only', { timeout: TEST_TIMEOUT_MS }, () => {
  it("serves sockjs-client's xhr-streaming fallback: welcome, echo, broadcast, close", async (t) => {
    const { server, description } = await start(t, 'sockjs');
    const client = await connectSockJs(description.url, 'xhr-streaming');
    t.after(() => client.close());
    await expectWelcome(client);
    await expectEcho(client, 1);
    assert.deepEqual(server.broadcast(), { seq: 1, clients: 1 });
    assert.equal(((await client.inbox.next()) as { seq: number }).seq, 1);
    client.close();
    // An aborted stream ends the session at once; one that ended cleanly would linger for
    // SockJS's `disconnect_delay` (5 s), hence the wait.
    await waitFor('clientCount() back to 0', () => server.clientCount() === 0);
  });
});

describe('ws server, ws only', { timeout: TEST_TIMEOUT_MS }, () => {
  it('pings clients, keeps those that answer and terminates those that do not', async (t) => {
    const { server, description } = await start(t, 'ws', { pingIntervalMs: 100 });
    const answering = await connect(t, 'ws', description.url);
    let pings = 0;
    const raw = new WebSocket(description.url, { autoPong: false });
    t.after(() => raw.terminate());
    raw.on('ping', () => pings++);
    const silentClosed = new Promise((resolve) => raw.once('close', resolve));
    await withTimeout(silentClosed, 'the silent client was not terminated');
    assert.ok(pings >= 1, 'the silent client was pinged before being dropped');
    // the server forgets a terminated socket once its TCP close has been processed
    await waitFor('clientCount() down to 1', () => server.clientCount() === 1);
    assert.equal(server.broadcast().clients, 1);
    assert.equal(((await answering.inbox.next()) as { type: string }).type, 'broadcast');
  });

  it('pings each client an interval after its own connection, not every client at once', async (t) => {
    const INTERVAL = 400;
    const APART = 200;
    const { description } = await start(t, 'ws', { pingIntervalMs: INTERVAL });
    const firstPing = async (): Promise<{ opened: number; pinged: number }> => {
      const raw = new WebSocket(description.url);
      t.after(() => raw.terminate());
      await new Promise((resolve) => raw.once('open', resolve));
      const opened = performance.now();
      await new Promise((resolve) => raw.once('ping', resolve));
      return { opened, pinged: performance.now() };
    };
    const a = firstPing();
    await new Promise((resolve) => setTimeout(resolve, APART));
    const [first, second] = await Promise.all([a, firstPing()]);
    // ±100 ms: timers on a busy machine; one shared interval would ping both together (0 apart).
    const tolerance = 100;
    for (const c of [first, second]) {
      assert.ok(
        Math.abs(c.pinged - c.opened - INTERVAL) < tolerance,
        `first ping ${c.pinged - c.opened} ms after open`,
      );
    }
    const apart = second.pinged - first.pinged;
    assert.ok(
      Math.abs(apart - APART) < tolerance,
      `first pings ${apart.toFixed(0)} ms apart, clients ${APART} ms apart`,
    );
  });
});
