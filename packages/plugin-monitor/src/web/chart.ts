import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartPeaks {
  min: [number, number][];
  max: [number, number][];
  /** Series labels, translated by the caller. */
  minLabel: string;
  maxLabel: string;
}

/**
 * Draws one series into `el` with uPlot; with `peaks`, also the highest values as a dashed
 * line and a shaded band from the lowest to the highest value (points aligned with `points`).
 * Returns a function that removes the chart.
 */
export function drawChart(
  el: HTMLElement,
  label: string,
  points: [number, number][],
  peaks?: ChartPeaks,
): () => void {
  const xs = points.map((p) => p[0] / 1000);
  const ys = points.map((p) => p[1]);
  const style = getComputedStyle(el);
  const accent = style.getPropertyValue('--wc-accent').trim() || '#3b82f6';
  const muted = style.getPropertyValue('--wc-muted').trim() || '#888';
  const danger = style.getPropertyValue('--wc-danger').trim() || '#d33';
  const series: uPlot.Series[] = [
    {},
    { label, stroke: accent, width: 2, fill: peaks ? undefined : `${accent}22` },
  ];
  const data: uPlot.AlignedData = [xs, ys];
  const bands: uPlot.Band[] = [];
  if (peaks) {
    series.push({ label: peaks.maxLabel, stroke: danger, width: 1, dash: [4, 4] });
    series.push({ label: peaks.minLabel, stroke: `${muted}88`, width: 1 });
    data.push(
      peaks.max.map((p) => p[1]),
      peaks.min.map((p) => p[1]),
    );
    bands.push({ series: [2, 3], fill: `${accent}22` });
  }
  const chart = new uPlot(
    {
      width: Math.max(300, el.clientWidth),
      height: 280,
      series,
      bands,
      axes: [
        { stroke: muted, grid: { stroke: `${muted}33` } },
        { stroke: muted, grid: { stroke: `${muted}33` } },
      ],
      scales: { x: { time: true } },
    },
    data,
    el,
  );
  el.dataset.series = String(series.length - 1);
  const resize = () => chart.setSize({ width: Math.max(300, el.clientWidth), height: 280 });
  window.addEventListener('resize', resize);
  return () => {
    window.removeEventListener('resize', resize);
    chart.destroy();
  };
}
