import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Draws one series into `el` with uPlot; returns a function that removes the chart. */
export function drawChart(el: HTMLElement, label: string, points: [number, number][]): () => void {
  const xs = points.map((p) => p[0] / 1000);
  const ys = points.map((p) => p[1]);
  const style = getComputedStyle(el);
  const accent = style.getPropertyValue('--wc-accent').trim() || '#3b82f6';
  const muted = style.getPropertyValue('--wc-muted').trim() || '#888';
  const chart = new uPlot(
    {
      width: Math.max(300, el.clientWidth),
      height: 280,
      series: [{}, { label, stroke: accent, width: 2, fill: `${accent}22` }],
      axes: [
        { stroke: muted, grid: { stroke: `${muted}33` } },
        { stroke: muted, grid: { stroke: `${muted}33` } },
      ],
      scales: { x: { time: true } },
    },
    [xs, ys],
    el,
  );
  const resize = () => chart.setSize({ width: Math.max(300, el.clientWidth), height: 280 });
  window.addEventListener('resize', resize);
  return () => {
    window.removeEventListener('resize', resize);
    chart.destroy();
  };
}
