/**
 * Socket.IO's tuning options against the real libraries: the msgpack parser changes the frames on
 * the wire and the engine's client speaks it, a discarded request is gone from the server's
 * sockets, and `bench run` records every option and which native add-ons each side loaded.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import WebSocket from 'ws';
import * as msgpackParser from 'socket.io-msgpack-parser';
import { ADAPTERS } from 'artillery-engine-bench/clients';
import { SocketIoServer } from '../../servers/socketio';
import { SIO_DEFAULTS, type SioTuning } from '../../servers/types';
import { runBin } from '../helpers/bin';

/** Bounds on waiting, not expectations. */
const WAIT_MS = 10_000;

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${WAIT_MS} ms`)), WAIT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function startServer(sio: SioTuning): Promise<{ server: SocketIoServer; url: string }> {
  const server = new SocketIoServer({
    port: 0,
    host: '127.0.0.1',
    transport: 'websocket',
    deflate: false,
    pingIntervalMs: 25_000,
    sio,
  });
  const d = await server.listen();
  assert.deepEqual(d.sio, sio);
  return { server, url: d.url };
}

/** The Socket.IO packet that follows the namespace CONNECT, as a raw WebSocket frame. */
async function frameAfterConnect(url: string, msgpack: boolean): Promise<{ binary: boolean; data: Buffer }> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
  try {
    return await withTimeout(
      new Promise((resolve, reject) => {
        let frames = 0;
        ws.on('error', reject);
        ws.on('message', (data: Buffer, binary) => {
          frames += 1;
          if (frames === 1) {
            // engine.io's open packet; then CONNECT to "/" in the parser's own encoding
            if (!msgpack) return ws.send('40');
            // the typings say ArrayBuffer; the module returns [Buffer], one frame per packet
            const [connect] = new msgpackParser.Encoder().encode({ type: 0, nsp: '/' }) as unknown as Buffer[];
            return ws.send(connect!);
          }
          // frame 2 answers the CONNECT; frame 3 is the welcome
          if (frames === 3) resolve({ binary, data });
        });
      }),
      'no welcome frame',
    );
  } finally {
    ws.terminate();
  }
}

describe('--sio-parser', () => {
  it('default: the welcome is a text frame, 42["message",{"type":"welcome"...', async () => {
    const { server, url } = await startServer(SIO_DEFAULTS);
    try {
      const frame = await frameAfterConnect(url, false);
      assert.equal(frame.binary, false);
      assert.match(frame.data.toString(), /^42\["message",\{"type":"welcome"/);
    } finally {
      await server.close();
    }
  });

  it('msgpack: the welcome is a binary frame that decodes to the EVENT, and the engine client reads it', async () => {
    const { server, url } = await startServer({ ...SIO_DEFAULTS, parser: 'msgpack' });
    try {
      const frame = await frameAfterConnect(url, true);
      assert.equal(frame.binary, true);
      assert.notEqual(frame.data[0], '4'.charCodeAt(0), 'no text framing');
      const decoder = new msgpackParser.Decoder();
      const packet = await new Promise<{ type: number; data: unknown[] }>((resolve) => {
        decoder.on('decoded', resolve);
        decoder.add(frame.data);
      });
      assert.equal(packet.type, 2);
      assert.equal(packet.data[0], 'message');
      assert.equal((packet.data[1] as { type: string }).type, 'welcome');

      // The engine's client with the same parser gets the welcome decoded.
      const welcome = await withTimeout(
        new Promise<unknown>((resolve, reject) => {
          const client = ADAPTERS.socketio.connect(
            url,
            { transport: 'websocket', deflate: false, sioParser: 'msgpack', connectTimeoutMs: WAIT_MS },
            {
              onOpen: () => {},
              onMessage: (m) => {
                client.close();
                resolve(m);
              },
              onClose: () => {},
              onError: (code) => reject(new Error(code)),
            },
          );
        }),
        'the msgpack client got no welcome',
      );
      assert.equal((welcome as { type: string }).type, 'welcome');
    } finally {
      await server.close();
    }
  });
});

describe('--sio-discard-request', () => {
  /** Connects one client, then reads the server's socket for it. */
  async function requestOfFirstSocket(sio: SioTuning): Promise<unknown> {
    const { server, url } = await startServer(sio);
    let client: { close(): void } | null = null;
    try {
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          client = ADAPTERS.socketio.connect(
            url,
            { transport: 'websocket', deflate: false, sioParser: 'default', connectTimeoutMs: WAIT_MS },
            { onOpen: () => resolve(), onMessage: () => {}, onClose: () => {}, onError: (c) => reject(new Error(c)) },
          );
        }),
        'no connection',
      );
      const io = (server as unknown as { io: { of(n: string): { sockets: Map<string, { request: unknown }> } } }).io;
      const sockets = [...io.of('/').sockets.values()];
      assert.equal(sockets.length, 1);
      return sockets[0]!.request;
    } finally {
      (client as { close(): void } | null)?.close();
      await server.close();
    }
  }

  it('the server keeps each request by default, and drops it when asked', async () => {
    assert.notEqual(await requestOfFirstSocket(SIO_DEFAULTS), null);
    assert.equal(await requestOfFirstSocket({ ...SIO_DEFAULTS, discardRequest: true }), null);
  });
});

describe('bench with the tuning options', () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sio-tuning-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a --sio-ws-engine that is not installed, in one line, exit 2', async () => {
    for (const cmd of [
      ['run', '--lib', 'socketio', '--clients', '1'],
      ['serve', '--lib', 'socketio'],
    ]) {
      const r = await runBin([...cmd, '--sio-ws-engine', 'eiows'], { cwd: dir, timeoutMs: 30_000 });
      assert.equal(r.code, 2);
      assert.equal(
        r.stderr,
        `Error: --sio-ws-engine eiows is not installed: npm install --save-exact eiows@VERSION (eiows 11 needs Node 22, this is ${process.version}), or use --sio-ws-engine ws.\n`,
      );
    }
  });

  it('refuses the Socket.IO flags for another library, and an unknown parser', async () => {
    const ws = await runBin(['run', '--lib', 'ws', '--clients', '1', '--sio-parser', 'msgpack'], { cwd: dir });
    assert.equal(ws.code, 2);
    assert.equal(
      ws.stderr,
      'Error: --sio-parser, --sio-discard-request and --sio-ws-engine apply to --lib socketio only (got --lib ws). Remove them.\n',
    );
    const bad = await runBin(['serve', '--lib', 'socketio', '--sio-parser', 'json'], { cwd: dir });
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      'Error: --sio-parser must be one of default, msgpack (got "json"). Example: --sio-parser msgpack\n',
    );
    const notEngine = await runBin(['serve', '--lib', 'socketio', '--sio-ws-engine', 'yaml'], { cwd: dir });
    assert.equal(notEngine.code, 2);
    assert.equal(
      notEngine.stderr,
      'Error: --sio-ws-engine yaml exports no WebSocket server class (Server) for engine.io. Give one such as ws or eiows.\n',
    );
    const native = await runBin(['run', '--lib', 'ws', '--clients', '1', '--ws-native', 'no'], { cwd: dir });
    assert.equal(native.code, 2);
    assert.equal(native.stderr, 'Error: --ws-native must be one of on, off (got "no"). Example: --ws-native on\n');
  });

  it('records every option, and what the server and the clients loaded', async () => {
    const out = path.join(dir, 'tuned.json');
    const args = ['run', '--lib', 'socketio', '--clients', '5', '--hold', '1', '--probes', '1', '--warmup', '0'];
    const tuned = [...args, '--sio-parser', 'msgpack', '--sio-discard-request', '--sio-ws-engine', 'ws'];
    const r = await runBin([...tuned, '--ws-native', 'off', '--out', out, '--quiet'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.equal(res.clients.connected, 5);
    assert.deepEqual(
      [res.options.sioParser, res.options.sioDiscardRequest, res.options.sioWsEngine, res.options.wsNative],
      ['msgpack', true, 'ws', 'off'],
    );
    assert.deepEqual(res.server.sio, { parser: 'msgpack', discardRequest: true, wsEngine: 'ws', recoveryMs: null });
    assert.deepEqual(res.server.native, { bufferutil: false, utf8Validate: false });
    assert.deepEqual(res.loadgen.native, { bufferutil: false, utf8Validate: false });
    assert.equal(res.loadgen.sioParser, 'msgpack');
    assert.match(
      r.stderr,
      / · deflate off · msgpack parser · request discarded · wsEngine ws · bufferutil off · completed\n/,
    );

    // The defaults: bufferutil loads on both sides (ws 8 on Node 20 never loads utf-8-validate).
    const plain = path.join(dir, 'plain.json');
    const d = await runBin([...args, '--out', plain, '--quiet'], { cwd: dir });
    assert.equal(d.code, 0, d.stderr);
    const base = JSON.parse(fs.readFileSync(plain, 'utf8'));
    assert.deepEqual(
      [base.options.sioParser, base.options.sioDiscardRequest, base.options.sioWsEngine, base.options.wsNative],
      ['default', false, null, 'on'],
    );
    assert.deepEqual(base.server.sio, SIO_DEFAULTS);
    assert.deepEqual(base.server.native, { bufferutil: true, utf8Validate: false });
    assert.deepEqual(base.loadgen.native, { bufferutil: true, utf8Validate: false });
    assert.equal(base.loadgen.sioParser, 'default');
    assert.match(d.stderr, / · deflate off · bufferutil on · completed\n/);
  });
});
