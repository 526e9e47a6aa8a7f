/**
 * The part of chart.js 4's UMD global `Chart` (inlined before the page scripts) that they use.
 * chart.js's own types describe its module build, and its config types reject the fields the
 * pages add to datasets for their plugins, tooltips and toggles.
 */

/** A dataset: chart.js's options plus what the page reads back from it. */
interface PageDataset {
  label: string;
  data: unknown[];
  role?: string;
  /** datasets of one group share a legend entry */
  group?: string;
  /** the name tooltips use */
  tip?: string;
  /** the 2020 study's points, shown and hidden by one checkbox */
  study?: boolean;
  [option: string]: unknown;
}

interface ChartElement {
  x: number;
  y: number;
  base: number;
}

interface ChartInstance<D extends PageDataset = PageDataset> {
  ctx: CanvasRenderingContext2D;
  chartArea: { left: number; right: number; top: number; bottom: number };
  width: number;
  data: { labels?: unknown[]; datasets: D[] };
  isDatasetVisible(index: number): boolean;
  setDatasetVisibility(index: number, visible: boolean): void;
  getDatasetMeta(index: number): { data: ChartElement[] };
  update(mode?: 'none'): void;
  destroy(): void;
}

interface ChartPlugin<D extends PageDataset> {
  id: string;
  afterDatasetsDraw(chart: ChartInstance<D>): void;
}

interface ChartConfig<D extends PageDataset> {
  type: 'line' | 'bar';
  data: { labels?: unknown[]; datasets: D[] };
  plugins?: ChartPlugin<D>[];
  /** chart.js's options, passed through as they are */
  options: object;
}

interface ChartLegendItem {
  datasetIndex: number;
  text: string;
}

interface ChartTooltipItem<D extends PageDataset> {
  raw: unknown;
  dataset: D;
  dataIndex: number;
}

interface ChartAxis {
  ctx: CanvasRenderingContext2D;
  options: { ticks: { font: unknown } };
  width: number;
  chart: ChartInstance;
  ticks: { value: number }[];
}

interface ChartStatic {
  new <D extends PageDataset>(canvas: HTMLCanvasElement, config: ChartConfig<D>): ChartInstance<D>;
  defaults: { animation: boolean; color: string; font: { family: string } };
  helpers: { toFont(font: unknown): { string: string } };
}

declare const Chart: ChartStatic;

/** What the browser test waits for and reads. */
interface Window {
  __benchReportCharts: ChartInstance[];
  __benchReportReady: boolean;
}
