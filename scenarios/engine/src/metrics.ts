import * as hdr from 'hdr-histogram-js';
import {
  ARTILLERY_COUNTER,
  ARTILLERY_METRIC,
  METRICS,
  emptyCounts,
  type CounterName,
  type EngineCounts,
  type MetricName,
  type CohortName,
  type CohortSnapshot,
  type NodeCounts,
  type RoomCounts,
} from './protocol';

/** The per-scenario emitter Artillery hands to `createScenario`. */
export interface ScenarioEmitter {
  emit(event: string, ...args: unknown[]): unknown;
}

/** 1 µs to one hour at 3 significant digits; `packed` keeps an idle histogram a few KB. */
function buildHistogram(): hdr.Histogram {
  return hdr.build({
    bitBucketSize: 'packed',
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

/**
 * Every measurement of one engine goes through here, once: into an HDR histogram (µs) for the
 * runner, and as the same value (ms) into Artillery's own metrics for `ensure` and reports.
 */
export class Recorder {
  readonly counts: EngineCounts = emptyCounts();
  private readonly histograms = Object.fromEntries(METRICS.map((m) => [m, buildHistogram()])) as Record<
    MetricName,
    hdr.Histogram
  >;

  latency(name: MetricName, ms: number, ee: ScenarioEmitter): void {
    ee.emit('histogram', ARTILLERY_METRIC[name], this.record(name, ms));
  }

  /** Into the histogram only; returns the value recorded (ms). */
  protected record(name: MetricName, ms: number): number {
    // An HDR histogram holds no negative value. Every caller passes a difference of one
    // monotonic clock, or an epoch difference it has checked (Session.delivered), so this only guards.
    const clamped = ms > 0 ? ms : 0;
    this.histograms[name].recordValue(Math.round(clamped * 1000));
    return clamped;
  }

  /** main clients measured apart as well, by cohort (see CohortRecorder); none unless asked for */
  private readonly cohorts = new Map<CohortName, CohortRecorder>();

  /** The recorder of one cohort of this engine's main clients, made on first use. */
  cohort(name: CohortName): CohortRecorder {
    let c = this.cohorts.get(name);
    if (c === undefined) this.cohorts.set(name, (c = new CohortRecorder(this)));
    return c;
  }

  /** Each cohort's counts and histograms, for `snapshot` and `final` lines; nothing without cohorts. */
  encodeCohorts(): { cohorts?: Partial<Record<CohortName, CohortSnapshot>> } {
    if (this.cohorts.size === 0) return {};
    const out: Partial<Record<CohortName, CohortSnapshot>> = {};
    for (const [name, c] of this.cohorts) out[name] = { counts: c.own, histograms: c.encode() };
    return { cohorts: out };
  }

  count(name: CounterName, ee: ScenarioEmitter | null, by = 1): void {
    this.counts[name] = (this.counts[name] ?? 0) + by;
    ee?.emit('counter', ARTILLERY_COUNTER[name], by);
  }

  /** reconnectMs by the node whose clients lost their connection (see NodeCounts.lost) */
  private readonly reconnectByNode = new Map<string, hdr.Histogram>();

  /**
   * Counts for the node that serves a client (`welcomed`, `received`), or that a client lost its
   * connection to (the rest; see NodeCounts.lost); nothing without a node.
   */
  atNode(node: string | null, what: keyof NodeCounts): void {
    if (node === null) return;
    const n = ((this.counts.byNode ??= {})[node] ??= { welcomed: 0, received: 0 });
    n[what] = (n[what] ?? 0) + 1;
  }

  /** A client that lost its connection to `node` is back (on any node) after `ms`. */
  reconnectedFrom(node: string | null, ms: number): void {
    if (node === null) return;
    this.atNode(node, 'reconnected');
    let h = this.reconnectByNode.get(node);
    if (h === undefined) this.reconnectByNode.set(node, (h = buildHistogram()));
    h.recordValue(Math.round(Math.max(0, ms) * 1000));
  }

  /** reconnectMs by lost node, encoded as `encode()` does; nothing before any reconnect. */
  encodeByNode(): { reconnectByNode?: Record<string, string> } {
    if (this.reconnectByNode.size === 0) return {};
    const out: Record<string, string> = {};
    for (const [node, h] of this.reconnectByNode) out[node] = hdr.encodeIntoCompressedBase64(h);
    return { reconnectByNode: out };
  }

  /** per room, messages this engine's members published and received; null before any */
  private rooms: RoomCounts | null = null;

  /** One message published to `room`, or received by one of its members. */
  room(room: string, what: keyof RoomCounts): void {
    const counts = (this.rooms ??= { published: {}, received: {} })[what];
    counts[room] = (counts[room] ?? 0) + 1;
  }

  /** Per room counts, for `snapshot` and `final` lines; nothing before any room message. */
  encodeRooms(): { rooms?: RoomCounts } {
    return this.rooms === null ? {} : { rooms: this.rooms };
  }

  /** Counts an error by code; `ee` also makes Artillery count `errors.<code>`. */
  error(code: string, ee: ScenarioEmitter | null): void {
    this.counts.errors[code] = (this.counts.errors[code] ?? 0) + 1;
    ee?.emit('error', code);
  }

  totalCount(name: MetricName): number {
    return this.histograms[name].totalCount;
  }

  /** Every histogram, encoded for the runner to merge across workers. */
  encode(): Record<MetricName, string> {
    return Object.fromEntries(METRICS.map((m) => [m, hdr.encodeIntoCompressedBase64(this.histograms[m])])) as Record<
      MetricName,
      string
    >;
  }
}

/**
 * One cohort of main clients (the long-polling share, or the rest): everything it records goes
 * to the engine's recorder as before, and into this cohort's own histograms and counts too.
 * `counts` is the engine's own object, so what a session updates directly (open clients) stays
 * whole; the cohort's counts are `own`.
 */
export class CohortRecorder extends Recorder {
  readonly own: EngineCounts = emptyCounts();

  constructor(private readonly main: Recorder) {
    super();
    (this as { counts: EngineCounts }).counts = main.counts;
  }

  override latency(name: MetricName, ms: number, ee: ScenarioEmitter): void {
    this.main.latency(name, ms, ee);
    this.record(name, ms);
  }

  override count(name: CounterName, ee: ScenarioEmitter | null, by = 1): void {
    this.main.count(name, ee, by);
    this.own[name] = (this.own[name] ?? 0) + by;
  }

  override error(code: string, ee: ScenarioEmitter | null): void {
    this.main.error(code, ee);
    this.own.errors[code] = (this.own.errors[code] ?? 0) + 1;
  }

  override atNode(node: string | null, what: keyof NodeCounts): void {
    this.main.atNode(node, what);
  }

  override reconnectedFrom(node: string | null, ms: number): void {
    this.main.reconnectedFrom(node, ms);
  }

  override room(room: string, what: keyof RoomCounts): void {
    this.main.room(room, what);
  }
}
