import {
  ErrorState,
  type HistoryMetric,
  LineChart,
  Loading,
  type PluginMetrics,
  useApi,
  useI18n,
} from '@webcasa/ui';
import { createResource, createSignal, For, onCleanup, Show } from 'solid-js';
import { formatDuration, SelectInput } from '../kit.js';
import type { TabProps } from './PluginDetail.js';
import { seriesPoints } from './series.js';

const RANGES = { '1h': 3600_000, '24h': 24 * 3600_000, '7d': 7 * 24 * 3600_000 } as const;
type Range = keyof typeof RANGES;
const CHARTS: { metric: HistoryMetric; ms?: boolean }[] = [
  { metric: 'requests' },
  { metric: 'errors' },
  { metric: 'latencyP90', ms: true },
  { metric: 'eventsEmitted' },
  { metric: 'eventsHandled' },
  { metric: 'runsStarted' },
];
const REFRESH_MS = 15_000;

/** Current counters and small charts of the per-minute history. */
export default function MetricsTab(props: TabProps) {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const [range, setRange] = createSignal<Range>('1h');
  const [snapshot, { refetch }] = createResource(
    () => props.plugin.id,
    async (id) => {
      const s = await api.metrics.snapshot();
      return { time: s.time, since: s.since, m: s.plugins[id] };
    },
  );
  const [history, { refetch: refetchHistory }] = createResource(
    () => ({ id: props.plugin.id, range: range() }),
    ({ id, range }) => {
      const to = Date.now();
      return api.metrics.history({ plugin: id, from: to - RANGES[range], to, points: 120 });
    },
  );
  const timer = setInterval(() => {
    void refetch();
    void refetchHistory();
  }, REFRESH_MS);
  onCleanup(() => clearInterval(timer));

  const num = (n: number | null | undefined) =>
    n === null || n === undefined ? '—' : n.toLocaleString(i18n.locale());
  const ms = (n: number | null | undefined) =>
    n === null || n === undefined ? '—' : `${n.toFixed(n < 10 ? 2 : 0)} ms`;
  const figures = (m: PluginMetrics): [string, string, string][] => [
    ['requests', t('metrics.requests'), num(m.requests)],
    ['errors', t('metrics.errors'), num(m.errors)],
    ['clientErrors', t('metrics.clientErrors'), num(m.clientErrors)],
    ['p50', t('metrics.p50'), ms(m.latencyMs.p50)],
    ['p90', t('metrics.p90'), ms(m.latencyMs.p90)],
    ['p99', t('metrics.p99'), ms(m.latencyMs.p99)],
    ['eventsEmitted', t('metrics.eventsEmitted'), num(m.eventsEmitted)],
    ['eventsHandled', t('metrics.eventsHandled'), num(m.eventsHandled)],
    ['handlerErrors', t('metrics.handlerErrors'), num(m.handlerErrors)],
    ['runsStarted', t('metrics.runsStarted'), num(m.runsStarted)],
    ['runsFailed', t('metrics.runsFailed'), num(m.runsFailed)],
    ['setup', t('plugin.setupTime'), formatDuration(m.setupMs)],
    ['start', t('plugin.startTime'), formatDuration(m.startMs)],
  ];

  return (
    <div class="metrics-tab">
      <div class="page-head">
        <p class="wc-muted small">
          <Show when={snapshot.latest}>
            {(s) => t('metrics.since', { time: i18n.formatTime(s().since) })}
          </Show>
        </p>
        <button
          type="button"
          class="wc-btn"
          onClick={() => {
            void refetch();
            void refetchHistory();
          }}
        >
          {t('common.refresh')}
        </button>
      </div>
      <Show
        when={!snapshot.error}
        fallback={<ErrorState title={t('common.loadFailed')} error={snapshot.error} onRetry={refetch} />}
      >
        <Show when={snapshot.latest} fallback={<Loading label={t('ui.loading')} />}>
          {(s) => (
            <Show when={s().m} fallback={<p class="wc-muted">{t('metrics.none')}</p>}>
              {(m) => (
                <dl class="stat-grid" aria-label={t('metrics.current')}>
                  <For each={figures(m())}>
                    {([key, label, value]) => (
                      <div class="stat" data-metric={key}>
                        <dt>{label}</dt>
                        <dd>{value}</dd>
                      </div>
                    )}
                  </For>
                </dl>
              )}
            </Show>
          )}
        </Show>
      </Show>
      <section class="section" aria-labelledby="metrics-history">
        <div class="page-head">
          <h2 id="metrics-history">{t('metrics.history')}</h2>
          <SelectInput
            label={t('metrics.range')}
            value={range()}
            options={(Object.keys(RANGES) as Range[]).map((r) => ({
              value: r,
              label: t(`metrics.range.${r}`),
            }))}
            onChange={setRange}
            class="inline-select"
          />
        </div>
        <Show when={history.latest} fallback={<Loading label={t('ui.loading')} />}>
          {(h) => (
            <>
              <Show when={(h().series[0]?.points.length ?? 0) === 0}>
                <p class="wc-muted">{t('metrics.noHistory')}</p>
              </Show>
              <div class="charts" data-testid="metric-charts">
                <For each={CHARTS}>
                  {(c) => (
                    <LineChart
                      label={t(`metrics.chart.${c.metric}`)}
                      points={seriesPoints(h(), c.metric)}
                      from={h().from}
                      to={h().to}
                      format={
                        c.ms
                          ? (v) => `${v.toFixed(v < 10 ? 1 : 0)} ms`
                          : (v) => num(Math.round(v * 100) / 100)
                      }
                      empty={t('metrics.noData')}
                      i18n={i18n}
                      class="card"
                    />
                  )}
                </For>
              </div>
            </>
          )}
        </Show>
      </section>
    </div>
  );
}
