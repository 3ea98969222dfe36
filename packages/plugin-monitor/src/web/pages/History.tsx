import { EmptyState, ErrorState, Loading } from '@webcasa/ui';
import { createEffect, createResource, createSignal, For, onCleanup, Show } from 'solid-js';
import { Tabs } from '../components.js';
import { monitorApi } from '../lib.js';

type Range = '1h' | '24h' | '7d' | '30d';
const RANGES: Range[] = ['1h', '24h', '7d', '30d'];

interface HistoryAnswer {
  metric: string;
  range: Range;
  step: number;
  points: [number, number][];
}

export default function History() {
  const api = monitorApi();
  const [metric, setMetric] = createSignal('cpu.total');
  const [range, setRange] = createSignal<Range>('1h');
  const [metrics] = createResource(() => api.get<{ items: string[] }>('/metrics').then((r) => r.items));
  const [data] = createResource(
    () => ({ metric: metric(), range: range() }),
    (q) => api.get<HistoryAnswer>('/history', q),
  );
  // uPlot is imported on demand, so neither the shell nor the other pages carry it.
  const [chartLib] = createResource(() => import('../chart.js'));
  let el: HTMLDivElement | undefined;
  let dispose: (() => void) | undefined;
  createEffect(() => {
    const lib = chartLib();
    const answer = data();
    dispose?.();
    dispose = undefined;
    if (lib && answer && el && answer.points.length > 0)
      dispose = lib.drawChart(el, answer.metric, answer.points);
  });
  onCleanup(() => dispose?.());

  return (
    <div class="page">
      <h1>History</h1>
      <Tabs />
      <div
        style={{
          display: 'flex',
          gap: '0.5rem',
          'flex-wrap': 'wrap',
          'align-items': 'end',
          margin: '0 0 1rem',
        }}
      >
        <label class="wc-field">
          <span>Metric</span>
          <select class="wc-input" value={metric()} onChange={(e) => setMetric(e.currentTarget.value)}>
            <For each={metrics() ?? ['cpu.total']}>{(m) => <option value={m}>{m}</option>}</For>
          </select>
        </label>
        <fieldset style={{ display: 'flex', gap: '0.25rem', border: 0, padding: 0, margin: 0 }}>
          <legend class="sr-only">Range</legend>
          <For each={RANGES}>
            {(r) => (
              <button
                type="button"
                class={`wc-btn${range() === r ? ' wc-btn-primary' : ''}`}
                aria-pressed={range() === r}
                onClick={() => setRange(r)}
              >
                {r}
              </button>
            )}
          </For>
        </fieldset>
      </div>
      <Show
        when={!data.error}
        fallback={<ErrorState title="Could not load the history" error={data.error} />}
      >
        <Show when={!data.loading || data()} fallback={<Loading />}>
          <Show
            when={(data()?.points.length ?? 0) > 0}
            fallback={
              <EmptyState title="No data for this range yet" body="History is written once a minute." />
            }
          >
            <span />
          </Show>
        </Show>
      </Show>
      <div ref={el} class="card" style={{ 'min-height': '1px' }} />
    </div>
  );
}
