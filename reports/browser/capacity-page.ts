/**
 * The capacity page's script: builds every chart from the embedded `capacity-data` JSON, again
 * on each change of the log-scale box. Inlined into the page after chart.js, so it is a plain
 * script: no import or export.
 */
(() => {
  type Data = import('./figure-data').CapacityPageData;
  type Figure = import('./figure-data').PlotFigure;
  type XY = import('./figure-data').XY;

  const data = JSON.parse(document.getElementById('capacity-data')!.textContent!) as Data;
  Chart.defaults.animation = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", sans-serif';
  function fmt(v: number | null | undefined): string {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    const a = Math.abs(v);
    return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : String(Number(v.toPrecision(2)));
  }
  function compact(n: number): string {
    return n >= 1e6 ? fmt(n / 1e6) + 'M' : n >= 1000 ? fmt(n / 1000) + 'k' : fmt(n);
  }
  // On log axes only 1, 2 and 5 of each decade get a label, so labels never collide.
  function tick(log: boolean, text: (v: number) => string): (v: number | string) => string {
    return (raw) => {
      const v = Number(raw);
      if (log) {
        const m = v / Math.pow(10, Math.floor(Math.log10(v) + 1e-9));
        if (![1, 2, 5].some((l) => Math.abs(m - l) < 1e-6)) return '';
      }
      return text(v);
    };
  }
  function build(f: Figure, log: boolean): ChartInstance {
    const datasets: PageDataset[] = [];
    const ys: number[] = [];
    for (const s of f.series) {
      for (const p of s.points) ys.push(p.y);
      datasets.push({
        label: s.name + ' (measured)',
        data: s.points,
        showLine: false,
        pointRadius: 5,
        pointStyle: 'circle',
        borderColor: s.color,
        backgroundColor: s.color,
        order: 0,
      });
      if (s.fit.length) {
        datasets.push({
          label: s.name + ' (fit)',
          data: s.fit,
          pointRadius: 0,
          pointStyle: 'line',
          borderWidth: 2,
          borderDash: [6, 4],
          borderColor: s.color,
          backgroundColor: s.color,
          fitLabel: s.fitLabel,
          order: 1,
        });
      }
    }
    const positive = ys.filter((y) => y > 0);
    if (f.limitY !== null) positive.push(f.limitY);
    const yMin = positive.length ? Math.min(...positive) / 2 : 0.1;
    const yMax = positive.length ? Math.max(...positive) * 1.5 : 1;
    for (const s of f.series) {
      if (s.limitX === null || s.limitX <= 0 || s.limitX > f.xMax) continue;
      datasets.push({
        label: s.name + ' limit: ' + Math.round(s.limitX).toLocaleString('en-US') + ' clients',
        data: [
          { x: s.limitX, y: log ? yMin : 0 },
          { x: s.limitX, y: yMax },
        ],
        pointRadius: 0,
        pointStyle: 'line',
        borderWidth: 2,
        borderDash: [2, 3],
        borderColor: s.color,
        backgroundColor: s.color,
        order: 2,
      });
    }
    if (f.limitY !== null) {
      datasets.push({
        label: f.limitLabel ?? '',
        data: [
          { x: f.xMin, y: f.limitY },
          { x: f.xMax, y: f.limitY },
        ],
        pointRadius: 0,
        pointStyle: 'line',
        borderWidth: 2,
        borderDash: [8, 4],
        borderColor: '#d62728',
        backgroundColor: '#d62728',
        order: 3,
      });
    }
    return new Chart(document.getElementById(f.id) as HTMLCanvasElement, {
      type: 'line',
      data: { datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: true,
        interaction: { mode: 'nearest', intersect: true },
        scales: {
          x: {
            type: log ? 'logarithmic' : 'linear',
            min: log ? f.xMin : 0,
            max: f.xMax,
            title: { display: true, text: 'clients connected' + (log ? ' (log scale)' : '') },
            ticks: { maxRotation: 0, callback: tick(log, compact) },
          },
          y: {
            type: log ? 'logarithmic' : 'linear',
            min: log ? yMin : 0,
            max: yMax,
            title: { display: true, text: f.yTitle + (log ? ' (log scale)' : '') },
            ticks: { callback: tick(log, fmt) },
          },
        },
        plugins: {
          legend: { position: 'bottom', labels: { boxHeight: 8, usePointStyle: true } },
          tooltip: {
            callbacks: {
              title: (items: ChartTooltipItem<PageDataset>[]) =>
                items.length ? Math.round((items[0]!.raw as XY).x).toLocaleString('en-US') + ' clients' : '',
              label: (ctx: ChartTooltipItem<PageDataset>) =>
                ctx.dataset.label + ': ' + fmt((ctx.raw as XY).y) + ' ' + f.unit,
            },
          },
        },
      },
    });
  }
  const box = document.getElementById('toggle-log') as HTMLInputElement;
  let charts: ChartInstance[] = [];
  function draw(): void {
    for (const c of charts) c.destroy();
    charts = data.figures.map((f) => build(f, box.checked));
    window.__benchReportCharts = charts;
  }
  box.addEventListener('change', draw);
  draw();
  window.__benchReportReady = true;
})();
