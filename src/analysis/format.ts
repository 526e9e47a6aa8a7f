/** Number formatting shared by the gate and capacity formatters. */

export const KIB = 1024;
export const MIB = 1024 ** 2;
export const GIB = 1024 ** 3;

/** 3 significant figures or so, without exponent notation; "–" for a missing number. */
export function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

/** A whole count with thousands separators: 10,000. */
export const count = (n: number) => Math.round(n).toLocaleString('en-US');

/** Bytes in binary units, named as such so they are never mistaken for powers of 1000. */
export function bytes(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= GIB) return `${(v / GIB).toFixed(2)} GiB`;
  if (a >= MIB) return `${(v / MIB).toFixed(1)} MiB`;
  if (a >= KIB) return `${(v / KIB).toFixed(1)} KiB`;
  return `${Math.round(v)} B`;
}

/** A signed percentage: +12.5 %, -3.0 %. */
export function signedPct(v: number): string {
  return `${v >= 0 ? '+' : '-'}${Math.abs(v).toFixed(1)} %`;
}

/** How many times larger, for extrapolation warnings: 56×, 2.5×. */
export function times(ratio: number): string {
  const one = ratio.toFixed(1);
  return `${Number(one) >= 10 ? ratio.toFixed(0) : one}×`;
}

/** Left-aligned text columns with two spaces between them; numbers are not right-aligned on purpose (mixed units). */
export function table(rows: readonly (readonly string[])[], indent = ''): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((r) =>
      (indent + r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).trimEnd(),
    )
    .join('\n');
}
