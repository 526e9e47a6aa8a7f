/**
 * Main clients split into cohorts that are measured apart as well as with everyone: with
 * `pollingShare`, the long-polling clients and the websocket ones. A session of a cohort sees
 * the engine through a CohortHost: the same engine, with the cohort's recorder and its client
 * options.
 */
import type { ClientAdapter, ClientOptions } from './clients';
import type { CohortRecorder } from './metrics';
import type { ReconnectConfig } from './protocol';
import type { Endpoint, Session, SessionHost } from './session';

export class CohortHost implements SessionHost {
  readonly clientOptions: ClientOptions;

  constructor(
    private readonly engine: SessionHost,
    readonly recorder: CohortRecorder,
    private readonly options: Partial<ClientOptions>,
  ) {
    this.clientOptions = { ...engine.clientOptions, ...options };
  }

  get adapter(): ClientAdapter {
    return this.engine.adapter;
  }

  get reconnect(): Required<ReconnectConfig> | null {
    return this.engine.reconnect;
  }

  get sameClock(): boolean {
    return this.engine.sameClock;
  }

  nextEndpoint(prefix: number | null = null): Endpoint {
    const e = this.engine.nextEndpoint(prefix);
    return { url: e.url, options: { ...e.options, ...this.options } };
  }

  nextEchoId(): number {
    return this.engine.nextEchoId();
  }

  trafficOn(): boolean {
    return this.engine.trafficOn();
  }

  isReleased(): boolean {
    return this.engine.isReleased();
  }

  forget(session: Session): void {
    this.engine.forget(session);
  }
}
