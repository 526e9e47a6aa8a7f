/**
 * The one units module: what a value's unit means when it is read from a flag, and how every
 * formatter prints it. Sizes are printed in binary units named as such (KiB, MiB, GiB), so a
 * printed figure is never mistaken for powers of 1000; inputs take both (MB = 10^6, MiB = 2^20).
 * It sits under result/ because the analysis texts need it as much as the exporters do.
 */

export const KIB = 1024;
export const MIB = 1024 ** 2;
export const GIB = 1024 ** 3;

/** What a metric's number is: milliseconds, bytes, a count, or a percentage (of one core). */
export type UnitKind = 'ms' | 'bytes' | 'count' | 'percent';

/** Units a value may carry on the command line, with their factor to the base unit (ms or bytes). */
const INPUT_UNITS: Record<string, { of: 'ms' | 'bytes'; factor: number; label: string }> = {
  ms: { of: 'ms', factor: 1, label: 'ms' },
  s: { of: 'ms', factor: 1000, label: 's' },
  b: { of: 'bytes', factor: 1, label: 'B' },
  kb: { of: 'bytes', factor: 1e3, label: 'KB' },
  mb: { of: 'bytes', factor: 1e6, label: 'MB' },
  gb: { of: 'bytes', factor: 1e9, label: 'GB' },
  tb: { of: 'bytes', factor: 1e12, label: 'TB' },
  kib: { of: 'bytes', factor: 2 ** 10, label: 'KiB' },
  mib: { of: 'bytes', factor: 2 ** 20, label: 'MiB' },
  gib: { of: 'bytes', factor: 2 ** 30, label: 'GiB' },
  tib: { of: 'bytes', factor: 2 ** 40, label: 'TiB' },
};

/** Sizes a metric limit takes (a server's memory is never terabytes); `--memory` takes every size. */
export const METRIC_SIZE_UNITS = ['b', 'kb', 'mb', 'gb', 'kib', 'mib', 'gib'] as const;
export const ALL_SIZE_UNITS = ['b', 'kb', 'mb', 'gb', 'tb', 'kib', 'mib', 'gib', 'tib'] as const;
export const DURATION_UNITS = ['ms', 's'] as const;

/** The factor of a unit written by a user (any case) among `allowed`; null when it is not one of them. */
export function unitFactor(text: string, allowed: readonly string[]): number | null {
  const key = text.toLowerCase();
  return allowed.includes(key) ? INPUT_UNITS[key]!.factor : null;
}

/** `B, KB, MB, GB, KiB, MiB or GiB`: the units as a user writes them, for error texts. */
export function unitList(allowed: readonly string[]): string {
  const labels = allowed.map((u) => INPUT_UNITS[u]!.label);
  return labels.length < 2 ? labels.join('') : `${labels.slice(0, -1).join(', ')} or ${labels.at(-1)}`;
}

/** 3 significant figures or so, without exponent notation; "–" for a missing number. */
export function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

/** A whole count with thousands separators: 10,000. */
export const count = (n: number) => Math.round(n).toLocaleString('en-US');

/** Bytes in the binary unit that fits: 1.50 GiB, 286.1 MiB, 16.0 KiB, 512 B. */
export function bytes(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= GIB) return `${(v / GIB).toFixed(2)} GiB`;
  if (a >= MIB) return `${(v / MIB).toFixed(1)} MiB`;
  if (a >= KIB) return `${(v / KIB).toFixed(1)} KiB`;
  return `${Math.round(v)} B`;
}

/** Bytes always in MiB (one decimal), for columns that must line up; "–" for none. */
export const mib = (v: number | null) => (v === null ? '–' : `${(v / MIB).toFixed(1)} MiB`);

/** Bytes always in KiB (one decimal), for per-client figures; "–" for none. */
/** `65,536.0`: bytes as KiB with one decimal and thousands separated, no unit (tables say it). */
export const kibNumber = (bytes: number): string =>
  (bytes / KIB).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export const kib = (v: number | null) => (v === null ? '–' : `${(v / KIB).toFixed(1)} KiB`);

/** A signed percentage: +12.5 %, -3.0 %. */
export function signedPct(v: number): string {
  return `${v >= 0 ? '+' : '-'}${Math.abs(v).toFixed(1)} %`;
}

/** How many times larger, for extrapolation warnings: 56×, 2.5×. */
export function times(ratio: number): string {
  const one = ratio.toFixed(1);
  return `${Number(one) >= 10 ? ratio.toFixed(0) : one}×`;
}

/** A p-value: 0.042, or <0.001 below that. */
export const pValueText = (p: number | null) => (p === null ? '–' : p < 0.001 ? '<0.001' : p.toFixed(3));
