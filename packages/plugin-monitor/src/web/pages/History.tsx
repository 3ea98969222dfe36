import { EmptyState, ErrorState, Loading } from '@webcasa/ui';
import { createEffect, createResource, createSignal, For, onCleanup, Show } from 'solid-js';
import { Tabs } from '../components.js';
import { useMonitorI18n } from '../i18n.js';
import { monitorApi } from '../lib.js';

type Range = '1h' | '24h' | '7d' | '30d';
const RANGES: Range[] = ['1h', '24h', '7d', '30d'];

/** Ranges whose points merge many samples: there the chart also shows each point's peaks. */
const WITH_PEAKS = new Set<Range>(['7d', '30d']);

interface HistoryAnswer {
  metric: string;
  range: Range;
  step: number;
  points: [number, number][];
  min?: [number, number][];
  max?: [number, number][];
}

export default function History() {
  const { t } = useMonitorI18n();
  const api = monitorApi();
  const [metric, setMetric] = createSignal('cpu.total');
  const [range, setRange] = createSignal<Range>('1h');
  const [metrics] = createResource(() => api.get<{ items: string[] }>('/metrics').then((r) => r.items));
  const [data] = createResource(
    () => ({ metric: metric(), range: range() }),
    (q) => api.get<HistoryAnswer>('/history', { ...q, agg: WITH_PEAKS.has(q.range) ? 'all' : 'avg' }),
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
    if (lib && answer && el && answer.points.length > 0) {
      const peaks =
        answer.min && answer.max
          ? {
              min: answer.min,
              max: answer.max,
              minLabel: t('monitor.history.low'),
              maxLabel: t('monitor.history.peak'),
            }
          : undefined;
      const label = peaks ? `${answer.metric} (${t('monitor.history.average')})` : answer.metric;
      dispose = lib.drawChart(el, label, answer.points, peaks);
    }
  });
  onCleanup(() => dispose?.());

  return (
    <div class="page">
      <h1>{t('monitor.history.title')}</h1>
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
          <span>{t('monitor.history.metric')}</span>
          <select class="wc-input" value={metric()} onChange={(e) => setMetric(e.currentTarget.value)}>
            <For each={metrics() ?? ['cpu.total']}>{(m) => <option value={m}>{m}</option>}</For>
          </select>
        </label>
        <fieldset style={{ display: 'flex', gap: '0.25rem', border: 0, padding: 0, margin: 0 }}>
          <legend class="sr-only">{t('monitor.history.range')}</legend>
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
        fallback={<ErrorState title={t('monitor.history.error')} error={data.error} />}
      >
        <Show when={!data.loading || data()} fallback={<Loading />}>
          <Show
            when={(data()?.points.length ?? 0) > 0}
            fallback={<EmptyState title={t('monitor.history.empty')} body={t('monitor.history.emptyBody')} />}
          >
            <Show when={data()?.max}>
              <p style={{ color: 'var(--wc-muted)', 'font-size': '0.875rem' }}>
                {t('monitor.history.peakNote')}
              </p>
            </Show>
          </Show>
        </Show>
      </Show>
      <div ref={el} class="card" data-testid="history-chart" style={{ 'min-height': '1px' }} />
    </div>
  );
}
