import { A, useNavigate, useParams } from '@solidjs/router';
import {
  ApiError,
  EmptyState,
  ErrorState,
  Icon,
  Loading,
  type PluginInfo,
  useApi,
  useI18n,
} from '@webcasa/ui';
import { createEffect, createResource, lazy, Match, on, Suspense, Switch } from 'solid-js';
import { Dynamic } from 'solid-js/web';
import { useRegistry } from '../../state/registry-context.js';
import { Tabs } from '../kit.js';
import { usePluginToggle } from './toggle.js';

// Each tab is its own chunk: the page opens with the overview only.
const TABS = {
  overview: lazy(() => import('./Overview.js')),
  config: lazy(() => import('./ConfigTab.js')),
  actions: lazy(() => import('./ActionsTab.js')),
  logs: lazy(() => import('./LogsTab.js')),
  metrics: lazy(() => import('./MetricsTab.js')),
};
type TabId = keyof typeof TABS;

export interface TabProps {
  plugin: PluginInfo;
  refetch: () => void;
}

/** `/admin/plugins/:id/:tab?` — one plugin: overview, settings, actions, logs and metrics. */
export default function PluginDetail() {
  const params = useParams<{ id: string; tab?: string }>();
  const navigate = useNavigate();
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const registry = useRegistry();
  const [info, { refetch, mutate }] = createResource(
    () => params.id,
    (id) => api.plugins.get(id),
  );
  const tab = (): TabId => (params.tab && params.tab in TABS ? (params.tab as TabId) : 'overview');
  const { busy, setEnabled } = usePluginToggle((next) => {
    mutate(next);
    void refetch();
  });
  // Enabled or disabled elsewhere (the panel's push refreshes the registry): show the new state.
  createEffect(
    on(
      () => registry.get(params.id)?.version ?? null,
      () => void refetch(),
      { defer: true },
    ),
  );
  createEffect(() => {
    const p = info.latest;
    document.title = `${p?.name ?? params.id} · ${t(`plugin.tab.${tab()}`)} · Web.Casa`;
  });

  const tabs = () => (Object.keys(TABS) as TabId[]).map((id) => ({ id, label: t(`plugin.tab.${id}`) }));
  const notFound = () => info.error instanceof ApiError && info.error.status === 404;

  return (
    <div class="page plugin-detail">
      <nav class="crumbs" aria-label={t('plugin.crumbs')}>
        <A href="/admin/plugins">{t('nav.plugins')}</A>
        <span aria-hidden="true"> / </span>
        <span aria-current="page">{info.latest?.name ?? params.id}</span>
      </nav>
      <Switch>
        <Match when={notFound()}>
          <EmptyState
            title={t('plugin.none', { id: params.id })}
            action={
              <A class="wc-btn" href="/admin/plugins">
                {t('nav.plugins')}
              </A>
            }
          />
        </Match>
        <Match when={info.error}>
          <ErrorState title={t('common.loadFailed')} error={info.error} onRetry={refetch} />
        </Match>
        <Match when={info.latest}>
          {(p) => (
            <>
              <header class="page-head">
                <div class="plugin-title">
                  <Icon name={p().manifest.icon ?? 'puzzle'} size={28} />
                  <div>
                    <h1>{p().name}</h1>
                    <p class="wc-muted small">
                      <code>{p().id}</code> · {t('plugins.version')} {p().version}
                    </p>
                  </div>
                  <span class={`wc-badge wc-badge-${p().status}`} data-testid="plugin-status">
                    {t(`plugins.status.${p().status}`)}
                  </span>
                </div>
                <div class="row-actions">
                  <button type="button" class="wc-btn" onClick={() => void refetch()}>
                    <Icon name="refresh-cw" size={16} />
                    {t('common.refresh')}
                  </button>
                  <button
                    type="button"
                    class="wc-btn"
                    classList={{ 'wc-btn-primary': !p().enabled }}
                    disabled={busy() === p().id}
                    data-action={
                      p().enabled && p().status === 'running' ? `disable-${p().id}` : `enable-${p().id}`
                    }
                    onClick={() => void setEnabled(p(), !(p().enabled && p().status === 'running'))}
                  >
                    {p().enabled && p().status === 'running' ? t('plugins.disable') : t('plugins.enable')}
                  </button>
                </div>
              </header>
              <Tabs
                tabs={tabs()}
                selected={tab()}
                label={t('plugin.tabs', { name: p().name })}
                idPrefix="plugin"
                onSelect={(id) =>
                  navigate(`/admin/plugins/${encodeURIComponent(p().id)}/${id}`, { replace: true })
                }
              >
                <Suspense fallback={<Loading label={t('ui.loading')} />}>
                  <Dynamic component={TABS[tab()]} plugin={p()} refetch={refetch} />
                </Suspense>
              </Tabs>
            </>
          )}
        </Match>
        <Match when={true}>
          <Loading label={t('ui.loading')} />
        </Match>
      </Switch>
    </div>
  );
}
