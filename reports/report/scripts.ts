/**
 * The scripts a report page inlines: chart.js, the page's data as JSON, and the page's own
 * script, which tsc compiles from reports/browser/ (its own project, with the DOM types) into
 * dist/reports/browser/, next to this file's folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CapacityPageData, ReportPageData } from '../browser/figure-data';
import { jsonForScript, scriptSource } from './escape';

/** chart.js's UMD build, read when a report is rendered so the report carries the installed version. */
export function chartJsSource(): string {
  const file = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.js');
  return fs.readFileSync(file, 'utf8');
}

/** Each page script with the data it reads and the id of the element it reads it from. */
interface Pages {
  'report-page': { data: ReportPageData; id: 'report-data' };
  'capacity-page': { data: CapacityPageData; id: 'capacity-data' };
}

const DATA_IDS: { [P in keyof Pages]: Pages[P]['id'] } = {
  'report-page': 'report-data',
  'capacity-page': 'capacity-data',
};

/** A page script's compiled source, read when a report is rendered. */
export function pageScriptSource(page: keyof Pages): string {
  return fs.readFileSync(path.join(__dirname, '..', 'browser', `${page}.js`), 'utf8');
}

/** The end of a page's body: chart.js, then the data, then the script that draws it, all inline. */
export function pageScripts<P extends keyof Pages>(page: P, data: Pages[P]['data']): string {
  return `<script>${scriptSource(chartJsSource())}</script>
<script type="application/json" id="${DATA_IDS[page]}">${jsonForScript(data)}</script>
<script>${scriptSource(pageScriptSource(page))}</script>`;
}
