import { For, type JSX, Show } from 'solid-js';
import { format, type I18n, uiMessages } from '../i18n.js';

/** One point of a series; `y: null` is a gap (no sample for that step). */
export interface ChartPoint {
  x: number;
  y: number | null;
}

export interface ChartGeometry {
  /** SVG path of the line: one `M…L…` run per stretch without gaps. */
  line: string;
  /** The same runs closed down to the baseline, for the fill. */
  area: string;
  /** Points that stand alone between gaps (drawn as dots). */
  dots: { x: number; y: number }[];
  min: number;
  max: number;
  /** The last non-null value. */
  last: number | null;
}

const r1 = (n: number) => Math.round(n * 10) / 10;

/**
 * Scale a series into a `width`×`height` box: x from `from`..`to` (default: the
 * data's), y from 0 (or the minimum, when negative) to the maximum.
 */
export function chartGeometry(
  points: readonly ChartPoint[],
  width: number,
  height: number,
  range: { from?: number; to?: number } = {},
): ChartGeometry {
  const values = points.filter((p) => p.y !== null && Number.isFinite(p.y)) as { x: number; y: number }[];
  const min = Math.min(0, ...values.map((p) => p.y));
  const max = Math.max(min + 1e-9, ...values.map((p) => p.y));
  const x0 = range.from ?? Math.min(...points.map((p) => p.x));
  const x1 = range.to ?? Math.max(...points.map((p) => p.x));
  const sx = (x: number) => r1(x1 > x0 ? ((x - x0) / (x1 - x0)) * width : width / 2);
  const sy = (y: number) => r1(height - ((y - min) / (max - min)) * height);
  const runs: { x: number; y: number }[][] = [];
  let run: { x: number; y: number }[] = [];
  for (const p of points) {
    if (p.y === null || !Number.isFinite(p.y)) {
      if (run.length) runs.push(run);
      run = [];
    } else run.push({ x: sx(p.x), y: sy(p.y) });
  }
  if (run.length) runs.push(run);
  const base = sy(min);
  const line = runs
    .filter((r) => r.length > 1)
    .map((r) => r.map((p, i) => `${i ? 'L' : 'M'}${p.x} ${p.y}`).join(''))
    .join('');
  const area = runs
    .filter((r) => r.length > 1)
    .map(
      (r) => `M${r[0]!.x} ${base}${r.map((p) => `L${p.x} ${p.y}`).join('')}L${r[r.length - 1]!.x} ${base}Z`,
    )
    .join('');
  return {
    line,
    area,
    dots: runs.filter((r) => r.length === 1).map((r) => r[0]!),
    min: values.length ? min : 0,
    max: values.length ? max : 0,
    last: values.length ? values[values.length - 1]!.y : null,
  };
}

export interface LineChartProps {
  points: readonly ChartPoint[];
  /** What it shows, e.g. "Requests per minute": the heading and the accessible name. */
  label: string;
  /** Drawing size in px (default 260×64); it scales to its container's width. */
  width?: number;
  height?: number;
  /** The x range (default: the data's), so charts of one period line up. */
  from?: number;
  to?: number;
  /** How values are written (default: up to 2 decimals). */
  format?: (value: number) => string;
  /** Shown instead of the chart when there is no value at all. */
  empty?: string;
  /** Accessible summary (default "<label>: latest <v>, highest <v>"). */
  summary?: (g: ChartGeometry) => string;
  i18n?: Pick<I18n, 't'>;
  class?: string;
}

/**
 * A small line chart in plain SVG, for metric histories: the line, a soft
 * fill, gaps where there is no sample, the latest and highest value. It is one
 * image to assistive technology, named by its summary.
 *
 * @example
 * <LineChart label="Requests" points={history.map((p) => ({ x: p.time, y: p.requests ?? null }))} />
 */
export function LineChart(props: LineChartProps): JSX.Element {
  const w = () => props.width ?? 260;
  const h = () => props.height ?? 64;
  const fmt = (v: number | null) =>
    v === null ? '—' : props.format ? props.format(v) : String(Math.round(v * 100) / 100);
  const g = () => chartGeometry(props.points, w(), h(), { from: props.from, to: props.to });
  const t = (key: string, params?: Record<string, unknown>) =>
    props.i18n ? props.i18n.t(key, params) : format(uiMessages.en[key] ?? key, params);
  const summary = () =>
    props.summary?.(g()) ??
    t('ui.chartSummary', { label: props.label, last: fmt(g().last), max: fmt(g().max) });
  return (
    <figure class={`wc-chart ${props.class ?? ''}`}>
      <figcaption class="wc-chart-head">
        <span>{props.label}</span>
        <strong class="wc-chart-last">{fmt(g().last)}</strong>
      </figcaption>
      <Show
        when={g().last !== null}
        fallback={<p class="wc-chart-empty wc-muted">{props.empty ?? t('ui.chartEmpty')}</p>}
      >
        <div class="wc-chart-plot">
          <svg
            viewBox={`0 0 ${w()} ${h()}`}
            preserveAspectRatio="none"
            role="img"
            aria-label={summary()}
            class="wc-chart-svg"
          >
            <path class="wc-chart-area" d={g().area} />
            <path class="wc-chart-line" d={g().line} vector-effect="non-scaling-stroke" />
            <For each={g().dots}>{(d) => <circle class="wc-chart-dot" cx={d.x} cy={d.y} r="2" />}</For>
          </svg>
          <span class="wc-chart-max wc-muted" aria-hidden="true">
            {fmt(g().max)}
          </span>
        </div>
      </Show>
    </figure>
  );
}
