import { useNavigate, useSearchParams } from '@solidjs/router';
import {
  type Column,
  DataTable,
  EmptyState,
  ErrorState,
  Icon,
  Loading,
  type Run,
  type RunStatus,
  useApi,
  useI18n,
} from '@webcasa/ui';
import { createEffect, createResource, createSignal, For, onCleanup, Show } from 'solid-js';
import { formatDuration } from './kit.js';

export const RUN_STATUSES: RunStatus[] = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
];
const PAGE = 50;
const LIVE_MS = 3000;

/** Every run, newest first, filtered by plugin and status on the server, paged by cursor. */
export default function Runs() {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams<{ plugin?: string; status?: string }>();
  const [extra, setExtra] = createSignal<Run[]>([]);
  const [next, setNext] = createSignal<string | null>(null);
  const [loadingMore, setLoadingMore] = createSignal(false);
  const [plugins] = createResource(() => api.plugins.list().catch(() => []));
  document.title = `${t('runs.title')} · Web.Casa`;

  const query = () => ({
    plugin: params.plugin || undefined,
    status: (params.status || undefined) as RunStatus | undefined,
    limit: PAGE,
  });
  const [page, { refetch }] = createResource(query, async (q) => {
    const answer = await api.runs.list(q);
    setExtra([]);
    setNext(answer.next);
    return answer.runs;
  });
  const rows = () => [...(page.latest ?? []), ...extra()];

  // While something runs, keep the first page fresh.
  createEffect(() => {
    if (!rows().some((r) => r.status === 'running' || r.status === 'queued')) return;
    const timer = setInterval(() => void refetch(), LIVE_MS);
    onCleanup(() => clearInterval(timer));
  });

  const more = async () => {
    const before = next();
    if (before === null) return;
    setLoadingMore(true);
    try {
      const answer = await api.runs.list({ ...query(), before });
      setExtra((list) => [...list, ...answer.runs]);
      setNext(answer.next);
    } finally {
      setLoadingMore(false);
    }
  };

  const columns = (): Column<Run>[] => [
    { key: 'title', header: t('runs.run'), sortable: true },
    { key: 'plugin', header: t('runs.plugin'), sortable: true, render: (r) => <code>{r.plugin}</code> },
    {
      key: 'status',
      header: t('runs.status'),
      sortable: true,
      render: (r) => (
        <span class={`wc-badge wc-badge-${r.status}`} data-status={r.status}>
          {t(`ui.run.${r.status}`)}
        </span>
      ),
    },
    {
      key: 'progress',
      header: t('runs.progress'),
      sortable: true,
      render: (r) => `${Math.round(r.progress * 100)}%`,
    },
    { key: 'createdBy', header: t('runs.by'), sortable: true, value: (r) => r.createdBy ?? '—' },
    {
      key: 'createdAt',
      header: t('runs.created'),
      sortable: true,
      render: (r) => i18n.formatTime(r.createdAt),
    },
    {
      key: 'duration',
      header: t('runs.duration'),
      sortable: true,
      value: (r) => (r.startedAt ? (r.endedAt ?? Date.now()) - r.startedAt : null),
      render: (r) => formatDuration(r.startedAt ? (r.endedAt ?? Date.now()) - r.startedAt : null),
    },
  ];

  const onFilter = (e: Event) => {
    const form = (e.currentTarget as HTMLSelectElement).form!;
    const data = new FormData(form);
    setParams({
      plugin: String(data.get('plugin') ?? '') || undefined,
      status: String(data.get('status') ?? '') || undefined,
    });
  };

  return (
    <div class="page">
      <header class="page-head">
        <h1>{t('runs.title')}</h1>
        <button type="button" class="wc-btn" onClick={() => void refetch()}>
          <Icon name="refresh-cw" size={16} />
          {t('common.refresh')}
        </button>
      </header>
      <p class="wc-muted">{t('runs.intro')}</p>
      <form class="filters" aria-label={t('runs.filters')} onSubmit={(e) => e.preventDefault()}>
        <div class="wc-field">
          <label for="runs-plugin">{t('runs.plugin')}</label>
          <select id="runs-plugin" name="plugin" class="wc-input" onChange={onFilter}>
            <option value="">{t('runs.any')}</option>
            <For
              each={[
                ...new Set([
                  ...(plugins() ?? []).map((p) => p.id),
                  ...(params.plugin ? [params.plugin] : []),
                ]),
              ]}
            >
              {(id) => (
                <option value={id} selected={params.plugin === id}>
                  {id}
                </option>
              )}
            </For>
          </select>
        </div>
        <div class="wc-field">
          <label for="runs-status">{t('runs.status')}</label>
          <select id="runs-status" name="status" class="wc-input" onChange={onFilter}>
            <option value="">{t('runs.any')}</option>
            <For each={RUN_STATUSES}>
              {(s) => (
                <option value={s} selected={params.status === s}>
                  {t(`ui.run.${s}`)}
                </option>
              )}
            </For>
          </select>
        </div>
      </form>
      <Show
        when={!page.error}
        fallback={<ErrorState title={t('common.loadFailed')} error={page.error} onRetry={refetch} />}
      >
        <Show when={page.latest} fallback={<Loading label={t('ui.loading')} />}>
          <DataTable
            caption={t('runs.title')}
            rows={rows()}
            columns={columns()}
            rowKey={(r) => r.id}
            i18n={i18n}
            pageSize={25}
            onRowActivate={(r) => navigate(`/runs/${encodeURIComponent(r.id)}`)}
            empty={<EmptyState title={t('runs.none')} body={t('runs.noneBody')} />}
          />
          <Show when={next() !== null}>
            <button type="button" class="wc-btn more" disabled={loadingMore()} onClick={() => void more()}>
              {t('runs.more')}
            </button>
          </Show>
        </Show>
      </Show>
    </div>
  );
}
