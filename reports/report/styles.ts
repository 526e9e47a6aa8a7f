/** The report's colours: one palette per library, so a library keeps its colour on every figure. */

export const PALETTES: Record<string, string[]> = {
  ws: ['#1f77b4', '#08519c', '#6baed6'],
  socketio: ['#ff7f0e', '#a63603', '#fd8d3c'],
  sockjs: ['#2ca02c', '#006d2c', '#74c476'],
  other: ['#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'],
};

export const LIB_COLORS: Record<string, string> = { ws: '#1f77b4', socketio: '#ff7f0e', sockjs: '#2ca02c' };

export function rgba(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

export interface SeriesStyle {
  color: string;
  dash: boolean;
}

/** A colour per series from its library's palette, in order; the library's second and later series are dashed. */
export function seriesStyles(items: readonly { series: string; lib: string }[]): Map<string, SeriesStyle> {
  const styles = new Map<string, SeriesStyle>();
  const used: Record<string, number> = {};
  for (const c of items) {
    if (styles.has(c.series)) continue;
    const family = PALETTES[c.lib] ? c.lib : 'other';
    const palette = PALETTES[family]!;
    const i = used[family] ?? 0;
    used[family] = i + 1;
    styles.set(c.series, { color: palette[i % palette.length]!, dash: family !== 'other' && i > 0 });
  }
  return styles;
}
