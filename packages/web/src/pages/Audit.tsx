import { useSearchParams } from '@solidjs/router';
import {
  type AuditEntry,
  type AuditQuery,
  type Column,
  DataTable,
  ErrorState,
  Loading,
  useApi,
  useI18n,
} from '@webcasa/ui';
import { createResource, createSignal, createUniqueId, For, Show } from 'solid-js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** The audit log, filtered on the server (user, method, path, status, time) and paged by cursor. */
export default function Audit() {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const id = createUniqueId();
  const [params, setParams] =
    useSearchParams<Record<'user' | 'method' | 'path' | 'status' | 'from' | 'to', string>>();
  const [extra, setExtra] = createSignal<AuditEntry[]>([]);
  const [next, setNext] = createSignal<number | null>(null);
  const [loadingMore, setLoadingMore] = createSignal(false);
  document.title = `${t('audit.title')} · Web.Casa`;

  const query = (): AuditQuery => ({
    user: params.user || undefined,
    method: params.method || undefined,
    path: params.path || undefined,
    status: params.status ? Number(params.status) : undefined,
    from: params.from ? new Date(params.from).getTime() : undefined,
    to: params.to ? new Date(params.to).getTime() : undefined,
    limit: 100,
  });
  const [page, { refetch }] = createResource(query, async (q) => {
    const answer = await api.audit.list(q);
    setExtra([]);
    setNext(answer.nextBefore);
    return answer.items;
  });
  const rows = () => [...(page() ?? []), ...extra()];

  const more = async () => {
    const before = next();
    if (before === null) return;
    setLoadingMore(true);
    try {
      const answer = await api.audit.list({ ...query(), before });
      setExtra((list) => [...list, ...answer.items]);
      setNext(answer.nextBefore);
    } finally {
      setLoadingMore(false);
    }
  };

  const apply = (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const value = (k: string) => String(form.get(k) ?? '').trim() || undefined;
    setParams({
      user: value('user'),
      method: value('method'),
      path: value('path'),
      status: value('status'),
      from: value('from'),
      to: value('to'),
    });
  };

  const columns = (): Column<AuditEntry>[] => [
    { key: 'time', header: t('audit.time'), sortable: true, render: (e) => i18n.formatTime(e.time) },
    { key: 'username', header: t('audit.user'), sortable: true, value: (e) => e.username ?? '—' },
    { key: 'method', header: t('audit.method'), sortable: true },
    { key: 'path', header: t('audit.path'), sortable: true, render: (e) => <code>{e.path}</code> },
    {
      key: 'status',
      header: t('audit.status'),
      sortable: true,
      render: (e) => <span class={e.status >= 400 ? 'wc-error' : undefined}>{e.status}</span>,
    },
    { key: 'ip', header: t('audit.ip'), sortable: true },
  ];

  return (
    <div class="page">
      <header class="page-head">
        <h1>{t('audit.title')}</h1>
      </header>
      <form class="filters" onSubmit={apply} aria-label={t('audit.filters')}>
        <div class="wc-field">
          <label for={`${id}-user`}>{t('audit.user')}</label>
          <input id={`${id}-user`} name="user" class="wc-input" value={params.user ?? ''} />
        </div>
        <div class="wc-field">
          <label for={`${id}-method`}>{t('audit.method')}</label>
          <select id={`${id}-method`} name="method" class="wc-input">
            <option value="">{t('audit.any')}</option>
            <For each={METHODS}>
              {(m) => (
                <option value={m} selected={params.method === m}>
                  {m}
                </option>
              )}
            </For>
          </select>
        </div>
        <div class="wc-field">
          <label for={`${id}-path`}>{t('audit.path')}</label>
          <input
            id={`${id}-path`}
            name="path"
            class="wc-input"
            placeholder="/api/"
            value={params.path ?? ''}
          />
        </div>
        <div class="wc-field">
          <label for={`${id}-status`}>{t('audit.status')}</label>
          <input
            id={`${id}-status`}
            name="status"
            class="wc-input"
            inputMode="numeric"
            value={params.status ?? ''}
          />
        </div>
        <div class="wc-field">
          <label for={`${id}-from`}>{t('audit.from')}</label>
          <input
            id={`${id}-from`}
            name="from"
            type="datetime-local"
            class="wc-input"
            value={params.from ?? ''}
          />
        </div>
        <div class="wc-field">
          <label for={`${id}-to`}>{t('audit.to')}</label>
          <input id={`${id}-to`} name="to" type="datetime-local" class="wc-input" value={params.to ?? ''} />
        </div>
        <div class="filters-actions">
          <button type="submit" class="wc-btn wc-btn-primary">
            {t('audit.apply')}
          </button>
          <button
            type="button"
            class="wc-btn"
            onClick={(e) => {
              (e.currentTarget.form as HTMLFormElement).reset();
              setParams({
                user: undefined,
                method: undefined,
                path: undefined,
                status: undefined,
                from: undefined,
                to: undefined,
              });
            }}
          >
            {t('audit.reset')}
          </button>
        </div>
      </form>
      <Show
        when={!page.error}
        fallback={<ErrorState title={t('common.loadFailed')} error={page.error} onRetry={refetch} />}
      >
        <Show when={page()} fallback={<Loading label={t('ui.loading')} />}>
          <DataTable
            caption={t('audit.title')}
            rows={rows()}
            columns={columns()}
            rowKey={(e) => e.id}
            i18n={i18n}
            pageSize={25}
            empty={<p class="wc-muted wc-pad">{t('audit.none')}</p>}
          />
          <Show when={next() !== null}>
            <button type="button" class="wc-btn more" disabled={loadingMore()} onClick={() => void more()}>
              {t('audit.more')}
            </button>
          </Show>
        </Show>
      </Show>
    </div>
  );
}
