/** Numbers as the HTML report's tables and figures print them. */

export const fmtClients = (n: number) => n.toLocaleString('en-US');

/** Fewer decimals the larger the value, so columns stay narrow; '–' for nothing. */
export function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

export const count = (v: number | null) => (v === null ? '–' : fmtClients(v));
