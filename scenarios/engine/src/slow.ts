/**
 * Slow consumers (`EngineConfig.slowClients`): which main clients are slow, where they connect
 * (a throttle proxy per upstream target), and where their measurements go (histograms and counts
 * of their own, so `broadcastMs`, `echoMs` and `roomMs` stay what the other clients see).
 *
 * A slow session gets a host of its own: the engine itself, seen through a Proxy that answers
 * `recorder` and `nextEndpoint` differently. Session code is the same for every client.
 */
import { EngineConfigError, type ResolvedEngineConfig } from './config';
import type { Recorder } from './metrics';
import { isSlowClient, type CounterName, type MetricName, type SlowClientsConfig } from './protocol';
import type { Endpoint, SessionHost } from './session';
import { ThrottleProxy } from './throttle-proxy';

/** `config.engines.bench.slowClients`, checked; null when absent. */
export function resolveSlowClients(raw: unknown): SlowClientsConfig | null {
  const c = (raw ?? {}) as { slowClients?: unknown };
  if (c.slowClients === undefined || c.slowClients === null) return null;
  const s = c.slowClients as Partial<Record<keyof SlowClientsConfig, unknown>>;
  const share = Number(s.share);
  const bytesPerSecond = Number(s.bytesPerSecond);
  if (typeof s !== 'object' || !(share > 0 && share < 1)) {
    throw new EngineConfigError(
      `config.engines.bench.slowClients.share must be a number between 0 and 1 (exclusive), got '${String(s.share)}'.`,
    );
  }
  if (!(Number.isFinite(bytesPerSecond) && bytesPerSecond >= 1)) {
    throw new EngineConfigError(
      `config.engines.bench.slowClients.bytesPerSecond must be a number >= 1, got '${String(s.bytesPerSecond)}'.`,
    );
  }
  return { share, bytesPerSecond };
}

/** Where a slow client's measurements go instead: the rest stay in the shared histograms. */
const SLOW_METRIC: Partial<Record<MetricName, MetricName | null>> = {
  broadcastMs: 'slowBroadcastMs',
  echoMs: 'slowEchoMs',
  roomMs: 'slowRoomMs',
  // Not kept for slow clients: they would blur what the other clients see, and a slow client's
  // service time is its delivery time.
  echoServiceMs: null,
  roomServiceMs: null,
  recoveredBroadcastMs: null,
};

/** Counts a slow client adds to its own as well as to the shared one. */
const SLOW_COUNT: Partial<Record<CounterName, CounterName>> = {
  connected: 'slowConnected',
  broadcastsReceived: 'slowBroadcastsReceived',
  echoReceived: 'slowEchoReceived',
  roomReceived: 'slowRoomReceived',
  dropped: 'slowDropped',
  connectionsLost: 'slowDropped',
};

/** `target` seen through a Proxy: `overrides` first, every other member the target's own (methods bound to it). */
function delegate<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(t, prop) {
      if (Object.prototype.hasOwnProperty.call(overrides, prop)) return overrides[prop as keyof T];
      const v: unknown = Reflect.get(t, prop, t);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

/** The recorder a slow session writes to: the engine's, with its latencies and counts redirected. */
export function slowRecorder(recorder: Recorder): Recorder {
  return delegate(recorder, {
    latency(name, ms, ee) {
      const to = SLOW_METRIC[name];
      if (to === undefined) recorder.latency(name, ms, ee);
      else if (to !== null) recorder.latency(to, ms, ee);
    },
    count(name, ee, by = 1) {
      recorder.count(name, ee, by);
      const also = SLOW_COUNT[name];
      if (also !== undefined) recorder.count(also, ee, by);
    },
  });
}

/** The slow clients of one engine: which arrivals, their proxies, their host. */
export class SlowClients {
  private readonly proxies = new Map<string, ThrottleProxy>();
  /** per host a slow client would otherwise have (the engine, or its cohort's), that host throttled */
  private readonly hosts = new Map<SessionHost, SessionHost>();

  /**
   * @param sources source addresses the proxies connect upstream from, round robin (empty: the kernel's)
   */
  constructor(
    readonly config: SlowClientsConfig,
    targets: readonly string[],
    sources: readonly string[],
  ) {
    let next = 0;
    const source = () => (sources.length === 0 ? undefined : sources[next++ % sources.length]);
    for (const t of targets) {
      const u = new URL(t);
      const secure = u.protocol === 'wss:' || u.protocol === 'https:';
      const port = Number(u.port || (secure ? 443 : 80));
      const host = u.hostname.replace(/^\[|\]$/g, '');
      this.proxies.set(t, new ThrottleProxy({ host, port }, config.bytesPerSecond, source));
    }
  }

  /** Main client `k` of the run's host: `base` throttled for a slow client, else `base` itself. */
  hostFor(base: SessionHost, k: number): SessionHost {
    if (!isSlowClient(k, this.config.share)) return base;
    let host = this.hosts.get(base);
    if (host === undefined) {
      host = delegate(base, {
        recorder: slowRecorder(base.recorder),
        nextEndpoint: () => this.through(base.nextEndpoint()),
      });
      this.hosts.set(base, host);
    }
    return host;
  }

  /** An endpoint reached through its target's proxy; the proxy connects from the source address. */
  private through(e: Endpoint): Endpoint {
    const proxy = this.proxies.get(e.url);
    if (proxy === undefined) return e;
    const options = { ...e.options };
    delete options.localAddress;
    return { url: proxy.urlFor(e.url), options };
  }

  /** Bytes every proxy delivered to slow clients, and holds now. */
  stats(): { connections: number; bytesDelivered: number; bytesHeld: number } {
    const out = { connections: 0, bytesDelivered: 0, bytesHeld: 0 };
    for (const p of this.proxies.values()) {
      out.connections += p.stats.connections;
      out.bytesDelivered += p.stats.bytesDelivered;
      out.bytesHeld += p.stats.bytesHeld;
    }
    return out;
  }

  close(): Promise<void> {
    return Promise.all([...this.proxies.values()].map((p) => p.close())).then(() => undefined);
  }
}

/** The host a main client's session gets: `host` (the engine, or its cohort's), throttled if the client is slow. */
export type HostChooser = (host: SessionHost, index: number) => SessionHost;

/**
 * The engine's slow clients, from `config.engines.bench`: a chooser that gives main client
 * `index` of this engine (client `index × generators + generatorIndex` of the run) its throttled
 * host when it is slow; every host unchanged without slow clients. The proxies close once the
 * run is done, after the engine has let its clients go.
 */
export function slowHosts(
  raw: unknown,
  engine: {
    readonly config: Pick<ResolvedEngineConfig, 'generators' | 'generatorIndex' | 'sourceAddresses'>;
    readonly targets: readonly string[];
  },
  runnerEE: { on(event: 'done', listener: () => void): unknown },
): HostChooser {
  const config = resolveSlowClients(raw);
  if (config === null) return (host) => host;
  const { generators, generatorIndex, sourceAddresses } = engine.config;
  const slow = new SlowClients(config, engine.targets, sourceAddresses ?? []);
  runnerEE.on('done', () => setImmediate(() => void slow.close()));
  return (host, index) => (index < 0 ? host : slow.hostFor(host, index * generators + generatorIndex));
}
