/**
 * The report page's script: builds every chart from the embedded `report-data` JSON. Inlined
 * into the page after chart.js, so it is a plain script: no import or export.
 */
(() => {
  type Data = import('./figure-data').ReportPageData;
  type LineSpec = import('./figure-data').LineFigureData;
  type BarSpec = import('./figure-data').BarFigureData;
  type BarGroupsSpec = import('./figure-data').BarGroupsFigureData;
  type Bar = import('./figure-data').ChartBar;
  type Point = import('./figure-data').ChartPoint;
  type Failure = import('./figure-data').ChartFailure;
  type StudyPoint = import('./figure-data').ChartStudyPoint;
  type SoakSpec = import('./figure-data').SoakFigureData;
  type XY = import('./figure-data').XY;

  /** A point as drawn, with what its tooltip and the study labels read. */
  interface Drawn {
    x: number;
    y: number;
    p?: Point;
    f?: Failure;
    s?: StudyPoint;
    /** the far end of a study line: not labelled */
    quiet?: boolean;
  }
  interface LineDataset extends PageDataset {
    data: Drawn[];
  }
  interface BarDataset extends PageDataset {
    data: (number | null)[];
    bars: (Bar | null)[];
  }

  const report = JSON.parse(document.getElementById('report-data')!.textContent!) as Data;
  Chart.defaults.animation = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", sans-serif';
  Chart.defaults.color = '#333';

  function fmt(v: number | null | undefined): string {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    const a = Math.abs(v);
    return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : String(Number(v.toPrecision(2)));
  }
  function compact(n: number): string {
    return n >= 1000 && n % 1000 === 0 ? n / 1000 + 'k' : n >= 1000 ? (n / 1000).toFixed(1) + 'k' : String(n);
  }
  function wrap(text: string, width: number): string[] {
    const lines: string[] = [];
    let line = '';
    for (const w of String(text).split(' ')) {
      if (line && (line + ' ' + w).length > width) {
        lines.push(line);
        line = w;
      } else {
        line = line ? line + ' ' + w : w;
      }
    }
    if (line) lines.push(line);
    return lines;
  }

  // Each study point's label beside it: left of points in the right half, right of the others,
  // moved down until it overlaps no label already placed.
  const studyLabels: ChartPlugin<LineDataset> = {
    id: 'studyLabels',
    afterDatasetsDraw(chart) {
      const area = chart.chartArea;
      const ctx = chart.ctx;
      const items: { x: number; y: number; lift: number; s: StudyPoint }[] = [];
      const placed: { x0: number; x1: number; y: number }[] = [];
      chart.data.datasets.forEach((ds, i) => {
        if (!ds.study || !chart.isDatasetVisible(i)) return;
        chart.getDatasetMeta(i).data.forEach((el, j) => {
          const d = ds.data[j]!;
          if (!d.quiet) items.push({ x: el.x, y: el.y, lift: 0, s: d.s! });
        });
      });
      ctx.save();
      ctx.font = '600 11px ' + Chart.defaults.font.family;
      ctx.textBaseline = 'middle';
      // Lines across the axis are labelled off themselves: the top one above, the next below, …
      let across = 0;
      for (const it of items.sort((a, b) => a.y - b.y)) {
        if (it.s.across) it.lift = across++ % 2 === 0 ? 9 : -9;
        const width = ctx.measureText(it.s.label).width;
        const right = it.x > (area.left + area.right) / 2;
        const x0 = right ? it.x - 11 - width : it.x + 11;
        const x1 = x0 + width;
        let y = it.y - it.lift;
        for (let moved = true; moved;) {
          moved = false;
          for (const b of placed) {
            if (x0 < b.x1 && b.x0 < x1 && Math.abs(y - b.y) < 12.5) {
              y = b.y + 13;
              moved = true;
            }
          }
        }
        placed.push({ x0, x1, y });
        if (Math.abs(y - it.y + it.lift) > 6) {
          ctx.strokeStyle = it.s.color;
          ctx.lineWidth = 1;
          ctx.beginPath();
          ctx.moveTo(it.x + (right ? -6 : 6), it.y);
          ctx.lineTo(right ? x1 + 2 : x0 - 2, y);
          ctx.stroke();
        }
        ctx.fillStyle = it.s.color;
        ctx.textAlign = 'left';
        ctx.fillText(it.s.label, x0, y);
      }
      ctx.restore();
    },
  };

  function buildChart(spec: LineSpec): ChartInstance<LineDataset> {
    const canvas = document.getElementById(spec.id) as HTMLCanvasElement;
    // A category axis (the arrival rates) puts its names at 0, 1, 2, …
    function xName(v: number): string {
      if (!spec.xCategories) return compact(v);
      return Number.isInteger(v) && spec.xCategories[v] !== undefined ? spec.xCategories[v] : '';
    }
    const datasets: LineDataset[] = [];
    const ys: number[] = [];
    const clampY = (y: number) => (spec.yLog ? Math.max(y, 0.001) : y);
    for (const s of spec.series) {
      for (const p of s.points) {
        ys.push(p.y);
        if (p.lo !== null) ys.push(p.lo);
        if (p.hi !== null) ys.push(p.hi);
      }
      datasets.push({
        label: s.name,
        role: 'line',
        group: s.group,
        tip: s.tip,
        data: s.points.map((p) => ({ x: p.x, y: clampY(p.y), p })),
        borderColor: s.color,
        backgroundColor: s.color,
        borderDash: s.dashPattern || (s.dash ? [6, 4] : []),
        pointStyle: s.pointStyle || 'circle',
        borderWidth: 2,
        pointRadius: 4,
        pointHoverRadius: 6,
        tension: 0,
        order: 1,
      });
      const band = s.points.filter((p) => p.lo !== null && p.hi !== null);
      if (spec.band && band.length) {
        datasets.push({
          label: s.name + ' ' + spec.band + ' (low)',
          role: 'band',
          data: band.map((p) => ({ x: p.x, y: clampY(p.lo!) })),
          borderWidth: 0,
          pointRadius: 0,
          pointHitRadius: 0,
          fill: false,
          order: 3,
        });
        datasets.push({
          label: s.name + ' ' + spec.band,
          role: 'band',
          data: band.map((p) => ({ x: p.x, y: clampY(p.hi!) })),
          borderWidth: 0,
          pointRadius: 0,
          pointHitRadius: 0,
          backgroundColor: s.fill,
          fill: '-1',
          order: 3,
        });
      }
    }
    for (const s of spec.study) ys.push(s.y);
    const positive = ys.filter((y) => y > 0);
    const bottom = spec.yLog ? (positive.length ? Math.min(...positive) / 2 : 0.1) : 0;
    if (spec.failures.length) {
      datasets.push({
        label: 'errored / invalid run',
        role: 'failure',
        data: spec.failures.map((f) => ({ x: f.x, y: f.y === null ? bottom : clampY(f.y), f })),
        showLine: false,
        pointStyle: 'crossRot',
        pointRadius: 9,
        pointHoverRadius: 11,
        borderWidth: 3,
        borderColor: '#d62728',
        backgroundColor: '#d62728',
        order: 0,
      });
    }
    const levels = spec.levels.length ? spec.levels : [1];
    const xmin = Math.min(...levels);
    const xmax = Math.max(...levels);
    const points = spec.study.filter((s) => !s.across);
    // A point whose x is not known: a line across the axis, the triangle and label at its left end.
    for (const s of spec.study.filter((x) => x.across)) {
      datasets.push({
        label: s.label,
        role: 'study',
        study: true,
        data: [
          { x: xmin, y: s.y, s },
          { x: xmax, y: s.y, s, quiet: true },
        ],
        showLine: true,
        borderDash: [5, 4],
        borderWidth: 1.5,
        borderColor: s.color,
        backgroundColor: s.color,
        pointStyle: 'triangle',
        pointRadius: [8, 0],
        pointHoverRadius: [10, 0],
        pointBackgroundColor: s.color,
        pointBorderColor: '#222',
        order: 0,
      });
    }
    if (points.length) {
      datasets.push({
        label: '2020 study (published)',
        role: 'study',
        study: true,
        data: points.map((s) => ({ x: s.x, y: s.y, s })),
        showLine: false,
        pointStyle: 'triangle',
        pointRadius: 8,
        pointHoverRadius: 10,
        borderWidth: 1,
        pointBackgroundColor: points.map((s) => s.color),
        pointBorderColor: '#222',
        backgroundColor: '#999',
        borderColor: '#222',
        order: 0,
      });
    }
    // Log axes get room above and below the data (chart.js adds none), and the bottom markers fit.
    if (spec.failures.some((f) => f.y === null)) positive.push(bottom);
    const ymin = spec.yLog && positive.length ? Math.min(...positive) / 1.3 : undefined;
    const ymax = spec.yLog && positive.length ? Math.max(...positive) * 1.3 : undefined;
    // Which log ticks get a label: all of them over a narrow range, fewer as the range grows.
    const decades = ymin && ymax ? Math.log10(ymax / ymin) : 3;
    const labelled = decades < 1 ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : decades < 2.5 ? [1, 2, 3, 5] : [1, 2, 5];
    return new Chart(canvas, {
      type: 'line',
      data: { datasets },
      plugins: [studyLabels],
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        layout: { padding: { right: 8 } },
        interaction: { mode: 'nearest', intersect: true },
        scales: {
          x: {
            type: spec.xLog ? 'logarithmic' : 'linear',
            min: spec.xLog ? xmin / 1.35 : xmin - 0.5,
            max: spec.xLog ? xmax * 1.35 : xmax + 0.5,
            title: { display: true, text: spec.xTitle },
            afterBuildTicks: (axis: ChartAxis) => {
              axis.ticks = levels.map((v) => ({ value: v }));
            },
            ticks: { autoSkip: false, maxRotation: 0, callback: (v: number | string) => xName(Number(v)) },
            grid: { color: '#e6e6e6' },
          },
          y: {
            type: spec.yLog ? 'logarithmic' : 'linear',
            beginAtZero: !spec.yLog,
            min: spec.yLog ? ymin : 0,
            max: ymax,
            grace: spec.yLog ? undefined : '5%',
            title: { display: true, text: spec.yTitle },
            ticks: {
              callback: (v: number | string) => {
                if (spec.yLog) {
                  const m = Number(v) / Math.pow(10, Math.floor(Math.log10(Number(v)) + 1e-9));
                  if (!labelled.some((l) => Math.abs(m - l) < 1e-6)) return '';
                }
                return String(Number(Number(v).toPrecision(3)));
              },
            },
            grid: { color: '#e6e6e6' },
          },
        },
        plugins: {
          legend: {
            position: 'bottom',
            labels: {
              usePointStyle: true,
              boxHeight: 8,
              filter: (item: ChartLegendItem, data: { datasets: LineDataset[] }) => {
                const ds = data.datasets[item.datasetIndex]!;
                if (ds.role === 'band') return false;
                return !ds.group || data.datasets.findIndex((d) => d.group === ds.group) === item.datasetIndex;
              },
            },
            onClick: (_e: unknown, item: ChartLegendItem, legend: { chart: ChartInstance<LineDataset> }) => {
              const chart = legend.chart;
              const ds = chart.data.datasets[item.datasetIndex]!;
              const show = !chart.isDatasetVisible(item.datasetIndex);
              chart.data.datasets.forEach((d, i) => {
                if (i === item.datasetIndex || (ds.group && d.group === ds.group)) chart.setDatasetVisibility(i, show);
              });
              chart.update();
            },
          },
          tooltip: {
            callbacks: {
              title: (items: ChartTooltipItem<LineDataset>[]) => {
                if (!items.length) return '';
                const x = Number((items[0]!.raw as Drawn).x);
                if (spec.xCategories) return xName(x);
                return x.toLocaleString('en-US') + ' ' + spec.xUnit[x === 1 ? 0 : 1];
              },
              label: (ctx: ChartTooltipItem<LineDataset>) => {
                const ds = ctx.dataset;
                const raw = ctx.raw as Drawn;
                if (ds.role === 'study') return wrap(raw.s!.text, 70);
                if (ds.role === 'failure')
                  return wrap(raw.f!.text + (raw.f!.y === null ? ' (measured nothing)' : ''), 70);
                if (ds.role === 'band') return ds.label + ': ' + fmt(raw.y) + ' ' + spec.unit;
                const p = raw.p!;
                let t = (ds.tip || ds.label) + ': ' + fmt(p.y) + ' ' + spec.unit;
                if (spec.band && p.lo !== null && p.hi !== null) {
                  t += ' (' + spec.band + ' ' + fmt(p.lo) + '–' + fmt(p.hi) + ')';
                }
                if (p.trials > 1) t += ', median of ' + p.trials + ' trials';
                if (p.flagged) t += ' — only errored or invalid runs measured this';
                return t;
              },
            },
          },
        },
      },
    });
  }

  // Each bar's value at its end: bars of 99 % and 100 % look alike.
  const barLabels: ChartPlugin<BarDataset> = {
    id: 'barLabels',
    afterDatasetsDraw(chart) {
      const ctx = chart.ctx;
      ctx.save();
      ctx.font = '11px ' + Chart.defaults.font.family;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'middle';
      ctx.fillStyle = '#333';
      chart.data.datasets.forEach((ds, d) => {
        if (!chart.isDatasetVisible(d)) return;
        chart.getDatasetMeta(d).data.forEach((el, i) => {
          const bar = ds.bars[i];
          if (bar) ctx.fillText(bar.label, el.x + 4, el.y);
        });
      });
      ctx.restore();
    },
  };

  // A long bar name goes on two lines, split at a ' · ' near its middle.
  function barLines(text: string): string[] {
    if (text.length <= 36) return [text];
    const first: string[] = [];
    const rest: string[] = [];
    let len = 0;
    for (const p of text.split(' · ')) {
      if (rest.length === 0 && (first.length === 0 || len + p.length <= text.length / 2)) {
        first.push(p);
        len += p.length + 3;
      } else rest.push(p);
    }
    return rest.length ? [first.join(' · '), rest.join(' · ')] : [text];
  }

  function buildBarChart(spec: BarSpec): ChartInstance<BarDataset> {
    const bars = spec.bars;
    return new Chart(document.getElementById(spec.id) as HTMLCanvasElement, {
      type: 'bar',
      data: {
        labels: bars.map((b) => barLines(b.category)),
        datasets: [
          {
            label: spec.valueTitle,
            role: 'bar',
            bars,
            data: bars.map((b) => b.value),
            backgroundColor: bars.map((b) => b.fill),
            borderColor: bars.map((b) => (b.flagged ? '#d62728' : b.color)),
            borderWidth: bars.map((b) => (b.flagged ? 3 : 1)),
            maxBarThickness: 22,
          },
        ],
      },
      plugins: [barLabels],
      options: horizontalBarOptions({
        valueMax: spec.valueMax,
        valueTitle: spec.valueTitle,
        unit: '%',
        names: bars.map((b) => b.category),
        padRight: 64,
        legend: { display: false },
        label: (ctx) => wrap(bars[ctx.dataIndex]!.text, 70),
      }),
    });
  }

  // What every horizontal bar chart of the page shares: the value axis from 0, one name per bar.
  function horizontalBarOptions(o: {
    valueMax: number;
    valueTitle: string;
    unit: string;
    names: readonly string[];
    padRight: number;
    legend: { display?: boolean; position?: 'bottom' };
    label: (ctx: ChartTooltipItem<BarDataset>) => string | string[];
  }) {
    return {
      indexAxis: 'y' as const,
      animation: false as const,
      responsive: true,
      maintainAspectRatio: false,
      layout: { padding: { left: 4, right: o.padRight } },
      scales: {
        x: {
          min: 0,
          max: Math.ceil(o.valueMax),
          title: { display: true, text: o.valueTitle },
          ticks: { callback: (v: number | string) => v + ' ' + o.unit },
          grid: { color: '#e6e6e6' },
        },
        // Each bar names its run; an axis title would take the width long names need, and
        // chart.js would leave them less than that.
        y: { grid: { display: false }, afterFit: fitNames(o.names) },
      },
      plugins: { legend: o.legend, tooltip: { callbacks: { label: o.label } } },
    };
  }

  // The y axis as wide as its longest name (two lines at most), but no more than 60 % of the chart.
  function fitNames(names: readonly string[]) {
    return (axis: ChartAxis) => {
      const ctx = axis.ctx;
      ctx.save();
      ctx.font = Chart.helpers.toFont(axis.options.ticks.font).string;
      const widest = Math.max(...names.map((n) => Math.max(...barLines(n).map((l) => ctx.measureText(l).width))));
      ctx.restore();
      axis.width = Math.min(Math.max(axis.width, widest + 16), axis.chart.width * 0.6);
    };
  }

  // A group of bars per category, one per set (p50, p95, max), with a legend of the sets.
  function buildBarGroupsChart(spec: BarGroupsSpec): ChartInstance<BarDataset> {
    return new Chart(document.getElementById(spec.id) as HTMLCanvasElement, {
      type: 'bar',
      data: {
        labels: spec.categories.map(barLines),
        datasets: spec.sets.map((set) => ({
          label: set.name,
          role: 'bar',
          bars: set.bars,
          data: set.bars.map((b) => (b ? b.value : null)),
          backgroundColor: set.fill,
          borderColor: set.bars.map((b) => (b && b.flagged ? '#d62728' : set.color)),
          borderWidth: set.bars.map((b) => (b && b.flagged ? 3 : 1)),
          maxBarThickness: 16,
        })),
      },
      plugins: [barLabels],
      options: horizontalBarOptions({
        valueMax: spec.valueMax,
        valueTitle: spec.valueTitle,
        unit: spec.unit,
        names: spec.categories,
        padRight: 72,
        legend: { position: 'bottom' },
        label: (ctx) => wrap(ctx.dataset.bars[ctx.dataIndex]?.text ?? '', 70),
      }),
    });
  }

  // A bench soak: memory against connection cycles, each memory figure's samples (those before
  // the fit faded) and its fitted line, on linear axes.
  function buildSoakChart(spec: SoakSpec): ChartInstance {
    const datasets: PageDataset[] = [];
    for (const s of spec.series) {
      const points = (label: string, role: string, data: XY[], color: string) => ({
        label,
        role,
        data,
        showLine: false,
        pointStyle: s.pointStyle,
        pointRadius: 3,
        pointHoverRadius: 5,
        borderColor: color,
        backgroundColor: color,
        order: 1,
      });
      if (s.warmup.length) datasets.push(points(s.name + ' (warm-up, not fitted)', 'soak-warmup', s.warmup, s.fade));
      datasets.push(points(s.name, 'soak-fitted', s.fitted, s.color));
      if (s.line) {
        datasets.push({
          label: s.lineLabel,
          role: 'soak-fit',
          data: s.line,
          showLine: true,
          pointRadius: 0,
          pointHitRadius: 0,
          pointStyle: 'line',
          borderWidth: 2,
          borderColor: s.color,
          backgroundColor: s.color,
          order: 0,
        });
      }
    }
    return new Chart(document.getElementById(spec.id) as HTMLCanvasElement, {
      type: 'line',
      data: { datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', intersect: true },
        scales: {
          x: {
            type: 'linear',
            min: 0,
            title: { display: true, text: 'connection cycles (clients the server saw close)' },
            ticks: { maxRotation: 0, callback: (v: number | string) => compact(Number(v)) },
            grid: { color: '#e6e6e6' },
          },
          y: {
            type: 'linear',
            grace: '5%',
            title: { display: true, text: spec.yTitle },
            grid: { color: '#e6e6e6' },
          },
        },
        plugins: {
          legend: {
            position: 'bottom',
            // In dataset order, each memory figure's entries together (chart.js sorts by `order`).
            labels: {
              usePointStyle: true,
              boxHeight: 8,
              sort: (a: ChartLegendItem, b: ChartLegendItem) => a.datasetIndex - b.datasetIndex,
            },
          },
          tooltip: {
            callbacks: {
              title: (items: ChartTooltipItem<PageDataset>[]) =>
                items.length ? Math.round((items[0]!.raw as XY).x).toLocaleString('en-US') + ' cycles' : '',
              label: (ctx: ChartTooltipItem<PageDataset>) =>
                ctx.dataset.label + ': ' + fmt((ctx.raw as XY).y) + ' ' + spec.unit,
            },
          },
        },
      },
    });
  }

  const charts: ChartInstance[] = [
    ...report.figures.map((spec) =>
      spec.kind === 'bar'
        ? buildBarChart(spec)
        : spec.kind === 'bar-groups'
          ? buildBarGroupsChart(spec)
          : buildChart(spec),
    ),
    ...report.soaks.map(buildSoakChart),
  ];
  function toggle(id: string, test: (ds: PageDataset) => boolean): void {
    // A page of bench limit or soak results alone has no run figures and no checkboxes.
    const box = document.getElementById(id) as HTMLInputElement | null;
    if (!box) return;
    box.addEventListener('change', () => {
      for (const chart of charts) {
        chart.data.datasets.forEach((ds, i) => {
          if (test(ds)) chart.setDatasetVisibility(i, box.checked);
        });
        chart.update('none');
      }
    });
  }
  toggle('toggle-study', (ds) => ds.study === true);
  toggle('toggle-bands', (ds) => ds.role === 'band');
  window.__benchReportCharts = charts;
  window.__benchReportReady = true;
})();
