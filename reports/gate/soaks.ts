/**
 * `bench gate` on `bench soak` results: does the current server leak more per connection than
 * the baseline? Each soak's verdict fit (heap used + external after a full GC against connection
 * cycles) gives a slope and its 95 % interval; two soaks of one configuration are compared on the
 * difference of their slopes, against an allowed growth (options.ts).
 */
import type { SoakFit, SoakResult } from '../../runner/result/soak-schema';
import { count } from '../../runner/metrics/units';
import type { LoadedSoak } from '../read/read';
import type { GateIgnore } from './pairing';
import type { GateFailure, GateSoakComparison, GateSoakSide, SoakKey } from './report';

export type { SoakKey };

const SOAK_KEY_FIELDS = [
  'lib',
  'clients',
  'churnPerSecond',
  'transport',
  'deflate',
  'abruptShare',
] as const satisfies readonly (keyof SoakKey)[];

/** The fields besides lib and clients, named when two soaks nearly pair or labels must tell keys apart. */
const SOAK_OPTION_FIELDS = ['churnPerSecond', 'transport', 'deflate', 'abruptShare'] as const;

/** The run options `--ignore-option` takes that a soak has too. */
const SOAK_IGNORABLE: readonly GateIgnore[] = ['transport', 'deflate'];

export function soakKeyOf(r: SoakResult, ignore: readonly GateIgnore[] = []): SoakKey {
  const c = (r.config ?? {}) as Partial<SoakResult['config']>;
  const key: SoakKey = {
    lib: r.lib,
    clients: Number(c.clients),
    churnPerSecond: Number(c.churnPerSecond),
    // Results from before --transport and --deflate were websocket without deflate.
    transport: String(c.transport ?? 'websocket'),
    deflate: c.deflate === true,
    abruptShare: Number(c.abruptShare),
  };
  // An ignored option takes one value on both sides, so soaks pair across it.
  for (const f of ignore) if (SOAK_IGNORABLE.includes(f)) (key as unknown as Record<string, unknown>)[f] = 'any';
  return key;
}

export const soakIdOf = (k: SoakKey) => JSON.stringify(SOAK_KEY_FIELDS.map((f) => k[f]));

function describeField(k: SoakKey, f: 'transport' | 'deflate' | 'abruptShare'): string {
  switch (f) {
    case 'deflate':
      return k.deflate ? 'deflate on' : 'deflate off';
    case 'abruptShare':
      return `${Math.round(k.abruptShare * 100)} % abrupt`;
    default:
      return String(k[f]);
  }
}

/** `soak ws · 200 clients × 200/s`, plus transport, deflate or abrupt share where keys differ in them. */
export function soakLabeller(keys: readonly SoakKey[]): (k: SoakKey) => string {
  const differing = (['transport', 'deflate', 'abruptShare'] as const).filter(
    (f) => new Set(keys.map((k) => String(k[f]))).size > 1,
  );
  return (k) =>
    [
      `soak ${k.lib}`,
      `${count(k.clients)} clients × ${k.churnPerSecond.toLocaleString('en-US')}/s`,
      ...differing.map((f) => describeField(k, f)),
    ].join(' · ');
}

/** Why a soak cannot be compared; null when it can: it completed and its slope was fitted. */
export function soakUnusable(r: SoakResult): string | null {
  if (r.status !== 'completed') return `${r.status}${r.error ? `: ${r.error}` : ''}`;
  if (!r.fit || r.verdict?.kind === 'unfit') return `unfit: ${r.verdict?.text ?? 'no slope was fitted'}`;
  return null;
}

/** The normal 97.5 % quantile: a 95 % interval is ±Z standard errors. */
const Z = 1.96;

/**
 * A fit's standard error, read back from its 95 % interval. The fit used Student-t with the
 * degrees of freedom its autocorrelated samples leave (t > 1.96), so dividing its half-width by
 * the normal 1.96 gives a standard error at least as large as the fit's own: more cautious.
 */
export const standardError = (ci95: readonly [number, number]) => (ci95[1] - ci95[0]) / 2 / Z;

/** `64,498` from 100 KiB up, `3.1` below (KiB of the bytes given), never `-0`. */
export function kibText(bytes: number): string {
  const v = bytes / 1024;
  const digits = Math.abs(v) >= 100 ? 0 : 1;
  const r = Math.round(v * 10 ** digits) / 10 ** digits;
  return (r === 0 ? 0 : r).toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** `+64,498`, `-12.5`: a signed {@link kibText}. */
export function signedKib(bytes: number): string {
  const s = kibText(bytes);
  return s.startsWith('-') ? s : `+${s}`;
}

/** `64,375 to 64,621`: an interval in KiB. */
export const kibInterval = ([lo, hi]: readonly [number, number]) => `${kibText(lo)} to ${kibText(hi)}`;

export interface SoakDecision {
  differencePer1000: number;
  differenceCi95: [number, number];
  outcome: GateSoakComparison['outcome'];
  reason: string;
}

/**
 * The decision on two fits, by the 95 % interval of d = current − baseline slope,
 * d ± 1.96 √(SEb² + SEc²), against T (bytes per 1,000 cycles): regressed when the whole interval
 * is above T, improved when wholly below −T, same when wholly within ±T, else unsure.
 */
export function decideSoak(baseline: SoakFit, current: SoakFit, thresholdPer1000: number): SoakDecision {
  const d = current.slopePer1000 - baseline.slopePer1000;
  const half = Z * Math.hypot(standardError(baseline.ci95), standardError(current.ci95));
  const ci: [number, number] = [d - half, d + half];
  const t = thresholdPer1000;
  const T = kibText(t);
  const dText = `${signedKib(d)} KiB per 1,000 connections (95 % CI ${kibInterval(ci)})`;
  if (ci[0] > t)
    return {
      differencePer1000: d,
      differenceCi95: ci,
      outcome: 'regressed',
      reason: `regressed: ${dText}, all above +${T}`,
    };
  if (ci[1] < -t)
    return {
      differencePer1000: d,
      differenceCi95: ci,
      outcome: 'improved',
      reason: `improved: ${dText}, all below -${T}`,
    };
  if (ci[0] >= -t && ci[1] <= t) {
    return {
      differencePer1000: d,
      differenceCi95: ci,
      outcome: 'same',
      reason: `same within ±${T} KiB per 1,000: ${dText}`,
    };
  }
  return {
    differencePer1000: d,
    differenceCi95: ci,
    outcome: 'unsure',
    reason: `unsure: the slopes' intervals are too wide to tell a change of ${T} KiB per 1,000; soak longer (detection floors: baseline ${kibText(baseline.detectablePer1000)}, current ${kibText(current.detectablePer1000)} KiB per 1,000)`,
  };
}

function sideOf(s: LoadedSoak): GateSoakSide {
  const r = s.result;
  const fit = r.fit!;
  return {
    file: s.file,
    slopePer1000: fit.slopePer1000,
    ci95: [fit.ci95[0], fit.ci95[1]],
    standardError: standardError(fit.ci95),
    detectablePer1000: fit.detectablePer1000,
    cyclesCompleted: r.cyclesCompleted,
    durationSeconds: r.config.durationSeconds,
    warmupSeconds: r.config.warmupSeconds,
    retainPerConnectionBytes: r.config.retainPerConnectionBytes ?? 0,
  };
}

const soaksText = (n: number) => `${n} soak${n === 1 ? '' : 's'}`;

/**
 * Pairs the soaks of both sides and decides each pair. A current soak that did not complete or
 * could not be fitted fails the gate (`invalid`), as an unusable current run does; a baseline
 * configuration without a current soak fails it too (`missing`); one only in current is a note.
 * With several usable soaks of one configuration on a side, the latest is compared.
 */
export function compareSoaks(
  baseline: readonly LoadedSoak[],
  current: readonly LoadedSoak[],
  thresholdPer1000: number,
  ignore: readonly GateIgnore[],
  failures: GateFailure[],
  notes: string[],
): GateSoakComparison[] {
  const group = (soaks: readonly LoadedSoak[]) => {
    const byId = new Map<string, { key: SoakKey; soaks: LoadedSoak[] }>();
    const ordered = [...soaks].sort((a, b) => String(a.result.startedAt).localeCompare(String(b.result.startedAt)));
    for (const s of ordered) {
      const key = soakKeyOf(s.result, ignore);
      const id = soakIdOf(key);
      if (!byId.has(id)) byId.set(id, { key, soaks: [] });
      byId.get(id)!.soaks.push(s);
    }
    return byId;
  };
  const b = group(baseline);
  const c = group(current);
  const label = soakLabeller([...[...b.values()].map((g) => g.key), ...[...c.values()].map((g) => g.key)]);
  const latest = (side: 'baseline' | 'current', name: string, usable: LoadedSoak[]) => {
    const last = usable[usable.length - 1]!;
    for (const s of usable.slice(0, -1)) {
      notes.push(`${side} ${name} (${s.file}) left out: a later soak of the same configuration is compared`);
    }
    return last;
  };
  const out: GateSoakComparison[] = [];
  for (const [id, bg] of b) {
    const name = label(bg.key);
    const usableBaseline = bg.soaks.filter((s) => {
      const why = soakUnusable(s.result);
      if (why) notes.push(`baseline ${name} (${s.file}) left out: ${why}`);
      return !why;
    });
    const cg = c.get(id);
    if (!cg) {
      const near = [...c.values()].filter((g) => g.key.lib === bg.key.lib && g.key.clients === bg.key.clients);
      const differences = [
        ...new Set(
          near.flatMap((g) =>
            SOAK_OPTION_FIELDS.filter((f) => g.key[f] !== bg.key[f]).map(
              (f) => `${f}: baseline ${String(bg.key[f])}, current ${String(g.key[f])}`,
            ),
          ),
        ),
      ];
      const hint = differences.length
        ? ` (current soaks of ${bg.key.lib} at ${count(bg.key.clients)} clients differ in ${differences.join('; ')})`
        : '';
      failures.push({ kind: 'missing', cell: name, message: `missing in current: no soak with these options${hint}` });
      continue;
    }
    const usableCurrent = cg.soaks.filter((s) => {
      const why = soakUnusable(s.result);
      if (why) failures.push({ kind: 'invalid', cell: name, message: `current soak ${s.file}: ${why}` });
      return !why;
    });
    if (usableBaseline.length === 0) {
      notes.push(`${name}: not compared, the baseline has no usable soak`);
      continue;
    }
    if (usableCurrent.length === 0) continue;
    const bs = latest('baseline', name, usableBaseline);
    const cs = latest('current', name, usableCurrent);
    const base = sideOf(bs);
    const cur = sideOf(cs);
    for (const [side, s] of [
      ['baseline', base],
      ['current', cur],
    ] as const) {
      if (s.retainPerConnectionBytes > 0) {
        notes.push(
          `${name}: the ${side} soak kept ${count(s.retainPerConnectionBytes)} bytes per connection (the test-only --retain-per-connection): an injected leak, not the server's`,
        );
      }
    }
    if (base.warmupSeconds !== cur.warmupSeconds) {
      notes.push(
        `${name}: the soaks warmed up for different times (baseline ${base.warmupSeconds} s, current ${cur.warmupSeconds} s): a shorter warm-up fits more of a fresh server's own early growth`,
      );
    }
    const decision = decideSoak(bs.result.fit!, cs.result.fit!, thresholdPer1000);
    out.push({
      id,
      label: name,
      key: bg.key,
      baseline: base,
      current: cur,
      ...decision,
      thresholdPer1000,
      regressed: decision.outcome === 'regressed',
      unsure: decision.outcome === 'unsure',
    });
  }
  for (const [id, cg] of c) {
    if (b.has(id)) continue;
    const name = label(cg.key);
    notes.push(`new in current, not compared: ${name} (${soaksText(cg.soaks.length)})`);
    for (const s of cg.soaks) {
      const why = soakUnusable(s.result);
      if (why) failures.push({ kind: 'invalid', cell: name, message: `current soak ${s.file}: ${why}` });
    }
  }
  return out;
}
