import type { ChartPoint, HistoryMetric, MetricsHistory } from '@webcasa/ui';

/**
 * One series on a regular grid of steps from `from` to `to`: a step without a
 * sample is a gap (the panel was not running then).
 */
export function seriesPoints(history: MetricsHistory, metric: HistoryMetric): ChartPoint[] {
  const points = history.series[0]?.points ?? [];
  const byTime = new Map(points.map((p) => [p.time, p[metric] ?? null]));
  const step = history.stepMs;
  const out: ChartPoint[] = [];
  const start = Math.floor(history.from / 60_000) * 60_000;
  for (let x = start; x < history.to && out.length < 2000; x += step)
    out.push({ x, y: byTime.get(x) ?? null });
  // Samples off the grid (another step size) are still shown.
  for (const p of points) if (!out.some((o) => o.x === p.time)) out.push({ x: p.time, y: p[metric] ?? null });
  return out.sort((a, b) => a.x - b.x);
}
