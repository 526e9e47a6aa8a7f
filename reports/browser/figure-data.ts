/**
 * The data the report pages embed as JSON and their scripts draw: written by the renderers in
 * Node, read by the page scripts in the browser, so both compile against these types.
 */

export interface ChartPoint {
  x: number;
  y: number;
  lo: number | null;
  hi: number | null;
  trials: number;
  /** only errored or invalid trials had this number */
  flagged: boolean;
}

export interface ChartSeries {
  name: string;
  color: string;
  fill: string;
  dash: boolean;
  /** overrides `dash` (the p99 lines of the cross-node figure are dotted) */
  dashPattern?: number[];
  /** chart.js point style; circle when absent */
  pointStyle?: string;
  /** series of one group share the first one's legend entry, which shows and hides them together */
  group?: string;
  /** the series' name in tooltips, when the legend's is not enough */
  tip?: string;
  points: ChartPoint[];
}

/** An errored or invalid cell, drawn as a red cross; y null when it measured nothing. */
export interface ChartFailure {
  x: number;
  y: number | null;
  text: string;
}

export interface ChartStudyPoint {
  x: number;
  y: number;
  color: string;
  label: string;
  text: string;
  /** drawn as a horizontal line across the x axis, labelled at its left end: its x is not known */
  across?: boolean;
}

/** What the page script needs to draw one line figure. */
export interface LineFigureData {
  kind: 'line';
  id: string;
  figure: string;
  unit: string;
  xTitle: string;
  xLog: boolean;
  /** what x counts, singular and plural, for the tooltips */
  xUnit: [string, string];
  /** a category axis: x is the index into these names */
  xCategories?: string[];
  yTitle: string;
  yLog: boolean;
  /** name of the shaded band, or null for none */
  band: string | null;
  levels: number[];
  series: ChartSeries[];
  failures: ChartFailure[];
  study: ChartStudyPoint[];
}

/** One bar of a bar figure: its height and what its tooltip and label say. */
export interface ChartBar {
  /** the bar's name on the category axis */
  category: string;
  value: number;
  /** written at the end of the bar */
  label: string;
  /** the tooltip */
  text: string;
  color: string;
  fill: string;
  /** only errored or invalid trials had this number */
  flagged: boolean;
}

/** A horizontal bar figure: one bar per category, top to bottom. */
export interface BarFigureData {
  kind: 'bar';
  id: string;
  figure: string;
  valueTitle: string;
  /** the value axis runs from 0 to at least this */
  valueMax: number;
  bars: ChartBar[];
}

/** One statistic of a grouped bar figure (e.g. the p95): a bar per category, null where there is none. */
export interface BarSet {
  name: string;
  color: string;
  fill: string;
  bars: (ChartBar | null)[];
}

/** A horizontal bar figure with a group of bars per category, one per set, and a legend of the sets. */
export interface BarGroupsFigureData {
  kind: 'bar-groups';
  id: string;
  figure: string;
  valueTitle: string;
  /** what the value axis counts, e.g. ms */
  unit: string;
  /** the value axis runs from 0 to at least this */
  valueMax: number;
  categories: string[];
  sets: BarSet[];
}

export type FigureData = LineFigureData | BarFigureData | BarGroupsFigureData;

/** One memory figure of a `bench soak` result: its samples and the line of its fit. */
export interface SoakSeries {
  name: string;
  color: string;
  /** the colour of the samples that were not fitted */
  fade: string;
  /** chart.js point style */
  pointStyle: string;
  /** samples before the fit starts (warm-up and fill), drawn faded; x cycles, y in the figure's unit */
  warmup: XY[];
  /** the samples fitted */
  fitted: XY[];
  /** the fitted line's two ends, over the fitted cycles; null when nothing was fitted */
  line: [XY, XY] | null;
  /** the line's legend and tooltip name, with its slope */
  lineLabel: string;
}

/** A `bench soak` result: memory after a full GC against connection cycles. */
export interface SoakFigureData {
  kind: 'soak';
  id: string;
  figure: 'soak';
  /** KiB or MiB (binary), what y is in */
  unit: string;
  yTitle: string;
  series: SoakSeries[];
}

/** The JSON in the report page's `report-data` script element. */
export interface ReportPageData {
  figures: FigureData[];
  /** one per `bench soak` result, drawn in their own section */
  soaks: SoakFigureData[];
}

export interface XY {
  x: number;
  y: number;
}

export interface PlotSeries {
  name: string;
  color: string;
  points: XY[];
  /** the fitted model, sampled along the x range; empty when there is none */
  fit: XY[];
  fitLabel: string;
  /** clients at which this figure's limit is reached; null when it is not */
  limitX: number | null;
}

export interface PlotFigure {
  id: string;
  figure: string;
  unit: string;
  yTitle: string;
  series: PlotSeries[];
  /** the limit on y (memory, CPU share or SLO), drawn as a horizontal line */
  limitY: number | null;
  limitLabel: string | null;
  xMin: number;
  xMax: number;
}

/** The JSON in the capacity page's `capacity-data` script element. */
export interface CapacityPageData {
  figures: PlotFigure[];
}
